//! The router's side of reconciliation through the running app: routing a webhook keeps
//! the opportunity's last known state (the admin API shows it), a deletion forgets it, a
//! webhook arriving after reconciliation ran the same change runs nothing and says which
//! event covered it, and handlers are told each event's `source`. On sled, and on
//! PostgreSQL when `LEVER_HOOKS_TEST_DATABASE_URL` is set.

use crate::contract::fixtures::content_hash;
use crate::helpers::{self, *};
use lever_hooks::event::{EventId, EventSource, OpportunityId, RECONCILE_KEY_PREFIX};
use lever_hooks::sample::{random_token, signed_body};
use lever_hooks::store::{IngestOutcome, NewEvent};
use lever_hooks::{HandlerRegistry, Store};
use serde_json::{json, Value};
use std::time::Duration;

const ADMIN_TOKEN: &str = "reconcile-admin-token-0123";
/// Long enough for the router's idle poll (5 s) and a handler run.
const PATIENCE: Duration = Duration::from_secs(15);

/// The app with `[admin]` and every event routed to a recorder.
async fn app_with_recorder() -> (TestApp, Recorded) {
    let (recorder, recorded) = Recorder::new(Script::Succeed);
    let extra = format!(
        "[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"{ADMIN_TOKEN}\"\n\n\
         [[routes]]\nevents = [\"*\"]\nhandler = \"recorder\"\n"
    );
    let app = spawn_app(
        &extra,
        HandlerRegistry::new().register("recorder", recorder),
    )
    .await;
    (app, recorded)
}

/// GETs an admin API path with the token.
async fn admin_get(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app
        .http
        .get(format!("{}{path}", app.admin.as_ref().unwrap()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Delivers a signed webhook `event` with `data`, triggered at `at`; its id.
async fn deliver(app: &TestApp, event: &str, data: Value, at: u64) -> EventId {
    let body = signed_body(SIGNING_TOKEN, event, &data, at, &random_token());
    let (status, answer) = app.deliver(body).await;
    assert_eq!(status, 200, "{answer}");
    event_id(&answer)
}

fn stage_change(opportunity: &str, from: &str, to: &str) -> Value {
    json!({"opportunityId": opportunity, "contactId": "c-1", "fromStageId": from, "toStageId": to})
}

/// Stores, as reconciliation does, a synthesized stage change of `opportunity` to `to`.
async fn store_reconciled(app: &TestApp, opportunity: &str, to: &str, at: u64) -> EventId {
    let data = stage_change(opportunity, "s-screen", to).to_string();
    let id = EventId::generate();
    let new = NewEvent {
        id: id.clone(),
        account: "default".to_owned(),
        event: "candidateStageChange".to_owned(),
        triggered_at: at,
        received_at: now(),
        token: format!("reconcile-{id}"),
        envelope_id: None,
        dedupe_key: format!("{RECONCILE_KEY_PREFIX}default:{opportunity}:stage:{to}:{at}"),
        content_hash: content_hash("candidateStageChange", at, &data),
        opportunity_id: Some(OpportunityId::new(opportunity)),
        contact_id: None,
        data: serde_json::value::RawValue::from_string(data).unwrap(),
    };
    let outcome = app.store.ingest(new).await.unwrap();
    assert_eq!(outcome, IngestOutcome::Accepted(id.clone()));
    id
}

/// The admin API's view of `id`, once it is routed.
async fn routed_view(app: &TestApp, id: &EventId) -> Value {
    let path = format!("/api/v1/events/{id}");
    eventually("the event to be routed", PATIENCE, || async {
        admin_get(app, &path).await.1["status"] != "unrouted"
    })
    .await;
    admin_get(app, &path).await.1
}

pub async fn a_webhook_stage_change_is_the_state_and_a_deletion_forgets_it() {
    let (app, mut recorded) = app_with_recorder().await;
    let opportunity = format!("opp-{}", random_token());
    let moved = deliver(
        &app,
        "candidateStageChange",
        stage_change(&opportunity, "s-screen", "s-bgc"),
        now(),
    )
    .await;
    let doc = recorded.next(PATIENCE).await;
    assert_eq!(
        (doc.id.clone(), doc.source),
        (moved.clone(), EventSource::Webhook)
    );

    let path = format!("/api/v1/opportunities/{opportunity}");
    let (status, state) = admin_get(&app, &path).await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["state"]["stageId"], "s-bgc", "{state}");
    assert_eq!(state["state"]["setBy"], moved.as_str());
    assert_eq!(state["state"]["source"], "webhook");
    assert_eq!(state["state"]["contactId"], "c-1");
    let view = routed_view(&app, &moved).await;
    assert_eq!(view["source"], "webhook", "{view}");
    assert!(view.get("coveredBy").is_none(), "{view}");

    let deleted = deliver(
        &app,
        "candidateDeleted",
        json!({"opportunityId": opportunity, "contactId": "c-1"}),
        now(),
    )
    .await;
    assert_eq!(recorded.next(PATIENCE).await.id, deleted);
    let (status, _) = admin_get(&app, &path).await;
    assert_eq!(status, 404, "the deleted opportunity's state is forgotten");
    let moved_view = admin_get(&app, &format!("/api/v1/events/{moved}")).await.1;
    assert!(
        moved_view["event"]["purgedAt"].is_u64(),
        "the purge still runs: {moved_view}"
    );
    app.stop().await;
}

pub async fn a_webhook_after_reconciliation_ran_its_change_runs_nothing_and_says_why() {
    let (app, mut recorded) = app_with_recorder().await;
    let opportunity = format!("opp-{}", random_token());
    let changed_at = now() - 60_000;
    let reconciled = store_reconciled(&app, &opportunity, "s-bgc", changed_at).await;
    let doc = recorded.next(PATIENCE).await;
    assert_eq!(
        (doc.id.clone(), doc.source),
        (reconciled.clone(), EventSource::Reconcile),
        "the handler is told the event was reconciled"
    );
    let (_, state) = admin_get(&app, &format!("/api/v1/opportunities/{opportunity}")).await;
    assert_eq!(
        (&state["state"]["setBy"], &state["state"]["source"]),
        (&json!(reconciled.as_str()), &json!("reconcile")),
        "{state}"
    );

    // Lever's delivery of the same move, late: stored and answered, but no jobs.
    let late = deliver(
        &app,
        "candidateStageChange",
        stage_change(&opportunity, "s-screen", "s-bgc"),
        changed_at,
    )
    .await;
    let view = routed_view(&app, &late).await;
    assert_eq!(view["jobs"], json!([]), "{view}");
    assert_eq!(view["source"], "webhook");
    assert_eq!(view["coveredBy"], reconciled.as_str(), "{view}");
    let (_, list) = admin_get(&app, "/api/v1/events").await;
    let listed = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["event"]["id"] == late.as_str())
        .expect("the late webhook is listed");
    assert_eq!(listed["coveredBy"], reconciled.as_str());
    let reconciled_view = routed_view(&app, &reconciled).await;
    assert_eq!(reconciled_view["source"], "reconcile");

    // A move the reconciled event did not cover still runs.
    let next = deliver(
        &app,
        "candidateStageChange",
        stage_change(&opportunity, "s-bgc", "s-offer"),
        now(),
    )
    .await;
    assert_eq!(
        recorded.next(PATIENCE).await.id,
        next,
        "the late webhook ran nothing; the next move runs"
    );
    recorded.assert_quiet(Duration::from_millis(300)).await;
    app.stop().await;
}

helpers::on_both_stores!(
    a_webhook_stage_change_is_the_state_and_a_deletion_forgets_it,
    a_webhook_after_reconciliation_ran_its_change_runs_nothing_and_says_why,
);
