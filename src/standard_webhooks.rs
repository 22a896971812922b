//! Standard Webhooks (<https://www.standardwebhooks.com>), pure: the HMAC key from a
//! configured secret, and the `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! headers. The `http` handler signs what it sends with them; providers sign the results
//! they send back the same way, and [`verify`] checks those.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha2::Sha256;
use std::time::Duration;

/// How far `webhook-timestamp` may be from our clock, either way.
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a signed request is refused by [`verify`]. The messages never quote a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing or empty.
    #[error("a webhook-id, webhook-timestamp or webhook-signature header is missing")]
    Missing,
    /// `webhook-timestamp` is not a number of seconds.
    #[error("webhook-timestamp is not a unix time in seconds")]
    BadTimestamp,
    /// `webhook-timestamp` is more than [`TOLERANCE`] away from now.
    #[error("webhook-timestamp is more than five minutes from now")]
    OutsideWindow,
    /// No `v1` signature in the header matches under any key.
    #[error("no signature matches")]
    Mismatch,
}

impl VerifyError {
    /// A short machine-friendly label for logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::BadTimestamp => "signature_malformed",
            Self::OutsideWindow => "outside_window",
            Self::Mismatch => "signature_mismatch",
        }
    }
}

/// The three Standard Webhooks headers as received (`None` when absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedHeaders<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`, unix seconds.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`: space-separated `v1,<base64>` signatures.
    pub signature: Option<&'a str>,
}

/// Checks `body` and its headers at `now` (unix seconds): passes when any `v1` signature
/// in the header matches under any of `keys` (several keys while a secret is rotated,
/// several signatures while the sender rotates), compared in constant time, and the
/// timestamp is within [`TOLERANCE`] of `now`. Signatures of other versions are skipped.
/// Returns the `webhook-id` and the timestamp.
pub fn verify<'a>(
    keys: &[SecretSlice<u8>],
    headers: SignedHeaders<'a>,
    body: &[u8],
    now: u64,
) -> Result<(&'a str, u64), VerifyError> {
    let present = |v: Option<&'a str>| v.map(str::trim).filter(|v| !v.is_empty());
    let (Some(id), Some(timestamp_text), Some(signatures)) = (
        present(headers.id),
        present(headers.timestamp),
        present(headers.signature),
    ) else {
        return Err(VerifyError::Missing);
    };
    let timestamp: u64 = timestamp_text
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    if timestamp.abs_diff(now) > TOLERANCE.as_secs() {
        return Err(VerifyError::OutsideWindow);
    }
    let candidates: Vec<Vec<u8>> = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| BASE64.decode(s).ok())
        .collect();
    for key in keys {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.expose_secret())
            .expect("HMAC takes keys of any length");
        mac.update(format!("{id}.{timestamp_text}.").as_bytes());
        mac.update(body);
        if candidates
            .iter()
            .any(|c| mac.clone().verify_slice(c).is_ok())
        {
            return Ok((id, timestamp));
        }
    }
    Err(VerifyError::Mismatch)
}

/// The prefix of Standard Webhooks secrets; the rest is the base64 of the key.
const WHSEC_PREFIX: &str = "whsec_";

/// The HMAC key for a configured secret: with the `whsec_` prefix the rest is base64 and
/// decodes to the key (the Standard Webhooks convention); otherwise the secret's bytes
/// are the key. Errors never quote the secret.
pub fn signing_key(secret: &SecretString) -> Result<SecretSlice<u8>, String> {
    let secret = secret.expose_secret();
    let key = match secret.strip_prefix(WHSEC_PREFIX) {
        Some(encoded) => BASE64
            .decode(encoded.trim())
            .map_err(|_| format!("after `{WHSEC_PREFIX}` the secret must be base64"))?,
        None => secret.as_bytes().to_vec(),
    };
    if key.is_empty() {
        return Err("the secret is empty".to_owned());
    }
    Ok(key.into())
}

/// The three Standard Webhooks headers for `body` sent at `timestamp` (unix seconds):
/// the signature is `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
pub fn signature_headers(
    key: &SecretSlice<u8>,
    id: &str,
    timestamp: u64,
    body: &[u8],
) -> [(&'static str, String); 3] {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.expose_secret()).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let signature = BASE64.encode(mac.finalize().into_bytes());
    [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", format!("v1,{signature}")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whsec_secret_is_base64_and_any_other_is_raw_bytes() {
        let whsec = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let decoded = BASE64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            signing_key(&whsec).unwrap().expose_secret(),
            decoded.as_slice()
        );
        let raw = SecretString::from("plain-secret");
        assert_eq!(signing_key(&raw).unwrap().expose_secret(), b"plain-secret");
        assert!(signing_key(&SecretString::from("whsec_***")).is_err());
        assert!(signing_key(&SecretString::from("")).is_err());
    }

    #[test]
    fn the_signature_matches_the_standard_webhooks_test_vector() {
        let key = signing_key(&SecretString::from(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ))
        .unwrap();
        let body = br#"{"test": 2432232314}"#;

        let headers = signature_headers(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);

        assert_eq!(
            headers[0],
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek".to_owned())
        );
        assert_eq!(headers[1], ("webhook-timestamp", "1614265330".to_owned()));
        assert_eq!(
            headers[2],
            (
                "webhook-signature",
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned()
            )
        );
    }

    const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const VECTOR_TS: u64 = 1614265330;
    const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const VECTOR_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn vector_key() -> SecretSlice<u8> {
        signing_key(&SecretString::from(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ))
        .unwrap()
    }

    fn other_key() -> SecretSlice<u8> {
        signing_key(&SecretString::from("another-secret")).unwrap()
    }

    fn check(
        keys: &[SecretSlice<u8>],
        signature: &str,
        now: u64,
    ) -> Result<(&'static str, u64), VerifyError> {
        let ts = VECTOR_TS.to_string();
        let headers = SignedHeaders {
            id: Some(VECTOR_ID),
            timestamp: Some(&ts),
            signature: Some(signature),
        };
        verify(keys, headers, VECTOR_BODY, now).map(|(_, ts)| (VECTOR_ID, ts))
    }

    #[test]
    fn the_test_vector_verifies_and_a_changed_body_does_not() {
        let key = vector_key();
        assert_eq!(
            check(std::slice::from_ref(&key), VECTOR_SIG, VECTOR_TS),
            Ok((VECTOR_ID, VECTOR_TS))
        );
        let ts = VECTOR_TS.to_string();
        let headers = SignedHeaders {
            id: Some(VECTOR_ID),
            timestamp: Some(&ts),
            signature: Some(VECTOR_SIG),
        };
        assert_eq!(
            verify(&[key], headers, br#"{"test": 2432232315}"#, VECTOR_TS),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn any_key_and_any_signature_in_the_header_may_match() {
        let rotated = [other_key(), vector_key()];
        assert!(check(&rotated, VECTOR_SIG, VECTOR_TS).is_ok(), "second key");
        let several = format!("v1,AAAA v2,whatever {VECTOR_SIG}");
        assert!(check(&[vector_key()], &several, VECTOR_TS).is_ok());
        assert_eq!(
            check(&[other_key()], VECTOR_SIG, VECTOR_TS),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            check(&[vector_key()], "v1,AAAA v1,not-base64!", VECTOR_TS),
            Err(VerifyError::Mismatch)
        );
        // The right bytes under another version are not a v1 signature.
        let v2 = VECTOR_SIG.replacen("v1,", "v2,", 1);
        assert_eq!(
            check(&[vector_key()], &v2, VECTOR_TS),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn a_timestamp_more_than_five_minutes_off_either_way_fails() {
        let key = [vector_key()];
        assert!(check(&key, VECTOR_SIG, VECTOR_TS + 300).is_ok());
        assert!(check(&key, VECTOR_SIG, VECTOR_TS - 300).is_ok());
        assert_eq!(
            check(&key, VECTOR_SIG, VECTOR_TS + 301),
            Err(VerifyError::OutsideWindow),
            "too old"
        );
        assert_eq!(
            check(&key, VECTOR_SIG, VECTOR_TS - 301),
            Err(VerifyError::OutsideWindow),
            "in the future"
        );
    }

    #[test]
    fn missing_headers_and_a_bad_timestamp_are_refused() {
        let key = [vector_key()];
        let full = SignedHeaders {
            id: Some(VECTOR_ID),
            timestamp: Some("1614265330"),
            signature: Some(VECTOR_SIG),
        };
        for headers in [
            SignedHeaders { id: None, ..full },
            SignedHeaders {
                timestamp: Some(" "),
                ..full
            },
            SignedHeaders {
                signature: None,
                ..full
            },
        ] {
            assert_eq!(
                verify(&key, headers, VECTOR_BODY, VECTOR_TS),
                Err(VerifyError::Missing)
            );
        }
        let bad = SignedHeaders {
            timestamp: Some("soon"),
            ..full
        };
        assert_eq!(
            verify(&key, bad, VECTOR_BODY, VECTOR_TS),
            Err(VerifyError::BadTimestamp)
        );
    }
}
