//! Writes to Lever that must happen once per idempotency key, however often a job is
//! retried or replayed: notes, tags, links, stage moves and archives.
//!
//! Lever has no idempotency keys, so each write is recorded in the handler's records
//! (`write/<key>`, through [`Records::once`]): `started` before the call, `done` after
//! it. A retry that finds `done` skips the call. One that finds `started` (the process died between the call and the record) looks for
//! the note's reference line on the opportunity before writing it again. Tags need no
//! such care: adding a tag twice leaves one tag.

use super::common::{lever_failure, store_failure};
use crate::handler::{OnceError, Outcome, Records, Start};
use crate::lever::{Archive, LeverClient};

/// Writes notes, tags, links and stages on one account, once per key, recorded in a handler's records.
pub struct WriteBack<'a> {
    records: Records,
    client: &'a LeverClient,
    perform_as: Option<&'a str>,
}

/// The line every note ends with, naming the write's key; a retry finds the note by it.
pub fn reference_line(key: &str) -> String {
    format!("(lever-hooks ref {key})")
}

impl<'a> WriteBack<'a> {
    /// Writes recorded in `records` (the handler's), made through `client` as
    /// `perform_as` (when set).
    pub fn new(records: Records, client: &'a LeverClient, perform_as: Option<&'a str>) -> Self {
        Self {
            records,
            client,
            perform_as,
        }
    }

    /// Adds `text` as a note on `opportunity` unless the write `key` was already made.
    /// Returns the note id when Lever gave one.
    pub async fn note_once(
        &self,
        key: &str,
        opportunity: &str,
        text: &str,
    ) -> Result<Option<String>, Outcome> {
        let reference = reference_line(key);
        let reference = reference.as_str();
        self.records
            .once(&write_record(key), move |start| async move {
                if start == Start::Interrupted {
                    // The note may have been added before the process stopped.
                    if let Some(id) = self.find_note(opportunity, reference).await? {
                        return Ok(Some(id));
                    }
                }
                let body = format!("{text}\n\n{reference}");
                let id = self
                    .client
                    .add_note(opportunity, &body, self.perform_as)
                    .await
                    .map_err(|e| lever_failure("adding a note", e))?;
                Ok(Some(id))
            })
            .await
            .map_err(once_failure)
    }

    /// Adds `tags` to `opportunity` unless the write `key` was already made. (Adding a
    /// tag twice leaves one tag, so an interrupted write is simply made again.)
    pub async fn tags_once(
        &self,
        key: &str,
        opportunity: &str,
        tags: &[String],
    ) -> Result<(), Outcome> {
        self.write_once(key, "adding tags", || async move {
            self.client
                .add_tags(opportunity, tags, self.perform_as)
                .await
                .map(drop)
        })
        .await
    }

    /// Removes `tags` from `opportunity` unless the write `key` was already made.
    pub async fn remove_tags_once(
        &self,
        key: &str,
        opportunity: &str,
        tags: &[String],
    ) -> Result<(), Outcome> {
        self.write_once(key, "removing tags", || async move {
            self.client
                .remove_tags(opportunity, tags, self.perform_as)
                .await
                .map(drop)
        })
        .await
    }

    /// Adds `links` to `opportunity` unless the write `key` was already made (adding a
    /// link twice leaves one link).
    pub async fn links_once(
        &self,
        key: &str,
        opportunity: &str,
        links: &[String],
    ) -> Result<(), Outcome> {
        self.write_once(key, "adding links", || async move {
            self.client
                .add_links(opportunity, links, self.perform_as)
                .await
                .map(drop)
        })
        .await
    }

    /// Moves `opportunity` to the stage with id `stage` unless the write `key` was
    /// already made (moving it there twice leaves it there).
    pub async fn stage_once(
        &self,
        key: &str,
        opportunity: &str,
        stage: &str,
    ) -> Result<(), Outcome> {
        self.write_once(key, "moving the stage", || async move {
            self.client
                .set_stage(opportunity, stage, self.perform_as)
                .await
                .map(drop)
        })
        .await
    }

    /// Archives `opportunity` with the reason whose id is `reason` unless the write `key`
    /// was already made (archiving it again with that reason leaves it so).
    pub async fn archive_once(
        &self,
        key: &str,
        opportunity: &str,
        reason: &str,
    ) -> Result<(), Outcome> {
        let archive = Archive {
            reason: reason.to_owned(),
            ..Archive::default()
        };
        let archive = &archive;
        self.write_once(key, "archiving", || async move {
            self.client
                .archive(opportunity, archive, self.perform_as)
                .await
                .map(drop)
        })
        .await
    }

    /// Makes one Lever write (`doing` names it in errors) unless the write `key` was
    /// already made. The writes that go through here are set operations (tags, links, a
    /// stage, an archive reason): one made again after an interruption changes nothing.
    async fn write_once<F, Fut>(&self, key: &str, doing: &str, write: F) -> Result<(), Outcome>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(), crate::lever::LeverError>>,
    {
        self.records
            .once(&write_record(key), move |_| async move {
                write().await.map_err(|e| lever_failure(doing, e))
            })
            .await
            .map_err(once_failure)
    }

    /// The id of a note on `opportunity` whose text holds `reference`.
    async fn find_note(
        &self,
        opportunity: &str,
        reference: &str,
    ) -> Result<Option<String>, Outcome> {
        let notes = self
            .client
            .notes(opportunity)
            .await
            .map_err(|e| lever_failure("listing notes", e))?;
        Ok(notes
            .into_iter()
            .find(|note| note.text().contains(reference))
            .map(|note| note.id))
    }
}

/// The handler record of the write `key`.
pub fn write_record(key: &str) -> String {
    format!("write/{key}")
}

fn once_failure(e: OnceError<Outcome>) -> Outcome {
    match e {
        OnceError::Store(e) => store_failure(e),
        OnceError::Effect(outcome) => outcome,
    }
}
