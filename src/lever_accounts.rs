//! The Data API of every configured account: one client (with its rate limit and OAuth
//! state) and one stage / archive-reason cache per account, shared by routing and by the
//! Lever-aware handlers.

use crate::lever::{
    ArchiveReasonType, ClientConfig, Directory, LeverClient, LeverError, OpportunityFacts,
    RefreshTokenStore,
};
use crate::record_key::RecordKey;
use crate::route::lookup::{Lookup, LookupError};
use crate::store::Store;
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::warn;

/// The name of the account configured by `[lever]`, served at `/webhooks/lever`.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The config section of account `name`: `lever` for the default one, else
/// `accounts.NAME`.
pub fn account_section(name: &str) -> String {
    if name == DEFAULT_ACCOUNT {
        "lever".to_owned()
    } else {
        format!("accounts.{name}")
    }
}

/// One account's Data API.
#[derive(Clone, Debug)]
pub struct AccountApi {
    /// The rate-limited, retrying client.
    pub client: LeverClient,
    /// Cached stages and archive reasons.
    pub directory: Directory,
    /// The Lever user writes are recorded as, when configured.
    pub perform_as: Option<String>,
}

/// What one account's Data API is built from (`app` hands these over, read from the
/// account's config section).
#[derive(Clone, Debug)]
pub struct AccountApiSettings {
    /// The client: base URL, credentials, rate limit and retries.
    pub client: ClientConfig,
    /// How long stage and archive reason lists are cached before being read again.
    pub cache_ttl: Duration,
    /// The Lever user writes are recorded as, when configured.
    pub perform_as: Option<String>,
}

/// The accounts that have Data API credentials, by account name.
#[derive(Clone, Debug, Default)]
pub struct LeverAccounts {
    accounts: BTreeMap<String, AccountApi>,
    /// Accounts already warned that routes with conditions cannot match for them.
    warned_without_api: Arc<Mutex<BTreeSet<String>>>,
}

impl LeverAccounts {
    /// Builds a client for every account in `settings` (the accounts with Data API
    /// credentials, by name); rotated OAuth refresh tokens are kept in `store`.
    pub fn new(
        settings: BTreeMap<String, AccountApiSettings>,
        store: Arc<dyn Store>,
    ) -> Result<Self, LeverError> {
        let tokens: Arc<dyn RefreshTokenStore> = Arc::new(StoredRefreshTokens(store));
        let mut accounts = BTreeMap::new();
        for (name, account) in settings {
            let client = LeverClient::new(&name, account.client, tokens.clone())?;
            let api = AccountApi {
                directory: Directory::new(client.clone(), account.cache_ttl),
                client,
                perform_as: account.perform_as,
            };
            accounts.insert(name, api);
        }
        Ok(Self::from_clients(accounts))
    }

    /// The accounts from already built clients (tests, plugins).
    pub fn from_clients(accounts: BTreeMap<String, AccountApi>) -> Self {
        Self {
            accounts,
            warned_without_api: Arc::default(),
        }
    }

    /// The Data API of `account`, if it has credentials.
    pub fn get(&self, account: &str) -> Option<&AccountApi> {
        self.accounts.get(account)
    }

    /// True when no account has Data API credentials.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

#[async_trait]
impl Lookup for LeverAccounts {
    async fn stage_name(&self, account: &str, stage: &str) -> Result<Option<String>, LookupError> {
        let Some(api) = self.get(account) else {
            return Ok(None);
        };
        let found = api
            .directory
            .stage(stage)
            .await
            .map_err(|e| lookup_error(account, format!("stage {stage}"), e))?;
        Ok(found.and_then(|s| s.text))
    }

    async fn reason_type(
        &self,
        account: &str,
        reason: &str,
    ) -> Result<Option<ArchiveReasonType>, LookupError> {
        let Some(api) = self.get(account) else {
            return Ok(None);
        };
        let found = api
            .directory
            .archive_reason(reason)
            .await
            .map_err(|e| lookup_error(account, format!("archive reason {reason}"), e))?;
        Ok(found.map(|r| r.r#type))
    }

    async fn opportunity_facts(
        &self,
        account: &str,
        opportunity: &str,
    ) -> Result<Option<OpportunityFacts>, LookupError> {
        let Some(api) = self.get(account) else {
            let first = self
                .warned_without_api
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(account.to_owned());
            if first {
                warn!(%account, "routes with conditions never match for this account: it has no Data API credentials to read opportunities with");
            }
            return Ok(None);
        };
        match OpportunityFacts::read(&api.client, &api.directory, opportunity).await {
            Ok(facts) => Ok(Some(facts)),
            // Deleted since: conditions cannot hold for it.
            Err(LeverError::NotFound { .. }) => Ok(None),
            Err(e) => Err(lookup_error(
                account,
                format!("opportunity {opportunity}"),
                e,
            )),
        }
    }
}

fn lookup_error(account: &str, what: String, e: LeverError) -> LookupError {
    LookupError {
        account: account.to_owned(),
        what,
        message: e.to_string(),
    }
}

/// Rotated OAuth refresh tokens, kept as store records ([`RecordKey::oauth_session`]).
struct StoredRefreshTokens(Arc<dyn Store>);

#[async_trait]
impl RefreshTokenStore for StoredRefreshTokens {
    async fn load(&self, account: &str) -> Result<Option<String>, crate::error::BoxError> {
        let record = self.0.record(&RecordKey::oauth_session(account)).await?;
        Ok(record.and_then(|v| v.as_str().map(str::to_owned)))
    }

    async fn save(&self, account: &str, value: &str) -> Result<(), crate::error::BoxError> {
        self.0
            .put_record(&RecordKey::oauth_session(account), value.into())
            .await?;
        Ok(())
    }
}
