//! The intake decision for one delivery, before anything is stored (pure): shape, then
//! signature, then the time window, then "is it Lever's settings-page test?".
//!
//! Token reuse (a token seen before, now with different content) is not decided here: it
//! needs every token ever accepted, so each store decides it inside its one durable write
//! (`Store::ingest` answers `IngestOutcome::TokenReused`), atomically with the dedupe. Its
//! answer is [`Rejection::TokenReused`], like every other refusal.

use crate::config::AccountConfig;
use crate::envelope::{Envelope, EnvelopeError};
use crate::event::{EventId, LeverEvent};
use crate::signature::{self, SignatureError};
use crate::store::{Millis, NewEvent};
use secrecy::SecretString;
use std::time::Duration;

/// How far in the future `triggeredAt` may be (clock skew between Lever and us).
pub const MAX_FUTURE_SKEW: Duration = Duration::from_secs(5 * 60);

/// Why a delivery is refused: by [`check`] before the store sees it, or (token reuse) by
/// the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The body is not a well-formed delivery (400).
    #[error(transparent)]
    Shape(#[from] EnvelopeError),
    /// The signature is missing, malformed or wrong (401).
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// `triggeredAt` is older than the account's `max_age` (401).
    #[error("triggeredAt is older than max_age")]
    TooOld,
    /// `triggeredAt` is more than five minutes ahead of our clock (401).
    #[error("triggeredAt is in the future")]
    InFuture,
    /// The token came before with different content: a possible replay (401). Decided by
    /// the store, never by [`check`].
    #[error("token already used with different content")]
    TokenReused,
}

impl Rejection {
    /// The HTTP status this rejection is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Shape(_) => 400,
            Self::Signature(_) | Self::TooOld | Self::InFuture | Self::TokenReused => 401,
        }
    }

    /// A short machine-friendly label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Shape(_) => "malformed",
            Self::Signature(SignatureError::Missing) => "signature_missing",
            Self::Signature(SignatureError::Malformed) => "signature_malformed",
            Self::Signature(SignatureError::Mismatch) => "signature_mismatch",
            Self::Signature(SignatureError::NoTokenConfigured) => "no_signing_token",
            Self::TooOld => "too_old",
            Self::InFuture => "in_future",
            Self::TokenReused => "token_reused",
        }
    }

    /// The short reason sent to the caller. Signature failures all read the same, so a
    /// prober learns nothing about which check failed.
    pub fn public_reason(&self) -> String {
        match self {
            Self::Shape(e) => match e {
                // serde's message can quote the body back; keep it out of the answer.
                EnvelopeError::Invalid(_) => "body is not a valid JSON delivery".to_owned(),
                other => other.to_string(),
            },
            Self::Signature(_) => "invalid signature".to_owned(),
            Self::TooOld | Self::InFuture => "triggeredAt outside the accepted window".to_owned(),
            Self::TokenReused => "token already used".to_owned(),
        }
    }
}

/// A delivery that passed every check that needs no store.
#[derive(Debug, Clone)]
pub enum Checked {
    /// Lever's settings-page test (`data` is `{}`): answer 200, store no event.
    SettingsTest {
        /// The test's token, remembered so it cannot be replayed later with real `data`
        /// (the signature covers only `token` and `triggeredAt`).
        token: String,
        /// The event type the test was sent for.
        event: String,
    },
    /// A real event, ready for the store.
    Event(Box<NewEvent>),
}

/// Checks one delivery body for `account` at time `now`. `registered` gives the tokens
/// stored by webhook registration for an event, accepted besides the config's.
pub fn check(
    account_name: &str,
    account: &AccountConfig,
    registered: &dyn Fn(&str) -> Vec<SecretString>,
    body: &[u8],
    now: Millis,
) -> Result<Checked, Rejection> {
    let envelope = Envelope::parse(body)?;
    if !account.allow_unsigned {
        let registered = registered(&envelope.event);
        signature::verify(
            account
                .signing_tokens
                .for_event(&envelope.event)
                .iter()
                .chain(&registered),
            &envelope.token,
            &envelope.triggered_at_text,
            envelope.signature.as_deref(),
        )?;
    }
    let oldest = now.saturating_sub(account.max_age.as_millis() as Millis);
    if envelope.triggered_at < oldest {
        return Err(Rejection::TooOld);
    }
    if envelope.triggered_at > now + MAX_FUTURE_SKEW.as_millis() as Millis {
        return Err(Rejection::InFuture);
    }
    if envelope.is_settings_test() {
        return Ok(Checked::SettingsTest {
            token: envelope.token,
            event: envelope.event,
        });
    }
    Ok(Checked::Event(Box::new(new_event(
        account_name,
        envelope,
        now,
    ))))
}

fn new_event(account: &str, envelope: Envelope, now: Millis) -> NewEvent {
    let typed = LeverEvent::decode(&envelope.event, &envelope.data).ok();
    let content_hash = envelope.content_hash();
    NewEvent {
        id: EventId::generate(),
        account: account.to_owned(),
        dedupe_key: envelope.dedupe_key(&content_hash),
        content_hash,
        triggered_at: envelope.triggered_at,
        received_at: now,
        opportunity_id: typed.as_ref().and_then(|t| t.opportunity_id().cloned()),
        contact_id: typed.as_ref().and_then(|t| t.contact_id().cloned()),
        event: envelope.event,
        token: envelope.token,
        envelope_id: envelope.id,
        data: envelope.data,
    }
}

#[cfg(test)]
mod tests {
    use super::Rejection;

    #[test]
    fn token_reuse_is_a_rejection_answered_401_token_already_used() {
        let rejection = Rejection::TokenReused;
        assert_eq!(rejection.status(), 401);
        assert_eq!(rejection.label(), "token_reused");
        assert_eq!(rejection.public_reason(), "token already used");
    }
}
