//! Each change reconciliation found, as the event Lever's webhook would have delivered:
//! its type, `data` shaped as Lever's, and a dedupe key every instance computes alike, so
//! several instances finding the same change store it once.

use super::diff::{Change, What};
use crate::event::{ContactId, EventId, OpportunityId};
use crate::store::{Millis, NewEvent};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The prefix of every synthesized event's dedupe key (and token).
pub const DEDUPE_PREFIX: &str = crate::event::RECONCILE_KEY_PREFIX;

/// The webhook event type `change` stands for.
pub fn event_type(change: &Change) -> &'static str {
    match change.what {
        What::Stage { .. } => "candidateStageChange",
        What::Archive { .. } => "candidateArchiveChange",
        What::Hire { .. } => "candidateHired",
        What::Deletion { .. } => "candidateDeleted",
    }
}

/// `reconcile:{account}:{opportunity}:{kind}:{target}:{time}`: the same on every instance
/// for the same change, different for the next change of the same kind.
pub fn dedupe_key(account: &str, change: &Change) -> String {
    let target = match &change.what {
        What::Stage { to, .. } => to.as_str(),
        What::Archive { to, .. } => to
            .as_ref()
            .map_or("active", |a| a.reason.as_deref().unwrap_or("archived")),
        What::Hire { reason } => reason.as_str(),
        What::Deletion { .. } => "deleted",
    };
    format!(
        "{DEDUPE_PREFIX}{account}:{}:{}:{target}:{}",
        change.opportunity,
        change.what.kind(),
        change.at
    )
}

/// The webhook's `data` for `change`, as Lever (and the fake Lever) shape it.
pub fn data(change: &Change) -> Value {
    let mut data = json!({
        "opportunityId": change.opportunity,
        "candidateId": change.opportunity,
        "contactId": change.contact,
    });
    let fields = data.as_object_mut().expect("an object");
    match &change.what {
        What::Stage { from, to } => {
            fields.insert("fromStageId".into(), json!(from));
            fields.insert("toStageId".into(), json!(to));
        }
        What::Archive { from, to } => {
            fields.insert("fromArchived".into(), json!(from));
            fields.insert("toArchived".into(), json!(to));
        }
        What::Hire { .. } => {}
        What::Deletion { deleted_by } => {
            if let Some(user) = deleted_by {
                fields.insert("deletedBy".into(), json!(user));
            }
        }
    }
    data
}

/// The event to store for `change` in `account`, received `now`. Its token is its dedupe
/// key and its content hash is over that key, so a second instance's copy is a duplicate.
pub fn new_event(account: &str, change: &Change, now: Millis) -> NewEvent {
    let key = dedupe_key(account, change);
    let data = serde_json::value::to_raw_value(&data(change)).expect("data serializes");
    NewEvent {
        id: EventId::generate(),
        account: account.to_owned(),
        event: event_type(change).to_owned(),
        triggered_at: change.at,
        received_at: now,
        token: key.clone(),
        envelope_id: None,
        content_hash: Sha256::digest(key.as_bytes()).into(),
        opportunity_id: Some(OpportunityId::new(change.opportunity.clone())),
        contact_id: change.contact.clone().map(ContactId::new),
        dedupe_key: key,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::LeverEvent;
    use crate::lever::Archived;

    fn change(what: What) -> Change {
        Change {
            opportunity: "o1".to_owned(),
            contact: Some("c1".to_owned()),
            what,
            at: 500,
        }
    }

    #[test]
    fn a_stage_change_is_shaped_as_levers_webhook_and_decodes() {
        let moved = change(What::Stage {
            from: Some("a".to_owned()),
            to: "b".to_owned(),
        });
        let event = new_event("acme", &moved, 900);
        assert_eq!(event.event, "candidateStageChange");
        assert_eq!((event.triggered_at, event.received_at), (500, 900));
        let data: Value = serde_json::from_str(event.data.get()).unwrap();
        assert_eq!(
            data,
            json!({"opportunityId": "o1", "candidateId": "o1", "contactId": "c1",
                   "fromStageId": "a", "toStageId": "b"})
        );
        let typed = LeverEvent::decode(&event.event, &event.data).unwrap();
        assert_eq!(typed.to_stage().map(|s| s.as_str()), Some("b"));
        assert_eq!(event.dedupe_key, "reconcile:acme:o1:stage:b:500");
        assert_eq!(event.token, event.dedupe_key);
    }

    #[test]
    fn the_same_change_gets_the_same_key_and_hash_on_every_instance() {
        let hire = change(What::Hire {
            reason: "r".to_owned(),
        });
        let (one, two) = (new_event("acme", &hire, 1), new_event("acme", &hire, 2));
        assert_ne!(one.id, two.id);
        assert_eq!(
            (&one.dedupe_key, one.content_hash),
            (&two.dedupe_key, two.content_hash)
        );
        assert!(one.dedupe_key.starts_with(DEDUPE_PREFIX));
        let later = Change { at: 501, ..hire };
        assert_ne!(new_event("acme", &later, 1).dedupe_key, one.dedupe_key);
        assert_ne!(new_event("other", &later, 1).dedupe_key, one.dedupe_key);
    }

    #[test]
    fn archive_hire_and_deletion_have_their_webhooks_types_and_fields() {
        let archived = change(What::Archive {
            from: None,
            to: Some(Archived {
                archived_at: Some(500),
                reason: Some("r".to_owned()),
            }),
        });
        let event = new_event("acme", &archived, 1);
        assert_eq!(event.event, "candidateArchiveChange");
        let data: Value = serde_json::from_str(event.data.get()).unwrap();
        assert_eq!(data["fromArchived"], Value::Null);
        assert_eq!(
            data["toArchived"],
            json!({"archivedAt": 500, "reason": "r"})
        );
        assert!(LeverEvent::decode(&event.event, &event.data).is_ok());
        let unarchived = change(What::Archive {
            from: Some(Archived {
                archived_at: Some(1),
                reason: Some("r".to_owned()),
            }),
            to: None,
        });
        assert!(dedupe_key("acme", &unarchived).contains(":archive:active:"));

        let hire = new_event("acme", &change(What::Hire { reason: "r".into() }), 1);
        assert_eq!(hire.event, "candidateHired");
        let deleted = change(What::Deletion {
            deleted_by: Some("u".to_owned()),
        });
        let event = new_event("acme", &deleted, 1);
        assert_eq!(event.event, "candidateDeleted");
        let data: Value = serde_json::from_str(event.data.get()).unwrap();
        assert_eq!(data["deletedBy"], "u");
        assert_eq!(
            event.opportunity_id.as_ref().map(|o| o.as_str()),
            Some("o1")
        );
    }
}
