//! Reading one config section into its type, with the full key path of any problem.

use super::env_vars::join;
use super::ConfigProblem;
use serde::de::DeserializeOwned;

/// Deserializes one section, recording a problem with the full key path on failure.
pub(super) fn read<T: DeserializeOwned>(
    value: toml::Value,
    path: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let mut inner = e.path().to_string();
            // A flattened struct (a route's conditions) reports an unknown key at its
            // table: name the key, as for any other table.
            if let Some(key) = unknown_field(e.inner().message()) {
                if !inner.ends_with(key) {
                    inner = if inner == "." {
                        key.to_owned()
                    } else {
                        format!("{inner}.{key}")
                    };
                }
            }
            let full = if inner == "." {
                path.to_owned()
            } else {
                join(path, &inner)
            };
            problems.push(ConfigProblem::new(
                full,
                e.into_inner().message().to_owned(),
            ));
            None
        }
    }
}

/// The key an "unknown field `…`" message names.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_is_named_in_the_path() {
        assert_eq!(unknown_field("unknown field `handle`"), Some("handle"));
        assert_eq!(unknown_field("invalid type: string"), None);
        let mut problems = Vec::new();
        let value: toml::Value =
            toml::from_str("events = [\"*\"]\nhandler = \"h\"\nhandle = \"x\"").unwrap();
        let route: Option<crate::route::RouteConfig> = read(value, "routes[1]", &mut problems);
        assert!(route.is_none());
        assert_eq!(problems[0].path, "routes[1].handle");
    }
}
