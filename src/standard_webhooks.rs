//! Standard Webhooks (<https://www.standardwebhooks.com>), pure: the HMAC key from a
//! configured secret, and the `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! headers. The `http` handler signs what it sends with them; providers sign the results
//! they send back the same way.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha2::Sha256;

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
}
