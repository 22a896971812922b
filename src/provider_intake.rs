//! The intake decision for a provider's result (`POST /providers/…`), pure: which answer
//! for which request, in an order that never parses or acts on anything unverified
//! (who it is for, then the signature, then the body, then the reference), and the
//! `providerResult` event to store.

use crate::event::{EventId, ProviderResult, PROVIDER_RESULT_EVENT};
use crate::handler::ProviderReference;
use crate::standard_webhooks::{self, SignedHeaders, VerifyError};
use crate::store::{Millis, NewEvent};
use secrecy::SecretSlice;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Why a result is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultRefusal {
    /// The account or the handler is not configured, or the handler has no
    /// `callback_secret` (404, fail closed: the three read the same).
    #[error("no such account, handler or callback secret")]
    NotFound,
    /// The Standard Webhooks headers are missing, wrong or out of the time window (401).
    #[error(transparent)]
    Signature(#[from] VerifyError),
    /// The body is not a result (400); says what is wrong without quoting the body.
    #[error("{0}")]
    Malformed(&'static str),
    /// The handler never remembered this reference for this account (404).
    #[error("unknown reference")]
    UnknownReference,
}

impl ResultRefusal {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound | Self::UnknownReference => 404,
            Self::Signature(_) => 401,
            Self::Malformed(_) => 400,
        }
    }

    /// A short label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Signature(e) => e.label(),
            Self::Malformed(_) => "malformed",
            Self::UnknownReference => "unknown_reference",
        }
    }

    /// The reason sent to the caller: every signature failure reads the same.
    pub fn public_reason(&self) -> String {
        match self {
            Self::NotFound => "not found".to_owned(),
            Self::Signature(_) => "invalid signature".to_owned(),
            other => other.to_string(),
        }
    }
}

/// The keys a result for this handler is checked with: 404 when the account is not
/// configured, or the handler is not or has no callback secret.
pub fn keys_for(
    account_known: bool,
    handler_keys: Option<&[SecretSlice<u8>]>,
) -> Result<&[SecretSlice<u8>], ResultRefusal> {
    match handler_keys {
        Some(keys) if account_known && !keys.is_empty() => Ok(keys),
        _ => Err(ResultRefusal::NotFound),
    }
}

/// A result whose signature verified and whose body reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// `webhook-id`: the provider's id for this message, its dedupe key.
    pub webhook_id: String,
    /// `webhook-timestamp`, unix seconds.
    pub timestamp: u64,
    /// The provider's reference.
    pub reference: String,
    /// The body's fields, as sent.
    pub fields: Map<String, Value>,
}

/// Verifies the signature at `now` (unix seconds), then reads the body: a JSON object
/// with string `reference` and `status`, and the optional fields of [`ProviderResult`]
/// of the right types.
pub fn verify_and_read(
    keys: &[SecretSlice<u8>],
    headers: SignedHeaders<'_>,
    body: &[u8],
    now: u64,
) -> Result<Verified, ResultRefusal> {
    let (webhook_id, timestamp) = standard_webhooks::verify(keys, headers, body, now)?;
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return Err(ResultRefusal::Malformed("body is not a JSON object"));
    };
    let text = |key: &str| fields.get(key).and_then(Value::as_str);
    let (Some(reference), Some(_status)) = (text("reference"), text("status")) else {
        return Err(ResultRefusal::Malformed(
            "`reference` and `status` must be strings",
        ));
    };
    let reference = reference.to_owned();
    // The optional fields must have their types; the added ones are placeholders here.
    let placeholder = ProviderReference {
        account: String::new(),
        opportunity_id: String::new(),
        contact_id: None,
        at: 0,
    };
    if result_of(fields.clone(), "", webhook_id, &placeholder).is_err() {
        return Err(ResultRefusal::Malformed(
            "a field has the wrong type (score and maxScore numbers, passed a boolean, \
             reportUrl, summary and employeeId strings, completedAt ms since the epoch)",
        ));
    }
    Ok(Verified {
        webhook_id: webhook_id.to_owned(),
        timestamp,
        reference,
        fields,
    })
}

/// The request a reference answers, as remembered in the handler's records, when it was
/// remembered for `account`; else the result is refused with 404.
pub fn reference_for(
    account: &str,
    remembered: Option<Value>,
) -> Result<ProviderReference, ResultRefusal> {
    remembered
        .and_then(|value| serde_json::from_value::<ProviderReference>(value).ok())
        .filter(|reference| reference.account == account)
        .ok_or(ResultRefusal::UnknownReference)
}

/// The `providerResult` event for a verified result to `handler` in `account`.
///
/// A provider retries with the same `webhook-id` (Standard Webhooks' idempotency key),
/// re-signed with a new timestamp, maybe with a body it rebuilt. Both stores dedupe by
/// `(account, dedupe_key)` and refuse a known `(account, token)` whose content hash
/// differs as a replay. So all three are derived from the handler and the `webhook-id`
/// alone: `dedupe_key` and `token` are `result:{handler}:{webhook-id}` (a namespace no
/// Lever key or token uses: those are `id:…`/`sha256:…` and Lever's tokens), and
/// `content_hash` is the SHA-256 of the same pair. The same `webhook-id` again is then
/// always a duplicate of the first event, and never a token-reuse rejection.
pub fn new_event(
    account: &str,
    handler: &str,
    verified: Verified,
    reference: &ProviderReference,
    id: EventId,
    now: Millis,
) -> NewEvent {
    let result = result_of(verified.fields, handler, &verified.webhook_id, reference)
        .expect("verify_and_read checked the fields' types");
    let data = serde_json::to_string(&result).expect("a result serializes");
    let key = format!("result:{handler}:{}", verified.webhook_id);
    NewEvent {
        id,
        account: account.to_owned(),
        event: PROVIDER_RESULT_EVENT.to_owned(),
        triggered_at: verified.timestamp.saturating_mul(1000),
        received_at: now,
        token: key.clone(),
        envelope_id: None,
        dedupe_key: key,
        content_hash: content_hash(handler, &verified.webhook_id),
        opportunity_id: Some(result.opportunity_id.clone()),
        contact_id: result.contact_id.clone(),
        data: RawValue::from_string(data).expect("serde_json writes valid JSON"),
    }
}

/// The hash standing for a result's content: its handler and `webhook-id` only.
fn content_hash(handler: &str, webhook_id: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(PROVIDER_RESULT_EVENT.as_bytes());
    hasher.update([0]);
    hasher.update(handler.as_bytes());
    hasher.update([0]);
    hasher.update(webhook_id.as_bytes());
    hasher.finalize().into()
}

/// The provider's fields with what lever-hooks adds; added fields replace any the
/// provider sent under the same names, so a provider cannot point a result elsewhere.
fn result_of(
    mut fields: Map<String, Value>,
    handler: &str,
    webhook_id: &str,
    reference: &ProviderReference,
) -> Result<ProviderResult, serde_json::Error> {
    fields.insert("handler".into(), handler.into());
    fields.insert("webhookId".into(), webhook_id.into());
    fields.insert(
        "opportunityId".into(),
        reference.opportunity_id.clone().into(),
    );
    match &reference.contact_id {
        Some(contact) => fields.insert("contactId".into(), contact.clone().into()),
        None => fields.remove("contactId"),
    };
    serde_json::from_value(Value::Object(fields))
}

#[cfg(test)]
mod tests;
