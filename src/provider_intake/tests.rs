use super::*;
use crate::standard_webhooks::{signature_headers, signing_key};
use secrecy::SecretString;
use serde_json::json;

const NOW: u64 = 1_800_000_000;

fn key(secret: &str) -> SecretSlice<u8> {
    signing_key(&SecretString::from(secret)).unwrap()
}

/// Verifies and reads `body` signed with `secret` as `id` at `at`, checked with `keys`.
fn read(
    keys: &[SecretSlice<u8>],
    secret: &str,
    id: &str,
    at: u64,
    body: &[u8],
) -> Result<Verified, ResultRefusal> {
    let [(_, id), (_, ts), (_, sig)] = signature_headers(&key(secret), id, at, body);
    let headers = SignedHeaders {
        id: Some(&id),
        timestamp: Some(&ts),
        signature: Some(&sig),
    };
    verify_and_read(keys, headers, body, NOW)
}

fn reference() -> ProviderReference {
    ProviderReference {
        account: "default".into(),
        opportunity_id: "opp-1".into(),
        contact_id: Some("person-1".into()),
        at: 1,
    }
}

#[test]
fn unknown_account_handler_or_no_secret_is_the_same_404() {
    let keys = [key("s")];
    assert!(keys_for(true, Some(&keys)).is_ok());
    for refused in [
        keys_for(false, Some(&keys)),
        keys_for(true, None),
        keys_for(true, Some(&[])),
    ] {
        let refusal = refused.unwrap_err();
        assert_eq!(refusal, ResultRefusal::NotFound);
        assert_eq!(
            (refusal.status(), refusal.public_reason().as_str()),
            (404, "not found")
        );
    }
}

#[test]
fn the_signature_is_checked_before_the_body_is_read() {
    let keys = [key("s")];
    let forged = read(&keys, "other", "msg_1", NOW, b"not json").unwrap_err();
    assert_eq!(forged, ResultRefusal::Signature(VerifyError::Mismatch));
    assert_eq!(
        (forged.status(), forged.public_reason().as_str()),
        (401, "invalid signature")
    );
    let old = read(&keys, "s", "msg_1", NOW - 301, b"not json").unwrap_err();
    assert_eq!(old.status(), 401);
    assert_eq!(old.label(), "outside_window");
}

#[test]
fn a_signed_body_must_be_an_object_with_string_reference_and_status() {
    let keys = [key("s")];
    for body in [
        &b"not json"[..],
        br#"["reference"]"#,
        br#"{"status": "clear"}"#,
        br#"{"reference": 7, "status": "clear"}"#,
        br#"{"reference": "r", "status": null}"#,
        br#"{"reference": "r", "status": "clear", "score": "high"}"#,
        br#"{"reference": "r", "status": "clear", "passed": "yes"}"#,
    ] {
        let refusal = read(&keys, "s", "msg_1", NOW, body).unwrap_err();
        assert_eq!(refusal.status(), 400, "{}", String::from_utf8_lossy(body));
    }
    let ok = read(
        &keys,
        "s",
        "msg_1",
        NOW,
        br#"{"reference": "r", "status": "clear", "score": 82}"#,
    )
    .unwrap();
    assert_eq!(
        (ok.webhook_id.as_str(), ok.timestamp, ok.reference.as_str()),
        ("msg_1", NOW, "r")
    );
}

#[test]
fn a_reference_counts_only_for_the_account_it_was_remembered_in() {
    let remembered = serde_json::to_value(reference()).unwrap();
    assert_eq!(
        reference_for("default", Some(remembered.clone())),
        Ok(reference())
    );
    assert_eq!(
        reference_for("acme", Some(remembered)),
        Err(ResultRefusal::UnknownReference)
    );
    assert_eq!(
        reference_for("default", None),
        Err(ResultRefusal::UnknownReference)
    );
    assert_eq!(
        reference_for("default", Some(json!("junk"))),
        Err(ResultRefusal::UnknownReference)
    );
    assert_eq!(ResultRefusal::UnknownReference.status(), 404);
}

#[test]
fn the_event_carries_the_reference_s_context_and_keeps_unknown_fields() {
    let body = br#"{"reference": "r", "status": "clear", "reportUrl": "https://x.example/r",
        "opportunityId": "someone-else", "vendorField": {"a": 1}}"#;
    let verified = read(&[key("s")], "s", "msg_1", NOW, body).unwrap();
    let event = new_event(
        "default",
        "bgcheck",
        verified,
        &reference(),
        EventId::new("evt_1"),
        5,
    );

    assert_eq!(event.event, PROVIDER_RESULT_EVENT);
    assert_eq!(event.account, "default");
    assert_eq!(
        event.opportunity_id.as_ref().map(|o| o.as_str()),
        Some("opp-1")
    );
    assert_eq!(
        event.contact_id.as_ref().map(|c| c.as_str()),
        Some("person-1")
    );
    assert_eq!(event.triggered_at, NOW * 1000);
    let data: Value = serde_json::from_str(event.data.get()).unwrap();
    assert_eq!(
        data,
        json!({"handler": "bgcheck", "reference": "r", "status": "clear",
               "reportUrl": "https://x.example/r", "webhookId": "msg_1",
               "opportunityId": "opp-1", "contactId": "person-1", "vendorField": {"a": 1}})
    );
    let typed: ProviderResult = serde_json::from_value(data).unwrap();
    assert_eq!(typed.extra["vendorField"], json!({"a": 1}));
}

#[test]
fn the_same_webhook_id_makes_the_same_keys_whatever_the_body_or_time() {
    let keys = [key("s")];
    let first = read(
        &keys,
        "s",
        "msg_1",
        NOW,
        br#"{"reference": "r", "status": "clear"}"#,
    )
    .unwrap();
    let again = read(
        &keys,
        "s",
        "msg_1",
        NOW - 60,
        br#"{"reference": "r", "status": "clear", "summary": "x"}"#,
    )
    .unwrap();
    let other = read(
        &keys,
        "s",
        "msg_2",
        NOW,
        br#"{"reference": "r", "status": "clear"}"#,
    )
    .unwrap();
    let event = |v: Verified, handler: &str| {
        new_event("default", handler, v, &reference(), EventId::generate(), 5)
    };
    let (a, b) = (event(first.clone(), "bgcheck"), event(again, "bgcheck"));
    assert_eq!(
        (&a.dedupe_key, &a.token, a.content_hash),
        (&b.dedupe_key, &b.token, b.content_hash)
    );
    assert_eq!(a.dedupe_key, "result:bgcheck:msg_1");
    let c = event(other, "bgcheck");
    assert_ne!(a.dedupe_key, c.dedupe_key);
    assert_ne!(a.content_hash, c.content_hash);
    let d = event(first, "assess");
    assert_ne!(a.token, d.token);
    assert_ne!(a.content_hash, d.content_hash);
}
