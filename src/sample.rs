//! Realistic, correctly signed Lever deliveries: what `lever-hooks send`, the benchmark and
//! the tests post, built the way Lever builds them.

use crate::signature;
use rand::Rng;
use serde_json::{json, Value};

/// The ids and stages that go into a sample event's `data`.
#[derive(Debug, Clone)]
pub struct SampleEvent {
    /// Event name (any of Lever's ten, or another name to try unknown events).
    pub event: String,
    /// `opportunityId` (random when not chosen).
    pub opportunity_id: String,
    /// `contactId` (random when not chosen).
    pub contact_id: String,
    /// `fromStageId` for stage changes.
    pub from_stage: String,
    /// `toStageId` for stage changes.
    pub to_stage: String,
    /// `toArchived.reason` for archive changes; `None` there means "unarchived".
    pub archive_reason: Option<String>,
}

impl SampleEvent {
    /// A sample of `event` with fresh random ids and Lever's default stage ids.
    pub fn new(event: impl Into<String>) -> Self {
        Self {
            event: event.into(),
            opportunity_id: random_uuid(),
            contact_id: random_uuid(),
            from_stage: "applicant-new".to_owned(),
            to_stage: "offer".to_owned(),
            archive_reason: Some(random_uuid()),
        }
    }

    /// The `data` object Lever sends for this event type.
    pub fn data(&self, now_ms: u64) -> Value {
        let opp = &self.opportunity_id;
        let contact = &self.contact_id;
        // The deprecated candidateId: Lever still sends it and it may differ from opportunityId.
        let candidate = opp;
        match self.event.as_str() {
            "candidateStageChange" => json!({
                "opportunityId": opp, "candidateId": candidate, "contactId": contact,
                "fromStageId": self.from_stage, "toStageId": self.to_stage,
            }),
            "candidateArchiveChange" => json!({
                "opportunityId": opp, "candidateId": candidate, "contactId": contact,
                "fromArchived": null,
                "toArchived": self.archive_reason.as_ref().map(|reason| json!({"archivedAt": now_ms, "reason": reason})),
            }),
            "candidateHired" => {
                json!({"opportunityId": opp, "candidateId": candidate, "contactId": contact})
            }
            "applicationCreated" => json!({
                "applicationId": random_uuid(), "opportunityId": opp, "candidateId": candidate, "contactId": contact,
            }),
            "candidateDeleted" => json!({
                "opportunityId": opp, "candidateId": candidate, "contactId": contact, "deletedBy": random_uuid(),
            }),
            "interviewCreated" | "interviewUpdated" | "interviewDeleted" => json!({
                "interviewId": random_uuid(), "panelId": random_uuid(),
                "opportunityId": opp, "candidateId": candidate, "contactId": contact,
            }),
            "contactCreated" | "contactUpdated" => json!({"contactId": contact}),
            _ => json!({"opportunityId": opp, "contactId": contact}),
        }
    }
}

/// A complete delivery body signed with `signing_token`, exactly as Lever would send it.
pub fn signed_body(
    signing_token: &str,
    event: &str,
    data: &Value,
    triggered_at: u64,
    token: &str,
) -> Vec<u8> {
    let signature = signature::sign(signing_token, token, &triggered_at.to_string());
    serde_json::to_vec(&json!({
        "event": event,
        "triggeredAt": triggered_at,
        "token": token,
        "signature": signature,
        "data": data,
    }))
    .expect("a JSON value serializes")
}

/// A per-delivery token like Lever's: 48 random hex characters.
pub fn random_token() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    hex::encode(bytes)
}

/// A random UUID, the shape of Lever's ids.
pub fn random_uuid() -> String {
    uuid::Uuid::from_bytes(rand::rng().random())
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;
    use crate::event::{LeverEvent, KNOWN_EVENTS};
    use secrecy::SecretString;

    #[test]
    fn every_known_sample_decodes_to_its_typed_event_with_the_chosen_ids() {
        for name in KNOWN_EVENTS {
            let sample = SampleEvent::new(name);
            let body = signed_body("k", name, &sample.data(1), 1, "t");
            let env = Envelope::parse(&body).unwrap();
            let typed = LeverEvent::decode(&env.event, &env.data).unwrap();
            assert_eq!(typed.name(), name);
            assert_eq!(
                typed.contact_id().map(|c| c.as_str()),
                Some(sample.contact_id.as_str()),
                "{name}"
            );
        }
    }

    #[test]
    fn sample_bodies_verify_with_their_signing_token() {
        let body = signed_body("secret", "candidateHired", &json!({}), 1717171717171, "tok");
        let env = Envelope::parse(&body).unwrap();
        let keys = [SecretString::from("secret".to_owned())];
        assert!(signature::verify(
            &keys,
            &env.token,
            &env.triggered_at_text,
            env.signature.as_deref()
        )
        .is_ok());
    }
}
