//! Notes and tags: written in memory, seen by later reads and the state.

use super::*;
use serde_json::json;

/// A posted note answers 201 with its id and shows up in the next GET and the state.
#[tokio::test]
async fn a_note_write_is_visible_in_a_later_get() {
    let lever = start().await;
    let path = format!("/opportunities/{SAM_NO_EMAIL}/notes?perform_as={INTEGRATION_USER}");
    let note = json!({"value": "Background check requested", "notifyFollowers": true});
    let (status, body) = send(&lever, "POST", &path, note).await;
    assert_eq!(status, StatusCode::CREATED);
    let note_id = body["data"]["noteId"].as_str().unwrap().to_owned();

    let (_, body) = get(&lever, &format!("/opportunities/{SAM_NO_EMAIL}/notes")).await;
    let notes = body["data"].as_array().unwrap();
    let posted = notes.iter().find(|n| n["id"] == note_id.as_str()).unwrap();
    assert_eq!(posted["fields"][0]["value"], "Background check requested");
    assert_eq!(posted["user"], INTEGRATION_USER);
    assert_eq!(lever.state().notes_of(SAM_NO_EMAIL).len(), 1);

    let (status, body) = send(&lever, "POST", &path, json!({"text": "wrong key"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "BadRequest");
    let unknown_user = format!("/opportunities/{SAM_NO_EMAIL}/notes?perform_as=nobody");
    let (status, _) = send(&lever, "POST", &unknown_user, json!({"value": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    lever.stop().await;
}

/// addTags adds once, removeTags removes; both answer the opportunity and the state agrees.
#[tokio::test]
async fn tags_are_added_and_removed() {
    let lever = start().await;
    let add = format!("/opportunities/{DANA_BACKEND}/addTags");
    let tags = json!({"tags": ["BGC: pending", "Engineering"]});
    let (status, body) = send(&lever, "POST", &add, tags).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"]["tags"],
        json!(["Engineering", "Referral bonus eligible", "BGC: pending"])
    );
    let remove = format!("/opportunities/{DANA_BACKEND}/removeTags");
    let tags = json!({"tags": ["Referral bonus eligible"]});
    let (status, _) = send(&lever, "POST", &remove, tags).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = get(&lever, &format!("/opportunities/{DANA_BACKEND}")).await;
    assert_eq!(body["data"]["tags"], json!(["Engineering", "BGC: pending"]));
    let state = lever.state();
    let tags = &state.opportunity(DANA_BACKEND).unwrap().tags;
    assert_eq!(tags, &["Engineering", "BGC: pending"]);
    let (status, _) = send(&lever, "POST", &add, json!({"tags": "not a list"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    lever.stop().await;
}

/// `GET /_fake/state` shows writes: stage, tags, archive state, notes.
#[tokio::test]
async fn the_state_endpoint_shows_writes() {
    let lever = start().await;
    let path = format!("/opportunities/{DANA_SALES}/addTags");
    send(
        &lever,
        "POST",
        &path,
        json!({"tags": ["Assessment: invited"]}),
    )
    .await;
    let state: Value = reqwest::get(format!("{}/_fake/state", lever.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let opportunity = state["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == DANA_SALES)
        .unwrap();
    assert_eq!(opportunity["tags"], json!(["Sales", "Assessment: invited"]));
    assert_eq!(opportunity["archived"], Value::Null);
    assert!(state["notes"][DANA_BACKEND].is_array());
    lever.stop().await;
}
