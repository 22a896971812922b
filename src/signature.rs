//! Lever's webhook signature: `hex(HMAC-SHA256(signing token, token + triggeredAt))`.
//!
//! Pure functions only. Lever signs the per-delivery `token` and the decimal digits of
//! `triggeredAt`, never `data`; replay defence for `data` lives in the store (a token is
//! accepted once) and in handlers that re-read Lever before acting.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::collections::BTreeMap;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The body has no `signature` (or it is empty).
    #[error("signature missing")]
    Missing,
    /// The signature is not 64 hex digits.
    #[error("signature is not 64 hex digits")]
    Malformed,
    /// No configured signing token produces this signature.
    #[error("signature does not match")]
    Mismatch,
    /// No signing token is configured for this event type, so nothing can be verified.
    #[error("no signing token configured for this event")]
    NoTokenConfigured,
}

/// Signs `token` + `triggered_at` the way Lever does and returns lowercase hex.
///
/// `triggered_at` is the literal decimal text Lever sent: never re-format a float.
pub fn sign(signing_token: &str, token: &str, triggered_at: &str) -> String {
    hex::encode(
        mac(signing_token, token, triggered_at)
            .finalize()
            .into_bytes(),
    )
}

/// Checks `signature` against every candidate signing token, in constant time per comparison.
pub fn verify<'a>(
    signing_tokens: impl IntoIterator<Item = &'a SecretString>,
    token: &str,
    triggered_at: &str,
    signature: Option<&str>,
) -> Result<(), SignatureError> {
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::Missing)?;
    if signature.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::decode(signature).map_err(|_| SignatureError::Malformed)?;
    let mut any_configured = false;
    let mut matched = false;
    for signing_token in signing_tokens {
        any_configured = true;
        // Keep checking after a match so timing does not reveal which token matched.
        let ok = mac(signing_token.expose_secret(), token, triggered_at)
            .verify_slice(&expected)
            .is_ok();
        matched |= ok;
    }
    match (any_configured, matched) {
        (false, _) => Err(SignatureError::NoTokenConfigured),
        (true, true) => Ok(()),
        (true, false) => Err(SignatureError::Mismatch),
    }
}

fn mac(signing_token: &str, token: &str, triggered_at: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(signing_token.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(token.as_bytes());
    mac.update(triggered_at.as_bytes());
    mac
}

/// An account's signing tokens: per event type, with an optional `default` for the rest.
///
/// An event type's own entry replaces the default for that type. Each entry may hold
/// several tokens so one can be rotated without downtime.
#[derive(Clone, Default)]
pub struct SigningTokens {
    by_event: BTreeMap<String, Vec<SecretString>>,
    default: Vec<SecretString>,
}

impl std::fmt::Debug for SigningTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names and counts only: a signing token never reaches a log.
        let mut map = f.debug_map();
        for (event, tokens) in &self.by_event {
            map.entry(event, &format_args!("[{} redacted]", tokens.len()));
        }
        map.entry(
            &"default",
            &format_args!("[{} redacted]", self.default.len()),
        );
        map.finish()
    }
}

impl SigningTokens {
    /// Builds the set from config entries; the key `default` is the fallback.
    pub fn new(entries: BTreeMap<String, Vec<SecretString>>) -> Self {
        let mut by_event = entries;
        let default = by_event.remove("default").unwrap_or_default();
        Self { by_event, default }
    }

    /// The tokens that may have signed a delivery of `event`.
    pub fn for_event(&self, event: &str) -> &[SecretString] {
        self.by_event
            .get(event)
            .map(Vec::as_slice)
            .unwrap_or(&self.default)
    }

    /// True when no token at all is configured.
    pub fn is_empty(&self) -> bool {
        self.default.is_empty() && self.by_event.values().all(Vec::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vector from lever-facts.md §1.3, computed independently with Python's hmac.
    const KEY: &str = "example-signing-token-0123456789abcdef0123456789ab";
    const TOKEN: &str = "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154";
    const TRIGGERED_AT: &str = "1431454330072";
    const EXPECTED: &str = "632a1275ecbef1630667b67cb15da5e6389800bfb5b04e85da5df000149054c0";

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn signing_matches_the_documented_test_vector() {
        assert_eq!(sign(KEY, TOKEN, TRIGGERED_AT), EXPECTED);
    }

    #[test]
    fn the_documented_test_vector_verifies() {
        let keys = [secret(KEY)];
        assert_eq!(verify(&keys, TOKEN, TRIGGERED_AT, Some(EXPECTED)), Ok(()));
    }

    #[test]
    fn any_of_several_rotated_tokens_verifies() {
        let keys = [secret("old-token"), secret(KEY)];
        assert_eq!(verify(&keys, TOKEN, TRIGGERED_AT, Some(EXPECTED)), Ok(()));
    }

    #[test]
    fn a_changed_timestamp_is_a_mismatch() {
        let keys = [secret(KEY)];
        let result = verify(&keys, TOKEN, "1431454330073", Some(EXPECTED));
        assert_eq!(result, Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_changed_token_is_a_mismatch() {
        let keys = [secret(KEY)];
        let result = verify(&keys, "x", TRIGGERED_AT, Some(EXPECTED));
        assert_eq!(result, Err(SignatureError::Mismatch));
    }

    #[test]
    fn missing_short_and_non_hex_signatures_are_told_apart() {
        let keys = [secret(KEY)];
        assert_eq!(
            verify(&keys, TOKEN, TRIGGERED_AT, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(&keys, TOKEN, TRIGGERED_AT, Some("")),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(&keys, TOKEN, TRIGGERED_AT, Some(&EXPECTED[..62])),
            Err(SignatureError::Malformed)
        );
        let non_hex = format!("zz{}", &EXPECTED[2..]);
        assert_eq!(
            verify(&keys, TOKEN, TRIGGERED_AT, Some(&non_hex)),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn no_configured_token_fails_closed() {
        let result = verify(&[], TOKEN, TRIGGERED_AT, Some(EXPECTED));
        assert_eq!(result, Err(SignatureError::NoTokenConfigured));
    }

    #[test]
    fn an_event_entry_replaces_the_default() {
        let mut entries = BTreeMap::new();
        entries.insert("default".to_owned(), vec![secret("d")]);
        entries.insert(
            "candidateHired".to_owned(),
            vec![secret("h1"), secret("h2")],
        );
        let tokens = SigningTokens::new(entries);
        assert_eq!(tokens.for_event("candidateHired").len(), 2);
        assert_eq!(
            tokens.for_event("candidateStageChange")[0].expose_secret(),
            "d"
        );
        assert!(
            !format!("{tokens:?}").contains("h1"),
            "Debug must not print tokens"
        );
    }
}
