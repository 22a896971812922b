//! Builders shared by the contract tests: deliveries, routed jobs, attempts.

use lever_hooks::event::{EventId, OpportunityId};
use lever_hooks::route::order_key;
use lever_hooks::store::{
    Attempt, AttemptOutcome, ClaimedJob, IngestOutcome, Job, JobId, Millis, NewEvent, NewJob,
    Routing, StoredEvent,
};
use lever_hooks::Store;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// A fixed "now" for tests that pass times explicitly (14 Nov 2023).
pub const T0: Millis = 1_700_000_000_000;
/// The lease every test claims with.
pub const LEASE: Duration = Duration::from_secs(30);
/// Enough to list everything a test stores.
pub const ALL: usize = 10_000;

/// A delivery of `data` for `account`, with the given dedupe key and token.
pub fn delivery(account: &str, dedupe_key: &str, token: &str, data: &str) -> NewEvent {
    let event = "candidateStageChange";
    NewEvent {
        id: EventId::generate(),
        account: account.to_owned(),
        event: event.to_owned(),
        triggered_at: T0,
        received_at: T0 + 25,
        token: token.to_owned(),
        envelope_id: None,
        dedupe_key: dedupe_key.to_owned(),
        content_hash: content_hash(event, T0, data),
        opportunity_id: None,
        contact_id: None,
        data: RawValue::from_string(data.to_owned()).expect("test data is JSON"),
    }
}

/// A delivery no other delivery collides with, about `opportunity` when given.
pub fn fresh_delivery(opportunity: Option<&str>) -> NewEvent {
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let data = match opportunity {
        Some(o) => format!(r#"{{"opportunityId":"{o}","n":"{unique}"}}"#),
        None => format!(r#"{{"n":"{unique}"}}"#),
    };
    let mut new = delivery("default", &format!("id:{unique}"), &unique, &data);
    new.opportunity_id = opportunity.map(OpportunityId::new);
    new
}

/// SHA-256 over event, triggeredAt and data, as intake computes it.
pub fn content_hash(event: &str, triggered_at: Millis, data: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(event.as_bytes());
    hasher.update(triggered_at.to_string().as_bytes());
    hasher.update(data.as_bytes());
    hasher.finalize().into()
}

/// Ingests `delivery`, asserts it was accepted under its own id, and reads it back.
pub async fn accept(store: &dyn Store, delivery: NewEvent) -> StoredEvent {
    let id = delivery.id.clone();
    let outcome = store.ingest(delivery).await.expect("ingest");
    assert_eq!(outcome, IngestOutcome::Accepted(id.clone()));
    store
        .event(&id)
        .await
        .expect("read")
        .expect("an accepted event is stored")
}

/// How many events wait for routing.
pub async fn unrouted_count(store: &dyn Store) -> usize {
    store.unrouted(ALL).await.expect("unrouted").len()
}

/// Stores a fresh event about `opportunity` and routes it to `handler`, ordered the way
/// the dispatcher orders it; returns the job's id.
pub async fn routed_job(
    store: &dyn Store,
    opportunity: Option<&str>,
    handler: &str,
    run_at: Millis,
) -> JobId {
    let event = accept(store, fresh_delivery(opportunity)).await;
    let job = NewJob {
        handler: handler.to_owned(),
        order_key: order_key(&event, handler),
        run_at,
    };
    store
        .route(routing(&event, vec![job]))
        .await
        .expect("route");
    let jobs = store.jobs_of(&event.id).await.expect("jobs_of");
    assert_eq!(jobs.len(), 1, "routing to one handler makes one job");
    jobs[0].id.clone()
}

/// The one job `id` of the event it belongs to.
pub async fn job(store: &dyn Store, id: &JobId) -> Job {
    let event = id.split_once(':').expect("job ids are event:handler").0;
    let jobs = store.jobs_of(&EventId::new(event)).await.expect("jobs_of");
    jobs.into_iter().find(|j| &j.id == id).expect("job exists")
}

/// Claims everything due at `now`.
pub async fn claim_all(store: &dyn Store, now: Millis) -> Vec<JobId> {
    ids(&store.claim(now, ALL, LEASE).await.expect("claim"))
}

/// The job ids of claimed jobs, in the order handed out.
pub fn ids(claimed: &[ClaimedJob]) -> Vec<JobId> {
    claimed.iter().map(|c| c.job.id.clone()).collect()
}

/// An attempt numbered `number` that started at `started_at`.
pub fn attempt(number: u32, started_at: Millis, outcome: AttemptOutcome) -> Attempt {
    Attempt {
        number,
        started_at,
        duration_ms: 12,
        outcome,
        error: (outcome != AttemptOutcome::Done).then(|| format!("attempt {number} failed")),
    }
}

/// The routing decision that gives stored `event` these `jobs`.
pub fn routing(event: &StoredEvent, jobs: Vec<NewJob>) -> Vec<Routing> {
    vec![Routing {
        event: event.id.clone(),
        seq: event.seq,
        jobs,
    }]
}
