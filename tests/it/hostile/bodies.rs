//! Delivery bodies, valid and broken, built from one correctly signed template.

use crate::helpers::{now, SIGNING_TOKEN};
use lever_hooks::sample::{random_token, SampleEvent};
use lever_hooks::signature;
use serde_json::{Map, Value};

/// `[server] max_body_bytes` in the test config (the default, 256 KiB).
pub const LIMIT: usize = 256 * 1024;

/// One day in milliseconds.
pub const DAY: u64 = 86_400_000;

/// A valid `candidateHired` delivery, triggered now with a fresh token, as a JSON object.
pub fn valid() -> Map<String, Value> {
    let body = signed(
        "candidateHired",
        &random_token(),
        &now().to_string(),
        &hired_data(),
    );
    match serde_json::from_slice(&body).expect("valid JSON") {
        Value::Object(map) => map,
        _ => unreachable!("a delivery is an object"),
    }
}

/// [`valid`] after `edit`, serialized.
pub fn edited(edit: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
    let mut body = valid();
    edit(&mut body);
    serde_json::to_vec(&body).expect("serializes")
}

/// Realistic `data` of a `candidateHired`, as JSON text.
pub fn hired_data() -> String {
    SampleEvent::new("candidateHired").data(now()).to_string()
}

/// A delivery written as text, correctly signed over `token` + `triggered_at` exactly as
/// written (so a rejection comes from the check under test, not from the signature).
pub fn signed(event: &str, token: &str, triggered_at: &str, data: &str) -> Vec<u8> {
    let signature = signature::sign(SIGNING_TOKEN, token, triggered_at);
    with_signature(
        event,
        token,
        triggered_at,
        data,
        &format!("\"{signature}\""),
    )
}

/// A delivery written as text with `signature` as the raw JSON of its `signature` field.
pub fn with_signature(
    event: &str,
    token: &str,
    triggered_at: &str,
    data: &str,
    signature: &str,
) -> Vec<u8> {
    format!(
        r#"{{"event":"{event}","triggeredAt":{triggered_at},"token":"{token}","signature":{signature},"data":{data}}}"#
    )
    .into_bytes()
}

/// A correctly signed delivery with `triggered_at` as its raw JSON and realistic `data`.
pub fn signed_at(triggered_at: &str) -> Vec<u8> {
    signed(
        "candidateHired",
        &random_token(),
        triggered_at,
        &hired_data(),
    )
}

/// A correctly signed delivery with `data` as its raw JSON, triggered now.
pub fn signed_data(data: &str) -> Vec<u8> {
    signed("candidateHired", &random_token(), &now().to_string(), data)
}

/// [`valid`] with its `signature` field replaced by `signature` (raw JSON).
pub fn signature_field(signature: &str) -> Vec<u8> {
    let data = hired_data();
    with_signature(
        "candidateHired",
        &random_token(),
        &now().to_string(),
        &data,
        signature,
    )
}

/// A valid delivery with `token` set to a string of `len` letters (signature now wrong).
pub fn token_of_len(len: usize) -> Vec<u8> {
    edited(|b| {
        b.insert("token".into(), Value::String("t".repeat(len)));
    })
}

/// A valid delivery padded with spaces after the object to exactly `len` bytes.
pub fn padded_to(len: usize) -> Vec<u8> {
    let mut body = serde_json::to_vec(&valid()).expect("serializes");
    assert!(body.len() <= len, "the template fits");
    body.resize(len, b' ');
    body
}

/// A valid delivery whose token is grown until the body is exactly `total` bytes (its
/// signature, made for the original token, no longer matches).
pub fn token_filling(total: usize) -> Vec<u8> {
    let base = token_of_len(1).len() - 1;
    let body = token_of_len(total - base);
    assert_eq!(body.len(), total);
    body
}
