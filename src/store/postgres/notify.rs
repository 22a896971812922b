//! Wake-ups across instances: changes are announced with `NOTIFY` in the transaction that
//! makes them, and one `LISTEN`ing connection per store turns them into [`Change`]
//! wake-ups for this process's dispatcher.
//!
//! A wake-up leaves a permit when nobody waits (the dispatcher may be busy), so a change is
//! never missed between two waits. After the listening connection is lost and comes back,
//! both kinds are woken once, since notifications sent meanwhile are gone.

use super::backend;
use crate::store::{Change, StoreError};
use sqlx::postgres::{PgConnectOptions, PgListener};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tracing::warn;

/// Pause before listening again after the connection failed.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// This process's side of the notifications.
#[derive(Default)]
pub(super) struct Wakeups {
    events: Notify,
    jobs: Notify,
    /// Rung when the store is dropped, so the listener task ends.
    closed: Arc<Notify>,
}

impl Wakeups {
    fn bell(&self, kind: Change) -> &Notify {
        match kind {
            Change::Events => &self.events,
            Change::Jobs => &self.jobs,
        }
    }

    pub(super) async fn wait(&self, kind: Change) {
        self.bell(kind).notified().await
    }

    fn ring(&self, kind: Change) {
        self.bell(kind).notify_one();
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        self.closed.notify_one();
    }
}

/// The `NOTIFY` payload of `kind`.
pub(super) fn payload(kind: Change) -> &'static str {
    match kind {
        Change::Events => "events",
        Change::Jobs => "jobs",
    }
}

/// Starts listening on `channel`; returns once the first `LISTEN` is in place, so nothing
/// announced after the store is built is missed.
pub(super) async fn listen(
    options: PgConnectOptions,
    channel: Arc<str>,
    wakeups: Weak<Wakeups>,
) -> Result<(), StoreError> {
    let listener = subscribe(&options, &channel).await?;
    let closed = match wakeups.upgrade() {
        Some(w) => w.closed.clone(),
        None => return Ok(()),
    };
    tokio::spawn(run(listener, wakeups, closed));
    Ok(())
}

async fn subscribe(options: &PgConnectOptions, channel: &str) -> Result<PgListener, StoreError> {
    let pool = sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
        .max_connections(1)
        .connect_lazy_with(options.clone());
    let mut listener = PgListener::connect_with(&pool).await.map_err(backend)?;
    listener.listen(channel).await.map_err(backend)?;
    Ok(listener)
}

async fn run(mut listener: PgListener, wakeups: Weak<Wakeups>, closed: Arc<Notify>) {
    loop {
        let received = tokio::select! {
            received = listener.try_recv() => received,
            _ = closed.notified() => return,
        };
        let Some(wakeups) = wakeups.upgrade() else {
            return;
        };
        match received {
            Ok(Some(notification)) => match notification.payload() {
                "events" => wakeups.ring(Change::Events),
                _ => wakeups.ring(Change::Jobs),
            },
            // The connection was lost; `try_recv` reconnects on the next call.
            Ok(None) => {
                wakeups.ring(Change::Events);
                wakeups.ring(Change::Jobs);
            }
            Err(e) => {
                // The next `try_recv` connects and listens again.
                warn!(error = %e, "listening for other instances' changes failed; retrying");
                drop(wakeups);
                tokio::select! {
                    _ = tokio::time::sleep(RECONNECT_PAUSE) => {}
                    _ = closed.notified() => return,
                }
            }
        }
    }
}
