//! End to end through the Lever-aware handlers: the fake Lever sends a signed webhook as a
//! recruiter's change would, lever-hooks stores and routes it, the handler reads the
//! opportunity back through the Data API, calls the provider (a recording HTTP server
//! here), and writes notes and tags that the fake Lever then shows.

mod assessment;
mod background_check;
mod data_api;
mod hris;
mod plugin_kind;
use crate::contract::pg;
mod registration;
mod replay;
mod results;
mod route_conditions;
mod scheduling;
mod tagging;

use actix_web::{web, HttpRequest, HttpResponse};
use lever_hooks::app::AppError;
use lever_hooks::fake_lever::{self, FakeLever, FakeLeverOptions, Fixture};
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::store::{JobState, SledStore, Store};
use lever_hooks::{App, Config};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// Ids in examples/fake-lever.json.
/// Stage "Background Check".
pub const BACKGROUND_CHECK: &str = "5d96cf7f-265b-4da9-8f0c-26ef4243ed52";
/// Stage "Assessment".
pub const ASSESSMENT: &str = "5e6a0a2e-dd70-434d-81d7-7cffb7decc0c";
/// Stage "Phone Screen".
pub const PHONE_SCREEN: &str = "566bf9d7-c55a-45f8-91a6-e55e9b9b1325";
/// Archive reason "Hired" (type hired).
pub const HIRED: &str = "9823beb1-e6ba-4ad7-8de4-5321ad915a36";
/// Archive reason "Withdrew" (type non-hired).
pub const WITHDREW: &str = "aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26";
/// Contact Dana Whitfield, who has two opportunities.
pub const DANA: &str = "699f071a-5fd8-4665-a9df-dec6baecde5b";
/// Dana on Backend Engineer, in Phone Screen.
pub const DANA_BACKEND: &str = "422acab5-9248-4974-bf41-6c30f1f0742a";
/// Dana on Account Executive, a new applicant.
pub const DANA_SALES: &str = "3a7cfb36-6088-455f-8763-54b65ed08d6b";
/// Sam Okafor on Backend Engineer, in Phone Screen, with no email anywhere.
pub const SAM_NO_EMAIL: &str = "26ad41ef-88c2-49d9-b7c9-90fad57dcafd";
/// Elena Marquez on Backend Engineer, in Offer with a signed offer.
pub const ELENA_OFFER: &str = "0e0bc896-afbe-49a6-adbb-8cb8ef65ed78";
/// Contact Elena Marquez.
pub const ELENA: &str = "0e46c215-b5fa-4b0c-9b18-bd763f20134c";
/// The user writes are performed as.
pub const INTEGRATION_USER: &str = "d330a549-4d14-4f1a-8cc3-46363c234038";

/// The secret the recording provider signs its results with (`callback_secret`).
pub const CALLBACK_SECRET: &str = "flows-callback-secret";

/// The signing token the fake signs with and lever-hooks verifies.
pub const SIGNING_TOKEN: &str = "flows-signing-token";

/// One request a [`Provider`] got: its `Idempotency-Key` header and its body.
pub type ProviderRequest = (Option<String>, Value);

/// A provider that records every request and answers `{"id": …}` (and a `schedulingUrl`
/// to `schedule`), the same id for the same idempotency key; it can be told to fail the next N requests with 503.
#[derive(Clone, Default)]
pub struct Provider {
    /// Every request body, in arrival order, with its `Idempotency-Key` header.
    pub requests: Arc<Mutex<Vec<ProviderRequest>>>,
    /// Requests still to answer 503.
    pub fail_next: Arc<AtomicUsize>,
    /// The URL to configure.
    pub url: String,
}

impl Provider {
    /// A recording provider on a free local port.
    pub async fn start() -> Self {
        let mut provider = Provider::default();
        let state = provider.clone();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(web::Data::new(state.clone()))
                .default_service(web::to(answer))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        provider.url = format!("http://{}/provider", server.addrs()[0]);
        tokio::spawn(server.run());
        provider
    }

    /// The request bodies so far.
    pub fn bodies(&self) -> Vec<Value> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// The request bodies whose `action` is `action`.
    pub fn actions(&self, action: &str) -> Vec<Value> {
        self.bodies()
            .into_iter()
            .filter(|b| b["action"] == action)
            .collect()
    }
}

async fn answer(
    req: HttpRequest,
    body: web::Json<Value>,
    state: web::Data<Provider>,
) -> HttpResponse {
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = body.into_inner();
    state.requests.lock().unwrap().push((key, body.clone()));
    let failing = state
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        return HttpResponse::ServiceUnavailable().body("provider is down");
    }
    let action = body["action"].as_str().unwrap_or("request");
    let key = body["idempotencyKey"].as_str().unwrap_or_default();
    let id = format!("{action}-{:08x}", fnv(key));
    let mut answer = json!({ "id": id });
    if action == "schedule" {
        answer["schedulingUrl"] = json!(format!("https://schedule.example.com/book/{id}"));
    }
    HttpResponse::Ok().json(answer)
}

/// A small stable hash, so the same idempotency key always gets the same id.
fn fnv(text: &str) -> u32 {
    text.bytes().fold(0x811c9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x01000193)
    })
}

/// The fake Lever, lever-hooks and the provider, wired together.
pub struct Flow {
    pub lever: FakeLever,
    pub provider: Provider,
    pub store: Arc<dyn Store>,
    pub base: String,
    stopper: lever_hooks::app::Stopper,
    running: tokio::task::JoinHandle<Result<(), lever_hooks::app::AppError>>,
}

/// A free local port (bound and released; fine for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The example fixture.
pub fn example() -> Fixture {
    Fixture::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/fake-lever.json"
    ))
    .expect("examples/fake-lever.json loads")
}

/// Handler sections for each built-in Lever handler, calling `provider`.
pub fn handlers(provider: &str) -> String {
    format!(
        r#"
[handlers.bgcheck]
kind = "background-check"
provider = {{ kind = "http", url = "{provider}" }}
package = "standard"
callback_secret = "{CALLBACK_SECRET}"

[handlers.bgcheck.on_result.clear]
add_tags = ["Report Clear"]
stage = "Offer"

[[routes]]
events = ["candidateStageChange"]
to_stage = "background check"
handler = "bgcheck"

[[routes]]
events = ["archived", "candidateDeleted"]
handler = "bgcheck"

[handlers.assessment]
kind = "assessment"
provider = {{ kind = "http", url = "{provider}" }}
assessment = "backend-take-home"

[[routes]]
events = ["candidateStageChange"]
to_stage = "{ASSESSMENT}"
handler = "assessment"

[handlers.hris]
kind = "hris"
provider = {{ kind = "http", url = "{provider}" }}

[[routes]]
events = ["hired"]
handler = "hris"
"#
    )
}

impl Flow {
    /// Everything on the example fixture, with Lever's rate limit on the fake and a
    /// slightly lower one on the client.
    pub async fn start() -> Flow {
        Self::start_with(|_| {}).await
    }

    /// Like [`Flow::start`], with the fake's options changed by `change`.
    pub async fn start_with(change: impl FnOnce(&mut FakeLeverOptions)) -> Flow {
        Self::start_custom(change, (8, 15)).await
    }

    /// Like [`Flow::start_with`], with the client's rate limit `(per_second, burst)`.
    pub async fn start_custom(
        change: impl FnOnce(&mut FakeLeverOptions),
        client_rate: (u32, u32),
    ) -> Flow {
        Self::start_with_plugins(change, client_rate, HandlerRegistry::new(), |_| {
            String::new()
        })
        .await
    }

    /// Like [`Flow::start_custom`], with `plugins` (kinds and handlers registered in code)
    /// and more config: `extra(provider_url)` is appended to the built-ins' sections.
    pub async fn start_with_plugins(
        change: impl FnOnce(&mut FakeLeverOptions),
        client_rate: (u32, u32),
        plugins: HandlerRegistry,
        extra: impl Fn(&str) -> String,
    ) -> Flow {
        let provider = Provider::start().await;
        let mut options = FakeLeverOptions::new(example());
        options.signing_tokens = BTreeMap::from([("default".to_owned(), SIGNING_TOKEN.to_owned())]);
        // Delivering to the app unless `change` says not to; the URL is set per attempt.
        options.webhook_url = Some(String::new());
        change(&mut options);
        let delivers = options.webhook_url.is_some();
        // The fake needs the app's URL and the app the fake's, so the app's port is picked
        // before it binds; another test may take it meanwhile, and then a fresh one is tried.
        let mut attempts = 0;
        let (lever, base, store, app) = loop {
            attempts += 1;
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}");
            let mut options = options.clone();
            options.webhook_url = delivers.then(|| format!("{base}/webhooks/lever"));
            let lever = fake_lever::start(options).await.expect("the fake starts");
            let text = format!(
                r#"
[server]
listen = "127.0.0.1:{port}"
workers = 1
shutdown_grace = "5s"

[lever]
signing_tokens = {{ default = ["{SIGNING_TOKEN}"] }}
api_base = "{api}"
api_key = "flows-api-key"
perform_as = "{INTEGRATION_USER}"
api_rate_limit = {{ per_second = {rate}, burst = {burst} }}

[retry]
max_attempts = 5
initial_backoff = "20ms"
max_backoff = "200ms"
{handlers}
{extra}
"#,
                api = lever.url(),
                rate = client_rate.0,
                burst = client_rate.1,
                handlers = handlers(&provider.url),
                extra = extra(&provider.url),
            );
            let config = Config::parse(&text, Path::new("."), &|_| None, &plugins)
                .unwrap_or_else(|e| panic!("test config is invalid: {e}"));
            let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
            match App::build_with_store(&config, plugins.clone(), store.clone()).await {
                Ok(app) => break (lever, base, store, app),
                Err(AppError::Io(e))
                    if e.kind() == std::io::ErrorKind::AddrInUse && attempts < 5 =>
                {
                    eprintln!("port {port} was taken before the app bound it; trying another");
                }
                Err(e) => panic!("app builds: {e:?}"),
            }
        };
        let stopper = app.stopper();
        let running = tokio::spawn(app.run_until_stopped());
        Flow {
            lever,
            provider,
            store,
            base,
            stopper,
            running,
        }
    }

    /// Moves an opportunity to `stage` in the fake Lever, as a recruiter would.
    pub async fn move_to(&self, opportunity: &str, stage: &str) {
        self.recruiter_put(
            &format!("/opportunities/{opportunity}/stage"),
            json!({ "stage": stage }),
        )
        .await;
    }

    /// Archives an opportunity with `reason` in the fake Lever.
    pub async fn archive(&self, opportunity: &str, reason: &str) {
        self.recruiter_put(
            &format!("/opportunities/{opportunity}/archived"),
            json!({ "reason": reason }),
        )
        .await;
    }

    async fn recruiter_put(&self, path: &str, body: Value) {
        let response = reqwest::Client::new()
            .put(format!("{}{path}", self.lever.url()))
            .basic_auth("recruiter-key", Some(""))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    /// The note texts on an opportunity (fixture notes included).
    pub fn notes(&self, opportunity: &str) -> Vec<String> {
        self.lever
            .state()
            .notes_of(opportunity)
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// The tags on an opportunity now.
    pub fn tags(&self, opportunity: &str) -> Vec<String> {
        self.lever
            .state()
            .opportunity(opportunity)
            .map(|o| o.tags.clone())
            .unwrap_or_default()
    }

    /// POSTs a delivery signed like Lever to lever-hooks directly; returns the event id.
    pub async fn deliver(&self, event: &str, data: Value) -> lever_hooks::event::EventId {
        let now = lever_hooks::store::now_millis();
        let body = lever_hooks::sample::signed_body(
            SIGNING_TOKEN,
            event,
            &data,
            now,
            &lever_hooks::sample::random_token(),
        );
        let response = reqwest::Client::new()
            .post(format!("{}/webhooks/lever", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        lever_hooks::event::EventId::new(answer["id"].as_str().unwrap())
    }

    /// Waits until every job of `event` is finished; returns their states by handler.
    pub async fn finished(&self, event: &lever_hooks::event::EventId) -> Vec<(String, JobState)> {
        let mut last = Vec::new();
        for _ in 0..1000 {
            let jobs = self.store.jobs_of(event).await.unwrap();
            last = jobs.iter().map(|j| (j.handler.clone(), j.state)).collect();
            if !jobs.is_empty() && jobs.iter().all(|j| j.state != JobState::Pending) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("jobs of {event} never finished: {last:?}");
    }

    /// Stops lever-hooks and the fake.
    pub async fn stop(self) {
        self.stopper.stop();
        let stopped = tokio::time::timeout(Duration::from_secs(10), self.running)
            .await
            .expect("lever-hooks stops within 10 s")
            .expect("no panic");
        assert!(stopped.is_ok(), "{stopped:?}");
        self.lever.stop().await;
    }
}

/// Waits until `check` holds, polling; panics with `what` after 10 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Gives background work time to do something it should not.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}
