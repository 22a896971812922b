//! What a handler gets besides the event document: its name and account, the account's
//! Data API (the shared client, its rate budget and OAuth session, and cached stage and
//! archive-reason lookups), and its own records in the store.

use super::records::Records;
use crate::lever::{ArchiveReason, LeverClient, LeverError, OpportunityFacts, Stage};
use crate::lever_accounts::account_section;
use crate::lever_accounts::{AccountApi, LeverAccounts};
use crate::store::{SledStore, Store, StoreError};
use std::sync::Arc;

/// The services every handler can reach: the store and every account's Data API. The
/// dispatcher and alerts hold one; tests build one over a temporary store.
#[derive(Clone)]
pub struct Platform {
    store: Arc<dyn Store>,
    accounts: Arc<LeverAccounts>,
}

impl Platform {
    /// A platform over `store`, with the Data API of `accounts`.
    pub fn new(store: Arc<dyn Store>, accounts: Arc<LeverAccounts>) -> Self {
        Self { store, accounts }
    }

    /// A platform over a temporary store (deleted when dropped) and no Data API: for
    /// tests of handlers that only use their records. Call it inside a Tokio runtime
    /// (`#[tokio::test]`): the store starts its writer task.
    pub fn temporary() -> Result<Self, StoreError> {
        Ok(Self::new(
            Arc::new(SledStore::temporary()?),
            Arc::new(LeverAccounts::default()),
        ))
    }
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("accounts", &self.accounts)
            .finish_non_exhaustive()
    }
}

/// What the dispatcher hands a handler besides the document.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HandlerContext {
    /// The handler's configured name.
    pub handler: String,
    /// The account the event came in for.
    pub account: String,
    platform: Platform,
}

/// The event's account has no Data API credentials.
#[derive(Debug, Clone, thiserror::Error)]
#[error("account `{account}` has no Data API credentials: set `{key}.api_key` (or `[{key}.oauth]`) in the config")]
pub struct NoDataApi {
    /// The account.
    pub account: String,
    /// Its config section (`lever` or `accounts.NAME`).
    pub key: String,
}

impl From<NoDataApi> for super::Outcome {
    /// Missing credentials never fix themselves: give up, naming the key to set.
    fn from(e: NoDataApi) -> Self {
        Self::give_up(e.to_string())
    }
}

impl HandlerContext {
    /// A context for `handler` running an event of `account`.
    pub fn new(handler: impl Into<String>, account: impl Into<String>, platform: Platform) -> Self {
        Self {
            handler: handler.into(),
            account: account.into(),
            platform,
        }
    }

    /// The account's Data API: the client every handler and routing share, with its rate
    /// limit, retries and OAuth session.
    ///
    /// ```no_run
    /// # async fn demo(ctx: &lever_hooks::handler::HandlerContext) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let lever = ctx.lever()?;
    /// let opportunity = lever.client().opportunity("250d8f03-…").await?;
    /// let stage = match &opportunity.stage {
    ///     Some(stage) => lever.stage_name(&stage.id).await?,
    ///     None => None,
    /// };
    /// println!("{} is in {stage:?}", opportunity.name.unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub fn lever(&self) -> Result<LeverApi<'_>, NoDataApi> {
        match self.platform.accounts.get(&self.account) {
            Some(api) => Ok(LeverApi(api)),
            None => Err(NoDataApi {
                account: self.account.clone(),
                key: account_section(&self.account),
            }),
        }
    }

    /// This handler's records, in the same store as the events.
    pub fn records(&self) -> Records {
        Records::new(self.platform.store.clone(), self.handler.clone())
    }

    /// Remembers that the provider's `reference` (the id it answered a request with)
    /// belongs to a request made for `opportunity` and `contact` in this context's
    /// account. A result the provider then sends to `POST /providers/…/HANDLER` with
    /// that reference is accepted and stored as a `providerResult` event for the
    /// opportunity; a reference never remembered is refused with 404.
    pub async fn remember_reference(
        &self,
        reference: &str,
        opportunity: &str,
        contact: Option<&str>,
    ) -> Result<(), StoreError> {
        let request = ProviderReference {
            account: self.account.clone(),
            opportunity_id: opportunity.to_owned(),
            contact_id: contact.map(str::to_owned),
            at: crate::store::now_millis(),
        };
        let value = serde_json::to_value(&request).expect("a reference serializes");
        self.records()
            .put(&reference_record(reference), value)
            .await
    }
}

/// The name, in a handler's records, of the request a provider `reference` answers.
pub fn reference_record(reference: &str) -> String {
    format!("reference/{reference}")
}

/// The request a provider reference answers, as [`HandlerContext::remember_reference`]
/// keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderReference {
    /// The account the request was made in.
    pub account: String,
    /// The opportunity it was made for.
    pub opportunity_id: String,
    /// The person, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// When it was remembered, in ms since the epoch.
    pub at: u64,
}

/// One account's Data API, as a handler sees it.
#[derive(Debug, Clone, Copy)]
pub struct LeverApi<'a>(&'a AccountApi);

impl<'a> LeverApi<'a> {
    /// The rate-limited, retrying client (shared with routing and every other handler).
    pub fn client(&self) -> &'a LeverClient {
        &self.0.client
    }

    /// The Lever user writes are made as (`perform_as` in the account's config), if set.
    pub fn perform_as(&self) -> Option<&'a str> {
        self.0.perform_as.as_deref()
    }

    /// The name of stage `id`, from the account's cache (read again after `cache_ttl`).
    pub async fn stage_name(&self, id: &str) -> Result<Option<String>, LeverError> {
        Ok(self.0.directory.stage(id).await?.and_then(|s| s.text))
    }

    /// The stage named `name` (ignoring case and surrounding spaces), from the account's
    /// cache: how a handler turns a configured stage name into the id Lever wants.
    pub async fn stage_by_name(&self, name: &str) -> Result<Option<Stage>, LeverError> {
        self.0.directory.stage_by_name(name).await
    }

    /// The archive reason `id` (its name in `text`, and whether it means a hire), cached.
    pub async fn archive_reason(&self, id: &str) -> Result<Option<ArchiveReason>, LeverError> {
        self.0.directory.archive_reason(id).await
    }

    /// Opportunity `id` as routes and rules see it (its posting, answers and archive
    /// reason's name), read now: what [`Conditions`](crate::route::conditions::Conditions)
    /// match on.
    pub async fn opportunity_facts(&self, id: &str) -> Result<OpportunityFacts, LeverError> {
        OpportunityFacts::read(&self.0.client, &self.0.directory, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_account_without_credentials_names_the_key_to_set() {
        let platform = Platform::temporary().unwrap();
        let default = HandlerContext::new("announce", "default", platform.clone());
        let acme = HandlerContext::new("announce", "acme", platform);

        let default_error = default.lever().unwrap_err().to_string();
        let acme_error = acme.lever().unwrap_err().to_string();

        assert_eq!(
            default_error,
            "account `default` has no Data API credentials: set `lever.api_key` (or `[lever.oauth]`) in the config"
        );
        assert!(
            acme_error.contains("`accounts.acme.api_key`"),
            "{acme_error}"
        );
        assert_eq!(
            super::super::Outcome::from(acme.lever().unwrap_err()),
            super::super::Outcome::give_up(acme_error),
            "missing credentials are not retried"
        );
    }
}
