//! Credentials and tokens never show in `Debug`, error messages or log lines.

use super::mock::{api_key_client, Mock, Reply, API_KEY};
use super::oauth::{FakeLever, CLIENT_SECRET, FIRST_REFRESH};
use crate::captured_logs::Captured;
use serde_json::json;

fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} leaked into: {text}");
    }
}

#[tokio::test]
async fn an_api_key_client_keeps_its_key_out_of_debug() {
    let mock = Mock::start(|_| Reply::json(200, json!({ "data": [] }))).await;
    let client = api_key_client(&mock);
    let debug = format!("{client:?}");
    assert!(debug.contains("acme"), "{debug}");
    assert_no_secret(&debug, &[API_KEY]);
}

#[tokio::test]
async fn oauth_secrets_stay_out_of_debug_errors_and_logs() {
    let logs = Captured::default();
    let _guard = logs.on_this_thread();

    // A working session that also refreshes after a 401 and retries a 503.
    let lever = FakeLever::start(FIRST_REFRESH).await;
    lever.state.lock().unwrap().api_401s = 1;
    let client = lever.client(FIRST_REFRESH);
    client.stages().await.unwrap();
    let debug = format!("{client:?}");
    // A refused refresh token.
    let refused = FakeLever::start("another-token").await;
    let error = refused.client(FIRST_REFRESH).stages().await.unwrap_err();

    let secrets = [
        CLIENT_SECRET,
        FIRST_REFRESH,
        "refresh-1",
        "refresh-2",
        "access-1",
        "access-2",
    ];
    assert!(debug.contains("client-1"), "{debug}");
    assert_no_secret(&debug, &secrets);
    assert_no_secret(&error.to_string(), &secrets);
    assert_no_secret(&format!("{error:?}"), &secrets);
    let logs = logs.text();
    assert!(logs.contains("Lever request"), "nothing was logged: {logs}");
    assert!(logs.contains("refreshing it once"), "{logs}");
    assert_no_secret(&logs, &secrets);
}
