//! `${VAR}` substitution in config strings, done on parsed TOML so a value can never inject syntax.

use super::ConfigProblem;

/// Replaces every `${NAME}` in every string of `value`, reporting each missing variable
/// with the key path where it was used.
pub fn substitute(
    value: &mut toml::Value,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<ConfigProblem>,
) {
    match value {
        toml::Value::String(text) => match expand(text, lookup) {
            Ok(expanded) => *text = expanded,
            Err(message) => problems.push(ConfigProblem::new(path, message)),
        },
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute(item, &format!("{path}[{i}]"), lookup, problems);
            }
        }
        toml::Value::Table(table) => {
            for (key, item) in table.iter_mut() {
                substitute(item, &join(path, key), lookup, problems);
            }
        }
        _ => {}
    }
}

/// `a.b` from a path and a key (just `b` at the top).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{text}`"))?;
        let name = &after[..end];
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!(
                "`${{{name}}}` is not a valid environment variable name"
            ));
        }
        let value =
            lookup(name).ok_or_else(|| format!("environment variable `{name}` is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "s3cr3t".to_owned())
    }

    #[test]
    fn variables_expand_inside_text() {
        assert_eq!(expand("a-${TOKEN}-b", &env).unwrap(), "a-s3cr3t-b");
        assert_eq!(expand("plain", &env).unwrap(), "plain");
    }

    #[test]
    fn a_missing_variable_is_named_with_its_key_path() {
        let mut value: toml::Value = toml::from_str("[lever]\napi_key = \"${NOPE}\"").unwrap();
        let mut problems = Vec::new();
        substitute(&mut value, "", &env, &mut problems);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "lever.api_key");
        assert!(problems[0].message.contains("`NOPE`"));
    }
}
