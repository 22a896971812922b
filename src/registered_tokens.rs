//! Signing tokens that `lever-hooks webhooks register` got from Lever, kept in the store
//! per account, event and webhook, and accepted by intake next to the config's tokens.

use crate::record_key::{RecordKey, RecordPrefix};
use crate::store::{Store, StoreError};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The least time between two reloads triggered by failed verifications.
const RELOAD_EVERY: Duration = Duration::from_secs(10);

/// Stores the signing token Lever returned for a new webhook.
pub async fn save(
    store: &dyn Store,
    account: &str,
    event: &str,
    webhook: &str,
    token: &str,
) -> Result<(), StoreError> {
    store
        .put_record(
            &RecordKey::signing_token(account, event, webhook),
            token.into(),
        )
        .await
}

/// Forgets the token of a deleted webhook; returns how many records went.
pub async fn forget(store: &dyn Store, account: &str, webhook: &str) -> Result<usize, StoreError> {
    let mut removed = 0;
    for (key, _) in store
        .records(&RecordPrefix::signing_tokens_of(account))
        .await?
    {
        if key.parts().last().map(String::as_str) == Some(webhook) {
            store.delete_record(&key).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The registered tokens, held in memory and reloaded from the store when a delivery
/// fails verification (at most every 10 s), so a token stored by another process is
/// picked up without a restart.
pub struct RegisteredTokens {
    store: Arc<dyn Store>,
    tokens: RwLock<HashMap<(String, String), Vec<SecretString>>>,
    last_reload: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for RegisteredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.tokens.read().map(|t| t.len()).unwrap_or(0);
        f.debug_struct("RegisteredTokens")
            .field("events", &count)
            .finish_non_exhaustive()
    }
}

impl RegisteredTokens {
    /// Loads every registered token from `store`.
    pub async fn load(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let book = Self {
            store,
            tokens: RwLock::default(),
            last_reload: Mutex::new(None),
        };
        book.reload().await?;
        Ok(book)
    }

    async fn reload(&self) -> Result<(), StoreError> {
        let mut tokens: HashMap<(String, String), Vec<SecretString>> = HashMap::new();
        for (key, value) in self.store.records(&RecordPrefix::signing_tokens()).await? {
            let parts = key.parts();
            let ([account, event, _], Some(token)) = (parts.as_slice(), value.as_str()) else {
                continue;
            };
            tokens
                .entry((account.clone(), event.clone()))
                .or_default()
                .push(SecretString::from(token.to_owned()));
        }
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = tokens;
        *self.last_reload.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        Ok(())
    }

    /// The tokens registered for `event` in `account`.
    pub fn for_event(&self, account: &str, event: &str) -> Vec<SecretString> {
        self.tokens
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(account.to_owned(), event.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// Reloads from the store unless that happened in the last 10 s; true when it did.
    pub async fn reload_if_stale(&self) -> bool {
        let due = self
            .last_reload
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map_or(true, |at| at.elapsed() >= RELOAD_EVERY);
        due && self.reload().await.is_ok()
    }
}
