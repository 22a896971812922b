//! One account's OAuth session: a cached access token, refreshed ahead of expiry (one
//! refresh at a time), and the rotating refresh token persisted before it is relied on.

use super::{AuthHeader, RefreshTokenStore};
use crate::error::error_chain;
use crate::lever::client::OAuthConfig;
use crate::lever::models::de;
use crate::lever::LeverError;
use reqwest::header::HeaderValue;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// Refresh this long before the access token expires (or at half its life if shorter).
const REFRESH_AHEAD: Duration = Duration::from_secs(60);
/// Lever's access tokens last an hour; assumed when `expires_in` is missing.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

pub(crate) struct Session {
    account: String,
    client_id: String,
    client_secret: SecretString,
    configured: SecretString,
    token_url: Url,
    /// sha256 hex of the configured refresh token: tells whether a stored token descends
    /// from it or from an older authorization.
    seed: String,
    store: Arc<dyn RefreshTokenStore>,
    /// The lock is held across a refresh, so concurrent requests wait for one refresh.
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The refresh token to use next; `None` until the first refresh reads the store.
    refresh: Option<SecretString>,
    /// `refresh` was rotated but is not in the store yet: the access token must not be
    /// used until it is.
    unsaved: bool,
    access: Option<Access>,
    generation: u64,
}

struct Access {
    header: HeaderValue,
    refresh_at: Instant,
    generation: u64,
}

/// What the store holds: `{"seed": "<sha256 hex of the configured token>", "token": "…"}`.
#[derive(Deserialize)]
struct Stored {
    seed: String,
    token: SecretString,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    #[serde(default)]
    refresh_token: Option<SecretString>,
    #[serde(default, deserialize_with = "de::millis")]
    expires_in: Option<i64>,
}

#[derive(Deserialize, Default)]
struct TokenError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url.as_str())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(super) fn new(
        account: &str,
        config: OAuthConfig,
        store: Arc<dyn RefreshTokenStore>,
    ) -> Result<Self, LeverError> {
        let token_url = Url::parse(&config.token_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| LeverError::Config("token_url must be an http(s) URL".to_owned()))?;
        Ok(Self {
            account: account.to_owned(),
            seed: hex::encode(Sha256::digest(config.refresh_token.expose_secret())),
            client_id: config.client_id,
            client_secret: config.client_secret,
            configured: config.refresh_token,
            token_url,
            store,
            state: tokio::sync::Mutex::new(State::default()),
        })
    }

    pub(super) async fn header(&self, http: &reqwest::Client) -> Result<AuthHeader, LeverError> {
        let mut state = self.state.lock().await;
        if state.unsaved {
            self.persist(&mut state).await?;
        }
        if let Some(access) = &state.access {
            if Instant::now() < access.refresh_at {
                return Ok(AuthHeader {
                    value: access.header.clone(),
                    generation: access.generation,
                });
            }
        }
        self.refresh(http, &mut state).await
    }

    pub(super) async fn rejected(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state.access.as_ref().map(|a| a.generation) == Some(generation) {
            state.access = None;
        }
    }

    async fn refresh(
        &self,
        http: &reqwest::Client,
        state: &mut State,
    ) -> Result<AuthHeader, LeverError> {
        let current = match &state.refresh {
            Some(token) => token.clone(),
            None => self.starting_token().await?,
        };
        let sent_at = Instant::now();
        let token = self.exchange(http, &current).await?;
        let mut header =
            HeaderValue::from_str(&format!("Bearer {}", token.access_token.expose_secret()))
                .map_err(|_| {
                    LeverError::Auth("the access token is not a valid header value".into())
                })?;
        header.set_sensitive(true);
        let lifetime = token
            .expires_in
            .map(|s| Duration::from_secs(s.max(0) as u64))
            .unwrap_or(DEFAULT_LIFETIME);
        state.generation += 1;
        state.access = Some(Access {
            header: header.clone(),
            refresh_at: sent_at + lifetime - REFRESH_AHEAD.min(lifetime / 2),
            generation: state.generation,
        });
        match token.refresh_token {
            Some(rotated) => {
                state.refresh = Some(rotated);
                state.unsaved = true;
                self.persist(state).await?;
            }
            None => state.refresh = Some(current),
        }
        debug!(account = %self.account, expires_in_s = lifetime.as_secs(), "refreshed the Lever access token");
        Ok(AuthHeader {
            value: header,
            generation: state.generation,
        })
    }

    /// The stored refresh token when it descends from the configured one, else the
    /// configured one (the user re-authorized and put a new token in the config).
    async fn starting_token(&self) -> Result<SecretString, LeverError> {
        let stored = self
            .store
            .load(&self.account)
            .await
            .map_err(|e| LeverError::Unavailable {
                status: None,
                message: format!("could not read the stored OAuth refresh token: {e}"),
            })?;
        match stored.map(|v| serde_json::from_str::<Stored>(&v)) {
            Some(Ok(stored)) if stored.seed == self.seed => return Ok(stored.token),
            Some(Ok(_)) => debug!(
                account = %self.account,
                "the stored refresh token predates the configured one; starting from the configured one"
            ),
            Some(Err(_)) => warn!(
                account = %self.account,
                "the stored refresh token is unreadable; starting from the configured one"
            ),
            None => {}
        }
        Ok(self.configured.clone())
    }

    async fn persist(&self, state: &mut State) -> Result<(), LeverError> {
        let Some(token) = &state.refresh else {
            return Ok(());
        };
        let value = serde_json::json!({ "seed": self.seed, "token": token.expose_secret() });
        self.store
            .save(&self.account, &value.to_string())
            .await
            .map_err(|e| LeverError::Unavailable {
                status: None,
                message: format!("could not store the rotated OAuth refresh token: {e}"),
            })?;
        state.unsaved = false;
        Ok(())
    }

    /// `POST token_url` with `grant_type=refresh_token`.
    async fn exchange(
        &self,
        http: &reqwest::Client,
        refresh_token: &SecretString,
    ) -> Result<TokenResponse, LeverError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("refresh_token", refresh_token.expose_secret()),
        ];
        let unavailable = |e: reqwest::Error| LeverError::Unavailable {
            status: None,
            message: format!("OAuth token endpoint: {}", error_chain(&e.without_url())),
        };
        let response = http
            .post(self.token_url.clone())
            .form(&form)
            .send()
            .await
            .map_err(unavailable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unavailable)?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                LeverError::Auth(format!("the token endpoint's answer is not a token: {e}"))
            });
        }
        // Only Lever's `error` and `error_description` are quoted, never the raw body.
        let error: TokenError = serde_json::from_slice(&body).unwrap_or_default();
        let reason = [error.error, error.error_description]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        let message = format!("token endpoint answered HTTP {}: {reason}", status.as_u16());
        if status.is_server_error() || status.as_u16() == 429 {
            Err(LeverError::Unavailable {
                status: Some(status.as_u16()),
                message,
            })
        } else {
            Err(LeverError::Auth(format!(
                "{message} (re-authorize the account)"
            )))
        }
    }
}
