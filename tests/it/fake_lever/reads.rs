//! The GET endpoints: Lever's shapes, expand, filters, pagination, 404s.

use super::*;
use serde_json::json;
use std::collections::HashSet;

/// Opportunities carry application ids, or objects with `expand=applications`, and the
/// stage as an id, or `{id, text}` with `expand=stage`.
#[tokio::test]
async fn opportunities_answer_in_lever_shapes_with_and_without_expand() {
    let lever = start().await;
    let (status, body) = get(&lever, &format!("/opportunities/{DANA_BACKEND}")).await;
    assert_eq!(status, StatusCode::OK);
    let opportunity = &body["data"];
    assert_eq!(opportunity["contact"], DANA);
    assert_eq!(opportunity["stage"], PHONE_SCREEN);
    assert!(opportunity["applications"][0].is_string());
    assert_eq!(opportunity["archived"], Value::Null);

    let path = format!("/opportunities/{DANA_BACKEND}?expand=applications&expand=stage");
    let (_, body) = get(&lever, &path).await;
    let opportunity = &body["data"];
    assert_eq!(opportunity["applications"][0]["posting"], BACKEND_POSTING);
    assert_eq!(
        opportunity["stage"],
        json!({"id": PHONE_SCREEN, "text": "Phone Screen"})
    );

    let (status, body) = get(&lever, "/opportunities/no-such-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "ResourceNotFound");
    assert_eq!(body["message"], "opportunities no-such-id was not found");
    lever.stop().await;
}

/// The other reads: by contact, contacts, postings, users, requisitions, offers, archive
/// reasons by type.
#[tokio::test]
async fn the_read_endpoints_serve_the_fixture() {
    let lever = start().await;
    let (_, body) = get(&lever, &format!("/opportunities?contact_id={DANA}")).await;
    let ids: HashSet<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(ids, HashSet::from([DANA_BACKEND, DANA_SALES]));
    assert_eq!(body["hasNext"], false);

    let (_, body) = get(&lever, &format!("/contacts/{ELENA}")).await;
    assert_eq!(body["data"]["name"], "Elena Marquez");
    let (_, body) = get(&lever, &format!("/postings/{BACKEND_POSTING}")).await;
    assert_eq!(body["data"]["categories"]["location"], "Oakland");
    let (_, body) = get(&lever, &format!("/users/{HIRING_MANAGER}")).await;
    assert_eq!(body["data"]["email"], "priya.raman@example.com");
    let (_, body) = get(&lever, &format!("/requisitions/{REQUISITION}")).await;
    assert_eq!(body["data"]["requisitionCode"], "ENG-142");
    let (_, body) = get(&lever, &format!("/opportunities/{ELENA_OFFER}/offers")).await;
    assert_eq!(body["data"][0]["status"], "signed");
    let (_, body) = get(&lever, "/archive_reasons?type=hired").await;
    assert_eq!(
        body["data"],
        json!([{"id": HIRED, "text": "Hired", "status": "active", "type": "hired"}])
    );
    let (status, body) = get(&lever, "/archive_reasons?type=fired").await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::BAD_REQUEST, &json!("BadRequest"))
    );
    lever.stop().await;
}

/// `limit=2` splits the eight stages into four pages linked by `next`.
#[tokio::test]
async fn lists_paginate_with_limit_and_next() {
    let lever = start().await;
    let mut path = "/stages?limit=2".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body) = get(&lever, &path).await;
        assert_eq!(status, StatusCode::OK);
        pages += 1;
        let data = body["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|s| s["id"].as_str().unwrap().to_owned()));
        if body["hasNext"] == true {
            path = format!("/stages?limit=2&offset={}", body["next"].as_str().unwrap());
        } else {
            assert!(body.get("next").is_none());
            break;
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(seen.len(), 8);
    assert_eq!(seen.first().map(String::as_str), Some("lead-new"));
    assert_eq!(seen.last().map(String::as_str), Some("offer"));
    let (status, _) = get(&lever, "/stages?offset=made-up").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    lever.stop().await;
}
