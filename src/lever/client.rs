//! [`LeverClient`] and its settings: which host, which credential, how fast, how patient.

use super::auth::{Authorizer, RefreshTokenStore};
use super::rate::Limiter;
use super::LeverError;
use reqwest::Url;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

/// Lever's production Data API.
pub const DEFAULT_API_BASE: &str = "https://api.lever.co/v1";
/// Lever's production OAuth token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://auth.lever.co/oauth/token";
/// Sent as `User-Agent`.
const USER_AGENT: &str = concat!("lever-hooks/", env!("CARGO_PKG_VERSION"));

/// How the client proves who it is. `Debug` never shows a secret.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An API key (customer-built integrations): sent as HTTP Basic with the key as user
    /// and an empty password.
    ApiKey(SecretString),
    /// OAuth 2.0 (partner integrations): a Bearer access token obtained with a refresh
    /// token, which Lever rotates on every refresh.
    OAuth(OAuthConfig),
}

/// OAuth settings for one authorized account.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// The refresh token from the authorization (with `offline_access`). After the first
    /// refresh the rotated token lives in the [`RefreshTokenStore`]; putting a new token
    /// here (after re-authorizing) makes the client start from it again.
    pub refresh_token: SecretString,
    /// The token endpoint; [`DEFAULT_TOKEN_URL`] unless using the sandbox.
    pub token_url: String,
}

impl OAuthConfig {
    /// Settings for the production token endpoint.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: SecretString,
        refresh_token: SecretString,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            refresh_token,
            token_url: DEFAULT_TOKEN_URL.to_owned(),
        }
    }
}

/// The client's own token bucket, which keeps it under Lever's per-key limit instead of
/// discovering it through 429s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second (Lever allows 10).
    pub per_second: u32,
    /// Requests allowed at once after a quiet spell (Lever allows bursts of 20).
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: 10,
            burst: 20,
        }
    }
}

/// Everything [`LeverClient::new`] needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The Data API base, without a trailing slash: [`DEFAULT_API_BASE`] or the sandbox's
    /// `https://api.sandbox.lever.co/v1`.
    pub api_base: String,
    /// The account's credential.
    pub credentials: Credentials,
    /// The token bucket every request (retries and pages included) waits on.
    pub rate: RateLimit,
    /// Retries after the first attempt for 429, 5xx, timeouts and connection errors.
    pub max_retries: u32,
    /// The longest one request may take, response body included.
    pub timeout: Duration,
    /// The backoff ceiling after the first failure; it doubles per failure.
    pub initial_backoff: Duration,
    /// The largest backoff ceiling.
    pub max_backoff: Duration,
}

impl ClientConfig {
    /// Production host, 10/s with bursts of 20, 5 retries, 30 s timeout, backoff from
    /// 500 ms up to 30 s.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            api_base: DEFAULT_API_BASE.to_owned(),
            credentials,
            rate: RateLimit::default(),
            max_retries: 5,
            timeout: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// The Data API client for one Lever account.
///
/// Cheap to clone: clones share one HTTP connection pool, one OAuth session and one rate
/// limiter, so build one client per account (per credential) and hand clones to every
/// handler of that account. `Debug` never shows a secret.
#[derive(Clone)]
pub struct LeverClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) account: String,
    pub(crate) base: Url,
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Authorizer,
    pub(crate) limiter: Limiter,
    pub(crate) rate: RateLimit,
    pub(crate) max_retries: u32,
    pub(crate) timeout: Duration,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
}

impl std::fmt::Debug for LeverClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeverClient")
            .field("account", &self.inner.account)
            .field("api_base", &self.inner.base.as_str())
            .field("auth", &self.inner.auth)
            .field("rate", &self.inner.rate)
            .field("max_retries", &self.inner.max_retries)
            .finish_non_exhaustive()
    }
}

impl LeverClient {
    /// Builds the client. Nothing is sent yet: an OAuth client fetches its first access
    /// token on its first request. `refresh_store` keeps rotated OAuth refresh tokens
    /// (unused with an API key). Fails with [`LeverError::Config`] on a bad `api_base` or
    /// `token_url`, or a zero rate.
    pub fn new(
        account: &str,
        config: ClientConfig,
        refresh_store: Arc<dyn RefreshTokenStore>,
    ) -> Result<Self, LeverError> {
        let base = parse_base(&config.api_base)?;
        let limiter = Limiter::new(config.rate)?;
        let auth = Authorizer::new(account, config.credentials, refresh_store)?;
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| LeverError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                account: account.to_owned(),
                base,
                http,
                auth,
                limiter,
                rate: config.rate,
                max_retries: config.max_retries,
                timeout: config.timeout,
                initial_backoff: config.initial_backoff,
                max_backoff: config.max_backoff.max(config.initial_backoff),
            }),
        })
    }

    /// The account this client works for.
    pub fn account(&self) -> &str {
        &self.inner.account
    }

    /// The rate limit every clone of this client shares.
    pub fn rate(&self) -> RateLimit {
        self.inner.rate
    }
}

/// `api_base` as a URL: http(s), a host, no query; a trailing slash is dropped.
fn parse_base(api_base: &str) -> Result<Url, LeverError> {
    let url = Url::parse(api_base.trim_end_matches('/'))
        .map_err(|e| LeverError::Config(format!("api_base is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(LeverError::Config(
            "api_base must be an http(s) URL with a host".to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(LeverError::Config(
            "api_base must not have a query or fragment".to_owned(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_must_be_an_http_url_without_a_query() {
        assert_eq!(
            parse_base("https://api.lever.co/v1/").unwrap().as_str(),
            "https://api.lever.co/v1"
        );
        for bad in ["api.lever.co/v1", "ftp://api.lever.co", "https://x/v1?a=b"] {
            assert!(
                matches!(parse_base(bad), Err(LeverError::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn defaults_follow_levers_documented_limits() {
        let config = ClientConfig::new(Credentials::ApiKey("k".to_owned().into()));
        assert_eq!(
            config.rate,
            RateLimit {
                per_second: 10,
                burst: 20
            }
        );
        assert_eq!(config.max_retries, 5);
        assert_eq!(config.timeout, Duration::from_secs(30));
        assert_eq!(config.initial_backoff, Duration::from_millis(500));
        assert_eq!(config.max_backoff, Duration::from_secs(30));
        assert_eq!(config.api_base, DEFAULT_API_BASE);
    }
}
