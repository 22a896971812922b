//! Credentials turned into an `Authorization` header: HTTP Basic for an API key, a Bearer
//! token kept fresh for OAuth, and [`RefreshTokenStore`], where rotated OAuth refresh
//! tokens survive restarts.

mod oauth;

use super::client::Credentials;
use super::LeverError;
use crate::error::BoxError;
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where the client keeps an account's current OAuth refresh token.
///
/// Lever rotates the refresh token on every refresh and the old one stops working, so
/// the new one must outlive the process: the client saves it before it uses the access
/// token that came with it. The value is an opaque string the client wrote (small JSON);
/// store it as it is. Use a durable store in production; several processes must not
/// share one account's token.
#[async_trait]
pub trait RefreshTokenStore: Send + Sync {
    /// The value last saved for `account`, if any.
    async fn load(&self, account: &str) -> Result<Option<String>, BoxError>;
    /// Replaces the value for `account`.
    async fn save(&self, account: &str, value: &str) -> Result<(), BoxError>;
}

/// A [`RefreshTokenStore`] in memory, for tests and API-key-only setups: a restart loses
/// the rotated token.
#[derive(Default)]
pub struct MemoryRefreshTokenStore {
    values: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for MemoryRefreshTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("MemoryRefreshTokenStore")
            .field("accounts", &values.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[async_trait]
impl RefreshTokenStore for MemoryRefreshTokenStore {
    async fn load(&self, account: &str) -> Result<Option<String>, BoxError> {
        let values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        Ok(values.get(account).cloned())
    }

    async fn save(&self, account: &str, value: &str) -> Result<(), BoxError> {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        values.insert(account.to_owned(), value.to_owned());
        Ok(())
    }
}

/// The header to send and which access token it carries, so that a 401 invalidates only
/// that token and not a newer one another request already fetched.
pub(crate) struct AuthHeader {
    pub(crate) value: HeaderValue,
    pub(crate) generation: u64,
}

/// Produces `Authorization` headers for one credential.
pub(crate) enum Authorizer {
    ApiKey(HeaderValue),
    OAuth(Box<oauth::Session>),
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey([REDACTED])"),
            Self::OAuth(session) => session.fmt(f),
        }
    }
}

impl Authorizer {
    pub(crate) fn new(
        account: &str,
        credentials: Credentials,
        store: Arc<dyn RefreshTokenStore>,
    ) -> Result<Self, LeverError> {
        match credentials {
            Credentials::ApiKey(key) => {
                let encoded = BASE64.encode(format!("{}:", key.expose_secret()));
                let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
                    .map_err(|_| LeverError::Config("the API key cannot be sent".to_owned()))?;
                value.set_sensitive(true);
                Ok(Self::ApiKey(value))
            }
            Credentials::OAuth(config) => Ok(Self::OAuth(Box::new(oauth::Session::new(
                account, config, store,
            )?))),
        }
    }

    /// The header for the next request, refreshing the OAuth access token first when it
    /// is missing or about to expire.
    pub(crate) async fn header(&self, http: &reqwest::Client) -> Result<AuthHeader, LeverError> {
        match self {
            Self::ApiKey(value) => Ok(AuthHeader {
                value: value.clone(),
                generation: 0,
            }),
            Self::OAuth(session) => session.header(http).await,
        }
    }

    /// Whether a 401 can be cured by fetching a new access token.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self, Self::OAuth(_))
    }

    /// Lever refused the access token of `generation`: drop it so the next
    /// [`Authorizer::header`] refreshes.
    pub(crate) async fn rejected(&self, generation: u64) {
        if let Self::OAuth(session) = self {
            session.rejected(generation).await;
        }
    }
}
