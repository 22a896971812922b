//! Reading the filter vocabulary from query parameters or a JSON body (pure): `account`,
//! `event`, `opportunity`, `contact`, `handler`, `status`, `since`, `until`, where times
//! are RFC 3339 or milliseconds since the epoch.

use crate::store::{EventFilter, EventStatus, Millis};
use std::collections::BTreeMap;

/// A filter parameter that cannot be used, with a message naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// The filter keys.
pub const FILTER_KEYS: [&str; 8] = [
    "account",
    "event",
    "opportunity",
    "contact",
    "handler",
    "status",
    "since",
    "until",
];

/// Builds a filter from `params`; keys in `also_allowed` are skipped, any other unknown
/// key is an error (a typo must not widen a bulk action to every event).
pub fn parse_filter(
    params: &BTreeMap<String, String>,
    also_allowed: &[&str],
) -> Result<EventFilter, FilterError> {
    let mut filter = EventFilter::default();
    for (key, value) in params {
        let value = value.trim();
        let text = || (!value.is_empty()).then(|| value.to_owned());
        match key.as_str() {
            "account" => filter.account = text(),
            "event" => filter.event = text(),
            "opportunity" => filter.opportunity = text(),
            "contact" => filter.contact = text(),
            "handler" => filter.handler = text(),
            "status" => filter.status = Some(status(value)?),
            "since" => filter.since = Some(time("since", value)?),
            "until" => filter.until = Some(time("until", value)?),
            other if also_allowed.contains(&other) => {}
            other => {
                return Err(FilterError(format!(
                    "unknown parameter `{other}`; filters are {}",
                    FILTER_KEYS.join(", ")
                )))
            }
        }
    }
    Ok(filter)
}

fn status(value: &str) -> Result<EventStatus, FilterError> {
    match value {
        "unrouted" => Ok(EventStatus::Unrouted),
        "pending" => Ok(EventStatus::Pending),
        "dead" => Ok(EventStatus::Dead),
        "done" => Ok(EventStatus::Done),
        other => Err(FilterError(format!(
            "status `{other}` is not one of unrouted, pending, dead, done"
        ))),
    }
}

/// Milliseconds since the epoch, or an RFC 3339 time.
pub fn time(key: &str, value: &str) -> Result<Millis, FilterError> {
    if let Ok(millis) = value.parse::<Millis>() {
        return Ok(millis);
    }
    humantime::parse_rfc3339_weak(value)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as Millis)
        .ok_or_else(|| {
            FilterError(format!(
                "{key} `{value}` is neither milliseconds since the epoch nor an RFC 3339 time like 2026-11-29T10:00:00Z"
            ))
        })
}

/// A JSON body's fields as strings (numbers written out), for [`parse_filter`].
pub fn from_json(
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<BTreeMap<String, String>, FilterError> {
    body.iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(s) => Ok((key.clone(), s.clone())),
            serde_json::Value::Number(n) => Ok((key.clone(), n.to_string())),
            _ => Err(FilterError(format!("`{key}` must be a string or a number"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_key_reads_and_times_take_both_forms() {
        let filter = parse_filter(
            &params(&[
                ("account", "acme"),
                ("handler", "bgcheck"),
                ("status", "dead"),
                ("since", "2024-06-01T00:00:00Z"),
                ("until", "1717300000000"),
                ("limit", "5"),
            ]),
            &["limit"],
        )
        .unwrap();
        assert_eq!(filter.account.as_deref(), Some("acme"));
        assert_eq!(filter.status, Some(EventStatus::Dead));
        assert_eq!(filter.since, Some(1_717_200_000_000));
        assert_eq!(filter.until, Some(1_717_300_000_000));
    }

    #[test]
    fn typos_and_bad_values_are_errors_naming_the_key() {
        let e = parse_filter(&params(&[("acount", "x")]), &[]).unwrap_err();
        assert!(e.0.contains("`acount`"), "{e}");
        let e = parse_filter(&params(&[("status", "failed")]), &[]).unwrap_err();
        assert!(e.0.contains("status `failed`"), "{e}");
        let e = parse_filter(&params(&[("since", "yesterday")]), &[]).unwrap_err();
        assert!(e.0.starts_with("since"), "{e}");
    }
}
