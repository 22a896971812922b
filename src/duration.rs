//! Human durations in config (`"250ms"`, `"30s"`, `"15d"`), read with `humantime`. A leaf:
//! every component's settings use it without importing `config`.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// Deserializes a duration written like `"250ms"`, `"1h"` or `"15d"`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Number(i64),
    }
    match Written::deserialize(deserializer)? {
        Written::Text(text) => parse(&text).map_err(serde::de::Error::custom),
        Written::Number(n) => Err(serde::de::Error::custom(format!(
            "`{n}` has no unit; write it as a string like \"{n}s\" or \"{n}ms\""
        ))),
    }
}

/// Parses a duration written like `"250ms"`, `"1h"` or `"15d"`.
pub fn parse(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| {
        format!(
            "`{text}` is not a duration ({e}); write it like \"250ms\", \"30s\", \"1h\" or \"15d\""
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_forms_parse() {
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("15d").unwrap(), Duration::from_secs(15 * 86_400));
        assert_eq!(parse("1h").unwrap(), Duration::from_secs(3_600));
    }

    #[test]
    fn an_integer_in_toml_is_an_error_that_shows_the_form() {
        #[derive(Debug, serde::Deserialize)]
        struct Holder {
            #[serde(deserialize_with = "super::deserialize")]
            #[allow(dead_code)]
            max_age: Duration,
        }
        let err = toml::from_str::<Holder>("max_age = 900")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"900s\""), "{err}");
    }

    #[test]
    fn a_bare_number_is_an_error_that_shows_the_form() {
        let err = parse("30").unwrap_err();
        assert!(err.contains("\"30s\""), "{err}");
    }
}
