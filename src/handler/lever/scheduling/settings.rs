//! `scheduling`'s settings (`[handlers.NAME] kind = "scheduling"`) and their checks.

use super::super::provider::ProviderConfig;
use super::request;
use serde::Deserialize;
use std::path::Path;

/// `[handlers.NAME] kind = "scheduling"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulingConfig {
    /// The scheduling tool (or your bridge to it).
    pub provider: ProviderConfig,
    /// Tag added to the opportunity once the request is made.
    #[serde(default = "default_tag")]
    pub tag: String,
    /// The request's note, with `{stage}`, `{posting}`, `{link}` and `{reference}`
    /// filled in; a default text naming the scheduling link when absent.
    #[serde(default)]
    pub note: Option<String>,
}

fn default_tag() -> String {
    "Scheduling requested".to_owned()
}

impl SchedulingConfig {
    /// Problems with these settings, as `(key, message)` pairs.
    pub fn problems(&self, base_dir: &Path) -> Vec<(String, String)> {
        let mut problems = self.provider.check(base_dir);
        if self.tag.trim().is_empty() {
            problems.push(("tag".to_owned(), "must not be empty".to_owned()));
        }
        if let Some(note) = &self.note {
            if note.trim().is_empty() {
                problems.push(("note".to_owned(), "must not be empty".to_owned()));
            }
            for unknown in request::unknown_placeholders(note) {
                problems.push((
                    "note".to_owned(),
                    format!(
                        "unknown placeholder {unknown} (use {})",
                        request::NOTE_PLACEHOLDERS.join(", ")
                    ),
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> SchedulingConfig {
        toml::from_str(&format!(
            "provider = {{ kind = \"http\", url = \"http://p\" }}\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn the_tag_defaults_and_a_note_template_is_checked() {
        let plain = config("");
        assert_eq!(plain.tag, "Scheduling requested");
        assert!(plain.problems(Path::new(".")).is_empty());
        let bad = config("tag = \" \"\nnote = \"Book at {url}\"");
        let keys: Vec<_> = bad
            .problems(Path::new("."))
            .into_iter()
            .map(|(k, m)| format!("{k}: {m}"))
            .collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(
            keys[1].starts_with("note: unknown placeholder {url}"),
            "{keys:?}"
        );
    }
}
