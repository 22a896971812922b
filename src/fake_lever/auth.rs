//! Who may call the fake: API keys over HTTP Basic (Lever's `curl -u KEY:`), and OAuth
//! access tokens issued by `/oauth/token`, whose refresh tokens rotate on every use.

use super::fixture::OAuthClient;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long an access token lives, as Lever's do.
pub(crate) const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Which kind of credential a request carried (never the credential itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthKind {
    /// No `Authorization` header.
    None,
    /// HTTP Basic with an API key.
    ApiKey,
    /// `Bearer` with an OAuth access token.
    Bearer,
    /// An `Authorization` header in another scheme, or unreadable.
    Other,
    /// The token endpoint, which authenticates with `client_id`/`client_secret` in the form.
    OAuthClient,
}

/// Why a token request was refused, as OAuth 2.0 names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OAuthError {
    /// `grant_type` is not `refresh_token`.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// Unknown `client_id` or wrong `client_secret`.
    #[error("invalid_client")]
    InvalidClient,
    /// The refresh token is not the client's current one (already used, or never issued).
    #[error("invalid_grant")]
    InvalidGrant,
}

impl OAuthError {
    /// The OAuth `error_description`.
    pub(crate) fn description(&self) -> &'static str {
        match self {
            Self::UnsupportedGrantType => "only grant_type=refresh_token is supported",
            Self::InvalidClient => "unknown client_id or wrong client_secret",
            Self::InvalidGrant => "unknown or already used refresh token",
        }
    }

    /// The HTTP status (RFC 6749 §5.2).
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::InvalidClient => 401,
            _ => 400,
        }
    }
}

/// A successful token refresh.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TokenGrant {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) token_type: &'static str,
    pub(crate) expires_in: u64,
}

struct AccessToken {
    client_id: String,
    expires: Instant,
}

/// The credentials the fake accepts, and the OAuth tokens it has issued.
pub(crate) struct Credentials {
    api_keys: Vec<String>,
    clients: Vec<OAuthClient>,
    access_tokens: HashMap<String, AccessToken>,
}

impl Credentials {
    /// Accepts `api_keys` (any key when empty) and refreshes for `clients`.
    pub(crate) fn new(api_keys: Vec<String>, clients: Vec<OAuthClient>) -> Self {
        Self {
            api_keys,
            clients,
            access_tokens: HashMap::new(),
        }
    }

    /// Checks an `Authorization` header. On success returns the rate-limit bucket of the
    /// credential: the API key, or the OAuth client the access token belongs to.
    pub(crate) fn check(
        &self,
        header: Option<&str>,
        now: Instant,
    ) -> (AuthKind, Result<String, String>) {
        let Some(header) = header else {
            return (AuthKind::None, Err("no Authorization header: use HTTP Basic with an API key, or Bearer with an access token".into()));
        };
        let (scheme, value) = header.trim().split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            (AuthKind::ApiKey, self.check_key(value.trim()))
        } else if scheme.eq_ignore_ascii_case("bearer") {
            (AuthKind::Bearer, self.check_bearer(value.trim(), now))
        } else {
            (
                AuthKind::Other,
                Err(format!("unsupported Authorization scheme \"{scheme}\"")),
            )
        }
    }

    fn check_key(&self, encoded: &str) -> Result<String, String> {
        let decoded = BASE64
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or("the Basic credentials are not base64 of `key:`")?;
        let key = decoded.split_once(':').map_or(decoded.as_str(), |(k, _)| k);
        if key.is_empty() {
            return Err("the API key is empty".into());
        }
        if !self.api_keys.is_empty() && !self.api_keys.iter().any(|k| k == key) {
            return Err("invalid API key".into());
        }
        Ok(format!("key:{key}"))
    }

    fn check_bearer(&self, token: &str, now: Instant) -> Result<String, String> {
        match self.access_tokens.get(token) {
            Some(t) if t.expires > now => Ok(format!("oauth:{}", t.client_id)),
            Some(_) => Err("the access token has expired".into()),
            None => Err("invalid access token".into()),
        }
    }

    /// `grant_type=refresh_token`: issues a new access token and a new refresh token; the
    /// used refresh token stops working.
    pub(crate) fn refresh(
        &mut self,
        grant_type: &str,
        client_id: &str,
        client_secret: &str,
        refresh_token: &str,
        now: Instant,
    ) -> Result<TokenGrant, OAuthError> {
        if grant_type != "refresh_token" {
            return Err(OAuthError::UnsupportedGrantType);
        }
        let client = self
            .clients
            .iter_mut()
            .find(|c| c.client_id == client_id && c.client_secret == client_secret)
            .ok_or(OAuthError::InvalidClient)?;
        if refresh_token.is_empty() || client.refresh_token != refresh_token {
            return Err(OAuthError::InvalidGrant);
        }
        let grant = TokenGrant {
            access_token: crate::sample::random_token(),
            refresh_token: crate::sample::random_token(),
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_LIFETIME.as_secs(),
        };
        client.refresh_token = grant.refresh_token.clone();
        self.access_tokens.insert(
            grant.access_token.clone(),
            AccessToken {
                client_id: client.client_id.clone(),
                expires: now + ACCESS_TOKEN_LIFETIME,
            },
        );
        Ok(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(key: &str) -> String {
        format!("Basic {}", BASE64.encode(format!("{key}:")))
    }

    fn client() -> OAuthClient {
        OAuthClient {
            client_id: "cid".into(),
            client_secret: "secret".into(),
            refresh_token: "r0".into(),
        }
    }

    #[test]
    fn any_api_key_works_when_none_are_listed() {
        let creds = Credentials::new(vec![], vec![]);
        let (kind, result) = creds.check(Some(&basic("whatever")), Instant::now());
        assert_eq!(
            (kind, result),
            (AuthKind::ApiKey, Ok("key:whatever".into()))
        );
    }

    #[test]
    fn only_listed_api_keys_work_when_some_are() {
        let creds = Credentials::new(vec!["good".into()], vec![]);
        assert!(creds.check(Some(&basic("good")), Instant::now()).1.is_ok());
        assert!(creds.check(Some(&basic("bad")), Instant::now()).1.is_err());
        assert!(creds.check(Some(&basic("")), Instant::now()).1.is_err());
    }

    #[test]
    fn missing_and_foreign_headers_are_refused() {
        let creds = Credentials::new(vec![], vec![]);
        assert_eq!(creds.check(None, Instant::now()).0, AuthKind::None);
        let (kind, result) = creds.check(Some("Token abc"), Instant::now());
        assert_eq!(kind, AuthKind::Other);
        assert!(result.is_err());
    }

    #[test]
    fn a_refresh_rotates_the_refresh_token_and_issues_a_working_access_token() {
        let mut creds = Credentials::new(vec![], vec![client()]);
        let now = Instant::now();
        let grant = creds
            .refresh("refresh_token", "cid", "secret", "r0", now)
            .unwrap();
        let bearer = format!("Bearer {}", grant.access_token);
        assert_eq!(creds.check(Some(&bearer), now).1, Ok("oauth:cid".into()));
        let again = creds.refresh("refresh_token", "cid", "secret", "r0", now);
        assert_eq!(again.unwrap_err(), OAuthError::InvalidGrant);
        assert!(creds
            .refresh("refresh_token", "cid", "secret", &grant.refresh_token, now)
            .is_ok());
    }

    #[test]
    fn access_tokens_expire_after_an_hour() {
        let mut creds = Credentials::new(vec![], vec![client()]);
        let now = Instant::now();
        let grant = creds
            .refresh("refresh_token", "cid", "secret", "r0", now)
            .unwrap();
        let bearer = format!("Bearer {}", grant.access_token);
        let later = now + ACCESS_TOKEN_LIFETIME + Duration::from_secs(1);
        assert!(creds.check(Some(&bearer), later).1.is_err());
    }

    #[test]
    fn wrong_client_secret_and_grant_type_are_told_apart() {
        let mut creds = Credentials::new(vec![], vec![client()]);
        let now = Instant::now();
        let wrong = creds.refresh("refresh_token", "cid", "nope", "r0", now);
        assert_eq!(wrong.unwrap_err(), OAuthError::InvalidClient);
        let code = creds.refresh("authorization_code", "cid", "secret", "r0", now);
        assert_eq!(code.unwrap_err(), OAuthError::UnsupportedGrantType);
    }
}
