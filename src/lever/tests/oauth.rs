//! OAuth against a mock token endpoint that rotates refresh tokens the way Lever does: each
//! refresh token works once, and the access token is only good until the next refresh.

use super::mock::{test_config, Mock, Reply};
use crate::error::BoxError;
use crate::lever::{Credentials, LeverClient, LeverError, OAuthConfig, RefreshTokenStore};
use async_trait::async_trait;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(super) const CLIENT_ID: &str = "client-1";
pub(super) const CLIENT_SECRET: &str = "client-secret-9f3a";
pub(super) const FIRST_REFRESH: &str = "refresh-0";

/// A refresh-token store the mock can read synchronously, and that can be made to fail.
#[derive(Default)]
pub(super) struct WatchedStore {
    values: Mutex<HashMap<String, String>>,
    failing: AtomicBool,
}

impl WatchedStore {
    /// The stored JSON for `acme`.
    pub(super) fn value(&self) -> Option<Value> {
        let values = self.values.lock().unwrap();
        values.get("acme").map(|v| serde_json::from_str(v).unwrap())
    }

    pub(super) fn set(&self, value: Value) {
        let mut values = self.values.lock().unwrap();
        values.insert("acme".into(), value.to_string());
    }

    fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl RefreshTokenStore for WatchedStore {
    async fn load(&self, account: &str) -> Result<Option<String>, BoxError> {
        Ok(self.values.lock().unwrap().get(account).cloned())
    }

    async fn save(&self, account: &str, value: &str) -> Result<(), BoxError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err("disk full".into());
        }
        let mut values = self.values.lock().unwrap();
        values.insert(account.into(), value.into());
        Ok(())
    }
}

/// What the fake Lever knows.
pub(super) struct LeverState {
    /// The one refresh token the token endpoint accepts now.
    pub(super) refresh: String,
    /// How many refreshes succeeded; the current access token is `access-{generation}`.
    pub(super) generation: usize,
    pub(super) expires_in: i64,
    /// Answer 401 to this many API requests, whatever the token.
    pub(super) api_401s: usize,
    /// Things the client did wrong, seen from Lever's side.
    pub(super) violations: Vec<String>,
}

/// A mock Lever with a token endpoint and an API that wants the current access token.
pub(super) struct FakeLever {
    pub(super) mock: Mock,
    pub(super) state: Arc<Mutex<LeverState>>,
    pub(super) store: Arc<WatchedStore>,
}

impl FakeLever {
    pub(super) async fn start(valid_refresh: &str) -> Self {
        let state = Arc::new(Mutex::new(LeverState {
            refresh: valid_refresh.into(),
            generation: 0,
            expires_in: 3600,
            api_401s: 0,
            violations: Vec::new(),
        }));
        let store = Arc::new(WatchedStore::default());
        let (shared, watched) = (state.clone(), store.clone());
        let mock = Mock::start(move |seen| {
            let mut lever = shared.lock().unwrap();
            if seen.path == "/oauth/token" {
                return token_endpoint(&mut lever, &seen.form());
            }
            let presented = seen.header("authorization").unwrap_or_default();
            if let Some(n) = presented.strip_prefix("Bearer access-") {
                let saved = watched.value().map(|v| v["token"].clone());
                if saved != Some(json!(format!("refresh-{n}"))) {
                    lever
                        .violations
                        .push(format!("access-{n} used before refresh-{n} was stored"));
                }
            }
            if lever.api_401s > 0 {
                lever.api_401s -= 1;
                return Reply::json(
                    401,
                    json!({ "code": "Unauthorized", "message": "token revoked" }),
                );
            }
            if presented == format!("Bearer access-{}", lever.generation) {
                Reply::json(200, json!({ "data": [{ "id": "s1", "text": "New" }] }))
            } else {
                Reply::json(
                    401,
                    json!({ "code": "Unauthorized", "message": "invalid token" }),
                )
            }
        })
        .await;
        Self { mock, state, store }
    }

    pub(super) fn client(&self, configured_refresh: &str) -> LeverClient {
        let mut oauth = OAuthConfig::new(
            CLIENT_ID,
            CLIENT_SECRET.to_owned().into(),
            configured_refresh.to_owned().into(),
        );
        oauth.token_url = self.mock.token_url();
        let config = test_config(&self.mock, Credentials::OAuth(oauth));
        LeverClient::new("acme", config, self.store.clone()).unwrap()
    }

    pub(super) fn token_calls(&self) -> usize {
        self.mock.count("/oauth/token")
    }

    pub(super) fn api_calls(&self) -> usize {
        self.mock.count("/v1/stages")
    }

    fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }
}

fn token_endpoint(lever: &mut LeverState, form: &HashMap<String, String>) -> Reply {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("grant_type") != Some("refresh_token")
        || field("client_id") != Some(CLIENT_ID)
        || field("client_secret") != Some(CLIENT_SECRET)
    {
        return Reply::json(401, json!({ "error": "invalid_client" }));
    }
    if field("refresh_token") != Some(lever.refresh.as_str()) {
        return Reply::json(
            400,
            json!({ "error": "invalid_grant", "error_description": "Unknown or invalid refresh token." }),
        );
    }
    lever.generation += 1;
    lever.refresh = format!("refresh-{}", lever.generation);
    Reply::json(
        200,
        json!({
            "access_token": format!("access-{}", lever.generation),
            "refresh_token": lever.refresh,
            "token_type": "Bearer",
            "scope": "offline_access stages:read:admin",
            "expires_in": lever.expires_in
        }),
    )
}

pub(super) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn the_rotated_refresh_token_is_stored_before_the_access_token_is_used() {
    let lever = FakeLever::start(FIRST_REFRESH).await;
    let stages = lever.client(FIRST_REFRESH).stages().await.unwrap();
    assert_eq!(stages[0].id, "s1");
    let requests = lever.mock.requests();
    let form = requests[0].form();
    assert_eq!(requests[0].path, "/oauth/token");
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], FIRST_REFRESH);
    assert_eq!(requests[1].header("authorization"), Some("Bearer access-1"));
    assert_eq!(
        lever.store.value().unwrap(),
        json!({ "seed": sha256_hex(FIRST_REFRESH), "token": "refresh-1" })
    );
    assert!(lever.violations().is_empty(), "{:?}", lever.violations());
}

#[tokio::test]
async fn a_restarted_client_continues_from_the_stored_token() {
    let lever = FakeLever::start(FIRST_REFRESH).await;
    lever.client(FIRST_REFRESH).stages().await.unwrap();
    // A new process with the same config: refresh-0 no longer works, refresh-1 does.
    let restarted = lever.client(FIRST_REFRESH);
    restarted.stages().await.unwrap();
    assert_eq!(lever.token_calls(), 2);
    assert_eq!(
        lever.mock.requests()[2].form()["refresh_token"],
        "refresh-1"
    );
    assert_eq!(lever.store.value().unwrap()["token"], "refresh-2");
    assert!(lever.violations().is_empty(), "{:?}", lever.violations());
}

#[tokio::test]
async fn a_newly_configured_token_wins_over_a_stale_stored_one() {
    let lever = FakeLever::start("reauthorized").await;
    lever
        .store
        .set(json!({ "seed": sha256_hex(FIRST_REFRESH), "token": "refresh-7" }));
    lever.client("reauthorized").stages().await.unwrap();
    assert_eq!(
        lever.mock.requests()[0].form()["refresh_token"],
        "reauthorized"
    );
    assert_eq!(
        lever.store.value().unwrap(),
        json!({ "seed": sha256_hex("reauthorized"), "token": "refresh-1" })
    );
}

#[tokio::test]
async fn an_unreadable_stored_value_falls_back_to_the_configured_token() {
    let lever = FakeLever::start(FIRST_REFRESH).await;
    lever.store.set(json!("not what the client writes"));
    lever.client(FIRST_REFRESH).stages().await.unwrap();
    assert_eq!(lever.store.value().unwrap()["token"], "refresh-1");
}

#[tokio::test]
async fn concurrent_requests_wait_for_one_refresh() {
    let lever = FakeLever::start(FIRST_REFRESH).await;
    let client = lever.client(FIRST_REFRESH);
    let calls = (0..10).map(|_| {
        let client = client.clone();
        async move { client.stages().await }
    });
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(lever.token_calls(), 1);
    assert_eq!(lever.api_calls(), 10);
}

#[tokio::test]
async fn the_access_token_is_refreshed_ahead_of_expiry() {
    let lever = FakeLever::start(FIRST_REFRESH).await;
    // A 1 s token is refreshed at half its life.
    lever.state.lock().unwrap().expires_in = 1;
    let client = lever.client(FIRST_REFRESH);
    client.stages().await.unwrap();
    client.stages().await.unwrap();
    assert_eq!(lever.token_calls(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.stages().await.unwrap();
    assert_eq!(lever.token_calls(), 2);
    assert_eq!(lever.api_calls(), 3);
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_tries_again() {
    let lever = FakeLever::start(FIRST_REFRESH).await;
    lever.state.lock().unwrap().api_401s = 1;
    lever.client(FIRST_REFRESH).stages().await.unwrap();
    assert_eq!(lever.token_calls(), 2);
    assert_eq!(lever.api_calls(), 2);

    let lever = FakeLever::start(FIRST_REFRESH).await;
    lever.state.lock().unwrap().api_401s = usize::MAX;
    let error = lever.client(FIRST_REFRESH).stages().await.unwrap_err();
    assert_eq!(
        error,
        LeverError::Unauthorized {
            message: "Unauthorized: token revoked".into()
        }
    );
    assert_eq!(lever.token_calls(), 2);
    assert_eq!(lever.api_calls(), 2);
}

#[tokio::test]
async fn a_refused_refresh_token_is_an_auth_error_and_is_not_retried() {
    let lever = FakeLever::start("some-other-token").await;
    let error = lever.client(FIRST_REFRESH).stages().await.unwrap_err();
    assert!(
        matches!(&error, LeverError::Auth(m) if m.contains("HTTP 400: invalid_grant: Unknown or invalid refresh token.")),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(lever.token_calls(), 1);
    assert_eq!(lever.api_calls(), 0);
}

#[tokio::test]
async fn a_failed_save_holds_the_new_token_back_until_it_is_stored() {
    let lever = FakeLever::start(FIRST_REFRESH).await;
    let client = lever.client(FIRST_REFRESH);
    lever.store.fail(true);
    let error = client.stages().await.unwrap_err();
    assert!(
        matches!(&error, LeverError::Unavailable { message, .. } if message.contains("could not store")),
        "{error:?}"
    );
    assert!(error.is_retryable());
    // The rotated token is kept in memory and retried, never refreshed over.
    assert_eq!(lever.token_calls(), 1);
    assert_eq!(lever.api_calls(), 0);

    lever.store.fail(false);
    client.stages().await.unwrap();
    assert_eq!(lever.token_calls(), 1);
    assert_eq!(lever.store.value().unwrap()["token"], "refresh-1");
    assert!(lever.violations().is_empty(), "{:?}", lever.violations());
}

#[tokio::test]
async fn a_token_endpoint_outage_is_retryable() {
    let mock = Mock::start(|_| Reply::empty(503)).await;
    let mut oauth = OAuthConfig::new(
        CLIENT_ID,
        CLIENT_SECRET.to_owned().into(),
        FIRST_REFRESH.to_owned().into(),
    );
    oauth.token_url = mock.token_url();
    let config = test_config(&mock, Credentials::OAuth(oauth));
    let client = LeverClient::new("acme", config, Arc::new(WatchedStore::default())).unwrap();
    let error = client.stages().await.unwrap_err();
    assert!(
        matches!(
            error,
            LeverError::Unavailable {
                status: Some(503),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(mock.count("/oauth/token"), 3 + 1);
}
