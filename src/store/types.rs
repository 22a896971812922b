//! The records a [`Store`](super::Store) keeps, shared by every backend.

use crate::event::{ContactId, EventId, EventSource, OpportunityId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Milliseconds since the Unix epoch.
pub type Millis = u64;

/// The current time in [`Millis`].
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// A verified delivery, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Our id for it.
    pub id: EventId,
    /// The account it came in for.
    pub account: String,
    /// The Lever event name.
    pub event: String,
    /// Lever's `triggeredAt`.
    pub triggered_at: Millis,
    /// When we received it.
    pub received_at: Millis,
    /// Lever's per-delivery token (remembered for the replay check).
    pub token: String,
    /// Lever's envelope `id`, when sent.
    pub envelope_id: Option<String>,
    /// `id:…` or `sha256:…` (design.md "Dedupe key").
    pub dedupe_key: String,
    /// SHA-256 of event, triggeredAt and canonical data: same token + same hash = duplicate.
    pub content_hash: [u8; 32],
    /// The candidacy, when known.
    pub opportunity_id: Option<OpportunityId>,
    /// The person, when known.
    pub contact_id: Option<ContactId>,
    /// `data` as Lever sent it.
    pub data: Box<RawValue>,
}

/// What [`Store::ingest`](super::Store::ingest) decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// New and now durable.
    Accepted(EventId),
    /// Already stored as this event.
    Duplicate(EventId),
    /// The token was used before with different content: a replay with altered data.
    TokenReused,
}

/// An event as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// Our id.
    pub id: EventId,
    /// Store order: larger means stored later.
    pub seq: u64,
    /// The account.
    pub account: String,
    /// The Lever event name.
    pub event: String,
    /// Lever's `triggeredAt`.
    pub triggered_at: Millis,
    /// When we received it.
    pub received_at: Millis,
    /// Lever's envelope `id`, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope_id: Option<String>,
    /// The dedupe key.
    pub dedupe_key: String,
    /// The candidacy, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<OpportunityId>,
    /// The person, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// `data` as Lever sent it, or only its ids and times once purged.
    pub data: Box<RawValue>,
    /// When `data` was cut down to a tombstone because the opportunity was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purged_at: Option<Millis>,
}

impl StoredEvent {
    /// Where the event came from (a webhook, reconciliation, a provider).
    pub fn source(&self) -> EventSource {
        EventSource::of(&self.event, &self.dedupe_key)
    }
}

/// A job's id: `evt_…:handler`, which is also its idempotency key.
pub type JobId = String;

/// A job to create while routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The handler to run.
    pub handler: String,
    /// Jobs with the same key run one at a time in event order (`None`: no ordering).
    pub order_key: Option<String>,
    /// When it may first run.
    pub run_at: Millis,
}

/// The routing decision for one stored event: the jobs it gets (possibly none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    /// The event.
    pub event: EventId,
    /// Its store order ([`StoredEvent::seq`]).
    pub seq: u64,
    /// One job per matching handler.
    pub jobs: Vec<NewJob>,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting to run (first time or after a failed attempt).
    Pending,
    /// Finished successfully.
    Done,
    /// Gave up: a permanent failure or out of attempts. Kept and replayable.
    Dead,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The handler finished the work.
    Done,
    /// The handler failed or asked to retry.
    Retry,
    /// The handler declared a permanent failure.
    GiveUp,
}

/// One attempt at running a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// 1, 2, …; keeps counting across manual retries.
    pub number: u32,
    /// When it started.
    pub started_at: Millis,
    /// How long it took.
    pub duration_ms: u64,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The error text, for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What happens to a job after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Complete.
    Done,
    /// Try again at this time.
    RetryAt(Millis),
    /// Dead letter.
    Dead,
}

/// A job: one handler's work on one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// `evt_…:handler`.
    pub id: JobId,
    /// The event.
    pub event_id: EventId,
    /// The event's store order.
    pub event_seq: u64,
    /// The handler.
    pub handler: String,
    /// The ordering key, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_key: Option<String>,
    /// Pending, done or dead.
    pub state: JobState,
    /// When it may run next (pending jobs).
    pub next_at: Millis,
    /// Leased until this time by a worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Millis>,
    /// Attempts in the current retry budget start after this many (a manual retry raises it).
    #[serde(default)]
    pub budget_start: u32,
    /// Every attempt so far.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
}

impl Job {
    /// The number the next attempt will carry.
    pub fn next_attempt_number(&self) -> u32 {
        self.attempts.last().map_or(1, |a| a.number + 1)
    }

    /// Attempts made in the current retry budget.
    pub fn attempts_in_budget(&self) -> u32 {
        (self.attempts.len() as u32).saturating_sub(self.budget_start)
    }
}

/// A leased job with the event it is for.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// The job, as leased.
    pub job: Job,
    /// Its event.
    pub event: StoredEvent,
}
