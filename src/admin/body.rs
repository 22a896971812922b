//! What an admin API request body says (pure): a JSON object or nothing, the filter of a
//! bulk action (or its explicit `{"all": true}`), and which jobs a replay runs again.
//!
//! A body that cannot be read is refused, never taken as "no filter": a form, text or
//! unlabelled body is a 415, a JSON body that is not one object is a 400, and a bulk
//! action with no filter acts on every event only when the body says `{"all": true}`.

use super::filter::{from_json, parse_filter, FilterError, FILTER_KEYS};
use crate::store::EventFilter;
use actix_web::mime::Mime;
use serde_json::{Map, Value};

/// The key that asks for every event (or every job of one event) when nothing narrows.
const ALL: &str = "all";

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// A body with content that is not declared as JSON (415).
    #[error("send the body as JSON with `Content-Type: application/json` (this one came {0})")]
    NotJson(String),
    /// A JSON body that cannot be used: not an object, a bad field, or no filter (400).
    #[error("{0}")]
    Invalid(String),
}

impl From<FilterError> for BodyError {
    fn from(e: FilterError) -> Self {
        Self::Invalid(e.0)
    }
}

/// The body's fields: none when it is empty (or only whitespace); otherwise it must be
/// declared `application/json` (parameters such as `charset` allowed) and hold one JSON
/// object. `content_type` is the header as sent, `None` when there is none.
pub fn json_object(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Map<String, Value>, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let declared_json = content_type
        .and_then(|text| text.parse::<Mime>().ok())
        .is_some_and(|mime| mime.essence_str() == "application/json");
    if !declared_json {
        let came = content_type.map_or_else(
            || "without a Content-Type".to_owned(),
            |text| format!("as `{text}`"),
        );
        return Err(BodyError::NotJson(came));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(other) => Err(BodyError::Invalid(format!(
            "the body must be a JSON object, not {}",
            kind(&other)
        ))),
        Err(e) => Err(BodyError::Invalid(format!(
            "the body is not valid JSON: {e}"
        ))),
    }
}

/// The events a bulk action (purge, retry of dead letters) acts on: those the filter
/// names, or every event when the body is exactly `{"all": true}`. No filter, a filter
/// that narrows nothing (`{"opportunity": ""}`), and `all` beside filters are errors.
pub fn bulk_filter(body: &Map<String, Value>) -> Result<EventFilter, BodyError> {
    let mut fields = body.clone();
    if take_all(&mut fields)? {
        return if fields.is_empty() {
            Ok(EventFilter::default())
        } else {
            Err(all_beside(&fields))
        };
    }
    let filter = parse_filter(&from_json(&fields)?, &[])?;
    if filter == EventFilter::default() {
        return Err(BodyError::Invalid(format!(
            "no filter given, so this would act on every event; send {{\"all\": true}} to mean that, or narrow it with {}",
            FILTER_KEYS.join(", ")
        )));
    }
    Ok(filter)
}

/// Which of one event's jobs a replay runs again: `{"handler": "<name>"}` for that
/// handler's, or `{"all": true}` for every handler's (`None`). Nothing, both, or any
/// other field is an error.
pub fn replay_handler(body: &Map<String, Value>) -> Result<Option<String>, BodyError> {
    let mut fields = body.clone();
    let all = take_all(&mut fields)?;
    let handler = match fields.remove("handler") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if !name.trim().is_empty() => Some(name),
        Some(_) => {
            return Err(BodyError::Invalid(
                "`handler` must be a handler's name".into(),
            ))
        }
    };
    if let Some(key) = fields.keys().next() {
        return Err(BodyError::Invalid(format!(
            "unknown field `{key}`; replay takes {{\"handler\": \"<name>\"}} or {{\"all\": true}}"
        )));
    }
    match (handler, all) {
        (Some(_), true) => Err(BodyError::Invalid(
            "send either {\"handler\": \"<name>\"} or {\"all\": true}, not both".into(),
        )),
        (Some(handler), false) => Ok(Some(handler)),
        (None, true) => Ok(None),
        (None, false) => Err(BodyError::Invalid(
            "say which jobs to replay: {\"handler\": \"<name>\"} for one, {\"all\": true} for every handler's".into(),
        )),
    }
}

/// Takes `all` out of `fields`: true when it is `true`; absent is false; anything else
/// (`false` included, which would read as "not everything" yet filter nothing) is an error.
fn take_all(fields: &mut Map<String, Value>) -> Result<bool, BodyError> {
    match fields.remove(ALL) {
        None => Ok(false),
        Some(Value::Bool(true)) => Ok(true),
        Some(_) => Err(BodyError::Invalid(
            "`all` can only be true; leave it out and send filters instead".into(),
        )),
    }
}

fn all_beside(fields: &Map<String, Value>) -> BodyError {
    let others: Vec<&str> = fields.keys().map(String::as_str).collect();
    BodyError::Invalid(format!(
        "`all` cannot be combined with {}: send either {{\"all\": true}} or the filters",
        others.join(", ")
    ))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JSON: Option<&str> = Some("application/json");

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("the tests pass objects"),
        }
    }

    #[test]
    fn an_empty_body_has_no_fields_whatever_its_content_type() {
        for content_type in [None, JSON, Some("application/x-www-form-urlencoded")] {
            assert_eq!(json_object(content_type, b""), Ok(Map::new()));
            assert_eq!(json_object(content_type, b" \n"), Ok(Map::new()));
        }
    }

    #[test]
    fn a_body_not_declared_json_is_refused_not_read_as_no_filter() {
        let body = br#"{"opportunity":"o1"}"#;
        for content_type in [
            None,
            Some("application/x-www-form-urlencoded"),
            Some("text/plain"),
            Some("application/jsonx"),
            Some("not a mime type"),
        ] {
            let refused = json_object(content_type, body);
            assert!(
                matches!(refused, Err(BodyError::NotJson(_))),
                "{content_type:?}: {refused:?}"
            );
        }
        let e = json_object(Some("text/plain"), body).unwrap_err();
        assert!(e.to_string().contains("`text/plain`"), "{e}");
    }

    #[test]
    fn a_json_body_must_be_one_object() {
        let fields = json_object(Some("Application/JSON; charset=utf-8"), br#"{"a":"b"}"#);
        assert_eq!(fields, Ok(object(json!({"a": "b"}))));
        for (body, needle) in [
            (&b"[1]"[..], "not an array"),
            (b"null", "not null"),
            (b"\"x\"", "not a string"),
            (b"{\"a\":", "not valid JSON"),
        ] {
            let e = json_object(JSON, body).unwrap_err();
            assert!(
                matches!(&e, BodyError::Invalid(m) if m.contains(needle)),
                "{e}"
            );
        }
    }

    #[test]
    fn a_bulk_action_needs_a_filter_or_all_alone() {
        let filter = bulk_filter(&object(json!({"opportunity": "o1"}))).unwrap();
        assert_eq!(filter.opportunity.as_deref(), Some("o1"));
        assert_eq!(
            bulk_filter(&object(json!({"all": true}))),
            Ok(EventFilter::default())
        );
        for (body, needle) in [
            (json!({}), "no filter given"),
            (json!({"opportunity": " "}), "no filter given"),
            (json!({"all": false}), "`all` can only be true"),
            (json!({"all": 1}), "`all` can only be true"),
            (
                json!({"all": true, "handler": "h"}),
                "cannot be combined with handler",
            ),
            (json!({"handlr": "h"}), "unknown parameter `handlr`"),
        ] {
            let e = bulk_filter(&object(body.clone())).unwrap_err();
            assert!(e.to_string().contains(needle), "{body}: {e}");
        }
    }

    #[test]
    fn a_replay_names_a_handler_or_says_all() {
        let one = replay_handler(&object(json!({"handler": "h"})));
        assert_eq!(one, Ok(Some("h".to_owned())));
        assert_eq!(replay_handler(&object(json!({"all": true}))), Ok(None));
        for (body, needle) in [
            (json!({}), "say which jobs"),
            (json!({"handler": null}), "say which jobs"),
            (json!({"handler": ""}), "a handler's name"),
            (json!({"handler": 3}), "a handler's name"),
            (json!({"handler": "h", "all": true}), "not both"),
            (json!({"handlr": "h"}), "unknown field `handlr`"),
        ] {
            let e = replay_handler(&object(body.clone())).unwrap_err();
            assert!(e.to_string().contains(needle), "{body}: {e}");
        }
    }
}
