//! Tests of the routing rules: event names, meanings, stage filters and order keys.

use super::*;
use serde_json::value::RawValue;

fn route(
    events: &[&str],
    to_stage: Option<&str>,
    from_stage: Option<&str>,
    handler: &str,
) -> RouteConfig {
    RouteConfig {
        events: events.iter().map(|s| s.to_string()).collect(),
        to_stage: to_stage.map(str::to_owned),
        from_stage: from_stage.map(str::to_owned),
        reason_type: None,
        conditions: Default::default(),
        handler: handler.to_owned(),
    }
}

fn decode(event: &str, data: &str) -> LeverEvent {
    let raw = RawValue::from_string(data.to_owned()).unwrap();
    LeverEvent::decode(event, &raw).unwrap()
}

fn stage_change(from: &str, to: &str) -> LeverEvent {
    decode(
        "candidateStageChange",
        &format!(r#"{{"opportunityId":"o1","fromStageId":"{from}","toStageId":"{to}"}}"#),
    )
}

fn archived(reason: Option<&str>) -> LeverEvent {
    let to = match reason {
        Some(r) => format!(r#"{{"archivedAt":1717171799000,"reason":"{r}"}}"#),
        None => "null".to_owned(),
    };
    decode(
        "candidateArchiveChange",
        &format!(r#"{{"opportunityId":"o1","fromArchived":null,"toArchived":{to}}}"#),
    )
}

fn hired() -> LeverEvent {
    decode("candidateHired", r#"{"opportunityId":"o1"}"#)
}

fn names(matches: Vec<RouteMatch>) -> Vec<String> {
    matches.into_iter().map(|m| m.handler).collect()
}

fn no_facts() -> Facts {
    Facts::default()
}

fn reason(reason_type: ArchiveReasonType) -> Facts {
    Facts {
        reason_type: Some(reason_type),
        ..Facts::default()
    }
}

#[test]
fn stage_filters_match_by_stage_id() {
    let router = Router::new(&[
        route(&["candidateStageChange"], Some("bgc"), None, "bgcheck"),
        route(
            &["candidateStageChange"],
            None,
            Some("screen"),
            "left-screen",
        ),
    ]);
    let event = stage_change("screen", "bgc");
    assert_eq!(
        names(router.handlers_for("candidateStageChange", Some(&event), &no_facts())),
        ["bgcheck", "left-screen"]
    );
    let other = stage_change("onsite", "offer");
    assert!(router
        .handlers_for("candidateStageChange", Some(&other), &no_facts())
        .is_empty());
}

#[test]
fn stage_filters_match_the_looked_up_name_ignoring_case_and_spaces() {
    let router = Router::new(&[route(
        &["candidateStageChange"],
        Some("Background Check"),
        None,
        "bgcheck",
    )]);
    let event = stage_change("9f1c", "7c26");
    let facts = |name: &str| Facts {
        to_stage_name: Some(name.to_owned()),
        ..Facts::default()
    };
    assert_eq!(
        names(router.handlers_for(
            "candidateStageChange",
            Some(&event),
            &facts(" background check ")
        )),
        ["bgcheck"]
    );
    assert!(router
        .handlers_for("candidateStageChange", Some(&event), &facts("Onsite"))
        .is_empty());
    assert!(
        router
            .handlers_for("candidateStageChange", Some(&event), &no_facts())
            .is_empty(),
        "an unknown name never matches"
    );
}

#[test]
fn stage_names_are_needed_only_when_a_filter_is_not_one_of_the_payload_ids() {
    let by_id = Router::new(&[route(&["candidateStageChange"], Some("bgc"), None, "h")]);
    let by_name = Router::new(&[route(
        &["candidateStageChange"],
        Some("Background Check"),
        None,
        "h",
    )]);
    let into_bgc = stage_change("screen", "bgc");
    assert!(
        !by_id
            .needs("candidateStageChange", Some(&into_bgc))
            .stage_names
    );
    assert!(
        by_id
            .needs("candidateStageChange", Some(&stage_change("a", "b")))
            .stage_names
    );
    assert!(
        by_name
            .needs("candidateStageChange", Some(&into_bgc))
            .stage_names
    );
    assert!(!by_name.needs("candidateHired", Some(&hired())).stage_names);
}

#[test]
fn hired_means_candidate_hired_or_an_archive_with_a_hired_reason() {
    let router = Router::new(&[route(&["hired"], None, None, "hris")]);
    let hire = router.handlers_for("candidateHired", Some(&hired()), &no_facts());
    assert_eq!(
        hire,
        [RouteMatch {
            handler: "hris".into(),
            as_hire: true
        }]
    );
    let archive = archived(Some("r-hired"));
    assert!(
        router
            .needs("candidateArchiveChange", Some(&archive))
            .reason_type
    );
    assert_eq!(
        names(router.handlers_for(
            "candidateArchiveChange",
            Some(&archive),
            &reason(ArchiveReasonType::Hired)
        )),
        ["hris"]
    );
    assert!(router
        .handlers_for(
            "candidateArchiveChange",
            Some(&archive),
            &reason(ArchiveReasonType::NonHired)
        )
        .is_empty());
    assert!(
        router
            .handlers_for("candidateArchiveChange", Some(&archive), &no_facts())
            .is_empty(),
        "an archive whose reason type is unknown is not taken for a hire"
    );
}

#[test]
fn archived_with_a_reason_type_and_unarchived() {
    let mut rejected = route(&["archived"], None, None, "cancel");
    rejected.reason_type = Some(ArchiveReasonType::NonHired);
    let router = Router::new(&[
        rejected,
        route(&["archived"], None, None, "any-archive"),
        route(&["unarchived"], None, None, "reopen"),
    ]);
    let archive = archived(Some("r1"));
    assert_eq!(
        names(router.handlers_for(
            "candidateArchiveChange",
            Some(&archive),
            &reason(ArchiveReasonType::NonHired)
        )),
        ["cancel", "any-archive"]
    );
    assert_eq!(
        names(router.handlers_for(
            "candidateArchiveChange",
            Some(&archive),
            &reason(ArchiveReasonType::Hired)
        )),
        ["any-archive"]
    );
    assert_eq!(
        names(router.handlers_for("candidateArchiveChange", Some(&archived(None)), &no_facts())),
        ["reopen"]
    );
    assert!(
        router
            .handlers_for("candidateHired", Some(&hired()), &no_facts())
            .is_empty(),
        "archived does not include candidateHired"
    );
}

#[test]
fn a_handler_also_named_by_event_is_not_deduplicated_as_a_hire() {
    let router = Router::new(&[
        route(&["hired"], None, None, "hris"),
        route(&["candidateHired"], None, None, "hris"),
    ]);
    let matched = router.handlers_for("candidateHired", Some(&hired()), &no_facts());
    assert_eq!(
        matched,
        [RouteMatch {
            handler: "hris".into(),
            as_hire: false
        }]
    );
}

#[test]
fn a_star_route_takes_unknown_events_but_named_routes_do_not() {
    let router = Router::new(&[
        route(&["*"], None, None, "all"),
        route(&["candidateHired"], None, None, "hris"),
    ]);
    assert_eq!(
        names(router.handlers_for("somethingNew", None, &no_facts())),
        ["all"]
    );
    assert_eq!(
        names(router.handlers_for("candidateHired", None, &no_facts())),
        ["all", "hris"]
    );
}

#[test]
fn a_handler_named_by_two_routes_gets_one_job() {
    let router = Router::new(&[
        route(&["candidateStageChange"], None, None, "notify"),
        route(&["*"], None, None, "notify"),
    ]);
    assert_eq!(
        names(router.handlers_for(
            "candidateStageChange",
            Some(&stage_change("a", "b")),
            &no_facts()
        )),
        ["notify"]
    );
}

#[test]
fn undecodable_data_matches_only_routes_without_stage_filters_or_meanings() {
    let router = Router::new(&[
        route(&["candidateStageChange"], Some("bgc"), None, "bgcheck"),
        route(&["candidateStageChange"], None, None, "log"),
        route(&["hired"], None, None, "hris"),
    ]);
    assert_eq!(
        names(router.handlers_for("candidateStageChange", None, &no_facts())),
        ["log"]
    );
    assert!(router
        .handlers_for("candidateHired", None, &no_facts())
        .is_empty());
}

mod conditions;
