//! The client counts its requests by account and status, and its waits for the rate limit.

use super::mock::{test_config, Mock, Reply, API_KEY};
use crate::lever::{Credentials, LeverClient, MemoryRefreshTokenStore, RateLimit};
use serde_json::json;
use std::sync::Arc;

/// The value of the series written exactly as `series` in the rendered metrics.
fn value_of(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    })
}

#[tokio::test]
async fn requests_are_counted_by_status_and_waits_for_the_rate_limit_too() {
    // The recorder is process-wide; an account name of its own keeps these series apart.
    let handle = crate::metrics::handle().expect("no other recorder in the test binary");
    let mock = Mock::start(|seen| {
        if seen.path.ends_with("/missing") {
            Reply::json(
                404,
                json!({"code": "ResourceNotFound", "message": "no such user"}),
            )
        } else {
            Reply::json(200, json!({ "data": { "id": "u1" } }))
        }
    })
    .await;
    let mut config = test_config(&mock, Credentials::ApiKey(API_KEY.to_owned().into()));
    // One request at once, then one every 100 ms: the second and third must wait.
    config.rate = RateLimit {
        per_second: 10,
        burst: 1,
    };
    let client = LeverClient::new(
        "metrics-probe",
        config,
        Arc::new(MemoryRefreshTokenStore::default()),
    )
    .unwrap();

    client.user("u1").await.unwrap();
    client.user("u1").await.unwrap();
    client.user("missing").await.unwrap_err();

    let text = handle.render();
    let calls = |status: &str| {
        value_of(
            &text,
            &format!(
                r#"lever_hooks_lever_api_calls_total{{account="metrics-probe",status="{status}"}}"#
            ),
        )
    };
    assert_eq!(calls("200"), Some(2.0), "{text}");
    assert_eq!(calls("404"), Some(1.0), "{text}");
    let waits = value_of(
        &text,
        r#"lever_hooks_lever_rate_limit_waits_total{account="metrics-probe"}"#,
    );
    assert!(waits.is_some_and(|w| w >= 1.0), "{text}");
}
