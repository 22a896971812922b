//! The one place a Data API request is built and sent: rate-limit wait → auth header →
//! request → classify the answer → retry with backoff (or refresh the token once on 401).

use super::multipart::FilePart;
use super::{LeverClient, LeverError};
use crate::backoff::FullJitter;
use crate::error::error_chain;
use crate::metrics::LEVER_API_CALLS;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// The longest `Retry-After` honoured; longer asks are cut to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How much of an unrecognized error body goes into a message.
const BODY_SNIPPET_CHARS: usize = 200;

/// One request to make.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    /// Starts with `/`, ids already encoded, no query.
    pub(crate) path: &'a str,
    pub(crate) query: &'a [(&'a str, String)],
    pub(crate) body: Option<&'a Value>,
    /// A `multipart/form-data` body instead of JSON (file uploads).
    pub(crate) file: Option<&'a FilePart>,
    /// Whether repeating the request after Lever may have acted on it is harmless. When
    /// not (creating a note or a webhook), only answers that prove nothing was done (429,
    /// 503, 408, a refused connection) are retried.
    pub(crate) idempotent: bool,
}

impl<'a> Call<'a> {
    pub(crate) fn get(path: &'a str, query: &'a [(&'a str, String)]) -> Self {
        Self {
            method: Method::GET,
            path,
            query,
            body: None,
            file: None,
            idempotent: true,
        }
    }
}

/// A successful answer.
pub(crate) struct Reply {
    pub(crate) body: Vec<u8>,
}

/// Why one attempt failed, and what that allows.
struct Failure {
    error: LeverError,
    /// Lever may have acted on the request, so a non-idempotent call must not repeat.
    maybe_done: bool,
    /// `Retry-After`, in seconds, when the answer had one.
    retry_after: Option<Duration>,
    /// A 401 to the OAuth access token of this generation.
    rejected_token: Option<u64>,
}

impl Failure {
    fn new(error: LeverError, maybe_done: bool) -> Self {
        Self {
            error,
            maybe_done,
            retry_after: None,
            rejected_token: None,
        }
    }
}

/// Lever's error body: `{ "code": "ResourceNotFound", "message": "…" }`.
#[derive(Deserialize)]
struct LeverErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl LeverClient {
    /// Sends `call`, retrying 429, 408, 5xx (500 included: Lever documents it next to
    /// 503), timeouts and connection errors up to `max_retries` times with full-jitter
    /// exponential backoff, or after `Retry-After` (at most 60 s) when Lever sends one.
    /// A 401 with OAuth refreshes the access token and tries once more.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<Reply, LeverError> {
        let url = self.url(call.path, call.query)?;
        let inner = &self.inner;
        let mut failures = 0;
        let mut refreshed = false;
        for attempt in 1.. {
            inner.limiter.wait(&inner.account, call.path).await;
            let failure = match self.attempt(call, &url, attempt).await {
                Ok(reply) => return Ok(reply),
                Err(failure) => failure,
            };
            if let Some(generation) = failure.rejected_token {
                if !refreshed && inner.auth.can_refresh() {
                    refreshed = true;
                    debug!(account = %inner.account, path = call.path, "Lever refused the access token; refreshing it once");
                    inner.auth.rejected(generation).await;
                    continue;
                }
            }
            let safe = call.idempotent || !failure.maybe_done;
            if !(failure.error.is_retryable() && safe && failures < inner.max_retries) {
                return Err(failure.error);
            }
            failures += 1;
            let wait = self.backoff(failures, failure.retry_after);
            warn!(
                account = %inner.account,
                method = %call.method,
                path = call.path,
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %failure.error,
                "retrying a Lever request"
            );
            tokio::time::sleep(wait).await;
        }
        unreachable!("the attempt loop only ends by returning")
    }

    async fn attempt(&self, call: &Call<'_>, url: &Url, attempt: u32) -> Result<Reply, Failure> {
        let inner = &self.inner;
        let auth = inner
            .auth
            .header(&inner.http)
            .await
            .map_err(|e| Failure::new(e, false))?;
        let mut request = inner
            .http
            .request(call.method.clone(), url.clone())
            .header(AUTHORIZATION, auth.value)
            .header(ACCEPT, "application/json");
        if let Some(body) = call.body {
            request = request.json(body);
        }
        if let Some(file) = call.file {
            let (content_type, body) = file.encode();
            request = request.header(CONTENT_TYPE, content_type).body(body);
        }
        let started = Instant::now();
        let (status, result) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = retry_after(response.headers());
                let body = response.bytes().await.map(|b| b.to_vec());
                (Some(status), body.map(|b| (status, retry_after, b)))
            }
            Err(e) => (None, Err(e)),
        };
        let status_label = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        metrics::counter!(LEVER_API_CALLS, "account" => inner.account.clone(), "status" => status_label)
            .increment(1);
        debug!(
            account = %inner.account,
            method = %call.method,
            path = call.path,
            status,
            attempt,
            duration_ms = started.elapsed().as_millis() as u64,
            "Lever request"
        );
        let (status, retry_after, body) = result.map_err(|e| self.transport_failure(e))?;
        classify(status, body, call.path, retry_after, auth.generation)
    }

    fn transport_failure(&self, error: reqwest::Error) -> Failure {
        let (message, maybe_done) = if error.is_connect() {
            (
                format!("could not connect: {}", error_chain(&error.without_url())),
                false,
            )
        } else if error.is_timeout() {
            let limit = humantime::format_duration(self.inner.timeout);
            (format!("no complete answer within {limit}"), true)
        } else {
            (
                format!("request failed: {}", error_chain(&error.without_url())),
                true,
            )
        };
        Failure::new(
            LeverError::Unavailable {
                status: None,
                message,
            },
            maybe_done,
        )
    }

    /// `Retry-After` when given (at most [`MAX_RETRY_AFTER`]), else a wait drawn from
    /// `[0, initial_backoff * 2^(failures-1)]`, capped at `max_backoff` (full jitter).
    fn backoff(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(MAX_RETRY_AFTER);
        }
        FullJitter {
            initial: self.inner.initial_backoff,
            max: self.inner.max_backoff,
        }
        .delay(failures, &mut rand::rng())
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, LeverError> {
        let base = self.inner.base.as_str().trim_end_matches('/');
        let slash = if path.starts_with('/') { "" } else { "/" };
        let mut url = Url::parse(&format!("{base}{slash}{path}"))
            .map_err(|e| LeverError::Config(format!("cannot build a URL for {path}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }
}

/// Sorts an answer into success or a [`Failure`].
fn classify(
    status: u16,
    body: Vec<u8>,
    path: &str,
    retry_after: Option<Duration>,
    generation: u64,
) -> Result<Reply, Failure> {
    if (200..300).contains(&status) {
        return Ok(Reply { body });
    }
    let message = || lever_message(status, &body);
    let mut failure = match status {
        401 => Failure::new(LeverError::Unauthorized { message: message() }, false),
        403 => Failure::new(LeverError::Forbidden { message: message() }, false),
        404 => Failure::new(
            LeverError::NotFound {
                path: path.to_owned(),
            },
            false,
        ),
        429 => Failure::new(LeverError::RateLimited { retry_after }, false),
        // 408 and 503 (maintenance) say the request was not processed.
        408 | 503 => Failure::new(
            LeverError::Unavailable {
                status: Some(status),
                message: message(),
            },
            false,
        ),
        500..=599 => Failure::new(
            LeverError::Unavailable {
                status: Some(status),
                message: message(),
            },
            true,
        ),
        _ => Failure::new(
            LeverError::BadRequest {
                status,
                message: message(),
            },
            false,
        ),
    };
    failure.retry_after = retry_after;
    if status == 401 {
        failure.rejected_token = Some(generation);
    }
    Err(failure)
}

/// Lever's `code: message`, else the start of the body on one line, else the status.
fn lever_message(status: u16, body: &[u8]) -> String {
    if let Ok(LeverErrorBody { code, message }) = serde_json::from_slice(body) {
        let parts: Vec<String> = [code, message].into_iter().flatten().collect();
        if !parts.is_empty() {
            return parts.join(": ");
        }
    }
    let text = String::from_utf8_lossy(body);
    let mut snippet: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if snippet.is_empty() {
        return format!("HTTP {status}");
    }
    if snippet.chars().count() > BODY_SNIPPET_CHARS {
        snippet = snippet.chars().take(BODY_SNIPPET_CHARS).collect::<String>() + "…";
    }
    snippet
}

/// `Retry-After` in whole seconds (Lever is not known to send HTTP dates).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

/// Decodes a JSON body; the error names the request path and the field that failed.
pub(crate) fn decode<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, LeverError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de)
        .map_err(|e| LeverError::BadResponse(format!("{path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_prefer_levers_code_and_message() {
        let body = br#"{"code": "ResourceNotFound", "message": "stages a80b was not found"}"#;
        assert_eq!(
            lever_message(404, body),
            "ResourceNotFound: stages a80b was not found"
        );
        assert_eq!(lever_message(400, b"  bad\n  request "), "bad request");
        assert_eq!(lever_message(502, b""), "HTTP 502");
        let long = "x".repeat(500);
        assert_eq!(
            lever_message(500, long.as_bytes()).chars().count(),
            BODY_SNIPPET_CHARS + 1
        );
    }

    #[test]
    fn statuses_sort_into_errors() {
        let failure = |status| classify(status, Vec::new(), "/p", None, 7).err().unwrap();
        assert!(matches!(failure(404).error, LeverError::NotFound { path } if path == "/p"));
        assert!(matches!(failure(403).error, LeverError::Forbidden { .. }));
        assert_eq!(failure(401).rejected_token, Some(7));
        assert!(matches!(
            failure(422).error,
            LeverError::BadRequest { status: 422, .. }
        ));
        assert!(matches!(failure(429).error, LeverError::RateLimited { .. }));
        assert!(!failure(503).maybe_done && failure(500).maybe_done);
        assert!(failure(500).error.is_retryable());
        assert!(classify(204, Vec::new(), "/p", None, 0).is_ok());
    }
}
