//! Contract: records, the small durable JSON values handlers and the Lever client keep.

use lever_hooks::store::{RecordKey, RecordPrefix};
use lever_hooks::Store;
use serde_json::json;
use std::sync::Arc;

pub async fn a_put_record_reads_back_and_a_second_put_replaces_it(store: Arc<dyn Store>) {
    let acme = RecordKey::oauth_session("acme");
    assert_eq!(store.record(&acme).await.unwrap(), None);
    store
        .put_record(&acme, json!({"token": "one"}))
        .await
        .unwrap();
    store
        .put_record(&acme, json!({"token": "two"}))
        .await
        .unwrap();
    assert_eq!(
        store.record(&acme).await.unwrap(),
        Some(json!({"token": "two"}))
    );
}

pub async fn insert_record_writes_only_the_first_value_and_returns_it_to_later_callers(
    store: Arc<dyn Store>,
) {
    let key = &RecordKey::handler("bgcheck", "check/default/opp-1");
    assert_eq!(
        store
            .insert_record(key, json!({"by": "first"}))
            .await
            .unwrap(),
        None,
        "nothing was there: written"
    );
    assert_eq!(
        store
            .insert_record(key, json!({"by": "second"}))
            .await
            .unwrap(),
        Some(json!({"by": "first"})),
        "the first value is returned and kept"
    );
    assert_eq!(
        store.record(key).await.unwrap(),
        Some(json!({"by": "first"}))
    );
}

pub async fn concurrent_insert_record_lets_exactly_one_caller_win(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .insert_record(
                        &RecordKey::handler("hris", "employee/default/contact-1"),
                        json!(i),
                    )
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut seen = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap().unwrap() {
            None => winners.push(i),
            Some(existing) => seen.push(existing),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one insert wins");
    let winner = json!(winners[0]);
    assert!(
        seen.iter().all(|v| *v == winner),
        "losers all see the winner"
    );
    assert_eq!(
        store
            .record(&RecordKey::handler("hris", "employee/default/contact-1"))
            .await
            .unwrap(),
        Some(winner)
    );
}

pub async fn records_lists_by_prefix_in_key_order_and_delete_removes(store: Arc<dyn Store>) {
    let key = |handler: &str, name: &str| RecordKey::handler(handler, name);
    for (handler, name) in [
        ("acme", "tokens/b"),
        ("acme", "tokens/a"),
        ("acme", "other"),
        ("acmex", "tokens/c"),
    ] {
        store
            .put_record(&key(handler, name), json!(name))
            .await
            .unwrap();
    }
    let tokens = RecordPrefix::handler_names("acme", "tokens/");
    let listed = store.records(&tokens).await.unwrap();
    assert_eq!(
        listed.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["handler/acme/tokens/a", "handler/acme/tokens/b"]
    );
    assert_eq!(listed[0].0, key("acme", "tokens/a"));
    assert_eq!(listed[0].1, json!("tokens/a"));
    assert_eq!(
        store
            .records(&RecordPrefix::handler("acme"))
            .await
            .unwrap()
            .len(),
        3,
        "another handler's records (acmex) are not listed"
    );
    store.delete_record(&key("acme", "tokens/a")).await.unwrap();
    store.delete_record(&key("acme", "never")).await.unwrap();
    assert_eq!(store.record(&key("acme", "tokens/a")).await.unwrap(), None);
    assert_eq!(store.records(&tokens).await.unwrap().len(), 1);
}
