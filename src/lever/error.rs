//! What can go wrong talking to Lever, sorted by what the caller should do about it.

use std::time::Duration;

/// A failed Data API call. Messages never contain credentials or tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeverError {
    /// 404: the object does not exist (or was deleted). `path` has no query string. Also
    /// returned, without a request, for an empty or dots-only id.
    #[error("not found: {path}")]
    NotFound {
        /// The request path, e.g. `/opportunities/250d8f03-…`.
        path: String,
    },
    /// 403: the credential lacks a scope or permission, or the object is confidential and
    /// the credential has no confidential access.
    #[error("forbidden: {message}")]
    Forbidden {
        /// Lever's `code: message`, or the start of the body.
        message: String,
    },
    /// 401: the API key is wrong or revoked, or the OAuth access token was refused even
    /// after one refresh.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// Lever's `code: message`, or the start of the body.
        message: String,
    },
    /// 429 answered on every attempt.
    #[error("rate limited by Lever{}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The last `Retry-After`, when Lever sent one.
        retry_after: Option<Duration>,
    },
    /// 5xx, a timeout or a connection error on every attempt (or once, on a write that is
    /// not safe to repeat); also the OAuth token endpoint being down and the
    /// [`RefreshTokenStore`](super::RefreshTokenStore) failing.
    #[error("Lever unavailable{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Unavailable {
        /// The HTTP status, when there was a response.
        status: Option<u16>,
        /// What happened.
        message: String,
    },
    /// Any other 4xx (and an unfollowed 3xx): the request itself is wrong.
    #[error("Lever refused the request (HTTP {status}): {message}")]
    BadRequest {
        /// The HTTP status.
        status: u16,
        /// Lever's `code: message`, or the start of the body.
        message: String,
    },
    /// A success response whose body could not be decoded.
    #[error("unexpected response from Lever: {0}")]
    BadResponse(String),
    /// The OAuth token endpoint refused the refresh token (revoked, expired, or rotated
    /// by someone else). Someone has to re-authorize the account.
    #[error("Lever OAuth: {0}")]
    Auth(String),
    /// The [`ClientConfig`](super::ClientConfig) cannot work (a bad `api_base`, a zero
    /// rate). Only [`LeverClient::new`](super::LeverClient::new) returns this.
    #[error("Lever client settings: {0}")]
    Config(String),
}

impl LeverError {
    /// Whether trying again later may succeed: true for [`LeverError::RateLimited`] and
    /// [`LeverError::Unavailable`], false for everything else.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable { .. })
    }

    /// The wait Lever asked for, when it asked for one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rate_limits_and_outages_are_retryable() {
        assert!(LeverError::RateLimited { retry_after: None }.is_retryable());
        assert!(LeverError::Unavailable {
            status: Some(503),
            message: "maintenance".into()
        }
        .is_retryable());
        for permanent in [
            LeverError::NotFound { path: "/x".into() },
            LeverError::Forbidden {
                message: "no".into(),
            },
            LeverError::Unauthorized {
                message: "no".into(),
            },
            LeverError::BadRequest {
                status: 400,
                message: "no".into(),
            },
            LeverError::BadResponse("no".into()),
            LeverError::Auth("no".into()),
            LeverError::Config("no".into()),
        ] {
            assert!(!permanent.is_retryable(), "{permanent}");
        }
    }

    #[test]
    fn messages_say_the_status_and_wait() {
        let e = LeverError::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(e.to_string(), "rate limited by Lever (retry after 3 s)");
        let e = LeverError::Unavailable {
            status: Some(503),
            message: "ServiceUnavailable: maintenance".into(),
        };
        assert_eq!(
            e.to_string(),
            "Lever unavailable (HTTP 503): ServiceUnavailable: maintenance"
        );
    }
}
