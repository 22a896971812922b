//! Webhooks out, as Lever sends them: after a write changes an opportunity, the matching
//! events are signed (`sample::signed_body`) and POSTed from a background task to the
//! configured `--webhook-url` and to every webhook created through the API, with retries.
//! While sending is stopped ([`Outbox::set_sending`]), events are dropped, not queued.

use super::account::{ArchiveMove, StageMove, Webhook};
use super::fixture::Opportunity;
use crate::error::error_chain;
use crate::sample::{random_token, signed_body};
use crate::store::now_millis;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{info, warn};

/// Waits before the 2nd, 3rd and 4th attempt of a delivery that failed.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

/// How long stopping waits for deliveries still being sent.
const DRAIN: Duration = Duration::from_secs(3);

/// One attempt to deliver a webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    /// The event type.
    pub event: String,
    /// Where it was POSTed.
    pub url: String,
    /// 1 for the first try.
    pub attempt: u32,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why there was no answer (connection refused, timeout).
    pub error: Option<String>,
}

/// A signed body on its way to one URL.
struct Delivery {
    event: String,
    url: String,
    body: Vec<u8>,
}

/// Where webhooks go and the queue to the sending task.
pub(crate) struct Outbox {
    webhook_url: Option<String>,
    signing_tokens: BTreeMap<String, String>,
    queue: mpsc::UnboundedSender<Delivery>,
    log: Arc<Mutex<Vec<DeliveryRecord>>>,
    /// Whether events are sent; when not, they are dropped and counted.
    sending: AtomicBool,
    dropped: AtomicU64,
}

/// The sending task; stop it with [`OutboxTask::stop`].
pub(crate) struct OutboxTask {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl OutboxTask {
    /// Stops taking deliveries and waits a little for those still being sent.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

impl Outbox {
    /// Starts the sending task. `signing_tokens` maps an event (or `default`) to the token
    /// deliveries to `webhook_url` are signed with.
    pub(crate) fn start(
        webhook_url: Option<String>,
        signing_tokens: BTreeMap<String, String>,
        client: reqwest::Client,
    ) -> (Self, OutboxTask) {
        let (queue, deliveries) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(run(deliveries, stopped, client, log.clone()));
        let outbox = Self {
            webhook_url,
            signing_tokens,
            queue,
            log,
            sending: AtomicBool::new(true),
            dropped: AtomicU64::new(0),
        };
        (outbox, OutboxTask { stop, task })
    }

    /// Every delivery attempt so far.
    pub(crate) fn log(&self) -> Vec<DeliveryRecord> {
        self.log.lock().expect("delivery log lock").clone()
    }

    /// Starts (`true`) or stops sending; while stopped, events are dropped for good, as
    /// when every delivery attempt failed.
    pub(crate) fn set_sending(&self, sending: bool) {
        self.sending.store(sending, Ordering::SeqCst);
    }

    /// Whether events are being sent.
    pub(crate) fn is_sending(&self) -> bool {
        self.sending.load(Ordering::SeqCst)
    }

    /// How many events were dropped while sending was stopped.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }

    /// Signs `data` as `event` for every receiver of that event and queues the deliveries.
    pub(crate) fn emit(&self, event: &str, data: &Value, created: &[Webhook]) {
        if !self.is_sending() {
            self.dropped.fetch_add(1, Ordering::SeqCst);
            info!(event, "webhooks are stopped: event dropped");
            return;
        }
        let configured = self.webhook_url.as_ref().and_then(|url| {
            let token = self
                .signing_tokens
                .get(event)
                .or_else(|| self.signing_tokens.get("default"));
            if token.is_none() {
                warn!(
                    event,
                    "no signing token for this event: not sent to the webhook URL"
                );
            }
            token.map(|token| (url.as_str(), token.as_str()))
        });
        let subscribed = created
            .iter()
            .filter(|w| w.event == event)
            .map(|w| (w.url.as_str(), w.signature_token.as_str()));
        let triggered_at = now_millis();
        for (url, signing_token) in configured.into_iter().chain(subscribed) {
            let body = signed_body(signing_token, event, data, triggered_at, &random_token());
            let delivery = Delivery {
                event: event.to_owned(),
                url: url.to_owned(),
                body,
            };
            if self.queue.send(delivery).is_err() {
                warn!(event, url, "the fake is stopping: webhook not sent");
            }
        }
    }

    /// `candidateStageChange` for a stage move.
    pub(crate) fn stage_changed(
        &self,
        opportunity: &Opportunity,
        moved: &StageMove,
        created: &[Webhook],
    ) {
        let data = json!({
            "opportunityId": opportunity.id,
            "candidateId": opportunity.id,
            "contactId": opportunity.contact,
            "fromStageId": moved.from,
            "toStageId": moved.to,
        });
        self.emit("candidateStageChange", &data, created);
    }

    /// `candidateArchiveChange`, and `candidateHired` too when the new reason is a hire.
    pub(crate) fn archive_changed(
        &self,
        opportunity: &Opportunity,
        moved: &ArchiveMove,
        created: &[Webhook],
    ) {
        let data = json!({
            "opportunityId": opportunity.id,
            "candidateId": opportunity.id,
            "contactId": opportunity.contact,
            "fromArchived": moved.from,
            "toArchived": moved.to,
        });
        self.emit("candidateArchiveChange", &data, created);
        if moved.hired {
            let data = json!({
                "opportunityId": opportunity.id,
                "candidateId": opportunity.id,
                "contactId": opportunity.contact,
            });
            self.emit("candidateHired", &data, created);
        }
    }
}

impl Outbox {
    /// `applicationCreated` for an opportunity created on a posting.
    pub(crate) fn application_created(
        &self,
        opportunity: &Opportunity,
        application: &str,
        created: &[Webhook],
    ) {
        let data = json!({
            "applicationId": application,
            "opportunityId": opportunity.id,
            "candidateId": opportunity.id,
            "contactId": opportunity.contact,
        });
        self.emit("applicationCreated", &data, created);
    }

    /// `candidateDeleted` for a deleted opportunity.
    pub(crate) fn deleted(&self, opportunity: &Opportunity, created: &[Webhook]) {
        let data = json!({
            "opportunityId": opportunity.id,
            "candidateId": opportunity.id,
            "contactId": opportunity.contact,
        });
        self.emit("candidateDeleted", &data, created);
    }
}

async fn run(
    mut deliveries: mpsc::UnboundedReceiver<Delivery>,
    mut stopped: oneshot::Receiver<()>,
    client: reqwest::Client,
    log: Arc<Mutex<Vec<DeliveryRecord>>>,
) {
    let mut sending = JoinSet::new();
    loop {
        tokio::select! {
            next = deliveries.recv() => match next {
                Some(delivery) => {
                    sending.spawn(deliver(client.clone(), delivery, log.clone()));
                }
                None => break,
            },
            Some(_) = sending.join_next(), if !sending.is_empty() => {}
            _ = &mut stopped => break,
        }
    }
    while let Ok(delivery) = deliveries.try_recv() {
        sending.spawn(deliver(client.clone(), delivery, log.clone()));
    }
    let drained = tokio::time::timeout(DRAIN, async {
        while sending.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(
            left = sending.len(),
            "stopping with webhook deliveries still unsent"
        );
        sending.abort_all();
    }
}

/// POSTs one delivery until it gets a 2xx or the retries run out.
async fn deliver(
    client: reqwest::Client,
    delivery: Delivery,
    log: Arc<Mutex<Vec<DeliveryRecord>>>,
) {
    let attempts = RETRY_DELAYS.len() as u32 + 1;
    for attempt in 1..=attempts {
        let result = client
            .post(&delivery.url)
            .header("content-type", "application/json")
            .body(delivery.body.clone())
            .send()
            .await;
        let (status, error) = match result {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(error_chain(&e))),
        };
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        if ok {
            info!(event = %delivery.event, url = %delivery.url, attempt, status, "webhook delivered");
        } else {
            warn!(event = %delivery.event, url = %delivery.url, attempt, status, error, "webhook delivery failed");
        }
        log.lock().expect("delivery log lock").push(DeliveryRecord {
            event: delivery.event.clone(),
            url: delivery.url.clone(),
            attempt,
            status,
            error,
        });
        match RETRY_DELAYS.get(attempt as usize - 1) {
            Some(delay) if !ok => tokio::time::sleep(*delay).await,
            _ => return,
        }
    }
}
