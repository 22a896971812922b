//! What stands between a client and the data: auth, the rate limit, injected failures,
//! the OAuth token endpoint, and the request log.

use super::*;
use lever_hooks::fake_lever::FailureRule;
use serde_json::json;

/// No credentials, another scheme or an unknown bearer token: 401 in Lever's shape; the
/// log records the kind of credential, never the key.
#[tokio::test]
async fn requests_without_valid_auth_get_401() {
    let lever = start_with(|o| o.fixture.api_keys = vec!["the-only-key".into()]).await;
    let client = reqwest::Client::new();
    let url = format!("{}/stages", lever.url());
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "Unauthorized");
    let wrong = client
        .get(&url)
        .basic_auth("other-key", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let bearer = client
        .get(&url)
        .bearer_auth("never-issued")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
    let right = client
        .get(&url)
        .basic_auth("the-only-key", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);

    let log = lever.requests();
    let seen: Vec<(u16, String)> = log
        .iter()
        .map(|r| {
            (
                r.status,
                serde_json::to_value(r.auth)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (401, "none"),
            (401, "apiKey"),
            (401, "bearer"),
            (200, "apiKey")
        ]
        .map(|(s, k)| (s, k.to_owned()))
    );
    let logged = serde_json::to_string(&log).unwrap();
    assert!(!logged.contains("the-only-key") && !logged.contains("never-issued"));
    lever.stop().await;
}

/// With Lever's limits, a burst of 20 passes and the requests right after it get 429;
/// another credential has its own bucket.
#[tokio::test]
async fn requests_beyond_the_burst_get_429() {
    let lever = start_with(|o| o.rate_limit = Some((10, 20))).await;
    let client = reqwest::Client::new();
    let url = format!("{}/stages", lever.url());
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let response = client
            .get(&url)
            .basic_auth("busy", Some(""))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert!(
        statuses[..20].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert!(
        statuses[20..].contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(lever.rate_limited(), limited as u64);
    let other = client
        .get(&url)
        .basic_auth("calm", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    lever.stop().await;
}

/// An injected 503×2 answers two matching requests (with Retry-After), then the API serves
/// again; the HTTP control does the same as `fail_next`.
#[tokio::test]
async fn injected_failures_answer_then_stop() {
    let lever = start().await;
    let rule = FailureRule::new(503, 2)
        .on_path("/v1/opportunities")
        .with_retry_after(1);
    lever.fail_next(rule);
    let client = reqwest::Client::new();
    let url = format!("{}/opportunities/{DANA_BACKEND}", lever.url());
    let stages = get(&lever, "/stages").await.0;
    assert_eq!(stages, StatusCode::OK, "another path is not affected");
    for _ in 0..2 {
        let response = client
            .get(&url)
            .basic_auth("k", Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "1");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "ServiceUnavailable");
    }
    let response = client
        .get(&url)
        .basic_auth("k", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let control = client
        .post(format!("{}/_fake/fail", lever.base_url()))
        .json(&json!({"status": 500, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(control.status(), StatusCode::OK);
    assert_eq!(
        get(&lever, "/stages").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(get(&lever, "/stages").await.0, StatusCode::OK);

    let log: Value = client
        .get(format!("{}/_fake/requests", lever.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 503, 503, 200, 500, 200]);
    let reset = client
        .post(format!("{}/_fake/reset-log", lever.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert!(lever.requests().is_empty());
    lever.stop().await;
}

/// A refresh answers new tokens; the access token works as Bearer; the used refresh token
/// is refused after that and the new one works.
#[tokio::test]
async fn oauth_refresh_rotates_the_refresh_token() {
    let lever = start().await;
    let client = reqwest::Client::new();
    let token_url = format!("{}/oauth/token", lever.base_url());
    let refresh = |token: &str| {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", "fake-client-id"),
            ("client_secret", "fake-client-secret"),
            ("refresh_token", token),
        ];
        client.post(&token_url).form(&form).send()
    };
    let response = refresh("fake-refresh-token-0").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let grant: Value = response.json().await.unwrap();
    assert_eq!(grant["token_type"], "Bearer");
    assert_eq!(grant["expires_in"], 3600);
    let access = grant["access_token"].as_str().unwrap();
    let rotated = grant["refresh_token"].as_str().unwrap();
    assert_ne!(rotated, "fake-refresh-token-0");

    let stages = client
        .get(format!("{}/stages", lever.url()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(stages.status(), StatusCode::OK);

    let reused = refresh("fake-refresh-token-0").await.unwrap();
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    let error: Value = reused.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant");
    assert_eq!(refresh(rotated).await.unwrap().status(), StatusCode::OK);
    lever.stop().await;
}
