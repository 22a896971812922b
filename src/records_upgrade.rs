//! Moves the records the Lever-aware handlers kept before handlers had records of their
//! own (`bgcheck/…`, `assessment/…`, `hris/…`, `write/…`) into each handler's records,
//! once, when the service starts. A check requested, an invite sent or an employee created
//! before the upgrade is then still known after it, so nothing is done twice.

use crate::handler::{AssessmentConfig, HandlerSettings};
use crate::record_key::{RecordKey, RecordPrefix};
use crate::store::{Store, StoreError};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tracing::info;

/// Moves every legacy record to the handlers configured in `handlers` that own it, and
/// deletes it; returns how many legacy records were moved. Safe to run again: a record the
/// handler already has is kept, and the legacy one is dropped.
pub async fn adopt_legacy_records(
    store: &dyn Store,
    handlers: &BTreeMap<String, HandlerSettings>,
) -> Result<usize, StoreError> {
    let of_kind = |kind: &str| -> Vec<&str> {
        handlers
            .iter()
            .filter(|(_, settings)| settings.kind() == kind)
            .map(|(name, _)| name.as_str())
            .collect()
    };
    let mut moved = 0;
    for (owner, kind, new_prefix) in [
        ("bgcheck", "background-check", "check"),
        ("assessment", "assessment", "invite"),
        ("hris", "hris", "employee"),
    ] {
        for (key, value) in store.records(&RecordPrefix::legacy(owner)).await? {
            let parts = key.parts();
            let name = format!("{new_prefix}/{}", parts.join("/"));
            let owners = of_kind(kind).into_iter().filter(|handler| {
                // An invite belongs to the handlers of that assessment only.
                kind != "assessment"
                    || handlers[*handler]
                        .get::<AssessmentConfig>()
                        .is_some_and(|c| parts.last() == Some(&c.assessment))
            });
            for handler in owners {
                adopt(store, handler, &name, value.clone()).await?;
            }
            store.delete_record(&key).await?;
            moved += 1;
        }
    }
    for (key, value) in store.records(&RecordPrefix::legacy("write")).await? {
        // `write/<event id>:<handler>:<what>`: the handler is in the key.
        let write_key = key.parts().join("/");
        if let Some(handler) = write_key.split(':').nth(1) {
            adopt(
                store,
                handler,
                &format!("write/{write_key}"),
                as_once(value),
            )
            .await?;
        }
        store.delete_record(&key).await?;
        moved += 1;
    }
    if moved > 0 {
        info!(
            moved,
            "moved records of the Lever-aware handlers into each handler's own records"
        );
    }
    Ok(moved)
}

async fn adopt(
    store: &dyn Store,
    handler: &str,
    name: &str,
    value: Value,
) -> Result<(), StoreError> {
    store
        .insert_record(&RecordKey::handler(handler, name), value)
        .await
        .map(|_| ())
}

/// A legacy write record in the shape [`crate::handler::Records::once`] reads: a done
/// write's note id becomes its result.
fn as_once(legacy: Value) -> Value {
    if legacy["state"] == "done" {
        json!({"state": "done", "result": legacy["noteId"], "at": legacy["at"]})
    } else {
        legacy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::{HandlerRegistry, Records};
    use crate::store::SledStore;
    use std::sync::Arc;

    fn handlers(sections: &[(&str, &str, &str)]) -> BTreeMap<String, HandlerSettings> {
        let registry = HandlerRegistry::new();
        sections
            .iter()
            .map(|(name, kind, toml_text)| {
                let section: toml::Value = toml::from_str(toml_text).unwrap();
                let settings = registry.read_settings(kind, section).unwrap().unwrap();
                (name.to_string(), settings)
            })
            .collect()
    }

    const PROVIDER: &str = "provider = { kind = \"http\", url = \"http://127.0.0.1:9/p\" }\n";

    #[tokio::test]
    async fn records_from_before_move_to_the_handlers_that_own_them_once() {
        let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
        let legacy = [
            (
                RecordKey::legacy("bgcheck", &["default", "opp-1"]),
                json!({"state": "open", "checkId": "chk-1"}),
            ),
            (
                RecordKey::legacy("assessment", &["default", "c-1", "skills"]),
                json!({"state": "invited", "inviteId": "inv-1"}),
            ),
            (
                RecordKey::legacy("hris", &["default", "c-1"]),
                json!({"state": "created", "employeeId": "e-1"}),
            ),
            (
                RecordKey::legacy("write", &["evt_1:bgcheck:note"]),
                json!({"state": "done", "noteId": "note-1", "at": 5}),
            ),
        ];
        for (key, value) in &legacy {
            store.put_record(key, value.clone()).await.unwrap();
        }
        let configured = handlers(&[
            ("bgcheck", "background-check", PROVIDER),
            (
                "skills-test",
                "assessment",
                &format!("assessment = \"skills\"\n{PROVIDER}"),
            ),
            (
                "other-test",
                "assessment",
                &format!("assessment = \"other\"\n{PROVIDER}"),
            ),
            ("hris", "hris", PROVIDER),
        ]);

        let moved = adopt_legacy_records(&*store, &configured).await.unwrap();

        assert_eq!(moved, 4);
        let records = |handler: &str| Records::new(store.clone(), handler);
        assert_eq!(
            records("bgcheck").get("check/default/opp-1").await.unwrap(),
            Some(legacy[0].1.clone())
        );
        assert_eq!(
            records("skills-test")
                .get("invite/default/c-1/skills")
                .await
                .unwrap(),
            Some(legacy[1].1.clone())
        );
        assert_eq!(
            records("other-test").list("").await.unwrap(),
            [],
            "an invite to another assessment is not this handler's"
        );
        assert_eq!(
            records("hris").get("employee/default/c-1").await.unwrap(),
            Some(legacy[2].1.clone())
        );
        let note: Option<String> = records("bgcheck")
            .once("write/evt_1:bgcheck:note", |_| async {
                Err::<Option<String>, &str>("a done write must not run again")
            })
            .await
            .unwrap();
        assert_eq!(note.as_deref(), Some("note-1"));
        for (key, _) in &legacy {
            assert_eq!(store.record(key).await.unwrap(), None, "{key} is gone");
        }
        assert_eq!(
            adopt_legacy_records(&*store, &configured).await.unwrap(),
            0,
            "a second start has nothing to move"
        );
    }

    #[tokio::test]
    async fn a_record_the_handler_already_has_is_kept() {
        let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
        let configured = handlers(&[("bgcheck", "background-check", PROVIDER)]);
        let records = Records::new(store.clone(), "bgcheck");
        records
            .put("check/default/opp-1", json!({"checkId": "newer"}))
            .await
            .unwrap();
        let old = RecordKey::legacy("bgcheck", &["default", "opp-1"]);
        store
            .put_record(&old, json!({"checkId": "older"}))
            .await
            .unwrap();

        adopt_legacy_records(&*store, &configured).await.unwrap();

        assert_eq!(
            records.get("check/default/opp-1").await.unwrap(),
            Some(json!({"checkId": "newer"}))
        );
        assert_eq!(store.record(&old).await.unwrap(), None);
    }
}
