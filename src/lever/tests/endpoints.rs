//! Each endpoint method sends the documented method, path, query and body, and decodes
//! the answer.

use super::mock::{api_key_client, Mock, Reply, Seen};
use secrecy::ExposeSecret;
use serde_json::json;

/// A mock that answers each endpoint the way Lever documents it.
async fn lever() -> Mock {
    Mock::start(|seen: &Seen| {
        let one = |data| Reply::json(200, json!({ "data": data }));
        let list = |data| Reply::json(200, json!({ "data": data, "hasNext": false }));
        match (seen.method.as_str(), seen.path.as_str()) {
            ("GET", "/v1/opportunities/o1") => {
                one(json!({ "id": "o1", "stage": { "id": "s1", "text": "New" } }))
            }
            ("GET", "/v1/opportunities") => list(json!([{ "id": "o1" }, { "id": "o2" }])),
            ("GET", "/v1/contacts/c1") => {
                one(json!({ "id": "c1", "location": { "name": "Oakland" } }))
            }
            ("GET", "/v1/postings/p1") => one(json!({ "id": "p1", "text": "Engineer" })),
            ("GET", "/v1/users/u1") => one(json!({ "id": "u1", "email": "ann@example.com" })),
            ("GET", "/v1/requisitions/r1") => {
                one(json!({ "id": "r1", "requisitionCode": "ENG-1" }))
            }
            ("GET", "/v1/opportunities/o1/offers") => {
                list(json!([{ "id": "f1", "status": "signed" }]))
            }
            ("GET", "/v1/opportunities/o1/notes") => {
                list(json!([{ "id": "n1", "fields": [{ "value": "hi" }] }]))
            }
            ("POST", "/v1/opportunities/o1/notes") => {
                Reply::json(201, json!({ "data": { "noteId": "n2" } }))
            }
            ("POST", "/v1/opportunities/o1/addTags" | "/v1/opportunities/o1/removeTags") => {
                one(json!({ "id": "o1" }))
            }
            ("GET", "/v1/archive_reasons") => list(json!([{ "id": "a1", "type": "hired" }])),
            ("GET", "/v1/webhooks") => {
                list(json!([{ "id": "w1", "event": "candidateHired", "configuration": {} }]))
            }
            ("POST", "/v1/webhooks") => Reply::json(
                201,
                json!({ "data": { "data": {
                "id": "w2", "url": "https://h/x", "event": "candidateHired",
                "configuration": { "signatureToken": "sig-token-1" }, "createdAt": 1
            } } }),
            ),
            ("DELETE", "/v1/webhooks/w1") => Reply::empty(204),
            _ => Reply::json(
                404,
                json!({ "code": "ResourceNotFound", "message": seen.path }),
            ),
        }
    })
    .await
}

fn last(mock: &Mock) -> Seen {
    mock.requests().pop().unwrap()
}

#[tokio::test]
async fn reads_send_the_documented_queries() {
    let mock = lever().await;
    let client = api_key_client(&mock);

    let o = client.opportunity("o1").await.unwrap();
    assert_eq!(o.stage.unwrap().text.as_deref(), Some("New"));
    assert_eq!(last(&mock).query_all("expand"), ["applications", "stage"]);

    let all = client.opportunities_of_contact("c1").await.unwrap();
    assert_eq!(all.len(), 2);
    let seen = last(&mock);
    assert_eq!(seen.query("contact_id"), Some("c1"));
    assert_eq!(seen.query("expand"), Some("applications"));
    assert_eq!(seen.query("confidentiality"), Some("all"));
    assert_eq!(seen.query("limit"), Some("100"));

    assert_eq!(
        client.contact("c1").await.unwrap().location.as_deref(),
        Some("Oakland")
    );
    assert_eq!(
        client.posting("p1").await.unwrap().text.as_deref(),
        Some("Engineer")
    );
    assert_eq!(
        client.user("u1").await.unwrap().email.as_deref(),
        Some("ann@example.com")
    );
    assert_eq!(
        client
            .requisition("r1")
            .await
            .unwrap()
            .requisition_code
            .as_deref(),
        Some("ENG-1")
    );
    assert!(client.offers("o1").await.unwrap()[0].is_signed());
    assert_eq!(client.notes("o1").await.unwrap()[0].text(), "hi");
    assert!(client.archive_reasons().await.unwrap()[0].is_hired());
    assert_eq!(client.webhooks().await.unwrap()[0].id, "w1");
    for seen in mock.requests() {
        assert_eq!(seen.method, "GET");
        assert_eq!(seen.header("accept"), Some("application/json"));
    }
}

#[tokio::test]
async fn writes_send_the_documented_bodies() {
    let mock = lever().await;
    let client = api_key_client(&mock);

    let id = client
        .add_note("o1", "Check ordered", Some("u1"))
        .await
        .unwrap();
    assert_eq!(id, "n2");
    let seen = last(&mock);
    assert_eq!(seen.query("perform_as"), Some("u1"));
    assert_eq!(seen.json(), json!({ "value": "Check ordered" }));

    let tags = ["BGC: pending".to_owned()];
    client.add_tags("o1", &tags, None).await.unwrap();
    let seen = last(&mock);
    assert_eq!(seen.path, "/v1/opportunities/o1/addTags");
    assert_eq!(seen.query("perform_as"), None);
    assert_eq!(seen.json(), json!({ "tags": ["BGC: pending"] }));
    client.remove_tags("o1", &tags, Some("u1")).await.unwrap();
    assert_eq!(last(&mock).path, "/v1/opportunities/o1/removeTags");

    let created = client
        .create_webhook("https://h/x", "candidateHired")
        .await
        .unwrap();
    assert_eq!(created.webhook.id, "w2");
    assert_eq!(
        created.signature_token.unwrap().expose_secret(),
        "sig-token-1"
    );
    assert_eq!(
        last(&mock).json(),
        json!({ "url": "https://h/x", "event": "candidateHired" })
    );

    client.delete_webhook("w1").await.unwrap();
    assert_eq!(last(&mock).method, "DELETE");
}

#[tokio::test]
async fn ids_are_encoded_into_one_path_segment() {
    let mock = lever().await;
    let client = api_key_client(&mock);
    let error = client.user("a/b?c").await.unwrap_err();
    assert_eq!(
        error,
        crate::lever::LeverError::NotFound {
            path: "/users/a%2Fb%3Fc".into()
        }
    );
    let seen = last(&mock);
    assert_eq!(seen.path, "/v1/users/a%2Fb%3Fc");
    assert!(seen.query.is_empty());
}
