//! Writes to Lever that must happen once per idempotency key, however often a job is
//! retried or replayed: notes and tags.
//!
//! Lever has no idempotency keys, so each write is recorded in the store
//! ([`RecordKey::lever_write`]):
//! `started` before the call, `done` after it. A retry that finds `done` skips the call.
//! One that finds `started` (the process died between the call and the record) looks for
//! the note's reference line on the opportunity before writing it again. Tags need no
//! such care: adding a tag twice leaves one tag.

use super::common::{lever_failure, store_failure};
use crate::handler::Outcome;
use crate::lever::LeverClient;
use crate::record_key::RecordKey;
use crate::store::{now_millis, Store};
use serde_json::{json, Value};

/// Writes notes and tags on one account, once per key.
pub struct WriteBack<'a> {
    /// Where writes are recorded.
    pub store: &'a dyn Store,
    /// The account's Data API.
    pub client: &'a LeverClient,
    /// The Lever user writes are recorded as.
    pub perform_as: Option<&'a str>,
}

/// The line every note ends with, naming the write's key; a retry finds the note by it.
pub fn reference_line(key: &str) -> String {
    format!("(lever-hooks ref {key})")
}

impl WriteBack<'_> {
    /// Adds `text` as a note on `opportunity` unless the write `key` was already made.
    /// Returns the note id when Lever gave one.
    pub async fn note_once(
        &self,
        key: &str,
        opportunity: &str,
        text: &str,
    ) -> Result<Option<String>, Outcome> {
        let record_key = RecordKey::lever_write(key);
        let existing = self
            .store
            .record(&record_key)
            .await
            .map_err(store_failure)?;
        let reference = reference_line(key);
        match existing.as_ref().and_then(|r| r["state"].as_str()) {
            Some("done") => {
                return Ok(existing.and_then(|r| r["noteId"].as_str().map(str::to_owned)))
            }
            Some("started") => {
                if let Some(id) = self.find_note(opportunity, &reference).await? {
                    self.record_done(&record_key, Some(&id)).await?;
                    return Ok(Some(id));
                }
            }
            _ => {
                self.store
                    .put_record(&record_key, json!({"state": "started", "at": now_millis()}))
                    .await
                    .map_err(store_failure)?;
            }
        }
        let body = format!("{text}\n\n{reference}");
        let id = self
            .client
            .add_note(opportunity, &body, self.perform_as)
            .await
            .map_err(|e| lever_failure("adding a note", e))?;
        self.record_done(&record_key, Some(&id)).await?;
        Ok(Some(id))
    }

    /// Adds `tags` to `opportunity` unless the write `key` was already made.
    pub async fn tags_once(
        &self,
        key: &str,
        opportunity: &str,
        tags: &[String],
    ) -> Result<(), Outcome> {
        let record_key = RecordKey::lever_write(key);
        let existing = self
            .store
            .record(&record_key)
            .await
            .map_err(store_failure)?;
        if existing.as_ref().and_then(|r| r["state"].as_str()) == Some("done") {
            return Ok(());
        }
        self.client
            .add_tags(opportunity, tags, self.perform_as)
            .await
            .map_err(|e| lever_failure("adding tags", e))?;
        self.record_done(&record_key, None).await
    }

    async fn record_done(&self, record_key: &RecordKey, note: Option<&str>) -> Result<(), Outcome> {
        self.store
            .put_record(
                record_key,
                json!({"state": "done", "noteId": note, "at": now_millis()}),
            )
            .await
            .map_err(store_failure)
    }

    /// The id of a note on `opportunity` whose text holds `reference`.
    async fn find_note(
        &self,
        opportunity: &str,
        reference: &str,
    ) -> Result<Option<String>, Outcome> {
        let notes: Vec<Value> = self
            .client
            .get_page(&format!("/opportunities/{opportunity}/notes"), &[])
            .await
            .map_err(|e| lever_failure("listing notes", e))?;
        Ok(notes
            .iter()
            .find(|note| note.to_string().contains(reference))
            .map(|note| note["id"].as_str().unwrap_or_default().to_owned()))
    }
}
