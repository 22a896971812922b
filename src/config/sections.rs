//! The typed config sections with their defaults and their own checks.

use super::{duration, ConfigProblem};
use crate::event::KNOWN_EVENTS;
use crate::lever::{ClientConfig, Credentials, OAuthConfig, RateLimit};
use crate::lever_accounts::AccountApiSettings;
use crate::signature::SigningTokens;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `[storage]`: where events and jobs live.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Folder of the embedded sled store (relative to the working directory).
    pub path: PathBuf,
    /// How long events are kept: older ones whose jobs all finished are deleted (their
    /// dedupe keys and tokens stay).
    #[serde(deserialize_with = "duration::deserialize")]
    pub retention: Duration,
    /// How often the retention task looks for events to delete.
    #[serde(deserialize_with = "duration::deserialize")]
    pub prune_every: Duration,
    /// A `postgres://` URL: PostgreSQL instead of sled, for several instances sharing one
    /// database. Never logged with its password.
    pub url: Option<String>,
    /// Most connections this instance opens to PostgreSQL (`url` only).
    pub pool_size: u32,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageConfig")
            .field("path", &self.path)
            .field("retention", &self.retention)
            .field("prune_every", &self.prune_every)
            .field(
                "url",
                &self.url.as_deref().map(crate::store::postgres::redact_url),
            )
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// Most connections `[storage] pool_size` allows (PostgreSQL's default limit is 100 for
/// every client together).
pub const MAX_POOL_SIZE: u32 = 1_000;

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("./data"),
            retention: Duration::from_secs(30 * 86_400),
            prune_every: Duration::from_secs(3_600),
            url: None,
            pool_size: crate::store::postgres::DEFAULT_POOL_SIZE,
        }
    }
}

impl StorageConfig {
    pub(super) fn check(&self, problems: &mut Vec<ConfigProblem>) {
        if self.retention < Duration::from_secs(1) {
            problems.push(ConfigProblem::new(
                "storage.retention",
                "must be at least 1s",
            ));
        }
        if self.prune_every < Duration::from_secs(1) {
            problems.push(ConfigProblem::new(
                "storage.prune_every",
                "must be at least 1s",
            ));
        }
        if let Some(url) = &self.url {
            if let Err(message) = crate::store::postgres::parse_url(url) {
                problems.push(ConfigProblem::new("storage.url", message));
            }
        }
        if !(1..=MAX_POOL_SIZE).contains(&self.pool_size) {
            problems.push(ConfigProblem::new(
                "storage.pool_size",
                format!("must be between 1 and {MAX_POOL_SIZE}"),
            ));
        }
    }
}

/// `[lever]` or `[accounts.NAME]`: one Lever account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    /// Deliveries whose `triggeredAt` is older than this are refused; tokens are remembered this long.
    #[serde(deserialize_with = "duration::deserialize")]
    pub max_age: Duration,
    /// Signing tokens by event type, with `default` for the rest; several per entry for rotation.
    #[serde(deserialize_with = "signing_tokens")]
    pub signing_tokens: SigningTokens,
    /// Accept deliveries without checking signatures. For local experiments only.
    pub allow_unsigned: bool,
    /// Lever's Data API base URL.
    pub api_base: String,
    /// Data API key (HTTP Basic user).
    pub api_key: Option<SecretString>,
    /// OAuth credentials instead of an API key (partner integrations).
    pub oauth: Option<OAuthSettings>,
    /// The Data API token bucket shared by everything that calls it for this account.
    pub api_rate_limit: RateLimitSettings,
    /// How long stage and archive reason lists are cached before being read again.
    #[serde(deserialize_with = "duration::deserialize")]
    pub api_cache_ttl: Duration,
    /// The Lever user id that writes are recorded as.
    pub perform_as: Option<String>,
    /// How often the Data API is polled for changes no webhook delivered; `None` is
    /// `"off"` (reconciliation disabled).
    #[serde(deserialize_with = "every_or_off")]
    pub reconcile_every: Option<Duration>,
    /// How far before the last pass's start each pass looks again (clock skew, slow writes).
    #[serde(deserialize_with = "duration::deserialize")]
    pub reconcile_overlap: Duration,
}

/// `oauth = { … }` in an account: a refresh token Lever rotates on every use (the
/// newest is kept in the store, so a restart keeps working).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSettings {
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: SecretString,
    /// The refresh token from the authorization (scope `offline_access`).
    pub refresh_token: SecretString,
    /// Lever's token endpoint.
    #[serde(default = "default_token_url")]
    pub token_url: String,
}

fn default_token_url() -> String {
    "https://auth.lever.co/oauth/token".to_owned()
}

impl std::fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

/// `api_rate_limit = { per_second = 10, burst = 20 }`: Lever's documented limit per key.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Steady requests per second.
    pub per_second: u32,
    /// Requests that may go at once after a quiet spell.
    pub burst: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            per_second: 10,
            burst: 20,
        }
    }
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(15 * 86_400),
            signing_tokens: SigningTokens::default(),
            allow_unsigned: false,
            api_base: "https://api.lever.co/v1".to_owned(),
            api_key: None,
            oauth: None,
            api_rate_limit: RateLimitSettings::default(),
            api_cache_ttl: Duration::from_secs(600),
            perform_as: None,
            reconcile_every: Some(Duration::from_secs(600)),
            reconcile_overlap: Duration::from_secs(120),
        }
    }
}

impl AccountConfig {
    pub(super) fn check(&self, path: &str, problems: &mut Vec<ConfigProblem>) {
        // With Data API credentials, tokens may come from `lever-hooks webhooks register`.
        if self.signing_tokens.is_empty() && !self.allow_unsigned && !self.has_api() {
            problems.push(ConfigProblem::new(
                format!("{path}.signing_tokens"),
                "no signing token configured, so every delivery would be rejected; add `signing_tokens = { default = [\"${LEVER_SIGNING_TOKEN}\"] }`, or set api_key and let `lever-hooks webhooks register` store the tokens",
            ));
        }
        if self.max_age < Duration::from_secs(60) {
            problems.push(ConfigProblem::new(
                format!("{path}.max_age"),
                "must be at least 1m (Lever retries for days)",
            ));
        }
        if self.api_key.is_some() && self.oauth.is_some() {
            problems.push(ConfigProblem::new(
                format!("{path}.oauth"),
                "set either api_key or oauth, not both",
            ));
        }
        match reqwest::Url::parse(&self.api_base) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => problems.push(ConfigProblem::new(
                format!("{path}.api_base"),
                format!(
                    "`{}` is not an http(s) URL like https://api.lever.co/v1",
                    self.api_base
                ),
            )),
        }
        if self
            .reconcile_every
            .is_some_and(|every| every < Duration::from_millis(100))
        {
            problems.push(ConfigProblem::new(
                format!("{path}.reconcile_every"),
                "must be at least 100ms, or \"off\"",
            ));
        }
        let rate = self.api_rate_limit;
        if rate.per_second == 0 || rate.burst == 0 {
            problems.push(ConfigProblem::new(
                format!("{path}.api_rate_limit"),
                "per_second and burst must be at least 1",
            ));
        }
    }

    /// The Data API settings of this account, or `None` without credentials.
    pub fn api_settings(&self) -> Option<AccountApiSettings> {
        let credentials = match (&self.api_key, &self.oauth) {
            (Some(key), _) => Credentials::ApiKey(key.clone()),
            (None, Some(oauth)) => Credentials::OAuth(OAuthConfig {
                client_id: oauth.client_id.clone(),
                client_secret: oauth.client_secret.clone(),
                refresh_token: oauth.refresh_token.clone(),
                token_url: oauth.token_url.clone(),
            }),
            (None, None) => return None,
        };
        let client = ClientConfig {
            api_base: self.api_base.clone(),
            rate: RateLimit {
                per_second: self.api_rate_limit.per_second,
                burst: self.api_rate_limit.burst,
            },
            ..ClientConfig::new(credentials)
        };
        Some(AccountApiSettings {
            client,
            cache_ttl: self.api_cache_ttl,
            perform_as: self.perform_as.clone(),
        })
    }

    /// True when the Data API can be called for this account.
    pub fn has_api(&self) -> bool {
        self.api_key.is_some() || self.oauth.is_some()
    }
}

/// A duration, or `"off"` for none.
fn every_or_off<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    duration::parse(&text)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("{e}, or \"off\"")))
}

fn signing_tokens<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<SigningTokens, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(SecretString),
        Many(Vec<SecretString>),
    }
    let entries = BTreeMap::<String, OneOrMany>::deserialize(deserializer)?;
    let mut tokens = BTreeMap::new();
    for (event, value) in entries {
        if event != "default" && !KNOWN_EVENTS.contains(&event.as_str()) {
            return Err(serde::de::Error::custom(format!(
                "`{event}` is not a Lever event type; use `default` or one of {}",
                KNOWN_EVENTS.join(", ")
            )));
        }
        let list = match value {
            OneOrMany::One(token) => vec![token],
            OneOrMany::Many(list) => list,
        };
        if list
            .iter()
            .any(|t| secrecy::ExposeSecret::expose_secret(t).is_empty())
        {
            return Err(serde::de::Error::custom(format!(
                "`{event}` has an empty token"
            )));
        }
        tokens.insert(event, list);
    }
    Ok(SigningTokens::new(tokens))
}
