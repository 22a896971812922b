//! One sled flush shared by everyone waiting for one (jobs, records, admin changes).

use super::backend;
use crate::store::StoreError;

/// Coalesces flushes: at most one `flush_async` runs at a time, and a caller whose writes
/// a running or finished flush already covers does not start another. Without this, many
/// jobs finishing at once each park a thread of sled's I/O pool in a flush, and the pool
/// can run out of threads to write the very buffers those flushes wait for.
#[derive(Default)]
pub(super) struct SharedFlush {
    /// Tickets handed out: one per caller, taken after its writes were applied.
    requested: std::sync::atomic::AtomicU64,
    /// Every ticket up to this one is durable.
    durable: tokio::sync::Mutex<u64>,
}

impl SharedFlush {
    /// Makes every write applied before this call durable, sharing a running flush.
    pub(super) async fn flush(&self, db: &sled::Db) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        let ticket = self.requested.fetch_add(1, SeqCst) + 1;
        let mut durable = self.durable.lock().await;
        if *durable >= ticket {
            return Ok(());
        }
        // Every ticket taken so far belongs to writes already applied: this flush covers them.
        let covered = self.requested.load(SeqCst);
        db.flush_async().await.map_err(backend)?;
        *durable = covered;
        Ok(())
    }
}
