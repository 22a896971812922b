//! Group commit for durable intake: one writer task decides every queued delivery and
//! appends the group to the journal, and one syncer makes each group durable with one
//! `fdatasync` before every waiter is answered.

use super::intake_decision::Group;
use super::{Inner, SledStore};
use crate::store::{IngestOutcome, Millis, NewEvent, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most ingests answered by one sync.
pub(super) const MAX_BATCH: usize = 1024;

/// A delivery (or a token on its own) waiting for the writer.
pub(super) struct IngestRequest {
    intake: Pending,
    reply: oneshot::Sender<Result<IngestOutcome, StoreError>>,
}

/// What the writer is asked to decide.
pub(super) enum Pending {
    /// A verified delivery.
    Event(NewEvent),
    /// A token that came without an event (Lever's settings-page test).
    Token {
        /// The account the token came for.
        account: String,
        /// The token itself.
        token: String,
        /// When it arrived.
        received_at: Millis,
    },
}

/// The single writer: decide every queued ingest and append them to the journal as one
/// group, then hand the answers to the syncer. Deciding the next group overlaps the
/// current sync.
pub(super) async fn write_batches(inner: Arc<Inner>, mut requests: mpsc::Receiver<IngestRequest>) {
    let (to_sync, pending) = mpsc::unbounded_channel();
    tokio::spawn(sync_batches(inner.clone(), pending));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let answers = write_group(&inner, &mut batch);
        if to_sync.send(answers).is_err() {
            return;
        }
    }
}

/// Decides every queued ingest and appends them as one group (not yet synced).
fn write_group(inner: &Inner, batch: &mut Vec<IngestRequest>) -> Answers {
    let mut group = Group::default();
    // Held from the first decision until the group is indexed, so every decision sees
    // every earlier one.
    let mut state = inner.log.lock();
    let answers: Answers = batch
        .drain(..)
        .map(|r| (r.reply, inner.decide(r.intake, &state, &mut group)))
        .collect();
    match inner.log.append_intake(&mut state, group.records) {
        Ok(()) => answers,
        Err(e) => {
            let e = e.to_string();
            answers
                .into_iter()
                .map(|(reply, _)| (reply, Err(StoreError::Backend(e.clone()))))
                .collect()
        }
    }
}

type Answers = Vec<(
    oneshot::Sender<Result<IngestOutcome, StoreError>>,
    Result<IngestOutcome, StoreError>,
)>;

/// Makes appended groups durable: one sync for every group waiting, then their answers.
async fn sync_batches(inner: Arc<Inner>, mut pending: mpsc::UnboundedReceiver<Answers>) {
    let mut groups = Vec::new();
    while pending.recv_many(&mut groups, MAX_BATCH).await > 0 {
        let syncing = inner.clone();
        let synced = tokio::task::spawn_blocking(move || syncing.log.sync())
            .await
            .unwrap_or_else(|e| Err(StoreError::Backend(format!("journal sync: {e}"))));
        for (reply, outcome) in groups.drain(..).flatten() {
            let answer = match &synced {
                Ok(()) => outcome,
                Err(e) => Err(StoreError::Backend(e.to_string())),
            };
            // The caller may have gone (client hung up); the outcome stands either way.
            let _ = reply.send(answer);
        }
    }
}

impl SledStore {
    /// Hands a delivery or token to the writer and waits until it is decided and durable.
    pub(super) async fn submit(&self, intake: Pending) -> Result<IngestOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(IngestRequest { intake, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}
