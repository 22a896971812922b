//! A handler's own records: small JSON values in the same store as the events (sled or
//! PostgreSQL), named by the handler and kept apart from every other handler's, with
//! [`Records::once`] for side effects that must happen once however often a job runs.

use crate::record_key::{RecordKey, RecordPrefix};
use crate::store::{now_millis, Store, StoreError};
use serde_json::{json, Value};
use std::future::Future;
use std::sync::Arc;

/// The records of one handler (`ctx.records()`).
///
/// Names are the handler's to choose; `/` in them makes families that
/// [`Records::list`] can read back. Every write is durable when it returns.
///
/// ```no_run
/// # async fn demo(ctx: &lever_hooks::handler::HandlerContext) -> Result<(), lever_hooks::store::StoreError> {
/// let records = ctx.records();
/// records.put("last-run", serde_json::json!({"ok": true})).await?;
/// assert_eq!(records.get("last-run").await?.unwrap()["ok"], true);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Records {
    store: Arc<dyn Store>,
    handler: String,
}

/// How [`Records::once`] found the side effect it guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Never started before: do it.
    Fresh,
    /// An earlier attempt started it and did not record the end (the process stopped, or
    /// the effect failed): it may have happened. Look before doing it again when the
    /// other side has no idempotency key (find the note, the record at the provider).
    Interrupted,
}

/// Why [`Records::once`] failed.
///
/// It is an error type whenever the effect's error can be shown, so `?` turns it into a
/// [`BoxError`](crate::error::BoxError) in a handler.
#[derive(Debug)]
pub enum OnceError<E> {
    /// The store could not record the start or the end; retry the attempt.
    Store(StoreError),
    /// The side effect failed; the record stays "started", so the next try sees
    /// [`Start::Interrupted`].
    Effect(E),
}

impl<E> From<StoreError> for OnceError<E> {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl<E: std::fmt::Display> std::fmt::Display for OnceError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Store(e) => write!(f, "store: {e}"),
            Self::Effect(e) => e.fmt(f),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for OnceError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(e) => Some(e),
            Self::Effect(_) => None,
        }
    }
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("handler", &self.handler)
            .finish_non_exhaustive()
    }
}

impl Records {
    /// The records of `handler` in `store`.
    pub fn new(store: Arc<dyn Store>, handler: impl Into<String>) -> Self {
        Self {
            store,
            handler: handler.into(),
        }
    }

    fn key(&self, name: &str) -> RecordKey {
        RecordKey::handler(&self.handler, name)
    }

    /// The record `name`, if any.
    pub async fn get(&self, name: &str) -> Result<Option<Value>, StoreError> {
        self.store.record(&self.key(name)).await
    }

    /// Writes `value` as `name`, replacing what was there.
    pub async fn put(&self, name: &str, value: Value) -> Result<(), StoreError> {
        self.store.put_record(&self.key(name), value).await
    }

    /// Writes `value` as `name` only if nothing is there, atomically (also across
    /// instances on PostgreSQL). Returns what was there, or `None` when this call wrote:
    /// the way to claim something ("I am sending this person's invite").
    pub async fn insert(&self, name: &str, value: Value) -> Result<Option<Value>, StoreError> {
        self.store.insert_record(&self.key(name), value).await
    }

    /// Every record whose name starts with `name_start`, as (name, value) in name order.
    pub async fn list(&self, name_start: &str) -> Result<Vec<(String, Value)>, StoreError> {
        let prefix = RecordPrefix::handler(&self.handler);
        let listed = self
            .store
            .records(&RecordPrefix::handler_names(&self.handler, name_start))
            .await?;
        Ok(listed
            .into_iter()
            .map(|(key, value)| {
                let name = key.as_str()[prefix.as_str().len()..].to_owned();
                (name, value)
            })
            .collect())
    }

    /// Removes the record `name` (nothing if absent).
    pub async fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.store.delete_record(&self.key(name)).await
    }

    /// Runs `effect` unless the record `name` says it already succeeded, and records its
    /// result; later calls return that result without running it.
    ///
    /// Before the effect the record says `started`; after it, `done` with the result. An
    /// attempt that finds `started` passes [`Start::Interrupted`] to `effect`, which should
    /// then look for what the earlier attempt may have done. Use the job's
    /// `doc.idempotency_key` in `name` for "once per job", or an id of your own (the
    /// opportunity's, the contact's) for "once per candidacy" or "once per person".
    ///
    /// ```no_run
    /// # async fn demo(ctx: &lever_hooks::handler::HandlerContext, doc: &lever_hooks::EventDocument) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let sent: String = ctx
    ///     .records()
    ///     .once(&format!("announce/{}", doc.idempotency_key), |_start| async {
    ///         // POST to the chat webhook here; the result is kept.
    ///         Ok::<_, std::io::Error>("message-1".to_owned())
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn once<T, E, F, Fut>(&self, name: &str, effect: F) -> Result<T, OnceError<E>>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
        F: FnOnce(Start) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let earlier = self.get(name).await?;
        let start = match &earlier {
            Some(record) if record["state"] == "done" => {
                if let Ok(result) = serde_json::from_value(record["result"].clone()) {
                    return Ok(result);
                }
                // A result this code cannot read (its type changed): do it again.
                Start::Interrupted
            }
            Some(_) => Start::Interrupted,
            None => Start::Fresh,
        };
        if start == Start::Fresh {
            self.put(name, json!({"state": "started", "at": now_millis()}))
                .await?;
        }
        let result = effect(start).await.map_err(OnceError::Effect)?;
        let value = serde_json::to_value(&result).unwrap_or(Value::Null);
        self.put(
            name,
            json!({"state": "done", "result": value, "at": now_millis()}),
        )
        .await?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn store() -> Arc<dyn Store> {
        Arc::new(SledStore::temporary().unwrap())
    }

    #[tokio::test]
    async fn each_handler_sees_only_its_own_records() {
        let store = store();
        let mine = Records::new(store.clone(), "announce");
        let theirs = Records::new(store.clone(), "announce-2");
        mine.put("sent/opp-1", json!(1)).await.unwrap();
        mine.put("sent/opp-2", json!(2)).await.unwrap();
        mine.put("other", json!(3)).await.unwrap();
        theirs.put("sent/opp-1", json!("theirs")).await.unwrap();

        assert_eq!(
            mine.list("sent/").await.unwrap(),
            [
                ("sent/opp-1".to_owned(), json!(1)),
                ("sent/opp-2".to_owned(), json!(2))
            ]
        );
        assert_eq!(
            theirs.get("sent/opp-1").await.unwrap(),
            Some(json!("theirs"))
        );
        assert_eq!(theirs.get("other").await.unwrap(), None);
        assert_eq!(
            mine.insert("other", json!(4)).await.unwrap(),
            Some(json!(3))
        );
        mine.delete("other").await.unwrap();
        assert_eq!(mine.get("other").await.unwrap(), None);
    }

    #[tokio::test]
    async fn once_runs_an_effect_until_it_succeeds_and_then_never_again() {
        let records = Records::new(store(), "announce");
        let runs = AtomicUsize::new(0);
        let starts = std::sync::Mutex::new(Vec::new());
        let effect = |fail: bool| {
            let (runs, starts) = (&runs, &starts);
            move |start: Start| async move {
                runs.fetch_add(1, Ordering::SeqCst);
                starts.lock().unwrap().push(start);
                if fail {
                    Err("the chat webhook answered 503")
                } else {
                    Ok(format!("message-{}", runs.load(Ordering::SeqCst)))
                }
            }
        };

        let failed = records.once("announced/opp-1", effect(true)).await;
        assert!(matches!(
            failed,
            Err(OnceError::Effect("the chat webhook answered 503"))
        ));
        let first: String = records
            .once("announced/opp-1", effect(false))
            .await
            .unwrap();
        let again: String = records
            .once("announced/opp-1", effect(false))
            .await
            .unwrap();

        assert_eq!(first, "message-2");
        assert_eq!(again, "message-2", "the recorded result, not a new run");
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(
            *starts.lock().unwrap(),
            [Start::Fresh, Start::Interrupted],
            "the attempt after a failure is told the effect may have happened"
        );
    }
}
