//! `POST /providers/…`: what is accepted, stored and routed, on sled and PostgreSQL.

use super::*;
use crate::helpers::{delivery, eventually, jobs_of, on_both_stores};
use lever_hooks::event::EventId;
use lever_hooks::event::PROVIDER_RESULT_EVENT;
use lever_hooks::sample::SampleEvent;
use lever_hooks::store::{JobState, Store as _};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Remembers `reference` for `bgcheck` on `opportunity`, and sends its result; the id.
async fn accepted(r: &Results, reference: &str, opportunity: &str, webhook_id: &str) -> EventId {
    remember(&r.app, "bgcheck", "default", reference, opportunity).await;
    let (status, answer) = send(&r.app, "/providers/bgcheck", webhook_id, &result(reference)).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("accepted")),
        "{answer}"
    );
    EventId::new(answer["id"].as_str().unwrap())
}

/// The document the next handler call got; it must be `bgcheck`'s.
async fn next_for_bgcheck(r: &mut Results) -> EventDocument {
    let (handler, doc) = tokio::time::timeout(WAIT, r.seen.recv())
        .await
        .expect("a handler runs")
        .unwrap();
    assert_eq!(
        handler, "bgcheck",
        "only the handler that asked gets the result"
    );
    doc
}

pub async fn an_accepted_result_reaches_only_its_handler_with_the_request_context() {
    let mut r = start().await;
    let id = accepted(&r, "chk_1", "opp-1", "msg_1").await;

    let doc = next_for_bgcheck(&mut r).await;
    assert_eq!(
        (doc.id.clone(), doc.event.as_str()),
        (id.clone(), PROVIDER_RESULT_EVENT)
    );
    let got = doc
        .provider_result()
        .expect("a providerResult")
        .expect("its data reads");
    assert_eq!(got.handler, "bgcheck");
    assert_eq!(
        (got.reference.as_str(), got.status.as_str()),
        ("chk_1", "clear")
    );
    assert_eq!(got.opportunity_id.as_str(), "opp-1");
    assert_eq!(
        got.contact_id.as_ref().map(|c| c.as_str()),
        Some("person-1")
    );
    assert_eq!(got.webhook_id, "msg_1");
    assert_eq!(
        got.report_url.as_deref(),
        Some("https://checks.example/r/1")
    );
    assert_eq!(
        got.extra["vendorScore"],
        json!({"band": "A"}),
        "unknown fields are kept"
    );

    // `everything` takes every event by the routes, but not a result.
    let jobs = jobs_of(&r.app, &id).await;
    let handlers: Vec<&str> = jobs.iter().map(|j| j.handler.as_str()).collect();
    assert_eq!(handlers, ["bgcheck"]);
    assert_eq!(
        jobs[0].order_key.as_deref(),
        Some("default/opportunity/opp-1/bgcheck")
    );
    if let Ok(Some((handler, doc))) =
        tokio::time::timeout(Duration::from_millis(300), r.seen.recv()).await
    {
        panic!("{handler} also got {}", doc.event);
    }
    r.app.stop().await;
}

pub async fn the_same_webhook_id_again_is_a_duplicate_of_the_first() {
    let r = start().await;
    let id = accepted(&r, "chk_1", "opp-1", "msg_1").await;

    // The provider's retry: re-signed a minute later, the body rebuilt with a new field.
    let mut again = result("chk_1");
    again["summary"] = json!("no records found");
    let body = serde_json::to_vec(&again).unwrap();
    let headers = signed(SECRET, "msg_1", now_secs() - 60, &body);
    let (status, answer) = post(&r.app, "/providers/bgcheck", &headers, body).await;

    assert_eq!(status, 200);
    assert_eq!(answer, json!({"status": "duplicate", "id": id.to_string()}));
    assert_eq!(r.app.store.accepted_count(), 1);
    r.app.stop().await;
}

pub async fn a_reference_the_handler_never_remembered_is_404_and_nothing_is_stored() {
    let r = start().await;
    // Remembered, but by another handler, or in another account: neither counts.
    remember(&r.app, "everything", "default", "chk_9", "opp-1").await;
    remember(&r.app, "bgcheck", "acme", "chk_9", "opp-1").await;

    let (status, answer) = send(&r.app, "/providers/bgcheck", "msg_1", &result("chk_9")).await;

    assert_eq!(
        (status, answer),
        (404, json!({"error": "unknown reference"}))
    );
    assert_eq!(
        r.app.store.ingests.load(Ordering::SeqCst),
        0,
        "nothing stored"
    );
    r.app.stop().await;
}

pub async fn a_result_can_be_replayed_through_the_admin_api() {
    let mut r = start().await;
    let id = accepted(&r, "chk_1", "opp-1", "msg_1").await;
    assert_eq!(next_for_bgcheck(&mut r).await.attempt, 1);

    let store = r.app.store.clone();
    eventually("the first run to finish", WAIT, || {
        let (store, id) = (store.clone(), id.clone());
        async move { store.jobs_of(&id).await.unwrap()[0].state == JobState::Done }
    })
    .await;

    let admin = r.app.admin.clone().unwrap();
    let replayed = r
        .app
        .http
        .post(format!("{admin}/api/v1/events/{id}/replay"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"handler": "bgcheck"}))
        .send()
        .await
        .unwrap();
    let status = replayed.status().as_u16();
    assert_eq!(status, 202, "{}", replayed.text().await.unwrap());

    let again = next_for_bgcheck(&mut r).await;
    assert_eq!((again.id, again.attempt), (id, 2));
    r.app.stop().await;
}

pub async fn a_deleted_candidate_s_results_are_purged() {
    let mut r = start().await;
    let id = accepted(&r, "chk_1", "opp-1", "msg_1").await;
    next_for_bgcheck(&mut r).await;

    let mut deleted = SampleEvent::new("candidateDeleted");
    deleted.opportunity_id = "opp-1".to_owned();
    let (status, _) = r.app.deliver(delivery(&deleted)).await;
    assert_eq!(status, 200);

    let store = r.app.store.clone();
    eventually("the result to be purged", WAIT, || {
        let (store, id) = (store.clone(), id.clone());
        async move { store.event(&id).await.unwrap().unwrap().purged_at.is_some() }
    })
    .await;
    let purged = store.event(&id).await.unwrap().unwrap();
    let data: Value = serde_json::from_str(purged.data.get()).unwrap();
    assert_eq!(data.get("reportUrl"), None, "the report link is gone");
    assert_eq!(data["opportunityId"], "opp-1");
    r.app.stop().await;
}

on_both_stores!(
    an_accepted_result_reaches_only_its_handler_with_the_request_context,
    the_same_webhook_id_again_is_a_duplicate_of_the_first,
    a_reference_the_handler_never_remembered_is_404_and_nothing_is_stored,
    a_result_can_be_replayed_through_the_admin_api,
    a_deleted_candidate_s_results_are_purged,
);
