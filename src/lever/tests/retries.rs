//! Retries, error mapping, pagination and the API-key header, through the whole client.

use super::mock::{api_key_client, test_config, Mock, Reply, API_KEY};
use crate::lever::{Credentials, LeverClient, LeverError, MemoryRefreshTokenStore, Stage};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn stages() -> Reply {
    Reply::json(200, json!({ "data": [{ "id": "s1", "text": "New" }] }))
}

/// A responder that answers with `first` for the first `n` requests, then `then`.
fn first_n(
    n: usize,
    first: impl Fn() -> Reply + Send + Sync + 'static,
    then: impl Fn() -> Reply + Send + Sync + 'static,
) -> impl Fn(&super::mock::Seen) -> Reply + Send + Sync + 'static {
    let count = AtomicUsize::new(0);
    move |_| {
        if count.fetch_add(1, Ordering::SeqCst) < n {
            first()
        } else {
            then()
        }
    }
}

#[tokio::test]
async fn api_keys_are_sent_as_basic_auth_with_an_empty_password() {
    let mock = Mock::start(|_| stages()).await;
    api_key_client(&mock).stages().await.unwrap();
    let expected = format!("Basic {}", BASE64.encode(format!("{API_KEY}:")));
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some(expected.as_str())
    );
}

#[tokio::test]
async fn two_429s_then_success_takes_three_requests() {
    let mock = Mock::start(first_n(
        2,
        || Reply::empty(429).header("Retry-After", "0"),
        stages,
    ))
    .await;
    let got = api_key_client(&mock).stages().await.unwrap();
    assert_eq!(got[0].id, "s1");
    assert_eq!(mock.count("/v1/stages"), 3);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let mock = Mock::start(first_n(
        1,
        || Reply::empty(429).header("Retry-After", "1"),
        stages,
    ))
    .await;
    let started = Instant::now();
    api_key_client(&mock).stages().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limited_to_the_end_reports_the_last_retry_after() {
    let mock = Mock::start(|_| Reply::empty(429).header("Retry-After", "0")).await;
    let error = api_key_client(&mock).stages().await.unwrap_err();
    assert_eq!(
        error,
        LeverError::RateLimited {
            retry_after: Some(Duration::ZERO)
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn always_503_is_unavailable_after_max_retries_plus_one_requests() {
    let mock = Mock::start(|_| {
        Reply::json(
            503,
            json!({ "code": "ServiceUnavailable", "message": "maintenance" }),
        )
    })
    .await;
    let error = api_key_client(&mock).stages().await.unwrap_err();
    assert_eq!(
        error,
        LeverError::Unavailable {
            status: Some(503),
            message: "ServiceUnavailable: maintenance".into()
        }
    );
    assert_eq!(mock.count("/v1/stages"), 3 + 1);
}

#[tokio::test]
async fn a_500_is_retried_too() {
    let mock = Mock::start(first_n(1, || Reply::empty(500), stages)).await;
    api_key_client(&mock).stages().await.unwrap();
    assert_eq!(mock.count("/v1/stages"), 2);
}

#[tokio::test]
async fn not_found_is_not_retried_and_names_the_path_without_query() {
    let mock = Mock::start(|_| {
        Reply::json(
            404,
            json!({ "code": "ResourceNotFound", "message": "not found" }),
        )
    })
    .await;
    let error = api_key_client(&mock).opportunity("o-1").await.unwrap_err();
    assert_eq!(
        error,
        LeverError::NotFound {
            path: "/opportunities/o-1".into()
        }
    );
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn client_errors_carry_levers_code_and_message_and_are_not_retried() {
    let mock = Mock::start(|seen| match seen.path.as_str() {
        "/v1/stages" => Reply::json(
            403,
            json!({ "code": "Forbidden", "message": "missing scope stages:read:admin" }),
        ),
        "/v1/users/u" => Reply::json(401, json!({ "code": "Unauthorized", "message": "bad key" })),
        _ => Reply::json(
            400,
            json!({ "code": "BadRequest", "message": "tags must be an array" }),
        ),
    })
    .await;
    let client = api_key_client(&mock);
    assert_eq!(
        client.stages().await.unwrap_err(),
        LeverError::Forbidden {
            message: "Forbidden: missing scope stages:read:admin".into()
        }
    );
    assert_eq!(
        client.user("u").await.unwrap_err(),
        LeverError::Unauthorized {
            message: "Unauthorized: bad key".into()
        }
    );
    assert_eq!(
        client.add_tags("o", &["x".into()], None).await.unwrap_err(),
        LeverError::BadRequest {
            status: 400,
            message: "BadRequest: tags must be an array".into()
        }
    );
    assert_eq!(mock.requests().len(), 3);
}

#[tokio::test]
async fn timeouts_are_retried_then_unavailable() {
    let mock = Mock::start(|_| stages().after(Duration::from_millis(400))).await;
    let mut config = test_config(&mock, Credentials::ApiKey(API_KEY.to_owned().into()));
    config.timeout = Duration::from_millis(100);
    config.max_retries = 1;
    let client =
        LeverClient::new("acme", config, Arc::new(MemoryRefreshTokenStore::default())).unwrap();
    let error = client.stages().await.unwrap_err();
    assert!(
        matches!(&error, LeverError::Unavailable { status: None, message } if message.contains("100ms")),
        "{error:?}"
    );
    assert_eq!(mock.count("/v1/stages"), 2);
}

#[tokio::test]
async fn connection_errors_are_retried_then_unavailable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mock = Mock::start(|_| stages()).await;
    let mut config = test_config(&mock, Credentials::ApiKey(API_KEY.to_owned().into()));
    config.api_base = format!("http://127.0.0.1:{port}/v1");
    let client =
        LeverClient::new("acme", config, Arc::new(MemoryRefreshTokenStore::default())).unwrap();
    let error = client.stages().await.unwrap_err();
    assert!(
        matches!(&error, LeverError::Unavailable { status: None, message } if message.starts_with("could not connect")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_note_is_not_posted_twice_after_a_500_but_is_after_a_429() {
    let mock = Mock::start(|_| Reply::empty(500)).await;
    let error = api_key_client(&mock)
        .add_note("o", "hello", None)
        .await
        .unwrap_err();
    assert!(error.is_retryable());
    assert_eq!(mock.requests().len(), 1);

    let mock = Mock::start(first_n(
        1,
        || Reply::empty(429).header("Retry-After", "0"),
        || Reply::json(201, json!({ "data": { "noteId": "n1" } })),
    ))
    .await;
    let id = api_key_client(&mock)
        .add_note("o", "hello", None)
        .await
        .unwrap();
    assert_eq!(id, "n1");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn lists_follow_next_while_has_next() {
    let mock = Mock::start(|seen| {
        let page = |ids: &[&str]| -> Vec<_> {
            ids.iter()
                .map(|id| json!({ "id": id, "text": id }))
                .collect()
        };
        match seen.query("offset") {
            None => Reply::json(
                200,
                json!({ "data": page(&["a", "b"]), "next": "p2", "hasNext": true }),
            ),
            Some("p2") => Reply::json(
                200,
                json!({ "data": page(&["c"]), "next": "p3", "hasNext": true }),
            ),
            Some("p3") => Reply::json(200, json!({ "data": page(&["d"]), "hasNext": false })),
            Some(other) => panic!("unexpected offset {other}"),
        }
    })
    .await;
    let got: Vec<Stage> = api_key_client(&mock)
        .get_page("/stages", &[("expand", "x".into())])
        .await
        .unwrap();
    let ids: Vec<_> = got.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    let requests = mock.requests();
    assert_eq!(requests.len(), 3);
    for seen in &requests {
        assert_eq!(seen.query("limit"), Some("100"));
        assert_eq!(seen.query("expand"), Some("x"));
    }
    let offsets: Vec<_> = requests.iter().map(|s| s.query("offset")).collect();
    assert_eq!(offsets, [None, Some("p2"), Some("p3")]);
}

#[tokio::test]
async fn a_page_that_repeats_its_offset_is_an_error_not_a_loop() {
    let mock =
        Mock::start(|_| Reply::json(200, json!({ "data": [], "next": "same", "hasNext": true })))
            .await;
    let error = api_key_client(&mock).stages().await.unwrap_err();
    assert!(matches!(error, LeverError::BadResponse(_)), "{error:?}");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn an_undecodable_body_is_a_bad_response_naming_the_field() {
    let mock = Mock::start(|_| Reply::json(200, json!({ "data": { "id": 5 } }))).await;
    let error = api_key_client(&mock).user("u").await.unwrap_err();
    assert!(
        matches!(&error, LeverError::BadResponse(m) if m.starts_with("/users/u: data.id")),
        "{error:?}"
    );
}
