//! `[handlers.NAME]` sections of a plugin's kind: read into its settings type, checked by
//! it, and every problem reported with its key path, exactly like a built-in kind.

use super::*;
use crate::handler::{BoxError, Handler, HandlerKind, KindContext};
use std::sync::Arc;

/// A plugin kind whose settings type does not deny unknown fields.
#[derive(Debug, serde::Deserialize)]
struct Announce {
    url: String,
    #[serde(default)]
    channel: Option<String>,
}

impl HandlerKind for Announce {
    const KIND: &'static str = "announce";
    const USES_LEVER_API: bool = true;

    fn check(&self, cx: &KindContext) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if !self.url.starts_with("https://") {
            problems.push(("url".to_owned(), format!("{}: use https", cx.name)));
        }
        problems
    }

    fn build(&self, _: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(Plugin))
    }
}

const WITH_API: &str = "[lever]\nsigning_tokens = { default = [\"t\"] }\napi_key = \"k\"\n";

fn registry() -> HandlerRegistry {
    HandlerRegistry::new().register_kind::<Announce>()
}

fn problems_of(text: &str) -> Vec<(String, String)> {
    parse_with_registry(text, &registry())
        .unwrap_err()
        .problems
        .into_iter()
        .map(|p| (p.path, p.message))
        .collect()
}

#[test]
fn a_plugin_section_reads_into_its_settings_and_is_listed_with_its_kind() {
    let text = format!(
        "{WITH_API}[handlers.hire]\nkind = \"announce\"\nurl = \"https://chat.example.com/hook\"\nchannel = \"#hires\"\n"
    );
    let config = parse_with_registry(&text, &registry()).unwrap();
    let settings = &config.handlers["hire"];
    assert_eq!(settings.kind(), "announce");
    let announce = settings
        .get::<Announce>()
        .expect("read as the plugin's type");
    assert_eq!(announce.channel.as_deref(), Some("#hires"));
    assert!(
        settings.get::<crate::handler::HttpConfig>().is_none(),
        "a section is read as its own kind only"
    );
}

#[test]
fn unknown_missing_and_checked_keys_are_reported_at_their_paths() {
    let text = format!(
        "{WITH_API}[handlers.hire]\nkind = \"announce\"\nurll = \"https://x\"\n\
         [handlers.team]\nkind = \"announce\"\nurl = \"http://plain\"\ncolour = \"red\"\n"
    );
    let mut found = problems_of(&text);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "handlers.hire.url".to_owned(),
                "missing: this key is required".to_owned()
            ),
            ("handlers.hire.urll".to_owned(), "unknown key".to_owned()),
            ("handlers.team.colour".to_owned(), "unknown key".to_owned()),
            ("handlers.team.url".to_owned(), "team: use https".to_owned()),
        ]
    );
}

#[test]
fn an_unknown_kind_names_every_kind_this_binary_knows() {
    let text = format!("{WITH_API}[handlers.hire]\nkind = \"anounce\"\nurl = \"https://x\"\n");
    assert_eq!(
        problems_of(&text),
        [(
            "handlers.hire.kind".to_owned(),
            "unknown kind `anounce`; this binary knows: announce, assessment, background-check, categorize, command, hris, http, scheduling, tagger".to_owned()
        )]
    );
    let missing = format!("{WITH_API}[handlers.hire]\nurl = \"https://x\"\n");
    assert_eq!(problems_of(&missing)[0].0, "handlers.hire.kind");
}

#[test]
fn a_plugin_kind_on_the_data_api_needs_an_account_with_credentials() {
    let text = format!(
        "{LEVER}[handlers.hire]\nkind = \"announce\"\nurl = \"https://chat.example.com/hook\"\n"
    );
    let found = problems_of(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "handlers.hire");
    assert!(
        found[0].1.contains("no account has credentials"),
        "{found:?}"
    );
}

#[test]
#[should_panic(expected = "handler kind `http` is registered twice")]
fn a_kind_cannot_take_a_built_in_name() {
    #[derive(Debug, serde::Deserialize)]
    struct Impostor {}
    impl HandlerKind for Impostor {
        const KIND: &'static str = "http";
        fn build(&self, _: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
            Ok(Arc::new(Plugin))
        }
    }
    let _ = HandlerRegistry::new().register_kind::<Impostor>();
}

#[test]
fn callback_secrets_are_read_for_kinds_that_take_results_and_refused_elsewhere() {
    let provider = "provider = { kind = \"http\", url = \"https://checks.example.com\" }\n";
    let text = format!(
        "{WITH_API}[handlers.bgcheck]\nkind = \"background-check\"\n{provider}\
         callback_secret = [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"raw-secret\"]\n"
    );
    let config = parse_with_registry(&text, &registry()).unwrap();
    assert_eq!(config.handlers["bgcheck"].callback_secrets().len(), 2);

    let text = format!(
        "{WITH_API}[handlers.notify]\nkind = \"http\"\nurl = \"https://x.example.com\"\ncallback_secret = \"s\"\n\
         [handlers.bgcheck]\nkind = \"background-check\"\n{provider}callback_secret = [\"ok\", \"whsec_***\"]\n"
    );
    let mut found = problems_of(&text);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "handlers.bgcheck.callback_secret[1]".to_owned(),
                "after `whsec_` the secret must be base64".to_owned()
            ),
            (
                "handlers.notify.callback_secret".to_owned(),
                "kind `http` takes no provider results; remove callback_secret".to_owned()
            ),
        ]
    );
}
