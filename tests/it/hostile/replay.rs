//! Replays: Lever signs only `token` and `triggeredAt`, so a captured delivery keeps a
//! valid signature whatever else is changed. Each token is accepted once; these cases
//! need a first request before the hostile one.

use super::bodies::*;
use crate::helpers::*;
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::signature;
use lever_hooks::store::Store;
use secrecy::SecretString;
use serde_json::{json, Value};

const TOKEN_REUSED: (u16, &str) = (401, "token already used");

async fn app() -> TestApp {
    spawn_app("", HandlerRegistry::new()).await
}

/// Sends `body`; returns the status and the `error` (or `status`) field of the answer.
async fn answer(app: &TestApp, body: Vec<u8>) -> (u16, String) {
    let (status, json) = app.deliver(body).await;
    let field = json["error"].as_str().or(json["status"].as_str());
    (status, field.unwrap_or_default().to_owned())
}

/// Accepts one original delivery and returns it as a JSON object to tamper with.
async fn accepted_original(app: &TestApp) -> serde_json::Map<String, Value> {
    let original = valid();
    let (status, _) = answer(app, serde_json::to_vec(&original).unwrap()).await;
    assert_eq!(status, 200, "the original is accepted");
    original
}

/// Asserts the store holds exactly `count` events, none of them unknown to the test.
async fn assert_stored(app: &TestApp, count: usize) {
    assert_eq!(app.store.accepted_count(), count, "events stored");
    let unrouted = app.store.unrouted(1000).await.unwrap();
    let accepted = app.store.accepted.lock().unwrap().clone();
    assert!(unrouted.iter().all(|e| accepted.contains(&e.id)));
}

/// The same token and signature with other `data` is an attack: 401, nothing stored.
#[tokio::test]
async fn a_token_replayed_with_altered_data_is_401() {
    let app = app().await;
    let mut forged = accepted_original(&app).await;
    forged["data"]["opportunityId"] = json!("someone-elses-opportunity");
    let reason = answer(&app, serde_json::to_vec(&forged).unwrap()).await;
    assert_eq!((reason.0, reason.1.as_str()), TOKEN_REUSED);
    assert_stored(&app, 1).await;
    app.stop().await;
}

/// The signature does not cover `event`: a forged event type passes the signature check
/// and is caught as token reuse.
#[tokio::test]
async fn a_token_replayed_with_an_altered_event_is_401() {
    let app = app().await;
    let mut forged = accepted_original(&app).await;
    forged.insert("event".into(), json!("candidateDeleted"));
    let keys = [SecretString::from(SIGNING_TOKEN.to_owned())];
    let still_valid = signature::verify(
        &keys,
        forged["token"].as_str().unwrap(),
        &forged["triggeredAt"].to_string(),
        forged["signature"].as_str(),
    );
    assert_eq!(still_valid, Ok(()), "the forgery's signature is valid");
    let reason = answer(&app, serde_json::to_vec(&forged).unwrap()).await;
    assert_eq!((reason.0, reason.1.as_str()), TOKEN_REUSED);
    assert_stored(&app, 1).await;
    app.stop().await;
}

/// An uppercase copy of the signature is the same signature: the forgery is still token reuse.
#[tokio::test]
async fn a_token_replayed_with_an_uppercased_signature_and_altered_data_is_401() {
    let app = app().await;
    let mut forged = accepted_original(&app).await;
    let upper = forged["signature"].as_str().unwrap().to_ascii_uppercase();
    forged.insert("signature".into(), json!(upper));
    forged["data"]["contactId"] = json!("another-person");
    let reason = answer(&app, serde_json::to_vec(&forged).unwrap()).await;
    assert_eq!((reason.0, reason.1.as_str()), TOKEN_REUSED);
    assert_stored(&app, 1).await;
    app.stop().await;
}

/// Changing `triggeredAt` with the token kept breaks the signature (it is signed).
#[tokio::test]
async fn a_token_replayed_with_an_altered_triggered_at_fails_the_signature() {
    let app = app().await;
    let mut forged = accepted_original(&app).await;
    let at = forged["triggeredAt"].as_u64().unwrap();
    forged.insert("triggeredAt".into(), json!(at - 1));
    let reason = answer(&app, serde_json::to_vec(&forged).unwrap()).await;
    assert_eq!(reason, (401, "invalid signature".to_owned()));
    assert_stored(&app, 1).await;
    app.stop().await;
}

/// The exact delivery again, or with its keys reordered and respaced, is Lever's retry: a
/// duplicate (200), stored once.
#[tokio::test]
async fn the_same_delivery_replayed_in_any_spelling_is_a_duplicate() {
    let app = app().await;
    let original = accepted_original(&app).await;
    let exact = serde_json::to_vec(&original).unwrap();
    assert_eq!(answer(&app, exact).await, (200, "duplicate".to_owned()));
    let mut reordered: Vec<_> = original.iter().collect();
    reordered.reverse();
    let respaced = format!(
        "{{ {} }}",
        reordered
            .iter()
            .map(|(k, v)| format!("{:?} :\n {}", k, serde_json::to_string_pretty(v).unwrap()))
            .collect::<Vec<_>>()
            .join(" ,\t")
    );
    assert_eq!(
        answer(&app, respaced.into_bytes()).await,
        (200, "duplicate".to_owned())
    );
    assert_stored(&app, 1).await;
    app.stop().await;
}

/// Tokens are per account and so are signing tokens: a replay to another account fails there.
#[tokio::test]
async fn a_delivery_replayed_to_another_account_fails_its_signature() {
    let app = app().await;
    let original = accepted_original(&app).await;
    let (status, json) = app
        .post(
            "/webhooks/lever/acme",
            serde_json::to_vec(&original).unwrap(),
        )
        .await;
    assert_eq!((status, json), (401, json!({"error": "invalid signature"})));
    assert_stored(&app, 1).await;
    app.stop().await;
}

/// Lever's settings-page test is signed like any delivery and is not stored as an event;
/// its token is remembered, so a captured test cannot come back carrying a real event.
#[tokio::test]
async fn a_settings_page_test_replayed_with_real_data_is_401() {
    let app = app().await;
    let token = random_token();
    let at = now();
    let test = signed_body(SIGNING_TOKEN, "candidateHired", &json!({}), at, &token);
    assert_eq!(answer(&app, test.clone()).await, (200, "test".to_owned()));
    assert_eq!(
        answer(&app, test).await,
        (200, "test".to_owned()),
        "Lever's retry of the test is still a test"
    );
    let data = SampleEvent::new("candidateHired").data(at);
    let forged = signed_body(SIGNING_TOKEN, "candidateHired", &data, at, &token);
    let reason = answer(&app, forged).await;
    assert_eq!((reason.0, reason.1.as_str()), TOKEN_REUSED);
    let other = signed_body(SIGNING_TOKEN, "candidateStageChange", &data, at, &token);
    let reason = answer(&app, other).await;
    assert_eq!((reason.0, reason.1.as_str()), TOKEN_REUSED);
    assert_stored(&app, 0).await;
    // The remembered token is per account: acme never saw it.
    let for_acme = signed_body("acme-token", "candidateHired", &data, at, &token);
    let (status, json) = app.post("/webhooks/lever/acme", for_acme).await;
    assert_eq!((status, &json["status"]), (200, &json!("accepted")));
    app.stop().await;
}

/// A real event's token later sent with `data: {}` is answered as a test and changes nothing.
#[tokio::test]
async fn a_real_token_replayed_as_a_settings_test_stores_nothing() {
    let app = app().await;
    let mut replay = accepted_original(&app).await;
    replay.insert("data".into(), json!({}));
    assert_eq!(
        answer(&app, serde_json::to_vec(&replay).unwrap()).await,
        (200, "test".to_owned())
    );
    assert_stored(&app, 1).await;
    app.stop().await;
}
