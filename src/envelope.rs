//! The outer shape of a Lever delivery (`event`, `token`, `triggeredAt`, `signature`, `data`, `id`),
//! parsed from the raw body without losing the bytes that were signed or sent.

mod strict;

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::io::{self, Write};

pub use strict::MAX_DEPTH;

/// Why a body is not a well-formed Lever delivery (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The body is not JSON at all, is nested deeper than [`MAX_DEPTH`], repeats a key in
    /// one object (envelope or `data`), holds a number beyond `f64`, or has a mistyped
    /// envelope field.
    #[error("body is not a valid delivery: {0}")]
    Invalid(String),
    /// The body is JSON but not an object.
    #[error("body is not a JSON object")]
    NotObject,
    /// A required envelope field is absent.
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// A required string field is empty.
    #[error("`{0}` is empty")]
    Empty(&'static str),
    /// `triggeredAt` is a float, a string, negative, or too large.
    #[error("`triggeredAt` must be a non-negative integer of milliseconds")]
    TriggeredAtNotInteger,
    /// `data` is an array, a string, a number or null.
    #[error("`data` must be a JSON object")]
    DataNotObject,
}

/// A parsed delivery. `data` keeps Lever's exact bytes; `triggered_at_text` keeps the signed digits.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The event type name.
    pub event: String,
    /// The per-delivery random token (signed).
    pub token: String,
    /// `triggeredAt` in milliseconds since the epoch.
    pub triggered_at: u64,
    /// `triggeredAt` exactly as the digits Lever sent (what was signed).
    pub triggered_at_text: String,
    /// The hex signature, when present.
    pub signature: Option<String>,
    /// Lever's event id, when sent.
    pub id: Option<String>,
    /// The `data` object, byte for byte.
    pub data: Box<RawValue>,
}

#[derive(Deserialize)]
struct Wire {
    event: Option<String>,
    token: Option<String>,
    #[serde(rename = "triggeredAt")]
    triggered_at: Option<Box<RawValue>>,
    signature: Option<String>,
    id: Option<String>,
    /// `null` stays `Some("null")` here, so it is reported as "not an object", not "missing".
    #[serde(default, deserialize_with = "present")]
    data: Option<Box<RawValue>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

impl Envelope {
    /// Parses a delivery body, checking the envelope's shape (not its signature).
    pub fn parse(body: &[u8]) -> Result<Self, EnvelopeError> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some() && first != Some(&b'{') {
            // serde would happily read `[…]` into a struct by position; refuse it here.
            return match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => Err(EnvelopeError::NotObject),
                Err(e) => Err(EnvelopeError::Invalid(e.to_string())),
            };
        }
        // `data` is kept as raw text, which serde_json reads without a depth limit or a
        // duplicate-key check; refuse here what a reader downstream could not take or
        // could take two ways.
        strict::check(body).map_err(|e| EnvelopeError::Invalid(e.to_string()))?;
        let wire: Wire =
            serde_json::from_slice(body).map_err(|e| EnvelopeError::Invalid(e.to_string()))?;
        let event = required(wire.event, "event")?;
        let token = required(wire.token, "token")?;
        let raw_time = wire
            .triggered_at
            .ok_or(EnvelopeError::Missing("triggeredAt"))?;
        let triggered_at_text = raw_time.get().to_owned();
        let triggered_at = parse_millis(&triggered_at_text)?;
        let data = wire.data.ok_or(EnvelopeError::Missing("data"))?;
        if !data.get().starts_with('{') {
            return Err(EnvelopeError::DataNotObject);
        }
        Ok(Self {
            event,
            token,
            triggered_at,
            triggered_at_text,
            signature: wire.signature,
            id: wire.id.filter(|id| !id.is_empty()),
            data,
        })
    }

    /// True for Lever's settings-page test delivery, whose `data` is `{}`.
    pub fn is_settings_test(&self) -> bool {
        self.data
            .get()
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .eq(*b"{}")
    }

    /// SHA-256 over `event`, `triggeredAt` and the canonical JSON of `data`.
    ///
    /// Two deliveries with the same hash carry the same content, however their keys were
    /// ordered or spaced.
    pub fn content_hash(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.event.as_bytes());
        hasher.update([0]);
        hasher.update(self.triggered_at_text.as_bytes());
        hasher.update([0]);
        write_canonical_json(self.data.get(), &mut hasher).expect("hashing cannot fail to write");
        hasher.finalize().into()
    }

    /// The dedupe key: Lever's `id` when sent, else the content hash.
    pub fn dedupe_key(&self, content_hash: &[u8; 32]) -> String {
        match &self.id {
            Some(id) => format!("id:{id}"),
            None => format!("sha256:{}", hex::encode(content_hash)),
        }
    }
}

fn required(value: Option<String>, field: &'static str) -> Result<String, EnvelopeError> {
    match value {
        None => Err(EnvelopeError::Missing(field)),
        Some(s) if s.is_empty() => Err(EnvelopeError::Empty(field)),
        Some(s) => Ok(s),
    }
}

fn parse_millis(text: &str) -> Result<u64, EnvelopeError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EnvelopeError::TriggeredAtNotInteger);
    }
    text.parse()
        .map_err(|_| EnvelopeError::TriggeredAtNotInteger)
}

/// JSON with object keys sorted and no insignificant whitespace; the raw text when it
/// cannot be read as a value (numbers beyond f64, for example), which is still deterministic.
pub fn canonical_json(json: &str) -> String {
    let mut out = Vec::with_capacity(json.len());
    write_canonical_json(json, &mut out).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// Writes [`canonical_json`] of `json` to `out` without building it in memory first
/// (the content hash streams it into SHA-256).
fn write_canonical_json(json: &str, out: &mut impl Write) -> io::Result<()> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(value) => write_canonical(&value, out),
        Err(_) => out.write_all(json.as_bytes()),
    }
}

fn write_canonical(value: &serde_json::Value, out: &mut impl Write) -> io::Result<()> {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.write_all(b"{")?;
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, key)?;
                out.write_all(b":")?;
                write_canonical(item, out)?;
            }
            out.write_all(b"}")
        }
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]")
        }
        scalar => Ok(serde_json::to_writer(&mut *out, scalar)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(triggered_at: &str, data: &str) -> Vec<u8> {
        format!(
            r#"{{"event":"candidateHired","token":"t1","triggeredAt":{triggered_at},"signature":"ab","data":{data}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_well_formed_delivery_keeps_the_signed_digits_and_raw_data() {
        let env = Envelope::parse(&body("1431454330072", r#"{"b": 1, "a": [2]}"#)).unwrap();
        assert_eq!(env.triggered_at, 1_431_454_330_072);
        assert_eq!(env.triggered_at_text, "1431454330072");
        assert_eq!(env.data.get(), r#"{"b": 1, "a": [2]}"#);
        assert!(!env.is_settings_test());
    }

    #[test]
    fn triggered_at_must_be_integer_digits() {
        for bad in [
            "1431454330072.0",
            "1.4e12",
            "\"1431454330072\"",
            "-5",
            "99999999999999999999999",
        ] {
            let err = Envelope::parse(&body(bad, "{}")).unwrap_err();
            assert_eq!(err, EnvelopeError::TriggeredAtNotInteger, "{bad}");
        }
    }

    #[test]
    fn data_must_be_an_object() {
        for bad in ["[]", "\"x\"", "3", "null"] {
            let err = Envelope::parse(&body("1", bad)).unwrap_err();
            assert_eq!(err, EnvelopeError::DataNotObject, "{bad}");
        }
    }

    #[test]
    fn non_objects_and_broken_json_are_told_apart() {
        assert_eq!(
            Envelope::parse(b"[1,2]").unwrap_err(),
            EnvelopeError::NotObject
        );
        assert!(matches!(
            Envelope::parse(b"{\"event\":").unwrap_err(),
            EnvelopeError::Invalid(_)
        ));
        assert!(matches!(
            Envelope::parse(b"").unwrap_err(),
            EnvelopeError::Invalid(_)
        ));
    }

    #[test]
    fn duplicate_envelope_keys_are_rejected() {
        let dup = br#"{"event":"a","token":"t","token":"u","triggeredAt":1,"data":{}}"#;
        assert!(matches!(
            Envelope::parse(dup).unwrap_err(),
            EnvelopeError::Invalid(_)
        ));
    }

    #[test]
    fn a_key_repeated_inside_data_or_deep_nesting_is_invalid() {
        for bad in [
            body("1", r#"{"opportunityId":"a","opportunityId":"b"}"#),
            body(
                "1",
                &format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200)),
            ),
            body("1", r#"{"n":1e400}"#),
        ] {
            assert!(matches!(
                Envelope::parse(&bad).unwrap_err(),
                EnvelopeError::Invalid(_)
            ));
        }
    }

    #[test]
    fn missing_and_empty_fields_are_named() {
        let no_token = br#"{"event":"a","triggeredAt":1,"data":{}}"#;
        assert_eq!(
            Envelope::parse(no_token).unwrap_err(),
            EnvelopeError::Missing("token")
        );
        let empty_token = br#"{"event":"a","token":"","triggeredAt":1,"data":{}}"#;
        assert_eq!(
            Envelope::parse(empty_token).unwrap_err(),
            EnvelopeError::Empty("token")
        );
        let no_data = br#"{"event":"a","token":"t","triggeredAt":1}"#;
        assert_eq!(
            Envelope::parse(no_data).unwrap_err(),
            EnvelopeError::Missing("data")
        );
    }

    #[test]
    fn the_settings_page_test_is_recognised_with_any_spacing() {
        assert!(Envelope::parse(&body("1", "{ }"))
            .unwrap()
            .is_settings_test());
    }

    #[test]
    fn content_hash_ignores_key_order_and_spacing_but_not_values() {
        let a = Envelope::parse(&body("1", r#"{"a":1,"b":{"c":2,"d":3}}"#)).unwrap();
        let b = Envelope::parse(&body("1", r#"{ "b": {"d":3, "c":2}, "a": 1 }"#)).unwrap();
        let c = Envelope::parse(&body("1", r#"{"a":1,"b":{"c":2,"d":4}}"#)).unwrap();
        let d = Envelope::parse(&body("2", r#"{"a":1,"b":{"c":2,"d":3}}"#)).unwrap();
        assert_eq!(a.content_hash(), b.content_hash());
        assert_ne!(a.content_hash(), c.content_hash());
        assert_ne!(a.content_hash(), d.content_hash());
    }

    /// Dedupe keys are stored; a new version must hash old deliveries exactly as the
    /// old one did, or a redelivery after an upgrade would be taken as new.
    #[test]
    fn content_hash_is_stable_across_versions() {
        let data = r#"{ "z": [1, -2.5, 1e3, true, null, {"b": "\u00e9\n\"q\"", "a": {}}],
            "é": "ünï", "a\u0000b": 12345678901234567890, "m": [] }"#;
        let env = Envelope::parse(&body("1700000000000", data)).unwrap();
        assert_eq!(
            hex::encode(env.content_hash()),
            "4f350605c23318c380ec40a68df94cacd7679b29a10f52755dabf7263eed9d74"
        );
        assert_eq!(
            canonical_json(data),
            r#"{"a\u0000b":12345678901234567890,"m":[],"z":[1,-2.5,1000.0,true,null,{"a":{},"b":"é\n\"q\""}],"é":"ünï"}"#
        );
    }

    #[test]
    fn the_dedupe_key_prefers_levers_id() {
        let mut env = Envelope::parse(&body("1", "{}")).unwrap();
        let hash = env.content_hash();
        assert!(env.dedupe_key(&hash).starts_with("sha256:"));
        env.id = Some("evt-1".into());
        assert_eq!(env.dedupe_key(&hash), "id:evt-1");
    }
}
