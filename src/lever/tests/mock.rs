//! A local stand-in for Lever: an actix-web server on port 0 that records every request
//! and answers with whatever the test's closure says.

use crate::lever::{ClientConfig, Credentials, LeverClient, MemoryRefreshTokenStore, RateLimit};
use actix_web::{web, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the mock received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    /// Without the query.
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: String,
    pub(crate) at: Instant,
}

impl Seen {
    /// The first value of a query parameter.
    pub(crate) fn query(&self, key: &str) -> Option<&str> {
        self.query_all(key).into_iter().next()
    }

    /// Every value of a query parameter, in order.
    pub(crate) fn query_all(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The body as a form (`application/x-www-form-urlencoded`).
    pub(crate) fn form(&self) -> HashMap<String, String> {
        pairs(&self.body).into_iter().collect()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// What the mock answers.
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Answer only after `delay`.
    pub(crate) fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Respond = dyn Fn(&Seen) -> Reply + Send + Sync;

struct State {
    seen: Mutex<Vec<Seen>>,
    respond: Box<Respond>,
}

/// The running mock.
pub(crate) struct Mock {
    base: String,
    state: web::Data<State>,
}

impl Mock {
    pub(crate) async fn start(respond: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let state = web::Data::new(State {
            seen: Mutex::new(Vec::new()),
            respond: Box::new(respond),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = state.clone();
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
        Self { base, state }
    }

    /// The Data API base (`…/v1`).
    pub(crate) fn api_base(&self) -> String {
        format!("{}/v1", self.base)
    }

    /// The token endpoint (`…/oauth/token`).
    pub(crate) fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base)
    }

    pub(crate) fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// How many requests hit `path` (e.g. `/v1/stages`).
    pub(crate) fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|s| s.path == path).count()
    }
}

async fn answer(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let seen = Seen {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: pairs(req.query_string()),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    };
    state.seen.lock().unwrap().push(seen.clone());
    let reply = (state.respond)(&seen);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response.insert_header((name.as_str(), value.as_str()));
    }
    response.body(reply.body)
}

fn pairs(encoded: &str) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(encoded)
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

/// Settings for tests: the mock's base, no practical rate limit, 3 retries, millisecond
/// backoff, 2 s timeout.
pub(crate) fn test_config(mock: &Mock, credentials: Credentials) -> ClientConfig {
    ClientConfig {
        api_base: mock.api_base(),
        credentials,
        rate: RateLimit {
            per_second: 10_000,
            burst: 10_000,
        },
        max_retries: 3,
        timeout: Duration::from_secs(2),
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(10),
    }
}

/// The API key [`api_key_client`] uses.
pub(crate) const API_KEY: &str = "test-api-key-5b0f";

/// A client for the mock with [`API_KEY`].
pub(crate) fn api_key_client(mock: &Mock) -> LeverClient {
    let config = test_config(mock, Credentials::ApiKey(API_KEY.to_owned().into()));
    LeverClient::new("acme", config, Arc::new(MemoryRefreshTokenStore::default())).unwrap()
}
