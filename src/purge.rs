//! What is left of an event after its opportunity was deleted in Lever: a tombstone with
//! ids and times only (pure).
//!
//! When a `candidateDeleted` arrives, every stored event of that opportunity keeps its
//! envelope facts (our id, account, event name, `triggeredAt`, when it was received, its
//! dedupe key, opportunity and contact ids) and a `data` cut down to the keys that hold
//! ids and times: keys ending in `Id`, `Ids` or `At`, and an archive's `reason` (a reason
//! id). Names, emails, phones, free text and anything else Lever may add are dropped.
//! The dedupe key stays, so a redelivery of a purged event is still a duplicate and its
//! personal data is not stored again.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// `data` reduced to ids and times.
pub fn tombstone(data: &RawValue) -> Box<RawValue> {
    let kept = match serde_json::from_str::<Value>(data.get()) {
        Ok(Value::Object(map)) => Value::Object(keep_ids_and_times(map)),
        _ => Value::Object(Map::new()),
    };
    RawValue::from_string(kept.to_string()).expect("a JSON value serializes to valid JSON")
}

fn keep_ids_and_times(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter_map(|(key, value)| {
            let named_id_or_time = key.ends_with("Id")
                || key.ends_with("Ids")
                || key.ends_with("At")
                || key == "id"
                || key == "reason";
            match value {
                Value::Object(inner) => {
                    let inner = keep_ids_and_times(inner);
                    (!inner.is_empty()).then_some((key, Value::Object(inner)))
                }
                Value::String(_) | Value::Number(_) | Value::Null if named_id_or_time => {
                    Some((key, value))
                }
                Value::Array(items) if named_id_or_time => {
                    let scalars = items.into_iter().filter(|v| v.is_string() || v.is_number());
                    Some((key, Value::Array(scalars.collect())))
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cut(data: Value) -> Value {
        let raw = RawValue::from_string(data.to_string()).unwrap();
        serde_json::from_str(tombstone(&raw).get()).unwrap()
    }

    #[test]
    fn ids_and_times_stay_and_personal_data_goes() {
        let data = json!({
            "opportunityId": "o1", "candidateId": "c1", "contactId": "p1",
            "fromStageId": "s1", "toStageId": "s2",
            "name": "Dana Whitfield", "emails": ["dana@example.com"],
            "phones": [{"type": "mobile", "value": "+1 510 555 0142"}],
            "toArchived": {"archivedAt": 1717171799000u64, "reason": "r1", "note": "rude in interview"},
            "fromArchived": null,
            "panelIds": ["x", {"name": "no"}],
            "deletedBy": "u1"
        });
        assert_eq!(
            cut(data),
            json!({
                "opportunityId": "o1", "candidateId": "c1", "contactId": "p1",
                "fromStageId": "s1", "toStageId": "s2",
                "toArchived": {"archivedAt": 1717171799000u64, "reason": "r1"},
                "panelIds": ["x"]
            })
        );
    }

    #[test]
    fn an_id_key_holding_an_object_keeps_only_its_ids() {
        assert_eq!(
            cut(json!({"contactId": {"id": "p1", "email": "a@b.c"}})),
            json!({"contactId": {"id": "p1"}})
        );
        assert_eq!(cut(json!({"note": {"text": "x"}})), json!({}));
    }
}
