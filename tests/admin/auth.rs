//! Who may drive the admin listener: the API takes only the bearer token (never the
//! dashboard's cookie), a dashboard session is a random id that ends at sign-out or when
//! it expires, sign-ins are limited per client address (each failure logged and
//! counted), and a listener without a token answers only loopback `Host` names.

use super::{deliver_and_finish, get, TOKEN};
use crate::helpers::*;
use lever_hooks::HandlerRegistry;
use reqwest::header::{COOKIE, HOST, LOCATION, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
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

/// `lever_hooks_admin_login_failures_total{reason=…}` as `/metrics` shows it (0 if absent).
async fn login_failures(admin: &str, reason: &str) -> u64 {
    let text = reqwest::get(format!("{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("lever_hooks_admin_login_failures_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |n| n.trim().parse().unwrap())
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

/// The log lines the capture saw, as JSON.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Five wrong tokens from one address, then the right one: the right one is refused
/// (429, with `Retry-After`) while the address is limited. Each failure is a warning
/// naming the client and never the token, and is counted in the metric.
#[tokio::test]
async fn failed_sign_ins_are_limited_logged_and_counted() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter("lever_hooks=debug")
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only test in this binary that captures logs");
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    let admin = app.admin.clone().unwrap();
    let wrong_before = login_failures(&admin, "wrong_token").await;

    let guesses: Vec<String> = (0..5)
        .map(|i| format!("wrong-guess-{i}-5f0c2e91"))
        .collect();
    for guess in &guesses {
        let (status, _, cookie) = sign_in(&admin, guess).await;
        assert_eq!((status, cookie), (401, None), "{guess}");
    }
    let (status, retry_after, cookie) = sign_in(&admin, TOKEN).await;
    assert_eq!(status, 429, "the right token is refused while limited");
    assert!(cookie.is_none());
    let retry_after: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        login_failures(&admin, "wrong_token").await,
        wrong_before + 5
    );
    assert!(login_failures(&admin, "rate_limited").await >= 1);
    app.stop().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let failures: Vec<Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| {
            entry["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("sign-in failed"))
        })
        .collect();
    assert_eq!(failures.len(), 5, "one line per failure: {log}");
    for entry in &failures {
        assert_eq!(entry["level"], "WARN", "{entry}");
        assert_eq!(entry["fields"]["client"], "127.0.0.1", "{entry}");
    }
    for secret in guesses.iter().map(String::as_str).chain([TOKEN]) {
        assert!(!log.contains(secret), "a token reached the log: {secret}");
    }
}

/// Sends a bare HTTP/1.0 request for `path` with no `Host` to `port`; returns the status.
fn status_without_host(port: u16, path: &str) -> u16 {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer:?}"))
}

/// With no token, a page whose domain was rebound to 127.0.0.1 names its own domain in
/// `Host`: every admin route refuses it with 421. Loopback names and addresses work.
#[tokio::test]
async fn without_a_token_only_loopback_host_names_are_answered() {
    let app = spawn_app(
        "[admin]\nlisten = \"127.0.0.1:0\"\n",
        HandlerRegistry::new(),
    )
    .await;
    let admin = app.admin.clone().unwrap();
    let port = admin.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let paths = [
        "/api/v1/events",
        "/",
        "/events/evt_1",
        "/healthz",
        "/metrics",
    ];
    for host in [
        "evil.example".to_owned(),
        format!("evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("app.localhost:{port}"),
        format!("10.1.2.3:{port}"),
        String::new(),
    ] {
        for path in paths {
            let response = app
                .http
                .get(format!("{admin}{path}"))
                .header(HOST, host.as_str())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or_default();
            assert_eq!(status, 421, "Host {host:?} on {path}: {body}");
            assert!(
                body["error"].as_str().unwrap_or("").contains("loopback"),
                "{body}"
            );
        }
    }
    assert_eq!(status_without_host(port, "/api/v1/events"), 421);
    for host in [
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        "localhost".to_owned(),
        format!("127.0.0.1:{port}"),
        format!("127.3.2.1:{port}"),
        format!("[::1]:{port}"),
        "[::1]".to_owned(),
    ] {
        for path in paths {
            let status = app
                .http
                .get(format!("{admin}{path}"))
                .header(HOST, host.as_str())
                .send()
                .await
                .unwrap()
                .status();
            let expected = if path == "/events/evt_1" { 404 } else { 200 };
            assert_eq!(status, expected, "Host {host:?} on {path}");
        }
    }
    app.stop().await;
}
