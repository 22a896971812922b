//! Test harness: spawn the app on port 0, sign deliveries like Lever, watch handlers and the store.
//!
//! Shared by the modules of `tests/it` and by the few test binaries that must run in a
//! process of their own, which include it with `#[path]` (hence its `allow(dead_code)`s).

use lever_hooks::event::EventId;
use lever_hooks::handler::async_trait;
use lever_hooks::handler::{BoxError, Handler, HandlerContext, HandlerRegistry, Outcome};
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::store::{
    Attempt, Change, ClaimedJob, IngestOutcome, Job, JobId, Millis, NewEvent, NextStep,
    PostgresStore, RecordKey, RecordPrefix, Routing, SledStore, Store, StoreError, StoredEvent,
};
use lever_hooks::{App, Config, EventDocument};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The signing token every test account uses.
pub const SIGNING_TOKEN: &str = "test-signing-token";

/// A running app and what a test needs to poke at it.
pub struct TestApp {
    pub base: String,
    /// The port `base` points at.
    pub port: u16,
    /// The admin listener's base URL, when the config has `[admin]`.
    #[allow(dead_code)] // Read by the admin tests, which share this file.
    pub admin: Option<String>,
    pub http: reqwest::Client,
    pub store: Arc<CountingStore>,
    pub stopper: lever_hooks::app::Stopper,
    pub running: tokio::task::JoinHandle<Result<(), lever_hooks::app::AppError>>,
}

/// Config shared by the tests; `extra` is appended (handlers, routes, more accounts).
pub fn config_text(extra: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
workers = 1
shutdown_grace = "5s"

[lever]
signing_tokens = {{ default = ["{SIGNING_TOKEN}"] }}

[accounts.acme]
signing_tokens = {{ default = ["acme-token"] }}

[retry]
max_attempts = 3
initial_backoff = "10ms"
max_backoff = "50ms"

{extra}
"#
    )
}

/// Defines `sled::NAME` and `postgres::NAME` tests for each `pub async fn NAME()` listed,
/// running it with [`helpers::spawn_app`] on that store.
#[allow(unused_macros)] // Used by the binaries that run tests on both stores.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sled {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name().await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::helpers::on_postgres(super::$name()).await
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_stores;

tokio::task_local! {
    /// Set (to the test database's URL) while a test runs on PostgreSQL: see
    /// [`on_postgres`].
    static ON_POSTGRES: String;
}

/// The test database (see README "PostgreSQL"), when `LEVER_HOOKS_TEST_DATABASE_URL` is set.
#[allow(dead_code)] // Used by the binaries that run tests on both stores.
pub fn postgres_url() -> Option<String> {
    std::env::var("LEVER_HOOKS_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Runs `test` with every [`spawn_app`] in it on PostgreSQL (a fresh schema each), or
/// says it was skipped when no test database is configured.
#[allow(dead_code)] // Used by the binaries that run tests on both stores.
pub async fn on_postgres(test: impl std::future::Future<Output = ()>) {
    let Some(url) = postgres_url() else {
        eprintln!("skipped: PostgreSQL suite needs LEVER_HOOKS_TEST_DATABASE_URL (see README \"PostgreSQL\")");
        return;
    };
    ON_POSTGRES.scope(url, test).await
}

/// An empty PostgreSQL store in a schema of its own.
async fn postgres_store(url: &str) -> Arc<dyn Store> {
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(url).await.expect("the test database");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("creating a test schema");
    admin.close().await;
    let url = lever_hooks::store::postgres::url_with_schema(url, &schema);
    Arc::new(
        PostgresStore::connect(&url, 4)
            .await
            .expect("the test store"),
    )
}

/// Spawns the app with `plugins` and the given extra config on a temporary store: sled,
/// or PostgreSQL inside [`on_postgres`].
pub async fn spawn_app(extra: &str, plugins: HandlerRegistry) -> TestApp {
    let store: Arc<dyn Store> = match ON_POSTGRES.try_with(|url| url.clone()) {
        Ok(url) => postgres_store(&url).await,
        Err(_) => Arc::new(SledStore::temporary().expect("temporary store")),
    };
    spawn_app_on(extra, plugins, store).await
}

/// Spawns the app on a given store (wrapped so tests can count ingests).
pub async fn spawn_app_on(extra: &str, plugins: HandlerRegistry, inner: Arc<dyn Store>) -> TestApp {
    let text = config_text(extra);
    let config = Config::parse(&text, Path::new("."), &|_| None, &plugins)
        .unwrap_or_else(|e| panic!("test config is invalid: {e}"));
    spawn_app_with_config(&config, plugins, inner).await
}

/// Spawns the app with a whole config of the test's own instead of [`config_text`]
/// (the server's own settings: TLS, timeouts) on a given store, wrapped as in
/// [`spawn_app_on`].
pub async fn spawn_app_with_config(
    config: &Config,
    plugins: HandlerRegistry,
    inner: Arc<dyn Store>,
) -> TestApp {
    let store = Arc::new(CountingStore::new(inner));
    let app = App::build_with_store(config, plugins, store.clone())
        .await
        .expect("app builds");
    let port = app.port();
    let base = format!("http://127.0.0.1:{port}");
    let admin = app
        .admin_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let stopper = app.stopper();
    let running = tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        port,
        admin,
        http: reqwest::Client::new(),
        store,
        stopper,
        running,
    }
}

impl TestApp {
    /// Where the app listens.
    #[allow(dead_code)] // Used by the TLS and slow-client tests, which share this file.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// POSTs raw bytes to `path`; returns the status and the JSON answer.
    pub async fn post(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request reaches the app");
        let status = response.status().as_u16();
        let json = response.json().await.unwrap_or(Value::Null);
        (status, json)
    }

    /// POSTs a delivery to the default account.
    pub async fn deliver(&self, body: Vec<u8>) -> (u16, Value) {
        self.post("/webhooks/lever", body).await
    }

    /// Stops the app and waits for a clean exit.
    pub async fn stop(self) {
        self.stopper.stop();
        let result = tokio::time::timeout(Duration::from_secs(10), self.running)
            .await
            .expect("app stops within 10s")
            .expect("app task did not panic");
        assert!(result.is_ok(), "app stopped with an error: {result:?}");
    }
}

/// A signed delivery of `sample`, triggered now.
pub fn delivery(sample: &SampleEvent) -> Vec<u8> {
    signed_body(
        SIGNING_TOKEN,
        &sample.event,
        &sample.data(now()),
        now(),
        &random_token(),
    )
}

/// Now, in ms since the epoch.
pub fn now() -> u64 {
    lever_hooks::store::now_millis()
}

/// The `id` of an accepted answer as an [`EventId`].
pub fn event_id(answer: &Value) -> EventId {
    EventId::new(answer["id"].as_str().expect("answer has an id"))
}

/// Waits until `check` holds, polling; panics with `what` after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The jobs of an event, once routing has created them.
pub async fn jobs_of(app: &TestApp, id: &EventId) -> Vec<Job> {
    app.store.jobs_of(id).await.expect("store reads")
}

/// A plugin that gives up while `failing`, else is done; counts its calls.
#[allow(dead_code)] // Used by the admin, admin CLI and dashboard tests, which share this file.
#[derive(Clone, Default)]
pub struct Switch {
    pub failing: Arc<AtomicBool>,
    pub calls: Arc<AtomicUsize>,
}

#[async_trait]
impl Handler for Switch {
    async fn handle(&self, _: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            Ok(Outcome::give_up("the provider said no"))
        } else {
            Ok(Outcome::Done)
        }
    }
}

/// Spawns the app with `[admin]` behind `admin_token` and every event routed to `switch`
/// (registered as "switch").
#[allow(dead_code)] // Used by the admin, admin CLI and dashboard tests, which share this file.
pub async fn spawn_with_switch(admin_token: &str, switch: &Switch) -> TestApp {
    let extra = format!(
        "[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"{admin_token}\"\n\n[[routes]]\nevents = [\"*\"]\nhandler = \"switch\"\n"
    );
    spawn_app(
        &extra,
        HandlerRegistry::new().register("switch", switch.clone()),
    )
    .await
}

/// What a [`Recorder`] does on each call.
#[derive(Clone, Copy, Debug)]
pub enum Script {
    /// Always done.
    Succeed,
    /// Fail (Err) this many times per event, then done.
    FailTimes(u32),
    /// Always `Outcome::GiveUp`.
    GiveUp,
    /// Ask for a retry after this many ms, once per event, then done.
    RetryAfterOnce(u64),
    /// Sleep this many ms, then done.
    Sleep(u64),
}

/// A Rust plugin that records every document it sees on a channel.
pub struct Recorder {
    script: Script,
    seen: mpsc::UnboundedSender<EventDocument>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

/// The test's side of a [`Recorder`].
pub struct Recorded {
    pub docs: mpsc::UnboundedReceiver<EventDocument>,
    pub max_in_flight: Arc<AtomicUsize>,
}

impl Recorder {
    /// A recorder following `script`, and the receiver of what it saw.
    pub fn new(script: Script) -> (Self, Recorded) {
        let (seen, docs) = mpsc::unbounded_channel();
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let recorder = Self {
            script,
            seen,
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: max_in_flight.clone(),
        };
        (
            recorder,
            Recorded {
                docs,
                max_in_flight,
            },
        )
    }
}

#[async_trait]
impl Handler for Recorder {
    async fn handle(
        &self,
        doc: &EventDocument,
        _ctx: &HandlerContext,
    ) -> Result<Outcome, BoxError> {
        let now_in_flight = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight
            .fetch_max(now_in_flight, Ordering::SeqCst);
        let _ = self.seen.send(doc.clone());
        let outcome = match self.script {
            Script::Succeed => Ok(Outcome::Done),
            Script::FailTimes(n) if doc.attempt <= n => {
                Err(format!("simulated failure {}", doc.attempt).into())
            }
            Script::FailTimes(_) => Ok(Outcome::Done),
            Script::GiveUp => Ok(Outcome::give_up("simulated permanent failure")),
            Script::RetryAfterOnce(ms) if doc.attempt == 1 => Ok(Outcome::Retry {
                after: Some(Duration::from_millis(ms)),
                reason: "asked to wait".into(),
            }),
            Script::RetryAfterOnce(_) => Ok(Outcome::Done),
            Script::Sleep(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(Outcome::Done)
            }
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        outcome
    }
}

impl Recorded {
    /// The next document, or a panic after `limit`.
    pub async fn next(&mut self, limit: Duration) -> EventDocument {
        tokio::time::timeout(limit, self.docs.recv())
            .await
            .expect("a handler call within the limit")
            .expect("recorder alive")
    }

    /// Asserts nothing more arrives within `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        if let Ok(Some(doc)) = tokio::time::timeout(wait, self.docs.recv()).await {
            panic!("unexpected handler call: {} {}", doc.event, doc.id);
        }
    }
}

/// A store wrapper that counts ingests and can be told to fail them.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    pub ingests: AtomicUsize,
    pub fail_ingest: std::sync::atomic::AtomicBool,
    pub accepted: Mutex<Vec<EventId>>,
}

impl CountingStore {
    fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            ingests: AtomicUsize::new(0),
            fail_ingest: Default::default(),
            accepted: Mutex::new(Vec::new()),
        }
    }

    /// How many events the store accepted so far.
    pub fn accepted_count(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }
}

#[async_trait]
impl Store for CountingStore {
    async fn ingest(&self, event: NewEvent) -> Result<IngestOutcome, StoreError> {
        self.ingests.fetch_add(1, Ordering::SeqCst);
        if self.fail_ingest.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("simulated disk failure".into()));
        }
        let outcome = self.inner.ingest(event).await?;
        if let IngestOutcome::Accepted(id) = &outcome {
            self.accepted.lock().unwrap().push(id.clone());
        }
        Ok(outcome)
    }
    async fn remember_token(
        &self,
        account: &str,
        token: &str,
        received_at: Millis,
    ) -> Result<(), StoreError> {
        self.inner.remember_token(account, token, received_at).await
    }
    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.unrouted(limit).await
    }
    async fn take_unrouted(
        &self,
        limit: usize,
        now: Millis,
        lease: Duration,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.take_unrouted(limit, now, lease).await
    }
    async fn changed(&self, kind: Change) {
        self.inner.changed(kind).await
    }
    async fn route(&self, routed: Vec<Routing>) -> Result<(), StoreError> {
        self.inner.route(routed).await
    }
    async fn claim(
        &self,
        now: Millis,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        self.inner.claim(now, limit, lease).await
    }
    async fn finish_attempt(
        &self,
        job: &JobId,
        attempt: Attempt,
        next: NextStep,
    ) -> Result<(), StoreError> {
        self.inner.finish_attempt(job, attempt, next).await
    }
    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.inner.next_due().await
    }
    async fn due_count(&self, now: Millis) -> Result<Option<usize>, StoreError> {
        self.inner.due_count(now).await
    }
    async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.inner.event(id).await
    }
    async fn jobs_of(&self, id: &EventId) -> Result<Vec<Job>, StoreError> {
        self.inner.jobs_of(id).await
    }
    async fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush().await
    }
    async fn event_view(
        &self,
        id: &EventId,
    ) -> Result<Option<lever_hooks::store::EventView>, StoreError> {
        self.inner.event_view(id).await
    }
    async fn list_events(
        &self,
        filter: &lever_hooks::store::EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<lever_hooks::store::EventPage, StoreError> {
        self.inner.list_events(filter, before, limit).await
    }
    async fn replay(
        &self,
        event: &EventId,
        handler: Option<&str>,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        self.inner.replay(event, handler, now).await
    }
    async fn retry_dead(
        &self,
        filter: &lever_hooks::store::EventFilter,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        self.inner.retry_dead(filter, now).await
    }
    async fn purge_events(
        &self,
        filter: &lever_hooks::store::EventFilter,
        now: Millis,
    ) -> Result<usize, StoreError> {
        self.inner.purge_events(filter, now).await
    }
    async fn prune(&self, cutoff: Millis) -> Result<usize, StoreError> {
        self.inner.prune(cutoff).await
    }
    async fn record(&self, key: &RecordKey) -> Result<Option<serde_json::Value>, StoreError> {
        self.inner.record(key).await
    }
    async fn put_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.inner.put_record(key, value).await
    }
    async fn insert_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.inner.insert_record(key, value).await
    }
    async fn records(
        &self,
        prefix: &RecordPrefix,
    ) -> Result<Vec<(RecordKey, serde_json::Value)>, StoreError> {
        self.inner.records(prefix).await
    }
    async fn delete_record(&self, key: &RecordKey) -> Result<(), StoreError> {
        self.inner.delete_record(key).await
    }
}
