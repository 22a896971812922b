//! Everything lever-hooks logs during a full run, errors included, captured at debug
//! level: no signing token, API key, OAuth secret or token, or provider credential ever
//! appears, and candidates' emails, phones and names are not logged at info or above.
//!
//! The run: a fake Lever on OAuth (rotating refresh tokens through a recording proxy),
//! a second account on an API key, a provider that fails once, a background check, a
//! hire, a forged delivery, and a delivery for an unknown account.
//!
//! Its own test binary: it installs the process-wide tracing subscriber, and would also
//! capture (and judge) the logs of every other test in the same process.

use actix_web::{web, HttpResponse};
use lever_hooks::fake_lever::{self, FakeLeverOptions, Fixture};
use lever_hooks::store::{SledStore, Store};
use lever_hooks::{App, Config, HandlerRegistry};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SIGNING_TOKEN: &str = "signing-SECRET-5f0c2e";
const OTHER_SIGNING_TOKEN: &str = "other-signing-SECRET-77aa";
const API_KEY: &str = "api-key-SECRET-91b3";
const CLIENT_SECRET: &str = "fake-client-secret";
const FIRST_REFRESH_TOKEN: &str = "fake-refresh-token-0";
const PROVIDER_CREDENTIAL: &str = "provider-SECRET-4d21";
const DANA_BACKEND: &str = "422acab5-9248-4974-bf41-6c30f1f0742a";
const BACKGROUND_CHECK: &str = "5d96cf7f-265b-4da9-8f0c-26ef4243ed52";
const ELENA_OFFER: &str = "0e0bc896-afbe-49a6-adbb-8cb8ef65ed78";
const HIRED: &str = "9823beb1-e6ba-4ad7-8de4-5321ad915a36";
/// Personal data from examples/fake-lever.json.
const PERSONAL: [&str; 6] = [
    "dana.whitfield@example.com",
    "+1 510 555 0142",
    "Dana Whitfield",
    "elena.marquez@example.com",
    "+1 415 555 0119",
    "Elena Marquez",
];

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

/// Forwards the OAuth token endpoint to the fake and remembers every token it hands out.
async fn token_proxy(
    form: web::Bytes,
    target: web::Data<(String, Arc<Mutex<Vec<String>>>)>,
) -> HttpResponse {
    let answer = reqwest::Client::new()
        .post(&target.0)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_vec())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.unwrap_or_default();
    for key in ["access_token", "refresh_token"] {
        if let Some(token) = body[key].as_str() {
            target.1.lock().unwrap().push(token.to_owned());
        }
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(body)
}

/// A provider that answers 503 once, then `{"id": …}`.
async fn provider(calls: web::Data<AtomicUsize>, body: web::Json<Value>) -> HttpResponse {
    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
        return HttpResponse::ServiceUnavailable().body("try again");
    }
    HttpResponse::Ok().json(json!({"id": format!("{}-1", body["action"].as_str().unwrap_or("x"))}))
}

fn serve<F: actix_web::dev::HttpServiceFactory + 'static>(
    make: impl Fn() -> F + Send + Clone + 'static,
) -> String {
    let server = actix_web::HttpServer::new(move || actix_web::App::new().service(make()))
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_run_logs_no_secret_and_no_personal_data_at_info() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter("debug")
        .with_writer(move || writer.clone())
        .init();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let fixture = Fixture::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/fake-lever.json"
    ))
    .unwrap();
    let mut options = FakeLeverOptions::new(fixture);
    options.webhook_url = Some(format!("{base}/webhooks/lever"));
    options.signing_tokens = BTreeMap::from([("default".to_owned(), SIGNING_TOKEN.to_owned())]);
    let lever = fake_lever::start(options).await.unwrap();
    let issued = Arc::new(Mutex::new(Vec::new()));
    let target = web::Data::new((format!("{}/oauth/token", lever.base_url()), issued.clone()));
    let proxy = serve(move || {
        web::resource("/token")
            .app_data(target.clone())
            .route(web::post().to(token_proxy))
    });
    let calls = web::Data::new(AtomicUsize::new(0));
    let provider = serve(move || {
        web::resource("/provider")
            .app_data(calls.clone())
            .route(web::post().to(provider))
    });

    let text = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
workers = 1

[lever]
signing_tokens = {{ default = ["{SIGNING_TOKEN}"] }}
api_base = "{api}"
oauth = {{ client_id = "fake-client-id", client_secret = "{CLIENT_SECRET}", refresh_token = "{FIRST_REFRESH_TOKEN}", token_url = "{proxy}/token" }}

[accounts.other]
signing_tokens = {{ default = ["{OTHER_SIGNING_TOKEN}"] }}
api_base = "{api}"
api_key = "{API_KEY}"

[retry]
initial_backoff = "20ms"
max_backoff = "100ms"

[handlers.bgcheck]
kind = "background-check"
provider = {{ kind = "http", url = "{provider}/provider", headers = {{ Authorization = "Bearer {PROVIDER_CREDENTIAL}" }} }}

[handlers.hris]
kind = "hris"
provider = {{ kind = "http", url = "{provider}/provider", headers = {{ Authorization = "Bearer {PROVIDER_CREDENTIAL}" }} }}

[[routes]]
events = ["candidateStageChange"]
to_stage = "Background Check"
handler = "bgcheck"

[[routes]]
events = ["hired"]
handler = "hris"
"#,
        api = lever.url(),
    );
    let config = Config::parse(&text, Path::new("."), &|_| None, &HandlerRegistry::new()).unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let app = App::build_with_store(&config, HandlerRegistry::new(), store.clone())
        .await
        .unwrap();
    let stopper = app.stopper();
    let running = tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();

    for (opportunity, path, body) in [
        (DANA_BACKEND, "stage", json!({"stage": BACKGROUND_CHECK})),
        (ELENA_OFFER, "archived", json!({"reason": HIRED})),
    ] {
        http.put(format!(
            "{}/opportunities/{opportunity}/{path}",
            lever.url()
        ))
        .basic_auth("recruiter", Some(""))
        .json(&body)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    }
    // A forged delivery, one for the other account, one for an account that does not exist.
    let now = lever_hooks::store::now_millis();
    let forged = lever_hooks::sample::signed_body(
        "not-the-token",
        "candidateHired",
        &json!({"opportunityId": DANA_BACKEND}),
        now,
        "tok-1",
    );
    let other = lever_hooks::sample::signed_body(
        OTHER_SIGNING_TOKEN,
        "candidateHired",
        &json!({"opportunityId": DANA_BACKEND}),
        now,
        "tok-2",
    );
    for (path, body, expected) in [
        ("/webhooks/lever", forged, 401),
        ("/webhooks/lever/other", other, 200),
        ("/webhooks/lever/nobody", b"{}".to_vec(), 404),
    ] {
        let status = http
            .post(format!("{base}{path}"))
            .body(body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, expected, "{path}");
    }
    let notes = |opportunity: &str| {
        lever
            .state()
            .notes_of(opportunity)
            .iter()
            .filter(|n| n.to_string().contains("lever-hooks ref"))
            .count()
    };
    for _ in 0..500 {
        if notes(DANA_BACKEND) > 0 && notes(ELENA_OFFER) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        notes(DANA_BACKEND) > 0 && notes(ELENA_OFFER) > 0,
        "both handlers finished"
    );
    stopper.stop();
    running.await.unwrap().unwrap();
    lever.stop().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    eprintln!("captured {} log lines", log.lines().count());
    assert!(
        log.contains("\"outcome\":\"accepted\""),
        "the capture saw the deliveries"
    );
    assert!(
        log.contains("\"outcome\":\"retry\"") || log.contains("503"),
        "and the provider failure"
    );
    let issued = issued.lock().unwrap().clone();
    assert!(issued.len() >= 2, "OAuth tokens were issued: {issued:?}");
    let secrets = [
        SIGNING_TOKEN,
        OTHER_SIGNING_TOKEN,
        API_KEY,
        CLIENT_SECRET,
        FIRST_REFRESH_TOKEN,
        PROVIDER_CREDENTIAL,
    ];
    for secret in secrets
        .iter()
        .copied()
        .chain(issued.iter().map(String::as_str))
    {
        assert!(!log.contains(secret), "a secret reached the log: {secret}");
    }
    for line in log.lines() {
        let entry: Value = serde_json::from_str(line).unwrap_or_default();
        if matches!(entry["level"].as_str(), Some("INFO" | "WARN" | "ERROR")) {
            for personal in PERSONAL {
                assert!(
                    !line.contains(personal),
                    "personal data at {}: {line}",
                    entry["level"]
                );
            }
        }
    }
}
