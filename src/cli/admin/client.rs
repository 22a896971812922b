//! A small client for the admin REST API: the bearer token on every call, and the
//! failures an operator can act on (unreachable, wrong token, the API's own message).

use super::Connection;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// Why a call to the admin API failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Nothing answered at the URL.
    #[error(
        "cannot reach the admin API at {url} ({reason}); is lever-hooks running with an [admin] section in its config, and does its `listen` address match --admin-url (or LEVER_HOOKS_ADMIN_URL)?"
    )]
    Unreachable {
        /// The admin URL tried.
        url: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// The API answered 401.
    #[error("wrong or missing admin token (--admin-token or LEVER_HOOKS_ADMIN_TOKEN)")]
    Unauthorized,
    /// The API refused the call with `{"error": …}` (400, 404, 503).
    #[error("{message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The API's message.
        message: String,
    },
    /// Anything else: a timeout, an answer that is not the API's JSON.
    #[error("{0}")]
    Other(String),
}

/// The admin API at one URL, with the token when one is given.
pub struct AdminClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl AdminClient {
    /// A client for `connection`.
    pub fn new(connection: &Connection) -> Result<Self, AdminError> {
        let base = connection.admin_url.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base)
            .map_err(|e| AdminError::Other(format!("--admin-url `{base}` is not a URL: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| AdminError::Other(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            base,
            token: connection.admin_token.as_ref().map(|t| t.0.clone()),
            http,
        })
    }

    /// GETs `path` with `query`; the body as text (the API's JSON, unchanged).
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<String, AdminError> {
        self.send(self.http.get(self.url(path)).query(query)).await
    }

    /// POSTs `body` as JSON to `path`; the answer as text.
    pub async fn post(&self, path: &str, body: &Value) -> Result<String, AdminError> {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, mut request: reqwest::RequestBuilder) -> Result<String, AdminError> {
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| self.failed(e))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| self.failed(e))?;
        match status {
            200..=299 => Ok(text),
            401 => Err(AdminError::Unauthorized),
            _ => {
                let message = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| {
                        format!(
                            "the admin API at {} answered {status}: {}",
                            self.base,
                            text.trim()
                        )
                    });
                Err(AdminError::Api { status, message })
            }
        }
    }

    fn failed(&self, e: reqwest::Error) -> AdminError {
        if e.is_connect() {
            let reason = std::error::Error::source(&e).map_or_else(|| e.to_string(), innermost);
            AdminError::Unreachable {
                url: self.base.clone(),
                reason,
            }
        } else if e.is_timeout() {
            AdminError::Other(format!(
                "the admin API at {} did not answer in time",
                self.base
            ))
        } else {
            AdminError::Other(format!("calling the admin API at {}: {e}", self.base))
        }
    }
}

/// The last error in a chain ("Connection refused (os error 111)" rather than reqwest's
/// "error sending request").
fn innermost(mut e: &(dyn std::error::Error + 'static)) -> String {
    while let Some(source) = e.source() {
        e = source;
    }
    e.to_string()
}

/// Parses an API answer into `T`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, AdminError> {
    serde_json::from_str(text).map_err(|e| {
        AdminError::Other(format!(
            "the admin API's answer is not what this CLI expects ({e}); is it the same lever-hooks version?"
        ))
    })
}
