//! Property tests of the intake's pure core: the signature rejects any change to what it
//! signs, the parser and the intake decision take any bytes without panicking, and `data`
//! is stored exactly as sent.

use lever_hooks::config::AccountConfig;
use lever_hooks::envelope::Envelope;
use lever_hooks::intake::{self, Checked};
use lever_hooks::sample::signed_body;
use lever_hooks::signature::{self, SignatureError, SigningTokens};
use lever_hooks::store::{now_millis, IngestOutcome, SledStore, Store};
use proptest::prelude::*;
use proptest::sample::Index;
use secrecy::SecretString;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

const KEY: &str = "property-signing-token";

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// The default account with one signing token, [`KEY`], for every event.
fn account() -> AccountConfig {
    let mut tokens = BTreeMap::new();
    tokens.insert("default".to_owned(), vec![secret(KEY)]);
    AccountConfig {
        signing_tokens: SigningTokens::new(tokens),
        ..AccountConfig::default()
    }
}

fn check(body: &[u8], now: u64) -> Result<Checked, intake::Rejection> {
    intake::check("default", &account(), &|_| Vec::new(), body, now)
}

/// One edit of a string: replace, insert or remove the character at a position.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Index, char),
    Insert(Index, char),
    Remove(Index),
}

fn edit(chars: impl Strategy<Value = char> + Clone) -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), chars.clone()).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<Index>(), chars).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<Index>().prop_map(Edit::Remove),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    match edit {
        Edit::Replace(i, c) if len > 0 => chars[i.index(len)] = *c,
        Edit::Insert(i, c) => chars.insert(i.index(len + 1), *c),
        Edit::Remove(i) if len > 0 => {
            chars.remove(i.index(len));
        }
        _ => {}
    }
    chars.into_iter().collect()
}

fn digit() -> impl Strategy<Value = char> + Clone {
    prop::char::range('0', '9')
}

fn hex_digit() -> impl Strategy<Value = char> + Clone {
    prop::sample::select("0123456789abcdefABCDEF".chars().collect::<Vec<_>>())
}

/// Any JSON value a delivery's `data` may hold, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A non-empty `data` object (an empty one is Lever's settings-page test).
fn data_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(any::<String>(), json_value(), 1..6)
        .prop_map(|m| m.into_iter().collect())
}

/// A delivery object with each envelope field absent or any JSON value at all.
fn wild_envelope() -> impl Strategy<Value = Value> {
    let field = || prop::option::of(json_value());
    (field(), field(), field(), field(), field(), field()).prop_map(
        |(event, token, triggered_at, signature, data, id)| {
            let mut map = Map::new();
            for (name, value) in [
                ("event", event),
                ("token", token),
                ("triggeredAt", triggered_at),
                ("signature", signature),
                ("data", data),
                ("id", id),
            ] {
                if let Some(value) = value {
                    map.insert(name.to_owned(), value);
                }
            }
            Value::Object(map)
        },
    )
}

proptest! {
    /// A signature made with the key verifies, and any single edit of the token, of the
    /// digits of `triggeredAt`, or of the signature's hex (other than its letter case) is
    /// rejected.
    #[test]
    fn only_the_unchanged_signed_fields_verify(
        token in "[!-~]{1,60}",
        at in any::<u64>(),
        token_edit in edit(any::<char>()),
        at_edit in edit(digit()),
        signature_edit in edit(hex_digit()),
    ) {
        let keys = [secret(KEY)];
        let at = at.to_string();
        let good = signature::sign(KEY, &token, &at);
        prop_assert_eq!(signature::verify(&keys, &token, &at, Some(&good)), Ok(()));

        let other_token = apply(&token, &token_edit);
        if other_token != token {
            prop_assert!(signature::verify(&keys, &other_token, &at, Some(&good)).is_err());
        }
        let other_at = apply(&at, &at_edit);
        if other_at != at {
            prop_assert!(signature::verify(&keys, &token, &other_at, Some(&good)).is_err());
        }
        let other_sig = apply(&good, &signature_edit);
        let same_digest = other_sig.len() == good.len() && other_sig.eq_ignore_ascii_case(&good);
        let result = signature::verify(&keys, &token, &at, Some(&other_sig));
        if same_digest {
            prop_assert_eq!(result, Ok(()), "hex digits in either case are the same digest");
        } else {
            prop_assert!(result.is_err());
        }
    }

    /// A signature made with any other key is a mismatch.
    #[test]
    fn another_key_never_verifies(other in any::<String>(), token in "[0-9a-f]{48}", at in any::<u64>()) {
        prop_assume!(other != KEY);
        let at = at.to_string();
        let forged = signature::sign(&other, &token, &at);
        prop_assert_eq!(
            signature::verify(&[secret(KEY)], &token, &at, Some(&forged)),
            Err(SignatureError::Mismatch)
        );
    }

    /// Any bytes at all: the parser and the intake decide without panicking.
    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = Envelope::parse(&body);
        let _ = check(&body, now_millis());
    }

    /// A valid delivery with bytes changed, inserted or cut: no panic, and never accepted
    /// unless the signed fields survived (then it still verifies).
    #[test]
    fn damaged_deliveries_never_panic(
        edits in prop::collection::vec((any::<Index>(), any::<u8>(), 0..3u8), 1..8),
    ) {
        let now = now_millis();
        let data = serde_json::json!({"opportunityId": "o-1", "contactId": "c-1"});
        let mut body = signed_body(KEY, "candidateHired", &data, now, "tok-123");
        for (at, byte, kind) in &edits {
            match kind {
                0 if !body.is_empty() => {
                    let i = at.index(body.len());
                    body[i] = *byte;
                }
                1 => {
                    let i = at.index(body.len() + 1);
                    body.insert(i, *byte);
                }
                _ if !body.is_empty() => {
                    let i = at.index(body.len());
                    body.remove(i);
                }
                _ => {}
            }
        }
        let _ = Envelope::parse(&body);
        if let Ok(Checked::Event(event)) = check(&body, now) {
            let env = Envelope::parse(&body).expect("an accepted body parses");
            prop_assert_eq!(&event.token, &env.token);
            prop_assert_eq!(
                signature::verify(&[secret(KEY)], &env.token, &env.triggered_at_text, env.signature.as_deref()),
                Ok(())
            );
        }
    }

    /// Objects with any envelope fields of any JSON type: no panic, and nothing is
    /// accepted without a signature made with the key.
    #[test]
    fn wild_envelopes_are_never_accepted(envelope in wild_envelope()) {
        let body = serde_json::to_vec(&envelope).unwrap();
        let _ = Envelope::parse(&body);
        prop_assert!(check(&body, now_millis()).is_err());
    }
}

/// One runtime and store for the round-trip property (a store per case would be slow).
fn shared() -> &'static (tokio::runtime::Runtime, SledStore) {
    static SHARED: OnceLock<(tokio::runtime::Runtime, SledStore)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let store = runtime.block_on(async { SledStore::temporary().expect("temporary store") });
        (runtime, store)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any `data` object, compact or pretty, is stored byte for byte as sent, and so reads
    /// back as the same JSON value.
    #[test]
    fn data_is_stored_exactly_as_sent(data in data_object(), pretty in any::<bool>()) {
        // A fresh token and `triggeredAt` per case, so no case is a duplicate of another.
        static CASE: AtomicU64 = AtomicU64::new(0);
        let n = CASE.fetch_add(1, Ordering::Relaxed);
        let now = now_millis();
        let data_text = if pretty {
            serde_json::to_string_pretty(&data).unwrap()
        } else {
            serde_json::to_string(&data).unwrap()
        };
        let token = format!("round-trip-{n}");
        let at = (now - n).to_string();
        let body = format!(
            r#"{{"event":"candidateStageChange","token":"{token}","triggeredAt":{at},"signature":"{}","data":{data_text}}}"#,
            signature::sign(KEY, &token, &at)
        );
        let Checked::Event(event) = check(body.as_bytes(), now).expect("a signed delivery passes") else {
            panic!("a non-empty data object is not a settings-page test");
        };
        let (runtime, store) = shared();
        let stored = runtime.block_on(async {
            let id = match store.ingest(*event).await.expect("store writes") {
                IngestOutcome::Accepted(id) | IngestOutcome::Duplicate(id) => id,
                IngestOutcome::TokenReused => panic!("each case has its own token"),
            };
            store.event(&id).await.expect("store reads").expect("event stored")
        });
        prop_assert_eq!(stored.data.get(), data_text.as_str());
        let sent: Value = serde_json::from_str(&data_text).unwrap();
        let back: Value = serde_json::from_str(stored.data.get()).unwrap();
        prop_assert_eq!(back, sent);
    }
}
