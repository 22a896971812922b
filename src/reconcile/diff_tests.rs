use super::*;
use serde_json::json;

const HIRED: &str = "r-hired";
const WITHDREW: &str = "r-withdrew";

fn hired() -> BTreeSet<String> {
    BTreeSet::from([HIRED.to_owned()])
}

/// An opportunity in `stage`, moved there from `previous` at 500, updated at 900.
fn opportunity(stage: &str, archived: serde_json::Value) -> Opportunity {
    serde_json::from_value(json!({
        "id": "o1",
        "contact": "c1",
        "stage": stage,
        "stageChanges": [
            { "toStageId": "lead", "toStageIndex": 0, "updatedAt": 100 },
            { "toStageId": stage, "toStageIndex": 1, "updatedAt": 500 }
        ],
        "archived": archived,
        "updatedAt": 900,
        "lastAdvancedAt": 500
    }))
    .unwrap()
}

fn known(stage: &str, reason: Option<&str>) -> OpportunityState {
    OpportunityState {
        stage_id: Some(stage.to_owned()),
        archived_reason: reason.map(str::to_owned),
        archived_at: reason.map(|_| 300),
        contact_id: Some("c1".to_owned()),
        updated_at: Some(300),
        set_by: None,
        source: None,
    }
}

fn kinds(found: &[Change]) -> Vec<&'static str> {
    found.iter().map(|c| c.what.kind()).collect()
}

#[test]
fn a_state_that_already_matches_gives_nothing() {
    let now = opportunity("screen", json!({ "reason": WITHDREW, "archivedAt": 300 }));
    let state = state_of(&now);
    assert_eq!(changes(Some(&state), &now, &hired(), 0), []);
    let active = opportunity("screen", json!(null));
    assert_eq!(
        changes(Some(&known("screen", None)), &active, &hired(), 0),
        []
    );
}

#[test]
fn a_stage_move_comes_from_the_known_stage_at_levers_time_of_the_move() {
    let now = opportunity("offer", json!(null));
    let found = changes(Some(&known("screen", None)), &now, &hired(), 10_000);
    assert_eq!(
        found,
        [Change {
            opportunity: "o1".to_owned(),
            contact: Some("c1".to_owned()),
            what: What::Stage {
                from: Some("screen".to_owned()),
                to: "offer".to_owned()
            },
            at: 500,
        }]
    );
}

#[test]
fn without_a_known_stage_the_move_comes_from_the_previous_stage_change_within_the_window() {
    let now = opportunity("offer", json!(null));
    let found = changes(None, &now, &hired(), 400);
    assert_eq!(
        found[0].what,
        What::Stage {
            from: Some("lead".to_owned()),
            to: "offer".to_owned()
        }
    );
    assert_eq!(kinds(&found), ["stage"]);
    assert_eq!(
        changes(None, &now, &hired(), 600),
        [],
        "moved before the window"
    );

    let mut created_there = now.clone();
    created_there.stage_changes.remove(0);
    assert_eq!(
        changes(None, &created_there, &hired(), 0),
        [],
        "no move was recorded"
    );
}

#[test]
fn archiving_gives_an_archive_change_and_a_hired_reason_a_hire_too() {
    let withdrew = opportunity("screen", json!({ "reason": WITHDREW, "archivedAt": 700 }));
    let found = changes(Some(&known("screen", None)), &withdrew, &hired(), 0);
    assert_eq!(
        found[0].what,
        What::Archive {
            from: None,
            to: Some(Archived {
                archived_at: Some(700),
                reason: Some(WITHDREW.to_owned())
            })
        }
    );
    assert_eq!((kinds(&found), found[0].at), (vec!["archive"], 700));

    let hire = opportunity("screen", json!({ "reason": HIRED, "archivedAt": 800 }));
    let found = changes(Some(&known("screen", None)), &hire, &hired(), 0);
    assert_eq!(kinds(&found), ["archive", "hire"]);
    assert_eq!(
        found[1].what,
        What::Hire {
            reason: HIRED.to_owned()
        }
    );
    assert_eq!(found[1].at, 800);
}

#[test]
fn a_changed_reason_and_an_unarchive_are_archive_changes_from_the_known_reason() {
    let hire = opportunity("screen", json!({ "reason": HIRED, "archivedAt": 800 }));
    let found = changes(Some(&known("screen", Some(WITHDREW))), &hire, &hired(), 0);
    assert_eq!(kinds(&found), ["archive", "hire"]);
    let What::Archive { from, .. } = &found[0].what else {
        panic!("{found:?}")
    };
    assert_eq!(
        from,
        &Some(Archived {
            archived_at: Some(300),
            reason: Some(WITHDREW.to_owned())
        })
    );

    let active = opportunity("screen", json!(null));
    let found = changes(Some(&known("screen", Some(HIRED))), &active, &hired(), 0);
    assert_eq!(kinds(&found), ["archive"], "an unarchive is no hire");
    assert!(matches!(&found[0].what, What::Archive { to: None, .. }));
    assert_eq!(found[0].at, 900, "Lever gives no unarchive time: updatedAt");
}

#[test]
fn a_stage_move_and_an_archive_together_give_both() {
    let now = opportunity("offer", json!({ "reason": HIRED, "archivedAt": 800 }));
    let found = changes(Some(&known("screen", None)), &now, &hired(), 0);
    assert_eq!(kinds(&found), ["stage", "archive", "hire"]);
}

#[test]
fn an_unknown_opportunity_archived_before_the_window_gives_nothing() {
    let mut now = opportunity("screen", json!({ "reason": HIRED, "archivedAt": 200 }));
    now.stage_changes.remove(0);
    assert_eq!(changes(None, &now, &hired(), 1_000), []);
    assert_eq!(
        kinds(&changes(None, &now, &hired(), 100)),
        ["archive", "hire"]
    );
}

#[test]
fn a_deletion_counts_only_for_a_known_opportunity() {
    let deleted: DeletedOpportunity = serde_json::from_value(json!({
        "id": "o1", "deletedAt": 950, "deletedBy": "u1"
    }))
    .unwrap();
    let state = known("screen", None);
    assert_eq!(
        deletion(Some(&state), &deleted, 1),
        Some(Change {
            opportunity: "o1".to_owned(),
            contact: Some("c1".to_owned()),
            what: What::Deletion {
                deleted_by: Some("u1".to_owned())
            },
            at: 950,
        })
    );
    assert_eq!(deletion(None, &deleted, 1), None);
}
