//! Fuzz target: arbitrary bytes into `Envelope::parse` and `intake::check` (for two fixed
//! accounts), which must answer (accept, test or reject) and never panic.
//!
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run intake` from the repository root (see the README).

#![no_main]

use lever_hooks::config::AccountConfig;
use lever_hooks::envelope::Envelope;
use lever_hooks::intake;
use lever_hooks::signature::SigningTokens;
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A fixed moment, so a run is reproducible (`triggeredAt` near it passes the time window).
const NOW: u64 = 1_717_171_717_171;

/// The two fixed accounts: one with a signing token, and one with `allow_unsigned` so
/// that inputs without a valid HMAC (nearly all of them) still reach the time window,
/// the settings-test check, the content hash and the typed decoder.
fn accounts() -> &'static [AccountConfig; 2] {
    static ACCOUNTS: OnceLock<[AccountConfig; 2]> = OnceLock::new();
    ACCOUNTS.get_or_init(|| {
        let mut tokens = BTreeMap::new();
        tokens.insert(
            "default".to_owned(),
            vec![SecretString::from("fuzz-signing-token".to_owned())],
        );
        let signed = AccountConfig {
            signing_tokens: SigningTokens::new(tokens),
            ..AccountConfig::default()
        };
        let unsigned = AccountConfig {
            allow_unsigned: true,
            ..AccountConfig::default()
        };
        [signed, unsigned]
    })
}

fuzz_target!(|body: &[u8]| {
    let _ = Envelope::parse(body);
    for account in accounts() {
        let _ = intake::check("default", account, &|_| Vec::new(), body, NOW);
    }
});
