//! Records in the sled tree: small JSON values under string keys (tokens, hires, OAuth
//! state), each change flushed before it returns.

use super::keys::record_key;
use super::{backend, corrupt, from_json, to_json, SledStore};
use crate::store::StoreError;

impl SledStore {
    /// The record under `key`.
    pub(super) async fn read_record(
        &self,
        key: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.inner.load(&record_key(key))
    }

    /// Writes the record under `key`, durable when it returns.
    pub(super) async fn write_record(
        &self,
        key: &str,
        value: serde_json::Value,
    ) -> Result<(), StoreError> {
        let inner = &self.inner;
        inner
            .tree
            .insert(record_key(key), to_json(&value))
            .map_err(backend)?;
        inner.flusher.flush(&inner.db).await
    }

    /// Inserts the record unless `key` is taken; returns what is there if it is.
    pub(super) async fn insert_new_record(
        &self,
        key: &str,
        value: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let inner = &self.inner;
        let swapped = inner
            .tree
            .compare_and_swap(record_key(key), None::<&[u8]>, Some(to_json(&value)))
            .map_err(backend)?;
        match swapped {
            Ok(()) => {
                inner.flusher.flush(&inner.db).await?;
                Ok(None)
            }
            Err(conflict) => match conflict.current {
                Some(existing) => Ok(Some(from_json(&existing)?)),
                None => Err(corrupt("record vanished during insert")),
            },
        }
    }

    /// Every record whose key starts with `prefix`.
    pub(super) async fn records_under(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        self.inner
            .tree
            .scan_prefix(record_key(prefix))
            .map(|item| {
                let (key, value) = item.map_err(backend)?;
                let key = String::from_utf8_lossy(&key[1..]).into_owned();
                Ok((key, from_json(&value)?))
            })
            .collect()
    }

    /// Removes the record under `key`, durable when it returns.
    pub(super) async fn remove_record(&self, key: &str) -> Result<(), StoreError> {
        let inner = &self.inner;
        inner.tree.remove(record_key(key)).map_err(backend)?;
        inner.flusher.flush(&inner.db).await
    }
}
