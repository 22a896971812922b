//! What a valid config parses to: the examples, defaults, signing tokens and variables.

use super::*;

#[test]
fn the_design_example_parses_to_the_expected_values() {
    let config = parse(DESIGN_EXAMPLE).unwrap();

    assert_eq!(config.server.listen, "0.0.0.0:8080");
    assert_eq!(config.server.max_body_bytes, 262_144);
    assert_eq!(config.storage.path, PathBuf::from("./data"));
    assert_eq!(config.storage.retention, Duration::from_secs(30 * 86_400));
    assert_eq!(config.storage.url, None);
    assert_eq!(config.dispatch.workers, 8);
    assert_eq!(config.retry.max_attempts, 10);
    assert_eq!(config.retry.initial_backoff, Duration::from_secs(1));
    assert_eq!(config.retry.max_backoff, Duration::from_secs(3_600));
    assert_eq!(config.base_dir, PathBuf::from("/etc/lever-hooks"));

    let names: Vec<&str> = config.accounts.keys().map(String::as_str).collect();
    assert_eq!(names, ["acme", DEFAULT_ACCOUNT]);
    let lever = &config.accounts[DEFAULT_ACCOUNT];
    assert_eq!(lever.max_age, Duration::from_secs(15 * 86_400));
    assert_eq!(lever.api_base, "https://api.lever.co/v1");
    assert_eq!(
        lever.api_key.as_ref().map(|k| k.expose_secret()),
        Some("api-key-from-the-environment")
    );
    assert_eq!(
        lever.perform_as.as_deref(),
        Some("df0adaa6-172c-4cd6-8520-49b203660fe1")
    );
    assert!(!lever.allow_unsigned);
    let acme = &config.accounts["acme"];
    assert_eq!(acme.max_age, Duration::from_secs(15 * 86_400));
    assert_eq!(
        tokens(acme.signing_tokens.for_event("candidateHired")),
        ["acme-token"]
    );

    let Some(notify) = config.handlers["notify"].get::<crate::handler::CommandConfig>() else {
        panic!("notify is not a command handler")
    };
    assert_eq!(Path::new(&notify.program), Path::new("/bin/true"));
    assert_eq!(config.routes.len(), 1);
    let route = &config.routes[0];
    assert_eq!(route.events, ["candidateStageChange"]);
    assert_eq!(route.to_stage.as_deref(), Some("Background Check"));
    assert_eq!(route.from_stage, None);
    assert_eq!(route.handler, "notify");
}

#[test]
fn an_event_entry_in_signing_tokens_replaces_the_default_for_that_event() {
    let config = parse(DESIGN_EXAMPLE).unwrap();
    let lever = &config.accounts[DEFAULT_ACCOUNT].signing_tokens;
    assert_eq!(
        tokens(lever.for_event("candidateHired")),
        ["hired-old", "hired-new"]
    );
    assert_eq!(
        tokens(lever.for_event("candidateStageChange")),
        ["from-the-environment"]
    );
    assert_eq!(
        tokens(lever.for_event("someFutureEvent")),
        ["from-the-environment"]
    );
}

#[test]
fn a_single_signing_token_may_be_written_without_a_list() {
    let config = parse("[lever]\nsigning_tokens = { default = \"solo\" }\n").unwrap();
    let lever = &config.accounts[DEFAULT_ACCOUNT].signing_tokens;
    assert_eq!(tokens(lever.for_event("candidateHired")), ["solo"]);
}

#[test]
fn defaults_fill_in_every_section_left_out() {
    let config = parse(LEVER).unwrap();
    assert_eq!(config.server.listen, "0.0.0.0:8080");
    assert_eq!(config.server.max_body_bytes, 256 * 1024);
    assert_eq!(config.storage.retention, Duration::from_secs(30 * 86_400));
    assert_eq!(config.storage.prune_every, Duration::from_secs(3_600));
    assert!(config.alerts.on_dead_letter.is_none() && config.alerts.on_rejected_burst.is_none());
    assert_eq!(config.dispatch.workers, 8);
    assert_eq!(config.retry.max_attempts, 10);
    assert!(config.handlers.is_empty() && config.routes.is_empty());
}

#[test]
fn variables_are_substituted_inside_strings() {
    let text = "[lever]\nsigning_tokens = { default = [\"pre-${LEVER_SIGNING_TOKEN}-post\"] }\n";
    let config = parse(text).unwrap();
    let lever = &config.accounts[DEFAULT_ACCOUNT].signing_tokens;
    assert_eq!(
        tokens(lever.for_event("candidateHired")),
        ["pre-from-the-environment-post"]
    );
}

#[test]
fn a_missing_variable_is_named_with_its_key_path() {
    let problem =
        only_problem("[lever]\nsigning_tokens = { default = [\"${NOT_SET_ANYWHERE}\"] }\n");
    assert_eq!(problem.path, "lever.signing_tokens.default[0]");
    assert!(problem.message.contains("`NOT_SET_ANYWHERE`"), "{problem}");
}

#[test]
fn the_quickstart_example_parses_without_problems() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/quickstart.toml"
    ));
    let config = Config::load(path, &HandlerRegistry::new()).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(config.server.listen, "127.0.0.1:8080");
    assert_eq!(config.storage.path, PathBuf::from("./data"));
    let lever = &config.accounts[DEFAULT_ACCOUNT].signing_tokens;
    assert_eq!(
        tokens(lever.for_event("candidateStageChange")),
        ["quickstart-signing-token"]
    );
    assert_eq!(config.routes.len(), 1);
    assert_eq!(config.routes[0].events, ["*"]);

    let Some(handler) =
        config.handlers[&config.routes[0].handler].get::<crate::handler::CommandConfig>()
    else {
        panic!("the quickstart route should go to a command handler")
    };
    let script = config.base_dir.join(&handler.program);
    let metadata =
        std::fs::metadata(&script).unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode();
        assert_ne!(mode & 0o111, 0, "{} must be executable", script.display());
    }
    assert!(metadata.is_file());
}
