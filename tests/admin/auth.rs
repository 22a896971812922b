//! Who may drive the admin listener: the API takes only the bearer token, never the
//! dashboard's cookie.

use super::{deliver_and_finish, get, TOKEN};
use crate::helpers::*;
use reqwest::header::{COOKIE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{json, Value};

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in at `/login` with `token`; returns the answer's status, its `Retry-After` and
/// the `name=value` of the cookie it set.
async fn sign_in(admin: &str, token: &str) -> (u16, Option<String>, Option<String>) {
    let response = browser()
        .post(format!("{admin}/login"))
        .header(ORIGIN, admin)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let cookie = header(SET_COOKIE).map(|c| c.split(';').next().unwrap().to_owned());
    (response.status().as_u16(), header(RETRY_AFTER), cookie)
}

/// The dashboard's cookie, cross-site or not, buys nothing on `/api/v1`: a purge sent with
/// it is refused and purges nothing; the bearer token still works.
#[tokio::test]
async fn the_api_refuses_the_dashboard_cookie_and_takes_the_bearer_token() {
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    let admin = app.admin.clone().unwrap();
    let id = deliver_and_finish(&app, "opp-1").await;
    let (status, _, cookie) = sign_in(&admin, TOKEN).await;
    assert_eq!(status, 303);
    let session = cookie.expect("signing in sets a cookie");
    let raw_token = format!("{}={TOKEN}", lever_hooks::admin::COOKIE);

    for cookie in [&session, &raw_token] {
        for origin in [
            Some("http://127.0.0.1:1"),
            Some("http://evil.example"),
            None,
        ] {
            let mut request = app
                .http
                .post(format!("{admin}/api/v1/events/purge"))
                .header(COOKIE, cookie.as_str())
                .json(&json!({"opportunity": "opp-1"}));
            if let Some(origin) = origin {
                request = request.header(ORIGIN, origin);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or_default();
            assert_eq!(status, 401, "cookie {cookie} from {origin:?}: {body}");
            assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
        }
    }
    let (_, view) = get(&app, &format!("/api/v1/events/{id}")).await;
    assert!(
        view["event"]["purgedAt"].is_null(),
        "nothing purged: {view}"
    );

    let purged = app
        .http
        .post(format!("{admin}/api/v1/events/purge"))
        .bearer_auth(TOKEN)
        .json(&json!({"opportunity": "opp-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(purged.status(), 200);
    assert_eq!(purged.json::<Value>().await.unwrap()["purged"], 1);
    app.stop().await;
}
