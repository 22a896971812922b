//! Which instance polls an account, and where its passes got to: the lease (a record with
//! holder and expiry, so on PostgreSQL one instance polls an account at a time) and the
//! cursor (the start of the last complete pass).
//!
//! The store has no compare-and-swap, so an expired lease is taken over by deleting it and
//! claiming it afresh with `insert_record`, then reading it back. Two instances taking
//! over in the same instant can rarely both run a pass; the synthesized events' dedupe
//! keys make that harmless.

use crate::record_key::RecordKey;
use crate::store::{Millis, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The lease record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// The instance holding it.
    pub holder: String,
    /// When it lapses unless renewed (ms).
    pub expires_at: Millis,
}

/// What to do about the lease found in the store (pure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseDecision {
    /// Ours: renew it.
    Renew,
    /// Someone else's and lapsed: take it over.
    TakeOver,
    /// Someone else's and live: do not poll.
    Leave,
}

/// Decides about `found` for instance `me` at `now`.
pub fn decide(found: &Lease, me: &str, now: Millis) -> LeaseDecision {
    if found.holder == me {
        LeaseDecision::Renew
    } else if found.expires_at <= now {
        LeaseDecision::TakeOver
    } else {
        LeaseDecision::Leave
    }
}

/// Claims (or renews) `account`'s lease for `me` until `now + ttl`; true when held.
pub async fn claim(
    store: &dyn Store,
    account: &str,
    me: &str,
    now: Millis,
    ttl: Millis,
) -> Result<bool, StoreError> {
    let key = RecordKey::reconcile_lease(account);
    let mine = Lease {
        holder: me.to_owned(),
        expires_at: now + ttl,
    };
    let value = serde_json::to_value(&mine).expect("a lease serializes");
    let Some(found) = store.insert_record(&key, value.clone()).await? else {
        return Ok(true);
    };
    let found: Lease = serde_json::from_value(found)
        .map_err(|e| StoreError::Corrupt(format!("reconcile lease: {e}")))?;
    match decide(&found, me, now) {
        LeaseDecision::Renew => {
            store.put_record(&key, value).await?;
            Ok(true)
        }
        LeaseDecision::Leave => Ok(false),
        LeaseDecision::TakeOver => {
            store.delete_record(&key).await?;
            if store.insert_record(&key, value).await?.is_some() {
                return Ok(false);
            }
            let now_held = store.record(&key).await?;
            Ok(now_held.and_then(|v| serde_json::from_value::<Lease>(v).ok()) == Some(mine))
        }
    }
}

/// Gives `account`'s lease up if `me` holds it (at shutdown), so another instance need
/// not wait for it to lapse.
pub async fn release(store: &dyn Store, account: &str, me: &str) -> Result<(), StoreError> {
    let key = RecordKey::reconcile_lease(account);
    let held = store
        .record(&key)
        .await?
        .and_then(|v| serde_json::from_value::<Lease>(v).ok());
    if held.is_some_and(|lease| lease.holder == me) {
        store.delete_record(&key).await?;
    }
    Ok(())
}

/// The start of `account`'s last complete pass, if one completed.
pub async fn cursor(store: &dyn Store, account: &str) -> Result<Option<Millis>, StoreError> {
    let found = store.record(&RecordKey::reconcile_cursor(account)).await?;
    Ok(found.and_then(|v| v["at"].as_u64()))
}

/// Moves `account`'s cursor to `at` (only after a pass completed).
pub async fn move_cursor(store: &dyn Store, account: &str, at: Millis) -> Result<(), StoreError> {
    store
        .put_record(
            &RecordKey::reconcile_cursor(account),
            serde_json::json!({ "at": at }),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_renewed_by_its_holder_and_taken_over_only_once_lapsed() {
        let lease = Lease {
            holder: "a".to_owned(),
            expires_at: 100,
        };
        assert_eq!(decide(&lease, "a", 500), LeaseDecision::Renew);
        assert_eq!(decide(&lease, "b", 99), LeaseDecision::Leave);
        assert_eq!(decide(&lease, "b", 100), LeaseDecision::TakeOver);
    }
}
