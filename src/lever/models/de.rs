//! Lenient `serde` helpers for the value shapes Lever mixes (lever-facts.md §4.9): numbers
//! sent as strings, references sent as an id or as the expanded object.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// Milliseconds since the epoch (or any integer) sent as a number or a numeric string;
/// `null` and `""` are `None`. Use with `#[serde(default, deserialize_with = "de::millis")]`.
pub(crate) fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(Millis)
}

struct Millis;

impl<'de> Visitor<'de> for Millis {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer, or an integer as a string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v).map(Some).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.is_finite() {
            Ok(Some(v as i64))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<i64>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => match v.parse::<f64>() {
                Ok(f) => self.visit_f64(f),
                Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            },
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A reference kept as its id: `"uid"`, `{"id": "uid", …}` (expanded) or `null`.
pub(crate) fn id_of<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<Value>::deserialize(d)?
        .map(|v| id_from_value(v).map_err(de::Error::custom))
        .transpose()
        .map(Option::flatten)
}

/// A list of references kept as ids; `null` is empty.
pub(crate) fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Option::<Vec<Value>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| id_from_value(v).transpose())
        .collect::<Result<_, _>>()
        .map_err(de::Error::custom)
}

fn id_from_value(v: Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(id) => Ok(Some(id)),
        Value::Object(mut map) => match map.remove("id") {
            Some(Value::String(id)) => Ok(Some(id)),
            _ => Err("an expanded reference has no string `id`".to_owned()),
        },
        other => Err(format!(
            "expected an id or an object with an id, got {other}"
        )),
    }
}

/// A reference that may be expanded: an id string becomes `T::from(id)`, an object is
/// decoded as `T`, `null` is `None`.
pub(crate) fn id_or_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + From<String>,
{
    Option::<Value>::deserialize(d)?
        .map(expanded::<T>)
        .transpose()
        .map(Option::flatten)
        .map_err(de::Error::custom)
}

/// A list of [`id_or_object`] references; `null` is empty.
pub(crate) fn ids_or_objects<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + From<String>,
{
    Option::<Vec<Value>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| expanded::<T>(v).transpose())
        .collect::<Result<_, _>>()
        .map_err(de::Error::custom)
}

fn expanded<T: DeserializeOwned + From<String>>(v: Value) -> Result<Option<T>, serde_json::Error> {
    match v {
        Value::Null => Ok(None),
        Value::String(id) => Ok(Some(T::from(id))),
        other => serde_json::from_value(other).map(Some),
    }
}

/// A location: a plain string (opportunities) or `{"name": …}` (contacts).
pub(crate) fn location<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Object(mut map)) => match map.remove("name") {
            Some(Value::String(s)) => Ok(Some(s)),
            None | Some(Value::Null) => Ok(None),
            Some(other) => Err(de::Error::custom(format!(
                "location name is not a string: {other}"
            ))),
        },
        Some(other) => Err(de::Error::custom(format!(
            "expected a location string or {{name}}, got {other}"
        ))),
    }
}

/// An opaque token sent as a string or a number (`next` on list pages).
pub(crate) fn token<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(de::Error::custom(format!(
            "expected a string token, got {other}"
        ))),
    }
}

/// A list where `null` means empty.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A boolean where `null` means `false`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct At {
        #[serde(default, deserialize_with = "millis")]
        at: Option<i64>,
    }

    fn at(json: &str) -> Result<Option<i64>, serde_json::Error> {
        serde_json::from_str::<At>(json).map(|a| a.at)
    }

    #[test]
    fn millis_accept_numbers_strings_and_null() {
        assert_eq!(at(r#"{"at": 1468953420000}"#).unwrap(), Some(1468953420000));
        assert_eq!(
            at(r#"{"at": "1468953420000"}"#).unwrap(),
            Some(1468953420000)
        );
        assert_eq!(at(r#"{"at": " 1000 "}"#).unwrap(), Some(1000));
        assert_eq!(at(r#"{"at": 1.7e12}"#).unwrap(), Some(1_700_000_000_000));
        assert_eq!(at(r#"{"at": null}"#).unwrap(), None);
        assert_eq!(at(r#"{"at": ""}"#).unwrap(), None);
        assert_eq!(at("{}").unwrap(), None);
        assert!(at(r#"{"at": "yesterday"}"#).is_err());
        assert!(at(r#"{"at": true}"#).is_err());
    }

    #[derive(Deserialize)]
    struct Refs {
        #[serde(default, deserialize_with = "id_of")]
        one: Option<String>,
        #[serde(default, deserialize_with = "ids")]
        many: Vec<String>,
        #[serde(default, deserialize_with = "location")]
        location: Option<String>,
    }

    #[test]
    fn references_keep_the_id_whether_expanded_or_not() {
        let r: Refs = serde_json::from_str(
            r#"{"one": {"id": "u1", "name": "Ann"}, "many": ["u2", {"id": "u3"}, null], "location": {"name": "Oakland"}}"#,
        )
        .unwrap();
        assert_eq!(r.one.as_deref(), Some("u1"));
        assert_eq!(r.many, ["u2", "u3"]);
        assert_eq!(r.location.as_deref(), Some("Oakland"));
        let r: Refs =
            serde_json::from_str(r#"{"one": "u1", "many": null, "location": "Oakland"}"#).unwrap();
        assert_eq!(r.one.as_deref(), Some("u1"));
        assert!(r.many.is_empty());
        assert_eq!(r.location.as_deref(), Some("Oakland"));
        assert!(serde_json::from_str::<Refs>(r#"{"one": {"name": "no id"}}"#).is_err());
    }
}
