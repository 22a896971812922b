//! The built-in `http` handler: POSTs the event document to a URL, signed the Standard
//! Webhooks way when a secret is set, and turns the response status into an [`Outcome`].

use super::{async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, Outcome};
use crate::document::EventDocument;
use crate::error::error_chain;
// actix-web (already a dependency) parses all three HTTP-date forms for `Retry-After`.
use actix_web::http::header::HttpDate;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Url;
use secrecy::{SecretSlice, SecretString};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::debug;

use crate::standard_webhooks::{signature_headers, signing_key};

/// Sent as `User-Agent` unless `headers` sets one.
const USER_AGENT: &str = concat!("lever-hooks/", env!("CARGO_PKG_VERSION"));
/// The longest `Retry-After` honoured; the dispatcher also caps it at `[retry] max_backoff`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// The largest answer read from a provider.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// How much of a failed response's body goes into the reason.
const BODY_SNIPPET_BYTES: usize = 300;
/// Headers this handler sets itself; `headers` may not set them.
const RESERVED_HEADERS: [&str; 8] = [
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "idempotency-key",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// `[handlers.NAME] kind = "http"`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Where to POST: an `http` or `https` URL. A password in it is sent as basic auth
    /// and hidden from `Debug`.
    pub url: String,
    /// Signs each request the Standard Webhooks way when set. A value starting with
    /// `whsec_` is a Standard Webhooks secret: the rest is base64 and decodes to the key.
    /// Any other value is used as the key byte for byte.
    #[serde(default)]
    pub secret: Option<SecretString>,
    /// How long a request may take, response body included; default 30 s.
    #[serde(
        default = "default_timeout",
        deserialize_with = "crate::duration::deserialize"
    )]
    pub timeout: Duration,
    /// Extra request headers (an `Authorization`, say). Values are treated as secrets:
    /// `Debug` shows only the names.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("url", &redacted_url(&self.url))
            .field("secret", &self.secret.as_ref().map(|_| "[REDACTED]"))
            .field("timeout", &self.timeout)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The URL with any password replaced, for `Debug`.
fn redacted_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("REDACTED"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<not a URL>".to_owned(),
    }
}

impl HttpConfig {
    /// Problems with these settings, as `(key, message)` pairs. Messages never quote the
    /// secret or header values.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if let Err(e) = self.parsed_url() {
            problems.push(("url".to_owned(), e));
        }
        if let Some(Err(e)) = self.secret.as_ref().map(signing_key) {
            problems.push(("secret".to_owned(), e));
        }
        if self.timeout.is_zero() {
            problems.push(("timeout".to_owned(), "must be more than 0".to_owned()));
        }
        for (name, value) in &self.headers {
            if let Err(e) = header(name, value) {
                problems.push((format!("headers.{name}"), e));
            }
        }
        problems
    }

    fn parsed_url(&self) -> Result<Url, String> {
        let url = Url::parse(&self.url).map_err(|e| format!("not a URL: {e}"))?;
        match url.scheme() {
            "http" | "https" if url.host().is_some() => Ok(url),
            "http" | "https" => Err("the URL has no host".to_owned()),
            other => Err(format!("use an http or https URL, not `{other}:`")),
        }
    }
}

/// One configured header, checked; its value is marked sensitive so `Debug` hides it.
fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| "not a valid header name".to_owned())?;
    if RESERVED_HEADERS.contains(&name.as_str()) {
        return Err("lever-hooks sets this header itself".to_owned());
    }
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        "the value must be visible ASCII (no line breaks or control characters)".to_owned()
    })?;
    value.set_sensitive(true);
    Ok((name, value))
}

/// POSTs each event document to a URL.
///
/// Every request has `Content-Type: application/json`, `Idempotency-Key` (the document's
/// `idempotencyKey`) and `User-Agent: lever-hooks/VERSION`; with a secret also
/// `webhook-id` (the idempotency key, stable across retries), `webhook-timestamp` (unix
/// seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
///
/// 2xx is [`Outcome::Done`]. 408, 425, 429, 5xx, timeouts and connection errors are
/// [`Outcome::Retry`], after `Retry-After` when the response has one (seconds or an HTTP
/// date; a date in the past falls back to the backoff schedule; at most a day). Any other
/// status (other 4xx, and 3xx: redirects are not followed) is [`Outcome::GiveUp`].
pub struct HttpHandler {
    url: Url,
    key: Option<SecretSlice<u8>>,
    client: reqwest::Client,
    timeout: Duration,
}

impl std::fmt::Debug for HttpHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpHandler")
            .field("url", &redacted_url(self.url.as_str()))
            .field("signed", &self.key.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl HttpHandler {
    /// Builds the handler and its HTTP client; fails on the problems `check` reports.
    pub fn new(config: HttpConfig) -> Result<Self, BoxError> {
        let url = config.parsed_url().map_err(|e| format!("url: {e}"))?;
        let key = match &config.secret {
            Some(secret) => Some(signing_key(secret).map_err(|e| format!("secret: {e}"))?),
            None => None,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let (name, value) = header(name, value).map_err(|e| format!("headers.{name}: {e}"))?;
            headers.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(config.timeout)
            // A 3xx is an answer (a permanent failure), not something to follow with the body.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            url,
            key,
            client,
            timeout: config.timeout,
        })
    }

    /// POSTs `body` with `Idempotency-Key: idempotency_key` (and the signature headers
    /// when a secret is set): the response body on 2xx, else the outcome of the failure.
    pub async fn exchange(&self, body: Vec<u8>, idempotency_key: &str) -> Result<Vec<u8>, Outcome> {
        let mut request = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header("idempotency-key", idempotency_key);
        if let Some(key) = &self.key {
            let timestamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            for (name, value) in signature_headers(key, idempotency_key, timestamp, &body) {
                request = request.header(name, value);
            }
        }
        let mut response = request
            .body(body)
            .send()
            .await
            .map_err(|e| self.failure(e))?;
        if !response.status().is_success() {
            return Err(self.outcome(response).await);
        }
        let mut answer = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failure(e))? {
            if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(Outcome::retry(format!(
                    "the answer is larger than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            answer.extend_from_slice(&chunk);
        }
        Ok(answer)
    }

    /// The outcome of a response that was not a success.
    async fn outcome(&self, mut response: reqwest::Response) -> Outcome {
        let status = response.status();
        if status.is_success() {
            return Outcome::Done;
        }
        let retry = matches!(status.as_u16(), 408 | 425 | 429) || status.is_server_error();
        let after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| retry_after(value, SystemTime::now()));
        let reason = match body_snippet(&mut response).await {
            Some(snippet) => format!("HTTP {status}: {snippet}"),
            None => format!("HTTP {status}"),
        };
        if retry {
            Outcome::Retry { after, reason }
        } else {
            Outcome::GiveUp { reason }
        }
    }

    fn failure(&self, error: reqwest::Error) -> Outcome {
        let what = if error.is_timeout() {
            format!(
                "no response within {}",
                humantime::format_duration(self.timeout)
            )
        } else if error.is_connect() {
            "could not connect".to_owned()
        } else {
            "request failed".to_owned()
        };
        Outcome::retry(format!("{what}: {}", error_chain(&error.without_url())))
    }
}

#[async_trait]
impl Handler for HttpHandler {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        let outcome = match self.exchange(doc.to_json(), &doc.idempotency_key).await {
            Ok(_) => Outcome::Done,
            Err(failed) => failed,
        };
        debug!(handler = %ctx.handler, event_id = %doc.id, attempt = doc.attempt, outcome = ?outcome, "http handler");
        Ok(outcome)
    }
}

/// The delay a `Retry-After` value asks for: whole seconds or an HTTP date, at most a day.
/// A date already past gives `None`, so the backoff schedule applies.
fn retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    let wait = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => SystemTime::from(text.parse::<HttpDate>().ok()?)
            .duration_since(now)
            .ok()?,
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The start of the response body on one line, for the reason; `None` when empty.
async fn body_snippet(response: &mut reqwest::Response) -> Option<String> {
    let mut bytes = Vec::new();
    while bytes.len() <= BODY_SNIPPET_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let more = bytes.len() > BODY_SNIPPET_BYTES;
    bytes.truncate(BODY_SNIPPET_BYTES);
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_end_matches('\u{FFFD}');
    let mut snippet = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if snippet.is_empty() {
        return None;
    }
    if more {
        snippet.push('…');
    }
    Some(snippet)
}

impl HandlerKind for HttpConfig {
    const KIND: &'static str = "http";

    fn check(&self, _: &KindContext) -> Vec<(String, String)> {
        self.problems()
    }

    fn build(&self, _: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(HttpHandler::new(self.clone())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_future_date() {
        let now = SystemTime::now();
        let seconds = HeaderValue::from_static("3");
        assert_eq!(retry_after(&seconds, now), Some(Duration::from_secs(3)));
        let date = HttpDate::from(now + Duration::from_secs(120)).to_string();
        let wait = retry_after(&HeaderValue::from_str(&date).unwrap(), now).unwrap();
        assert!(
            (Duration::from_secs(119)..=Duration::from_secs(120)).contains(&wait),
            "{wait:?}"
        );
        let past = HttpDate::from(now - Duration::from_secs(60)).to_string();
        assert_eq!(
            retry_after(&HeaderValue::from_str(&past).unwrap(), now),
            None
        );
        assert_eq!(retry_after(&HeaderValue::from_static("soon"), now), None);
        assert_eq!(
            retry_after(&HeaderValue::from_static("99999999"), now),
            Some(MAX_RETRY_AFTER)
        );
    }
}
