//! Who may drive the admin listener: the API takes only the bearer token (never the
//! dashboard's cookie), and a dashboard session is a random id that ends at sign-out or
//! when it expires.

use super::{deliver_and_finish, get, TOKEN};
use crate::helpers::*;
use lever_hooks::HandlerRegistry;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{json, Value};
use std::time::Duration;

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

/// The dashboard's front page with `cookie`: its status and where it redirects.
async fn front_page(admin: &str, cookie: &str) -> (u16, String) {
    let response = browser()
        .get(format!("{admin}/"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (response.status().as_u16(), location)
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

/// The cookie holds a session id, not the token; signing out ends that session, so the
/// old cookie no longer opens the dashboard.
#[tokio::test]
async fn a_session_is_not_the_token_and_ends_at_sign_out() {
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    let admin = app.admin.clone().unwrap();
    let (_, _, cookie) = sign_in(&admin, TOKEN).await;
    let cookie = cookie.expect("signing in sets a cookie");
    assert!(
        !cookie.contains(TOKEN),
        "the cookie holds the token: {cookie}"
    );
    assert_eq!(front_page(&admin, &cookie).await.0, 200);

    let signed_out = browser()
        .post(format!("{admin}/logout"))
        .header(ORIGIN, admin.as_str())
        .header(COOKIE, cookie.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 303);
    assert_eq!(
        front_page(&admin, &cookie).await,
        (303, "/login".to_owned()),
        "the old cookie no longer works"
    );
    app.stop().await;
}

/// A session ends on its own after `[admin] session_lifetime`.
#[tokio::test]
async fn a_session_expires_after_its_lifetime() {
    let app = spawn_app(
        &format!(
            "[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"{TOKEN}\"\nsession_lifetime = \"1s\"\n"
        ),
        HandlerRegistry::new(),
    )
    .await;
    let admin = app.admin.clone().unwrap();
    let (_, _, cookie) = sign_in(&admin, TOKEN).await;
    let cookie = cookie.expect("signing in sets a cookie");
    assert_eq!(front_page(&admin, &cookie).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        front_page(&admin, &cookie).await,
        (303, "/login".to_owned()),
        "the session expired"
    );
    app.stop().await;
}
