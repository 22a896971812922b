//! Webhooks out: stage moves and archive changes delivered signed, to the configured URL
//! and to webhooks created through the API.

use super::receiver::{assert_signed, Receiver};
use super::*;
use serde_json::json;
use std::collections::BTreeMap;

/// `PUT …/stage` moves the opportunity and sends a `candidateStageChange` signed with the
/// configured token; putting it in the stage it is in sends nothing.
#[tokio::test]
async fn a_stage_move_delivers_a_signed_candidate_stage_change() {
    let mut receiver = Receiver::start().await;
    let url = receiver.url.clone();
    let lever = start_with(|o| {
        o.webhook_url = Some(url);
        o.signing_tokens = BTreeMap::from([("default".into(), "stage-token".into())]);
    })
    .await;
    let path = format!("/opportunities/{DANA_BACKEND}/stage?perform_as={INTEGRATION_USER}");
    let (status, body) = send(&lever, "PUT", &path, json!({"stage": BACKGROUND_CHECK})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["stage"], BACKGROUND_CHECK);

    let delivery = receiver.next().await;
    assert_signed(&delivery, "stage-token");
    assert_eq!(delivery.body["event"], "candidateStageChange");
    assert_eq!(
        delivery.body["data"],
        json!({
            "opportunityId": DANA_BACKEND, "candidateId": DANA_BACKEND, "contactId": DANA,
            "fromStageId": PHONE_SCREEN, "toStageId": BACKGROUND_CHECK,
        })
    );
    assert_eq!(
        lever.state().opportunity(DANA_BACKEND).unwrap().stage,
        BACKGROUND_CHECK
    );

    let (status, _) = send(&lever, "PUT", &path, json!({"stage": BACKGROUND_CHECK})).await;
    assert_eq!(status, StatusCode::OK);
    receiver.nothing_more().await;
    let (status, body) = send(&lever, "PUT", &path, json!({"stage": "no-such-stage"})).await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::NOT_FOUND, &json!("ResourceNotFound"))
    );
    let (status, _) = send(&lever, "PUT", &path, json!({"stageId": BACKGROUND_CHECK})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    lever.stop().await;
}

/// Archiving with a hired reason sends `candidateArchiveChange` and `candidateHired`, each
/// signed with its event's token; a non-hired reason sends only the archive change.
#[tokio::test]
async fn a_hire_delivers_archive_change_and_hired() {
    let mut receiver = Receiver::start().await;
    let url = receiver.url.clone();
    let lever = start_with(|o| {
        o.webhook_url = Some(url);
        o.signing_tokens = BTreeMap::from([
            ("candidateArchiveChange".into(), "archive-token".into()),
            ("candidateHired".into(), "hired-token".into()),
        ]);
    })
    .await;
    let path = format!("/opportunities/{ELENA_OFFER}/archived");
    let (status, body) = send(&lever, "PUT", &path, json!({"reason": HIRED})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["archived"]["reason"], HIRED);

    let mut by_event = BTreeMap::new();
    for _ in 0..2 {
        let delivery = receiver.next().await;
        let event = delivery.body["event"].as_str().unwrap().to_owned();
        by_event.insert(event, delivery);
    }
    let archive = &by_event["candidateArchiveChange"];
    assert_signed(archive, "archive-token");
    let data = &archive.body["data"];
    assert_eq!(data["opportunityId"], ELENA_OFFER);
    assert_eq!(data["contactId"], ELENA);
    assert_eq!(data["fromArchived"], Value::Null);
    assert_eq!(data["toArchived"]["reason"], HIRED);
    assert!(data["toArchived"]["archivedAt"].is_u64());
    let hired = &by_event["candidateHired"];
    assert_signed(hired, "hired-token");
    assert_eq!(
        hired.body["data"],
        json!({"opportunityId": ELENA_OFFER, "candidateId": ELENA_OFFER, "contactId": ELENA})
    );

    let path = format!("/opportunities/{DANA_SALES}/archived");
    let (status, _) = send(&lever, "PUT", &path, json!({"reason": WITHDREW})).await;
    assert_eq!(status, StatusCode::OK);
    let withdrawn = receiver.next().await;
    assert_eq!(withdrawn.body["event"], "candidateArchiveChange");
    receiver.nothing_more().await;
    let (status, _) = send(&lever, "PUT", &path, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "reason is required");
    lever.stop().await;
}

/// A webhook created through the API gets its own signature token and receives its event
/// signed with it; it is listed without the token and can be deleted.
#[tokio::test]
async fn webhooks_created_through_the_api_receive_their_events() {
    let mut receiver = Receiver::start().await;
    let lever = start().await;
    let create = json!({"url": receiver.url, "event": "candidateStageChange"});
    let (status, body) = send(&lever, "POST", "/webhooks", create).await;
    assert_eq!(status, StatusCode::CREATED);
    let webhook = &body["data"];
    let id = webhook["id"].as_str().unwrap().to_owned();
    let token = webhook["configuration"]["signatureToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(webhook["createdAt"].is_u64() && webhook["updatedAt"].is_u64());

    let (_, listed) = get(&lever, "/webhooks").await;
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert!(listed["data"][0]["configuration"]
        .get("signatureToken")
        .is_none());

    let path = format!("/opportunities/{SAM_NO_EMAIL}/stage");
    send(&lever, "PUT", &path, json!({"stage": BACKGROUND_CHECK})).await;
    let delivery = receiver.next().await;
    assert_signed(&delivery, &token);
    assert_eq!(delivery.body["data"]["opportunityId"], SAM_NO_EMAIL);

    let (status, _) = send(&lever, "DELETE", &format!("/webhooks/{id}"), json!(null)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(&lever, "DELETE", &format!("/webhooks/{id}"), json!(null)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    send(&lever, "PUT", &path, json!({"stage": PHONE_SCREEN})).await;
    receiver.nothing_more().await;
    let bad = json!({"url": receiver.url, "event": "candidateCreated"});
    assert_eq!(
        send(&lever, "POST", "/webhooks", bad).await.0,
        StatusCode::BAD_REQUEST
    );
    lever.stop().await;
}
