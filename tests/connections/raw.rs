//! The app as these tests start it, and raw HTTP/1.1 over a TCP socket: what a client
//! that does not play by the rules sends, and reading what comes back.

use crate::helpers::{spawn_app_with_config, TestApp, SIGNING_TOKEN};
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::store::{SledStore, Store};
use lever_hooks::{Config, HandlerRegistry};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// The tests read a process-wide gauge and measure time, so they run one at a time.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts the app with one HTTP worker, an admin listener (for `/metrics`) and `server`
/// added to its `[server]` section.
pub async fn spawn(server: &str) -> TestApp {
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
workers = 1
shutdown_grace = "2s"
{server}

[admin]
listen = "127.0.0.1:0"

[lever]
signing_tokens = {{ default = ["{SIGNING_TOKEN}"] }}
"#
    );
    let config = Config::parse(&text, Path::new("."), &|_| None, &HandlerRegistry::new())
        .unwrap_or_else(|e| panic!("test config is invalid: {e}"));
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("temporary store"));
    spawn_app_with_config(&config, HandlerRegistry::new(), store).await
}

/// A delivery signed with the account's token.
pub fn delivery() -> Vec<u8> {
    signed_with(SIGNING_TOKEN)
}

/// A well-formed delivery signed with the wrong token.
pub fn badly_signed() -> Vec<u8> {
    signed_with("not-the-signing-token")
}

fn signed_with(signing_token: &str) -> Vec<u8> {
    let now = lever_hooks::store::now_millis();
    let sample = SampleEvent::new("candidateStageChange");
    signed_body(
        signing_token,
        &sample.event,
        &sample.data(now),
        now,
        &random_token(),
    )
}

/// The head of a POST to the default account with `headers` (each ending in `\r\n`).
pub fn post_head(headers: &str) -> Vec<u8> {
    format!("POST /webhooks/lever HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{headers}\r\n")
        .into_bytes()
}

/// A whole POST of `body` to the default account, with `headers` besides its length.
pub fn post(body: &[u8], headers: &str) -> Vec<u8> {
    let mut request = post_head(&format!("Content-Length: {}\r\n{headers}", body.len()));
    request.extend_from_slice(body);
    request
}

/// Reads until the server closes the connection or `limit` passes: what it sent, and
/// how long after `started` it closed (None: still open at `limit`).
pub async fn read_until_closed(
    stream: &mut (impl AsyncReadExt + Unpin),
    started: Instant,
    limit: Duration,
) -> (String, Option<Duration>) {
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&received).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// The first line of an answer.
pub fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or("")
}

/// A header of the first answer in `answer`, by lowercase name.
pub fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    answer
        .split("\r\n\r\n")
        .next()?
        .lines()
        .skip(1)
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
}

/// The value of a metric without labels on the app's `/metrics` (0 when not there yet).
pub async fn metric(app: &TestApp, name: &str) -> f64 {
    let url = format!("{}/metrics", app.admin.as_ref().expect("admin configured"));
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}
