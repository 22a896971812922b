//! Retention: a background task that deletes events older than `[storage] retention`
//! whose jobs all finished (dead letters included), every `[storage] prune_every`.
//! Dedupe keys and remembered tokens are not touched, so a late Lever retry of a deleted
//! event is still recognised as a duplicate.

use crate::metrics::PRUNED;
use crate::store::{now_millis, Store, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{error, info};

/// The first run comes this long after start, or after `prune_every` when that is shorter.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(10);

/// Deletes old finished events on a schedule.
pub struct Retention {
    store: Arc<dyn Store>,
    retention: Duration,
    every: Duration,
}

impl Retention {
    /// Keeps events for `retention`, looking every `every`.
    pub fn new(store: Arc<dyn Store>, retention: Duration, every: Duration) -> Self {
        Self {
            store,
            retention,
            every,
        }
    }

    /// Prunes shortly after start, then every `every`, until `stop` turns true. A failed
    /// run is logged and tried again at the next one.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut wait = self.every.min(FIRST_RUN_AFTER);
        while !*stop.borrow() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                // Stopping, or the app is gone.
                changed = stop.changed() => if changed.is_err() { return } else { continue },
            }
            wait = self.every;
            if let Err(e) = self.prune_once().await {
                error!(error = %e, "pruning old events failed; trying again at the next run");
            }
        }
    }

    /// Deletes the finished events received more than `retention` ago; returns how many.
    pub async fn prune_once(&self) -> Result<usize, StoreError> {
        let cutoff = now_millis().saturating_sub(self.retention.as_millis() as u64);
        let pruned = self.store.prune(cutoff).await?;
        metrics::counter!(PRUNED).increment(pruned as u64);
        info!(
            pruned,
            retention = %humantime::format_duration(self.retention),
            "deleted events past retention"
        );
        Ok(pruned)
    }
}
