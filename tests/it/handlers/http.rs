//! The `http` handler against a real local receiver: headers, signature, status handling,
//! timeouts, and secrets kept out of `Debug` and logs.

use super::{build, config, document, problems, run};
use actix_web::http::header::HttpDate;
use actix_web::{web, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use lever_hooks::handler::{HandlerSettings, HttpConfig, HttpHandler, KindContext, Outcome};
use sha2::Sha256;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The key bytes of [`WHSEC`].
const KEY: &[u8] = b"a-32-byte-key-for-the-test-hmac!";
/// [`KEY`] as a Standard Webhooks secret.
const WHSEC: &str = "whsec_YS0zMi1ieXRlLWtleS1mb3ItdGhlLXRlc3QtaG1hYyE=";

/// One request the receiver saw.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }
}

type Log = web::Data<Mutex<Vec<Received>>>;

/// A local HTTP server that records every request and answers by path:
/// `/ok` 204, `/status/CODE` CODE with a short body, `/retry-after/VALUE` 429 with that
/// `Retry-After`, `/retry-in/SECONDS` 503 with an HTTP-date `Retry-After`, `/slow` after
/// 5 s, `/redirect` 302 to `/ok`.
struct Receiver {
    base: String,
    log: Log,
}

impl Receiver {
    async fn start() -> Self {
        let log: Log = web::Data::new(Mutex::new(Vec::new()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = log.clone();
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(shared.clone())
                .default_service(web::to(answer))
        })
        .listen(listener)
        .unwrap()
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .run();
        tokio::spawn(server);
        Self { base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn requests(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}

async fn answer(req: HttpRequest, body: web::Bytes, log: Log) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or("<binary>").to_owned(),
            )
        })
        .collect();
    log.lock().unwrap().push(Received {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        headers,
        body: body.to_vec(),
    });
    let parts: Vec<&str> = req.path().trim_start_matches('/').splitn(2, '/').collect();
    match parts.as_slice() {
        ["ok"] => HttpResponse::NoContent().finish(),
        ["status", code] => {
            let status = actix_web::http::StatusCode::from_u16(code.parse().unwrap()).unwrap();
            HttpResponse::build(status).body(format!("refused:\n  code {code}"))
        }
        ["retry-after", value] => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", *value))
            .finish(),
        ["retry-in", seconds] => {
            let at = SystemTime::now() + Duration::from_secs(seconds.parse().unwrap());
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", HttpDate::from(at).to_string()))
                .finish()
        }
        ["slow"] => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            HttpResponse::Ok().finish()
        }
        ["redirect"] => HttpResponse::Found()
            .insert_header(("Location", "/ok"))
            .finish(),
        _ => HttpResponse::NotFound().finish(),
    }
}

/// A `kind = "http"` table posting to `url`.
fn http_table(url: &str) -> toml::Table {
    let mut table = toml::Table::new();
    table.insert("kind".into(), "http".into());
    table.insert("url".into(), url.into());
    table
}

fn http(url: &str) -> HandlerSettings {
    config(http_table(url))
}

fn with_secret(url: &str, secret: &str) -> HandlerSettings {
    let mut table = http_table(url);
    table.insert("secret".into(), secret.into());
    config(table)
}

fn no_base() -> &'static Path {
    Path::new(".")
}

/// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, computed here on purpose
/// rather than with the handler's code.
fn expected_signature(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_signed_delivery_carries_the_document_and_the_standard_webhooks_headers() {
    // Arrange
    let receiver = Receiver::start().await;
    let mut table = http_table(&receiver.url("/ok"));
    table.insert("secret".into(), WHSEC.into());
    let mut headers = toml::Table::new();
    headers.insert("Authorization".into(), "Bearer t0ken".into());
    table.insert("headers".into(), headers.into());
    let handler = build(&config(table), no_base());
    let doc = document("forward");

    // Act
    let outcome = run(&handler, &doc).await;

    // Assert
    assert_eq!(outcome, Outcome::Done);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let got = &requests[0];
    assert_eq!((got.method.as_str(), got.path.as_str()), ("POST", "/ok"));
    assert_eq!(got.body, doc.to_json());
    assert_eq!(got.header("content-type"), "application/json");
    assert_eq!(got.header("idempotency-key"), doc.idempotency_key);
    assert_eq!(got.header("authorization"), "Bearer t0ken");
    assert!(
        got.header("user-agent").starts_with("lever-hooks/"),
        "{}",
        got.header("user-agent")
    );
    assert_eq!(got.header("webhook-id"), doc.idempotency_key);
    let timestamp = got.header("webhook-timestamp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(timestamp.parse().unwrap()) < 60, "{timestamp}");
    let expected = expected_signature(KEY, &doc.idempotency_key, timestamp, &got.body);
    assert_eq!(got.header("webhook-signature"), expected);
}

#[tokio::test]
async fn a_secret_without_the_whsec_prefix_signs_with_its_raw_bytes_and_the_id_is_stable() {
    let receiver = Receiver::start().await;
    let handler = build(
        &with_secret(&receiver.url("/ok"), "plain secret"),
        no_base(),
    );
    let doc = document("forward");

    run(&handler, &doc).await;
    run(&handler, &doc).await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    for got in &requests {
        assert_eq!(got.header("webhook-id"), doc.idempotency_key);
        let expected = expected_signature(
            b"plain secret",
            &doc.idempotency_key,
            got.header("webhook-timestamp"),
            &got.body,
        );
        assert_eq!(got.header("webhook-signature"), expected);
    }
}

#[tokio::test]
async fn without_a_secret_no_signature_headers_are_sent() {
    let receiver = Receiver::start().await;
    let handler = build(&http(&receiver.url("/ok")), no_base());

    assert_eq!(run(&handler, &document("forward")).await, Outcome::Done);

    let got = &receiver.requests()[0];
    assert_eq!(
        got.header("idempotency-key"),
        document("forward").idempotency_key
    );
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        assert!(!got.headers.contains_key(name), "unexpected {name}");
    }
}

#[tokio::test]
async fn server_errors_and_throttling_are_retried_with_status_and_body_in_the_reason() {
    let receiver = Receiver::start().await;
    for code in [500, 502, 503, 408, 425, 429] {
        let handler = build(&http(&receiver.url(&format!("/status/{code}"))), no_base());

        let outcome = run(&handler, &document("forward")).await;

        let Outcome::Retry { after, reason } = outcome else {
            panic!("{code}: expected Retry, got {outcome:?}")
        };
        assert_eq!(after, None, "{code}");
        assert!(reason.contains(&format!("HTTP {code}")), "{reason}");
        assert!(
            reason.contains(&format!("refused: code {code}")),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn a_429_with_retry_after_3_is_retried_after_3_seconds() {
    let receiver = Receiver::start().await;
    let handler = build(&http(&receiver.url("/retry-after/3")), no_base());

    let outcome = run(&handler, &document("forward")).await;

    assert!(
        matches!(&outcome, Outcome::Retry { after: Some(d), reason } if *d == Duration::from_secs(3) && reason.contains("429")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_retry_after_http_date_is_honoured() {
    let receiver = Receiver::start().await;
    let handler = build(&http(&receiver.url("/retry-in/120")), no_base());

    let outcome = run(&handler, &document("forward")).await;

    let Outcome::Retry {
        after: Some(after), ..
    } = outcome
    else {
        panic!("expected a Retry with a delay, got {outcome:?}")
    };
    assert!(
        (Duration::from_secs(115)..=Duration::from_secs(120)).contains(&after),
        "{after:?}"
    );
}

#[tokio::test]
async fn other_client_errors_give_up_with_status_and_body_in_the_reason() {
    let receiver = Receiver::start().await;
    for code in [400, 401, 404, 410, 422] {
        let handler = build(&http(&receiver.url(&format!("/status/{code}"))), no_base());

        let outcome = run(&handler, &document("forward")).await;

        let Outcome::GiveUp { reason } = outcome else {
            panic!("{code}: expected GiveUp, got {outcome:?}")
        };
        assert!(
            reason.contains(&format!("HTTP {code}")) && reason.contains("refused: code"),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn a_redirect_gives_up_and_is_not_followed() {
    let receiver = Receiver::start().await;
    let handler = build(&http(&receiver.url("/redirect")), no_base());

    let outcome = run(&handler, &document("forward")).await;

    assert!(
        matches!(&outcome, Outcome::GiveUp { reason } if reason.contains("302")),
        "{outcome:?}"
    );
    assert_eq!(receiver.requests().len(), 1, "the redirect was followed");
}

#[tokio::test]
async fn connection_refused_is_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let handler = build(&http(&format!("http://127.0.0.1:{port}/hooks")), no_base());

    let outcome = run(&handler, &document("forward")).await;

    let Outcome::Retry {
        after: None,
        reason,
    } = outcome
    else {
        panic!("expected Retry, got {outcome:?}")
    };
    assert!(reason.contains("could not connect"), "{reason}");
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_is_retried() {
    let receiver = Receiver::start().await;
    let mut table = http_table(&receiver.url("/slow"));
    table.insert("timeout".into(), "300ms".into());
    let handler = build(&config(table), no_base());

    let started = Instant::now();
    let outcome = run(&handler, &document("forward")).await;

    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let Outcome::Retry { reason, .. } = outcome else {
        panic!("expected Retry, got {outcome:?}")
    };
    assert!(reason.contains("no response within 300ms"), "{reason}");
}

#[test]
fn check_reports_bad_urls_secrets_timeouts_and_headers_without_quoting_them() {
    let mut table = http_table("ftp://files.example.com/drop");
    table.insert("secret".into(), "whsec_not*base64".into());
    table.insert("timeout".into(), "0s".into());
    let mut headers = toml::Table::new();
    headers.insert("Bad Name".into(), "x".into());
    headers.insert("Content-Type".into(), "text/plain".into());
    headers.insert("X-Token".into(), "line\nbreak".into());
    table.insert("headers".into(), headers.into());
    let config = config(table);

    let found = problems(&config, no_base());

    let mut keys: Vec<&str> = found.iter().map(|(key, _)| key.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "headers.Bad Name",
            "headers.Content-Type",
            "headers.X-Token",
            "secret",
            "timeout",
            "url"
        ]
    );
    let text = format!("{found:?}");
    assert!(
        !text.contains("not*base64") && !text.contains("line\\nbreak"),
        "{text}"
    );
    assert!(config
        .build(&KindContext {
            name: "under-test",
            base_dir: no_base(),
        })
        .is_err());
    assert_eq!(problems(&http("not a url"), no_base())[0].0, "url");
}

#[test]
fn debug_output_never_shows_the_secret_header_values_or_url_password() {
    let mut table = http_table("https://hooks:pa55word@example.com/lever");
    table.insert("secret".into(), WHSEC.into());
    let mut headers = toml::Table::new();
    headers.insert("Authorization".into(), "Bearer hunter2".into());
    table.insert("headers".into(), headers.into());
    let settings = config(table.clone());
    let Some(http_config) = settings.get::<HttpConfig>() else {
        panic!("kind = \"http\" builds an http config")
    };
    table.remove("kind");
    let direct: HttpConfig = toml::Value::Table(table).try_into().unwrap();
    let handler = HttpHandler::new(direct.clone()).unwrap();

    let printed = format!("{http_config:?} {direct:?} {handler:?}");

    for secret in [WHSEC, &WHSEC[6..], "hunter2", "pa55word"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(
        printed.contains("example.com") && printed.contains("Authorization"),
        "{printed}"
    );
}

#[test]
fn logs_never_show_the_secret_or_header_values() {
    // Arrange: capture everything logged at any level on this thread.
    let captured = Arc::new(Mutex::new(Vec::new()));
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || CaptureWriter(sink.clone()))
        .finish();
    // Callsites another test thread reached with no subscriber are cached as "never":
    // keep them all open before this thread's subscriber listens.
    lever_hooks::telemetry::keep_interest_open();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // Act
    runtime.block_on(async {
        let receiver = Receiver::start().await;
        let mut table = http_table(&receiver.url("/status/500"));
        table.insert("secret".into(), WHSEC.into());
        let mut headers = toml::Table::new();
        headers.insert("Authorization".into(), "Bearer hunter2".into());
        table.insert("headers".into(), headers.into());
        let handler = build(&config(table), no_base());
        run(&handler, &document("forward")).await;
    });

    // Assert
    let logs = String::from_utf8_lossy(&captured.lock().unwrap()).into_owned();
    assert!(
        logs.contains("http handler"),
        "the handler logged nothing: {logs}"
    );
    for secret in [&WHSEC[6..], "hunter2"] {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
