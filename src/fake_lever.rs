//! A fake Lever for local work and tests: the part of the Data API lever-hooks uses, served
//! from a JSON fixture with writes kept in memory, plus the webhooks Lever would send.
//!
//! # What it serves
//!
//! Under `/v1`, with HTTP Basic (an API key) or `Bearer` (a token from `/oauth/token`):
//!
//! - `GET /opportunities/:id` (`expand=applications|stage|contact|owner`), `GET /opportunities`
//!   (every documented filter: see `opportunity_list.rs`), `GET /opportunities/deleted`
//!   (`deleted_at_start/end`), `…/:id/offers`, `…/:id/notes`, `…/:id/files`;
//! - `GET /contacts/:id`, `/postings/:id`, `/users/:id`, `/requisitions/:id`, `/stages`,
//!   `/archive_reasons` (`type=hired|non-hired`), `/webhooks`;
//! - `GET /postings` (`state`, `team`, `department`, `location`, `commitment`, `level`, `tag`,
//!   `distributionChannel`, `updated_at_start/end`, `confidentiality`,
//!   `expand=hiringManager|owner|user|followers`), `GET /users` (`email`, `accessRole`,
//!   `includeDeactivated`, `external_directory_id`), `GET /requisitions`
//!   (`requisition_code`, `status`, `created_at_start/end`, `confidentiality`); lists
//!   with `confidentiality` show only non-confidential items unless asked;
//! - `GET /opportunities/:id/interviews[/:interview]`, `…/panels[/:panel]`,
//!   `…/feedback[/:feedback]`, `…/forms[/:form]`;
//! - `POST /opportunities?perform_as=` (dedupes by `contact` or email), `POST
//!   /opportunities/:id/notes`, `…/addTags`, `…/removeTags`, `…/addLinks`, `…/removeLinks`,
//!   `…/addSources`, `…/removeSources`, `…/files?perform_as=` (multipart `file`),
//!   `PUT …/stage`, `PUT …/archived`, `POST /webhooks`, `DELETE /webhooks/:id`.
//!
//! A change to an opportunity (stage, archive state, tags, links, sources, a file) sets
//! its `updatedAt`.
//!
//! Lists page with `limit` (1–100, default 100) and opaque `offset` tokens
//! (`{"data": [...], "hasNext": true, "next": "…"}`); errors are Lever's
//! `{"code": "ResourceNotFound", "message": "…"}`. Each credential has a token bucket
//! (Lever's 10 requests/s, bursts of 20, unless configured otherwise); an empty bucket
//! answers 429. `POST /oauth/token` refreshes: `grant_type=refresh_token`, `client_id`,
//! `client_secret`, `refresh_token` → a new access token (1 h) and a new refresh token.
//!
//! Test controls under `/_fake` (no credentials): `POST /_fake/fail` ([`FailureRule`]),
//! `GET /_fake/requests`, `GET /_fake/state`, `GET /_fake/deliveries`, `POST /_fake/reset-log`,
//! `POST /_fake/webhooks/stop` and `/resume` (while stopped, events are dropped, not
//! queued), `POST /_fake/opportunities/:id/delete?deleted_by=`.
//!
//! # Webhooks out
//!
//! A stage move sends `candidateStageChange`; an archive change sends
//! `candidateArchiveChange`, and also `candidateHired` when the new reason is of type
//! `hired`; a create on a posting sends `applicationCreated`; a deletion (control API)
//! sends `candidateDeleted`. They go to [`FakeLeverOptions::webhook_url`] signed with the
//! token for the event (or `default`), and to each webhook created with `POST /v1/webhooks` for that event,
//! signed with its own token, in the body `sample::signed_body` builds. `candidateId` is set
//! to the opportunity id. Deliveries run in the background, concurrently (so their order is
//! not guaranteed, as with Lever), with up to 3 retries.
//!
//! # Fixture format
//!
//! One JSON object; every key is optional and unknown keys are errors:
//!
//! ```json
//! {
//!   "apiKeys": ["key-1"],
//!   "oauthClients": [{"clientId": "…", "clientSecret": "…", "refreshToken": "…"}],
//!   "stages": [{"id": "offer", "text": "Offer"}],
//!   "archiveReasons": [{"id": "…", "text": "Hired", "status": "active", "type": "hired"}],
//!   "users": [{"id": "…", "name": "…", "email": "…"}],
//!   "postings": [{"id": "…", "text": "Backend Engineer", "categories": {…}}],
//!   "contacts": [{"id": "…", "name": "…", "emails": […], "phones": [{"type": "mobile", "value": "…"}]}],
//!   "opportunities": [{
//!     "id": "…", "contact": "<contact id>", "stage": "<stage id>", "tags": [],
//!     "archived": null,
//!     "applications": [{"id": "…", "type": "posting", "posting": "<posting id>", …}],
//!     "…": "any other field of Lever's opportunity, echoed as is"
//!   }],
//!   "offers": {"<opportunity id>": [{"id": "…", "status": "signed", "fields": […]}]},
//!   "requisitions": [{"id": "…", "requisitionCode": "…"}],
//!   "notes": {"<opportunity id>": [{"id": "…", …}]},
//!   "interviews": {"<opportunity id>": [{"id": "…", "panel": "…", "interviewers": […], …}]},
//!   "panels": {"<opportunity id>": [{"id": "…", "interviews": […], …}]},
//!   "feedback": {"<opportunity id>": [{"id": "…", "fields": […], …}]},
//!   "forms": {"<opportunity id>": [{"id": "…", "fields": […], …}]}
//! }
//! ```
//!
//! - `apiKeys` empty or absent: any API key is accepted.
//! - `stages`, `archiveReasons` and `oauthClients` are typed; `archived` is
//!   `{"archivedAt": ms, "reason": "<archive reason id>"}` or null.
//! - users, postings, contacts, requisitions, applications, offers, notes, interviews,
//!   panels, feedback and forms are echoed
//!   as written; each needs a string `id`, unique in its list.
//! - Applications are embedded objects, served as their ids unless `expand=applications`.
//! - [`Fixture::unresolved_references`] lists ids that point at nothing.
//!
//! Notes posted through the API are stored as `{id, text, fields: [{type: "note", text,
//! value}], user, secret, score, notifyFollowers, createdAt, completedAt, deletedAt}`.
//! `GET /v1/webhooks` lists webhooks without their signature tokens; `GET /_fake/state`
//! shows them.
//!
//! # Example
//!
//! ```no_run
//! use lever_hooks::fake_lever::{self, FakeLeverOptions, Fixture};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let fixture = Fixture::load("examples/fake-lever.json")?;
//! let lever = fake_lever::start(FakeLeverOptions::new(fixture)).await?;
//! let stages: serde_json::Value = reqwest::Client::new()
//!     .get(format!("{}/stages", lever.url()))
//!     .basic_auth("any-key", Some(""))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! println!("{stages}");
//! lever.stop().await;
//! # Ok(())
//! # }
//! ```

mod account;
mod api_lists;
mod api_read;
mod api_schedule;
mod api_write;
mod auth;
mod control;
mod error;
mod failure;
mod fixture;
mod multipart;
mod oauth;
mod opportunity_list;
mod opportunity_writes;
mod outbox;
mod page;
mod rate_limit;
mod references;
mod request_log;
mod server;

pub use account::{FakeLeverState, Webhook};
pub use auth::AuthKind;
pub use failure::FailureRule;
pub use fixture::{
    ArchiveReason, ArchiveReasonType, Archived, Fixture, FixtureError, OAuthClient, Opportunity,
    Stage,
};
pub use outbox::DeliveryRecord;
pub use request_log::RecordedRequest;

use crate::event::KNOWN_EVENTS;
use account::Account;
use actix_web::{web, HttpServer};
use auth::Credentials;
use failure::Failures;
use outbox::{Outbox, OutboxTask};
use rate_limit::RateLimiter;
use request_log::RequestLog;
use server::Shared;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Mutex;
use std::time::Duration;

/// Lever's rate limit: 10 requests per second, bursts of 20.
pub const LEVER_RATE_LIMIT: (u32, u32) = (10, 20);

/// Why the fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum FakeLeverError {
    /// The fixture could not be read or decoded.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The options contradict each other or are out of range.
    #[error("{0}")]
    Options(String),
    /// The HTTP client for webhooks could not be built.
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// How to start a fake.
#[derive(Clone)]
pub struct FakeLeverOptions {
    /// The account's data.
    pub fixture: Fixture,
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub listen: String,
    /// Where Lever's webhooks go, if anywhere.
    pub webhook_url: Option<String>,
    /// Signing token per event name, or `default` for the rest (for `webhook_url`).
    pub signing_tokens: BTreeMap<String, String>,
    /// `(per second, burst)` per credential; `None` turns the rate limit off.
    pub rate_limit: Option<(u32, u32)>,
}

impl std::fmt::Debug for FakeLeverOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Event names only: a signing token may be the one a real lever-hooks uses.
        let events: Vec<&String> = self.signing_tokens.keys().collect();
        f.debug_struct("FakeLeverOptions")
            .field("listen", &self.listen)
            .field("webhook_url", &self.webhook_url)
            .field("signing_tokens_for", &events)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl FakeLeverOptions {
    /// `fixture` on a free local port, no webhooks, Lever's rate limit.
    pub fn new(fixture: Fixture) -> Self {
        Self {
            fixture,
            listen: "127.0.0.1:0".to_owned(),
            webhook_url: None,
            signing_tokens: BTreeMap::new(),
            rate_limit: Some(LEVER_RATE_LIMIT),
        }
    }

    fn check(&self) -> Result<(), FakeLeverError> {
        let bad = |m: String| Err(FakeLeverError::Options(m));
        if let Some((per_second, burst)) = self.rate_limit {
            if per_second == 0 || burst == 0 {
                return bad("the rate limit needs a rate and a burst of at least 1".into());
            }
        }
        for event in self.signing_tokens.keys() {
            if event != "default" && !KNOWN_EVENTS.contains(&event.as_str()) {
                return bad(format!(
                    "signing token for \"{event}\": not one of Lever's events (or \"default\")"
                ));
            }
        }
        if self.webhook_url.is_some() && self.signing_tokens.is_empty() {
            return bad("a webhook URL needs a signing token (default or per event)".into());
        }
        Ok(())
    }
}

/// A running fake Lever.
pub struct FakeLever {
    addr: SocketAddr,
    shared: web::Data<Shared>,
    server: actix_web::dev::ServerHandle,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
    outbox: OutboxTask,
}

/// Starts a fake Lever with `options`; it serves until [`FakeLever::stop`].
pub async fn start(options: FakeLeverOptions) -> Result<FakeLever, FakeLeverError> {
    options.check()?;
    let listen_error = |source| FakeLeverError::Listen {
        addr: options.listen.clone(),
        source,
    };
    let listener = TcpListener::bind(&options.listen).map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    let client = reqwest::Client::builder()
        .user_agent("Lever-Webhooks")
        .timeout(Duration::from_secs(10))
        .build()?;
    let (outbox, outbox_task) = Outbox::start(options.webhook_url, options.signing_tokens, client);
    let fixture = options.fixture;
    let shared = web::Data::new(Shared {
        credentials: Mutex::new(Credentials::new(
            fixture.api_keys.clone(),
            fixture.oauth_clients.clone(),
        )),
        account: Mutex::new(Account::new(fixture)),
        limiter: options
            .rate_limit
            .map(|(per_second, burst)| Mutex::new(RateLimiter::new(per_second, burst))),
        failures: Mutex::new(Failures::default()),
        log: Mutex::new(RequestLog::default()),
        outbox,
    });
    let data = shared.clone();
    let server = HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .wrap(actix_web::middleware::from_fn(server::gate))
            .configure(server::configure)
    })
    .listen(listener)
    .map_err(listen_error)?
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    let handle = server.handle();
    Ok(FakeLever {
        addr,
        shared,
        server: handle,
        serving: tokio::spawn(server),
        outbox: outbox_task,
    })
}

impl FakeLever {
    /// The API base, `http://127.0.0.1:PORT/v1`.
    pub fn url(&self) -> String {
        format!("{}/v1", self.base_url())
    }

    /// The server root, `http://127.0.0.1:PORT` (the token endpoint is `/oauth/token`).
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            let local: std::net::IpAddr = match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            };
            addr.set_ip(local);
        }
        format!("http://{addr}")
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it holds now: opportunities, notes, created webhooks.
    pub fn state(&self) -> FakeLeverState {
        self.shared.account().snapshot()
    }

    /// Every API request seen since start or the last log reset.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log().requests()
    }

    /// How many requests the rate limiter answered with 429.
    pub fn rate_limited(&self) -> u64 {
        self.shared.log().rate_limited()
    }

    /// Every webhook delivery attempt so far.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.shared.outbox.log()
    }

    /// Stops sending webhooks: events from later writes are dropped for good (not queued),
    /// as if every delivery had failed; [`FakeLever::dropped_webhooks`] counts them.
    pub fn stop_webhooks(&self) {
        self.shared.outbox.set_sending(false);
    }

    /// Sends webhooks again after [`FakeLever::stop_webhooks`]; dropped events stay lost.
    pub fn resume_webhooks(&self) {
        self.shared.outbox.set_sending(true);
    }

    /// How many events were dropped while webhooks were stopped.
    pub fn dropped_webhooks(&self) -> u64 {
        self.shared.outbox.dropped()
    }

    /// Deletes an opportunity as a Lever user would in the app: it leaves
    /// `GET /opportunities`, shows in `GET /opportunities/deleted`, and `candidateDeleted`
    /// is sent. `false` when there is no such opportunity.
    pub fn delete_opportunity(&self, id: &str, deleted_by: Option<&str>) -> bool {
        self.shared.delete_opportunity(id, deleted_by).is_ok()
    }

    /// Fails the next matching requests as `rule` says.
    ///
    /// # Panics
    ///
    /// When `rule.status` is not 400–599 or `rule.times` is 0: a mistake in the test.
    pub fn fail_next(&self, rule: FailureRule) {
        if let Some(problem) = rule.problem() {
            panic!("fail_next: {problem}");
        }
        self.shared.failures().add(rule);
    }

    /// Stops serving, then gives webhook deliveries still in flight a moment to finish.
    pub async fn stop(self) {
        self.server.stop(true).await;
        let _ = self.serving.await;
        self.outbox.stop().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> FakeLeverOptions {
        FakeLeverOptions::new(Fixture::default())
    }

    #[test]
    fn a_webhook_url_without_a_signing_token_is_refused() {
        let mut options = options();
        options.webhook_url = Some("http://127.0.0.1:8080/webhooks/lever".into());
        assert!(matches!(options.check(), Err(FakeLeverError::Options(_))));
        options.signing_tokens.insert("default".into(), "t".into());
        assert!(options.check().is_ok());
    }

    #[test]
    fn a_signing_token_for_an_unknown_event_is_refused() {
        let mut options = options();
        options
            .signing_tokens
            .insert("candidateCreated".into(), "t".into());
        assert!(options.check().is_err());
    }

    #[test]
    fn a_zero_rate_limit_is_refused() {
        let mut options = options();
        options.rate_limit = Some((0, 20));
        assert!(options.check().is_err());
    }

    #[test]
    fn debug_shows_which_events_have_tokens_but_not_the_tokens() {
        let mut options = options();
        options
            .signing_tokens
            .insert("default".into(), "secret-token".into());
        let debug = format!("{options:?}");
        assert!(
            debug.contains("default") && !debug.contains("secret-token"),
            "{debug}"
        );
    }
}
