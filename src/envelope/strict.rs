//! A strict reading of a delivery body: JSON nested at most [`MAX_DEPTH`] levels, with no
//! key twice in one object, and only numbers a JSON reader can hold.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// The deepest nesting accepted (arrays and objects, the body itself included): what
/// serde_json's recursion limit lets through, so every value we store can be read back by
/// `serde_json` (the typed decoder, routing, Rust handlers).
pub const MAX_DEPTH: usize = 127;

/// Reads the whole body once and fails on nesting past [`MAX_DEPTH`], on a key repeated
/// in one object (readers disagree on which value wins), on numbers beyond `f64`, and on
/// anything that is not JSON.
///
/// serde_json's own depth limit does the depth check: `deserialize_any` counts every
/// `[` and `{`, so a body of 100,000 `[` fails at the 128th, without deep recursion.
pub fn check(body: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Strict>(body).map(|_| ())
}

/// A JSON value seen and dropped, checked on the way.
struct Strict;

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut keys = HashSet::new();
        // Keys compare after unescaping: `"a"` and `"\u0061"` are the same key.
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key) {
                return Err(de::Error::custom("duplicate key in an object"));
            }
            map.next_value::<Strict>()?;
        }
        Ok(Strict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_json_passes() {
        check(br#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":"\u0000"}"#).unwrap();
    }

    #[test]
    fn nesting_is_limited_without_deep_recursion() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        check(ok.as_bytes()).unwrap();
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(check(too_deep.as_bytes()).is_err());
        let huge = format!(r#"{{"data":{{"a":{}}}}}"#, "[".repeat(100_000));
        assert!(check(huge.as_bytes()).is_err());
    }

    #[test]
    fn a_repeated_key_fails_at_any_depth_even_when_spelled_differently() {
        assert!(check(br#"{"a":1,"a":2}"#).is_err());
        assert!(check(br#"{"d":{"x":[{"k":1,"k":1}]}}"#).is_err());
        assert!(check(br#"{"a":1,"\u0061":2}"#).is_err());
        check(br#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#).unwrap();
    }

    #[test]
    fn numbers_beyond_f64_fail_but_big_integers_pass() {
        assert!(check(br#"{"n":1e400}"#).is_err());
        check(br#"{"n":99999999999999999999}"#).unwrap();
    }
}
