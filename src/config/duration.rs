//! Human durations in config (`"250ms"`, `"30s"`, `"15d"`), read with `humantime`.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// Deserializes a duration written like `"250ms"`, `"1h"` or `"15d"`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(serde::de::Error::custom)
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
    fn a_bare_number_is_an_error_that_shows_the_form() {
        let err = parse("30").unwrap_err();
        assert!(err.contains("\"30s\""), "{err}");
    }
}
