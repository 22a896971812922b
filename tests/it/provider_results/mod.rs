//! Providers' results coming back: `POST /providers/…` on an app whose `bgcheck` is a
//! test kind that takes results and records every document it gets.

mod intake;
mod refusals;

use crate::helpers::{spawn_app, TestApp};
use lever_hooks::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerKind, HandlerRegistry, KindContext,
    Outcome, Platform,
};
use lever_hooks::lever_accounts::LeverAccounts;
use lever_hooks::standard_webhooks::{signature_headers, signing_key};
use lever_hooks::EventDocument;
use secrecy::SecretString;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a test waits for a handler to run.
pub const WAIT: Duration = Duration::from_secs(10);

/// A result body for `reference`, with a field lever-hooks does not know.
pub fn result(reference: &str) -> Value {
    serde_json::json!({"reference": reference, "status": "clear",
        "reportUrl": "https://checks.example/r/1", "vendorScore": {"band": "A"}})
}

/// `bgcheck`'s current callback secret.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// `bgcheck`'s previous secret, still accepted while it is rotated out.
pub const OLD_SECRET: &str = "the-old-raw-secret";
/// The admin API's token.
pub const ADMIN_TOKEN: &str = "results-admin-token";

/// Where each test's handlers send what they get, by the section's `channel`.
type Seen = mpsc::UnboundedSender<(String, EventDocument)>;
fn channels() -> &'static Mutex<HashMap<String, Seen>> {
    static CHANNELS: OnceLock<Mutex<HashMap<String, Seen>>> = OnceLock::new();
    CHANNELS.get_or_init(Default::default)
}

/// `kind = "result-taker"`: takes results; records `(handler, document)` on `channel`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultTaker {
    channel: String,
}

impl HandlerKind for ResultTaker {
    const KIND: &'static str = "result-taker";
    const TAKES_RESULTS: bool = true;

    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(Taker {
            channel: self.channel.clone(),
            name: cx.name.to_owned(),
        }))
    }
}

struct Taker {
    channel: String,
    name: String,
}

#[async_trait]
impl Handler for Taker {
    async fn handle(&self, doc: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
        if let Some(seen) = channels().lock().unwrap().get(&self.channel) {
            let _ = seen.send((self.name.clone(), doc.clone()));
        }
        Ok(Outcome::Done)
    }
}

/// A running app and what its handlers got.
pub struct Results {
    pub app: TestApp,
    pub seen: mpsc::UnboundedReceiver<(String, EventDocument)>,
}

/// Starts an app (sled, or PostgreSQL inside `on_postgres`) with `[admin]`, `bgcheck`
/// (two secrets), `nosecret` (none) and `everything`, which `[[routes]]` send every event.
pub async fn start() -> Results {
    let channel = uuid::Uuid::now_v7().to_string();
    let (sender, seen) = mpsc::unbounded_channel();
    channels().lock().unwrap().insert(channel.clone(), sender);
    let extra = format!(
        r#"
[admin]
listen = "127.0.0.1:0"
token = "{ADMIN_TOKEN}"

[handlers.bgcheck]
kind = "result-taker"
channel = "{channel}"
callback_secret = ["{SECRET}", "{OLD_SECRET}"]

[handlers.nosecret]
kind = "result-taker"
channel = "{channel}"

[handlers.everything]
kind = "result-taker"
channel = "{channel}"

[[routes]]
events = ["*"]
handler = "everything"
"#
    );
    let plugins = HandlerRegistry::new().register_kind::<ResultTaker>();
    Results {
        app: spawn_app(&extra, plugins).await,
        seen,
    }
}

/// Remembers `reference` for `handler` in `account`, as the handler's request step does.
pub async fn remember(
    app: &TestApp,
    handler: &str,
    account: &str,
    reference: &str,
    opportunity: &str,
) {
    let platform = Platform::new(app.store.clone(), Arc::new(LeverAccounts::default()));
    HandlerContext::new(handler, account, platform)
        .remember_reference(reference, opportunity, Some("person-1"))
        .await
        .expect("the reference is stored");
}

/// Now, in unix seconds.
pub fn now_secs() -> u64 {
    lever_hooks::store::now_millis() / 1000
}

/// The Standard Webhooks headers for `body` signed with `secret` as `id` at `timestamp`.
pub fn signed(secret: &str, id: &str, timestamp: u64, body: &[u8]) -> Vec<(&'static str, String)> {
    let key = signing_key(&SecretString::from(secret)).unwrap();
    signature_headers(&key, id, timestamp, body).to_vec()
}

/// POSTs `body` with `headers` to `path`; the status and the JSON answer.
pub async fn post(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.body(body).send().await.expect("the app answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// POSTs `body` to `path` signed now with [`SECRET`] as `id`.
pub async fn send(app: &TestApp, path: &str, id: &str, body: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(body).unwrap();
    post(app, path, &signed(SECRET, id, now_secs(), &body), body).await
}
