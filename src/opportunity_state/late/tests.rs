//! Tests of the late-webhook rule and of how routing moves the state.

use super::*;
use serde_json::value::RawValue;

fn event(name: &str, data: &str) -> LeverEvent {
    LeverEvent::decode(name, &RawValue::from_string(data.to_owned()).unwrap()).unwrap()
}

fn moved_to(stage: &str) -> LeverEvent {
    event(
        "candidateStageChange",
        &format!(r#"{{"opportunityId":"o1","fromStageId":"a","toStageId":"{stage}"}}"#),
    )
}

fn archived(reason: &str) -> LeverEvent {
    event(
        "candidateArchiveChange",
        &format!(r#"{{"opportunityId":"o1","toArchived":{{"reason":"{reason}","archivedAt":5}}}}"#),
    )
}

fn unarchived() -> LeverEvent {
    event(
        "candidateArchiveChange",
        r#"{"opportunityId":"o1","fromArchived":{"reason":"r1"},"toArchived":null}"#,
    )
}

fn id(name: &str) -> EventId {
    EventId::new(name)
}

/// The state after `event` (id `by`, from `source`) at `at`, from nothing.
fn set_by(event: &LeverEvent, by: &str, source: EventSource, at: Millis) -> OpportunityState {
    match decide(None, event, &id(by), source, at).update {
        StateUpdate::Save(state) => state,
        other => panic!("expected a new state, got {other:?}"),
    }
}

#[test]
fn a_webhook_ending_where_a_reconciled_change_left_the_state_is_covered() {
    let state = set_by(&moved_to("b"), "evt_r", EventSource::Reconcile, 100);
    let late = decide(
        Some(&state),
        &moved_to("b"),
        &id("evt_w"),
        EventSource::Webhook,
        90,
    );
    assert_eq!(
        late,
        Decision {
            covered_by: Some(id("evt_r")),
            update: StateUpdate::Keep
        }
    );
    let newer_but_same = decide(
        Some(&state),
        &moved_to("b"),
        &id("evt_w"),
        EventSource::Webhook,
        200,
    );
    assert_eq!(
        newer_but_same.covered_by,
        Some(id("evt_r")),
        "covered whatever its time"
    );
}

#[test]
fn a_webhook_is_not_covered_by_a_webhook_by_itself_or_by_another_stage() {
    let by_webhook = set_by(&moved_to("b"), "evt_1", EventSource::Webhook, 100);
    let again = decide(
        Some(&by_webhook),
        &moved_to("b"),
        &id("evt_2"),
        EventSource::Webhook,
        110,
    );
    assert_eq!(again.covered_by, None);
    assert!(matches!(again.update, StateUpdate::Save(ref s) if s.set_by == Some(id("evt_2"))));

    let by_reconcile = set_by(&moved_to("b"), "evt_r", EventSource::Reconcile, 100);
    let elsewhere = decide(
        Some(&by_reconcile),
        &moved_to("c"),
        &id("evt_w"),
        EventSource::Webhook,
        110,
    );
    assert_eq!(elsewhere.covered_by, None);
    assert!(
        matches!(elsewhere.update, StateUpdate::Save(ref s) if s.stage_id.as_deref() == Some("c"))
    );

    let itself = decide(
        Some(&by_reconcile),
        &moved_to("b"),
        &id("evt_r"),
        EventSource::Webhook,
        100,
    );
    assert_eq!(itself.covered_by, None, "an event never covers itself");

    let reconciled_again = decide(
        Some(&by_reconcile),
        &moved_to("b"),
        &id("evt_r2"),
        EventSource::Reconcile,
        120,
    );
    assert_eq!(
        reconciled_again.covered_by, None,
        "only webhooks can be late"
    );
}

#[test]
fn archive_changes_are_covered_by_the_same_reason_and_unarchives_by_an_unarchive() {
    let state = set_by(&archived("r1"), "evt_r", EventSource::Reconcile, 100);
    let same = decide(
        Some(&state),
        &archived("r1"),
        &id("evt_w"),
        EventSource::Webhook,
        90,
    );
    assert_eq!(same.covered_by, Some(id("evt_r")));
    let other = decide(
        Some(&state),
        &archived("r2"),
        &id("evt_w"),
        EventSource::Webhook,
        110,
    );
    assert_eq!(other.covered_by, None);
    assert_eq!(
        decide(
            Some(&state),
            &unarchived(),
            &id("evt_w"),
            EventSource::Webhook,
            110
        )
        .covered_by,
        None,
        "an unarchive does not end where an archived state is"
    );

    let active = match decide(
        Some(&state),
        &unarchived(),
        &id("evt_r2"),
        EventSource::Reconcile,
        120,
    )
    .update
    {
        StateUpdate::Save(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        decide(
            Some(&active),
            &unarchived(),
            &id("evt_w"),
            EventSource::Webhook,
            115
        )
        .covered_by,
        Some(id("evt_r2"))
    );
    assert_eq!(
        decide(
            Some(&active),
            &archived("r1"),
            &id("evt_w"),
            EventSource::Webhook,
            125
        )
        .covered_by,
        None
    );
}

#[test]
fn a_deletion_forgets_and_other_events_and_sources_keep_the_state() {
    let state = set_by(&moved_to("b"), "evt_1", EventSource::Webhook, 100);
    let deleted = event("candidateDeleted", r#"{"opportunityId":"o1"}"#);
    assert_eq!(
        decide(
            Some(&state),
            &deleted,
            &id("evt_2"),
            EventSource::Webhook,
            110
        )
        .update,
        StateUpdate::Forget
    );
    let hired = event("candidateHired", r#"{"opportunityId":"o1"}"#);
    assert_eq!(
        decide(
            Some(&state),
            &hired,
            &id("evt_3"),
            EventSource::Webhook,
            110
        ),
        Decision {
            covered_by: None,
            update: StateUpdate::Keep
        }
    );
    assert_eq!(
        decide(
            Some(&state),
            &moved_to("c"),
            &id("evt_4"),
            EventSource::Provider,
            110
        )
        .update,
        StateUpdate::Keep
    );
}

#[test]
fn an_older_event_never_rolls_the_state_back() {
    let state = set_by(&moved_to("c"), "evt_new", EventSource::Webhook, 200);
    assert_eq!(
        decide(
            Some(&state),
            &moved_to("b"),
            &id("evt_old"),
            EventSource::Webhook,
            150
        )
        .update,
        StateUpdate::Keep
    );
    let same_time = decide(
        Some(&state),
        &moved_to("d"),
        &id("evt_2"),
        EventSource::Webhook,
        200,
    );
    assert!(
        matches!(same_time.update, StateUpdate::Save(ref s) if s.stage_id.as_deref() == Some("d"))
    );
}

#[test]
fn deciding_again_on_the_state_the_first_decision_saved_gives_the_same_answer() {
    for source in [EventSource::Webhook, EventSource::Reconcile] {
        let prior = set_by(&moved_to("b"), "evt_r", EventSource::Reconcile, 100);
        let first = decide(Some(&prior), &archived("r1"), &id("evt_x"), source, 150);
        let StateUpdate::Save(saved) = &first.update else {
            panic!("{first:?}");
        };
        let again = decide(Some(saved), &archived("r1"), &id("evt_x"), source, 150);
        assert_eq!(again, first, "{source}");
    }
}
