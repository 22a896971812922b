use super::*;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// The example from design.md, made valid: the `command` handler runs an existing program
/// (and has no `args`, which a later version adds), and the `…` placeholders are real values.
const DESIGN_EXAMPLE: &str = r#"
[server]
listen = "0.0.0.0:8080"
max_body_bytes = 262144

[storage]
path = "./data"                  # embedded sled, the default
retention = "30d"
# url = "postgres://…"           # PostgreSQL, for several instances

[lever]                          # the default account, at /webhooks/lever
max_age = "15d"
signing_tokens = { default = ["${LEVER_SIGNING_TOKEN}"], candidateHired = ["hired-old", "hired-new"] }
api_base = "https://api.lever.co/v1"
api_key = "${LEVER_API_KEY}"     # or oauth = { … }
perform_as = "df0adaa6-172c-4cd6-8520-49b203660fe1"

[accounts.acme]                  # more accounts, each at /webhooks/lever/acme
signing_tokens = { default = ["acme-token"] }

[dispatch]
workers = 8

[retry]
max_attempts = 10
initial_backoff = "1s"
max_backoff = "1h"

[handlers.notify]
kind = "command"
program = "/bin/true"

[[routes]]
events = ["candidateStageChange"]   # event names, "hired", or "*"
to_stage = "Background Check"       # optional: stage name or id
handler = "notify"
"#;

/// The smallest valid account, to put in front of sections under test.
const LEVER: &str = "[lever]\nsigning_tokens = { default = [\"t\"] }\n";

fn env(name: &str) -> Option<String> {
    match name {
        "LEVER_SIGNING_TOKEN" => Some("from-the-environment".to_owned()),
        "LEVER_API_KEY" => Some("api-key-from-the-environment".to_owned()),
        _ => None,
    }
}

fn parse_with_plugins(text: &str, plugins: &[&str]) -> Result<Config, ConfigError> {
    let plugins: Vec<String> = plugins.iter().map(|p| p.to_string()).collect();
    Config::parse(text, Path::new("/etc/lever-hooks"), &env, &plugins)
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_with_plugins(text, &[])
}

/// The problems of a config that must not parse.
fn problems(text: &str) -> Vec<ConfigProblem> {
    match parse(text) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(e) => e.problems,
    }
}

/// The one problem of a config that must have exactly one.
fn only_problem(text: &str) -> ConfigProblem {
    let mut found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

fn tokens(list: &[SecretString]) -> Vec<&str> {
    list.iter().map(|t| t.expose_secret()).collect()
}

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

    let HandlerConfig::Command(notify) = &config.handlers["notify"] else {
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
fn an_unknown_section_is_reported_by_name() {
    let problem = only_problem(&format!("{LEVER}[metrics]\nenabled = true\n"));
    assert_eq!(problem.path, "metrics");
    assert!(problem.message.contains("unknown section"), "{problem}");
}

#[test]
fn an_unknown_key_in_server_is_reported_with_its_path() {
    let problem = only_problem(&format!(
        "{LEVER}[server]\nlisten = \"127.0.0.1:8080\"\nlistne = \"x\"\n"
    ));
    assert_eq!(problem.path, "server.listne");
    assert!(
        problem.message.contains("`listen`"),
        "should list the known keys: {problem}"
    );
}

#[test]
fn an_unknown_key_in_a_handler_is_reported_with_its_path() {
    let text = format!(
        "{LEVER}[handlers.notify]\nkind = \"http\"\nurl = \"https://hooks.example.com/x\"\nretries = 3\n"
    );
    let problem = only_problem(&text);
    assert!(problem.path.starts_with("handlers.notify"), "{problem}");
    assert!(problem.message.contains("`retries`"), "{problem}");
}

#[test]
fn an_unknown_key_in_a_route_is_reported_with_its_path() {
    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"*\"]\nhandler = \"audit\"\n\n[[routes]]\nevents = [\"*\"]\nhandler = \"audit\"\nhandle = \"x\"\n"
    );
    let problem = match parse_with_plugins(&text, &["audit"]) {
        Ok(_) => panic!("a typo in a route must not pass"),
        Err(e) => {
            assert_eq!(e.problems.len(), 1, "{e}");
            e.problems[0].clone()
        }
    };
    assert_eq!(problem.path, "routes[1].handle");
    assert!(problem.message.contains("unknown field"), "{problem}");
}

#[test]
fn every_problem_in_a_file_is_reported_not_just_the_first() {
    let text = r#"
[lever]
max_age = "15"
signing_tokens = { default = ["t"] }

[accounts.Acme]
signing_tokens = { default = ["t"] }

[dispatch]
workers = 0

[metrics]
enabled = true

[handlers.notify]
kind = "http"
url = "https://hooks.example.com/notify"

[[routes]]
events = ["candidateHired"]
to_stage = "offer"
handler = "notify"

[[routes]]
events = ["*"]
handler = "missing"
"#;
    let mut paths: Vec<String> = problems(text).into_iter().map(|p| p.path).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "accounts.Acme",
            "dispatch.workers",
            "lever.max_age",
            "metrics",
            "routes[0].to_stage",
            "routes[1].handler",
        ]
    );
}

#[test]
fn a_bad_duration_says_how_to_write_one() {
    let problem = only_problem(&format!("{LEVER}[retry]\ninitial_backoff = \"10\"\n"));
    assert_eq!(problem.path, "retry.initial_backoff");
    assert!(problem.message.contains("\"30s\""), "{problem}");
}

#[test]
fn a_route_naming_a_missing_handler_lists_the_known_ones() {
    let text = format!(
        "{LEVER}[handlers.notify]\nkind = \"http\"\nurl = \"https://hooks.example.com/x\"\n\n[[routes]]\nevents = [\"*\"]\nhandler = \"notfiy\"\n"
    );
    let problem = only_problem(&text);
    assert_eq!(problem.path, "routes[0].handler");
    assert!(problem.message.contains("`notfiy`"), "{problem}");
    assert!(problem.message.contains("notify"), "{problem}");
}

#[test]
fn a_route_may_name_a_registered_plugin() {
    let text = format!("{LEVER}[[routes]]\nevents = [\"hired\"]\nhandler = \"hris\"\n");
    let config = parse_with_plugins(&text, &["hris"]).unwrap();
    assert_eq!(config.routes[0].handler, "hris");
}

#[test]
fn a_handler_may_not_take_a_plugins_name() {
    let text =
        format!("{LEVER}[handlers.hris]\nkind = \"http\"\nurl = \"https://hooks.example.com/x\"\n");
    let problems = match parse_with_plugins(&text, &["hris"]) {
        Ok(_) => panic!("a clash must not pass"),
        Err(e) => e.problems,
    };
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "handlers.hris");
}

#[test]
fn a_handler_that_cannot_be_read_is_not_also_reported_missing_by_routes() {
    let text = format!(
        "{LEVER}[handlers.notify]\nkind = \"command\"\nprogramm = \"/bin/true\"\n\n[[routes]]\nevents = [\"*\"]\nhandler = \"notify\"\n"
    );
    let problem = only_problem(&text);
    assert!(problem.path.starts_with("handlers.notify"), "{problem}");
}

#[test]
fn an_account_named_default_is_rejected() {
    let problem = only_problem(&format!(
        "{LEVER}[accounts.default]\nsigning_tokens = {{ default = [\"t\"] }}\n"
    ));
    assert_eq!(problem.path, "accounts.default");
    assert!(problem.message.contains("[lever]"), "{problem}");
}

#[test]
fn account_names_with_uppercase_or_slashes_are_rejected() {
    for name in ["Acme", "\"acme/eu\""] {
        let text = format!("{LEVER}[accounts.{name}]\nsigning_tokens = {{ default = [\"t\"] }}\n");
        let problem = only_problem(&text);
        assert_eq!(problem.path, format!("accounts.{}", name.trim_matches('"')));
        assert!(problem.message.contains("a-z"), "{problem}");
    }
}

#[test]
fn an_account_without_signing_tokens_is_a_problem_unless_unsigned_is_allowed() {
    let problem = only_problem(&format!(
        "{LEVER}[accounts.acme]\napi_base = \"https://api.lever.co/v1\"\n"
    ));
    assert_eq!(problem.path, "accounts.acme.signing_tokens");

    let config = parse(&format!("{LEVER}[accounts.acme]\nallow_unsigned = true\n")).unwrap();
    assert!(config.accounts["acme"].allow_unsigned);
    assert!(config.accounts["acme"].signing_tokens.is_empty());
}

#[test]
fn a_signing_token_for_a_name_that_is_not_a_lever_event_is_a_problem() {
    let problem =
        only_problem("[lever]\nsigning_tokens = { default = [\"t\"], candidateHird = [\"h\"] }\n");
    assert_eq!(problem.path, "lever.signing_tokens");
    assert!(problem.message.contains("`candidateHird`"), "{problem}");
    assert!(
        problem.message.contains("candidateHired"),
        "should list the real names: {problem}"
    );
}

#[test]
fn an_account_that_cannot_be_read_is_not_also_reported_missing() {
    let problem = only_problem("[lever]\nsigning_tokens = { default = [\"t\"] }\nmax_age = 900\n");
    assert_eq!(problem.path, "lever.max_age");
}

#[test]
fn a_stage_filter_on_a_route_for_other_events_is_a_problem() {
    let text = format!("{LEVER}[[routes]]\nevents = [\"candidateHired\"]\nto_stage = \"offer\"\nhandler = \"audit\"\n");
    let problem = match parse_with_plugins(&text, &["audit"]) {
        Ok(_) => panic!("a stage filter on hires must not pass"),
        Err(e) => e.problems[0].clone(),
    };
    assert_eq!(problem.path, "routes[0].to_stage");
    assert!(
        problem.message.contains("candidateStageChange"),
        "{problem}"
    );
}

#[test]
fn a_from_stage_filter_on_a_route_for_other_events_names_from_stage() {
    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"*\"]\nfrom_stage = \"offer\"\nhandler = \"audit\"\n"
    );
    let problems = parse_with_plugins(&text, &["audit"]).unwrap_err().problems;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "routes[0].from_stage");
}

#[test]
fn an_empty_config_is_a_problem_because_it_has_no_account() {
    let problem = only_problem("");
    assert_eq!(problem.path, "lever");
    assert!(problem.message.contains("[lever]"), "{problem}");
}

#[test]
fn invalid_toml_is_reported_with_its_line() {
    let problem = only_problem(&format!(
        "{LEVER}[server]\nlisten = \"127.0.0.1:8080\"\n= 5\n"
    ));
    assert_eq!(problem.path, "line 5");
    assert!(problem.message.starts_with("invalid TOML"), "{problem}");
}

#[test]
fn the_error_lists_every_problem_on_its_own_line() {
    let err = parse("[metrics]\n[dispatch]\nworkers = 0\n").unwrap_err();
    assert_eq!(err.problems.len(), 3, "{err}");
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "3 problems in the configuration:");
    assert_eq!(lines.len(), 1 + err.problems.len(), "{text}");
    for (line, problem) in lines[1..].iter().zip(&err.problems) {
        assert_eq!(line.trim(), problem.to_string());
    }
}

#[test]
fn the_quickstart_example_parses_without_problems() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/quickstart.toml"
    ));
    let config = Config::load(path, &[]).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(config.server.listen, "127.0.0.1:8080");
    assert_eq!(config.storage.path, PathBuf::from("./data"));
    let lever = &config.accounts[DEFAULT_ACCOUNT].signing_tokens;
    assert_eq!(
        tokens(lever.for_event("candidateStageChange")),
        ["quickstart-signing-token"]
    );
    assert_eq!(config.routes.len(), 1);
    assert_eq!(config.routes[0].events, ["*"]);

    let HandlerConfig::Command(handler) = &config.handlers[&config.routes[0].handler] else {
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

#[test]
fn archived_routes_take_a_reason_type_and_other_routes_do_not() {
    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"archived\"]\nreason_type = \"non-hired\"\nhandler = \"cancel\"\n"
    );
    let config = parse_with_plugins(&text, &["cancel"]).unwrap();
    assert_eq!(
        config.routes[0].reason_type,
        Some(crate::config::ReasonType::NonHired)
    );

    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"hired\"]\nreason_type = \"hired\"\nhandler = \"cancel\"\n"
    );
    let problems = parse_with_plugins(&text, &["cancel"]).unwrap_err().problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "routes[0].reason_type");

    let text = format!(
        "{LEVER}[[routes]]\nevents = [\"archived\"]\nreason_type = \"fired\"\nhandler = \"cancel\"\n"
    );
    let problems = parse_with_plugins(&text, &["cancel"]).unwrap_err().problems;
    assert_eq!(problems[0].path, "routes[0].reason_type", "{problems:?}");
}

#[test]
fn client_limits_have_defaults_and_can_be_set() {
    let config = parse(LEVER).unwrap();
    assert_eq!(config.server.client_timeout, Duration::from_secs(5));
    assert_eq!(config.server.body_timeout, Duration::from_secs(10));
    assert_eq!(config.server.keep_alive, Duration::from_secs(5));
    assert_eq!(config.server.disconnect_timeout, Duration::from_secs(1));
    assert_eq!(config.server.max_connections, 1_000);

    let config = parse(&format!(
        "{LEVER}[server]\nclient_timeout = \"2s\"\nbody_timeout = \"3s\"\nkeep_alive = \"4s\"\ndisconnect_timeout = \"250ms\"\nmax_connections = 1000\n"
    ))
    .unwrap();
    assert_eq!(config.server.client_timeout, Duration::from_secs(2));
    assert_eq!(config.server.body_timeout, Duration::from_secs(3));
    assert_eq!(config.server.keep_alive, Duration::from_secs(4));
    assert_eq!(config.server.disconnect_timeout, Duration::from_millis(250));
    assert_eq!(config.server.max_connections, 1000);
}

#[test]
fn zero_client_limits_are_problems_because_zero_would_turn_them_off() {
    let text = format!(
        "{LEVER}[server]\nclient_timeout = \"0s\"\nbody_timeout = \"0s\"\nkeep_alive = \"0s\"\ndisconnect_timeout = \"0ms\"\nmax_connections = 0\n"
    );
    let mut paths: Vec<String> = problems(&text).into_iter().map(|p| p.path).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "server.body_timeout",
            "server.client_timeout",
            "server.disconnect_timeout",
            "server.keep_alive",
            "server.max_connections",
        ]
    );
}

#[test]
fn tls_files_that_cannot_be_read_are_reported_under_server_tls() {
    let text = format!("{LEVER}[server.tls]\ncert = \"certs/cert.pem\"\nkey = \"certs/key.pem\"\n");
    let found = problems(&text);
    let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["server.tls.cert", "server.tls.key"], "{found:#?}");
    assert!(
        found[0].message.contains("/etc/lever-hooks/certs/cert.pem"),
        "relative to the config file's folder: {}",
        found[0]
    );
}

#[test]
fn tls_takes_only_cert_and_key() {
    let text = format!(
        "{LEVER}[server.tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\ncertificate = \"c.pem\"\n"
    );
    let problem = only_problem(&text);
    assert_eq!(problem.path, "server.tls.certificate");
}

#[test]
fn a_readable_certificate_and_key_pass_the_check() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), generated.cert.pem()).unwrap();
    std::fs::write(
        dir.path().join("key.pem"),
        generated.signing_key.serialize_pem(),
    )
    .unwrap();
    let text = format!("{LEVER}[server.tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n");

    let config = Config::parse(&text, dir.path(), &env, &[]).unwrap_or_else(|e| panic!("{e}"));
    let tls = config.server.tls.expect("tls is set");
    assert_eq!(tls.cert, PathBuf::from("cert.pem"));
}

#[test]
fn an_admin_listener_reachable_from_outside_needs_a_token() {
    let problem = only_problem(&format!("{LEVER}[admin]\nlisten = \"0.0.0.0:9090\"\n"));
    assert_eq!(problem.path, "admin.token");
    let config = parse_with_plugins(&format!("{LEVER}[admin]\n"), &[]).unwrap();
    assert_eq!(
        config.admin.unwrap().listen,
        "127.0.0.1:9090",
        "loopback by default, no token needed"
    );
    let text = format!("{LEVER}[admin]\nlisten = \"0.0.0.0:9090\"\ntoken = \"0123456789abcdef\"\n");
    assert!(parse_with_plugins(&text, &[]).is_ok());
}

#[test]
fn retention_and_prune_every_are_at_least_a_second() {
    let text = format!("{LEVER}[storage]\nretention = \"500ms\"\nprune_every = \"0s\"\n");
    let paths: Vec<String> = problems(&text).into_iter().map(|p| p.path).collect();
    assert_eq!(paths, ["storage.retention", "storage.prune_every"]);
    let text = format!("{LEVER}[storage]\nretention = \"1s\"\n");
    assert_eq!(
        parse(&text).unwrap().storage.retention,
        Duration::from_secs(1)
    );
}

#[test]
fn alerts_read_their_handlers_and_burst_defaults() {
    let text = format!(
        "{LEVER}[handlers.chat]\nkind = \"http\"\nurl = \"https://chat.example.com/hook\"\n\n\
         [alerts]\non_dead_letter = \"chat\"\non_rejected_burst = {{ handler = \"chat\" }}\n"
    );
    let config = parse(&text).unwrap();
    assert_eq!(config.alerts.on_dead_letter.as_deref(), Some("chat"));
    let burst = config.alerts.on_rejected_burst.unwrap();
    assert_eq!((burst.handler.as_str(), burst.threshold), ("chat", 20));
    assert_eq!(burst.window, Duration::from_secs(60));
}

#[test]
fn an_alert_naming_a_missing_handler_is_reported_at_its_key() {
    let text = format!(
        "{LEVER}[alerts]\non_rejected_burst = {{ handler = \"chat\", window = \"10ms\" }}\n"
    );
    let paths: Vec<String> = problems(&text).into_iter().map(|p| p.path).collect();
    assert_eq!(
        paths,
        [
            "alerts.on_rejected_burst.window",
            "alerts.on_rejected_burst.handler"
        ]
    );
}

#[test]
fn a_postgres_url_and_pool_size_are_read_and_checked_at_their_keys() {
    let text = format!(
        "{LEVER}[storage]\nurl = \"postgres://hooks:${{PGPASS}}@db:5432/hooks\"\npool_size = 25\n"
    );
    let lookup = |name: &str| (name == "PGPASS").then(|| "s3cret".to_owned());
    let config = Config::parse(&text, Path::new("."), &lookup, &[]).unwrap();
    assert_eq!(
        config.storage.url.as_deref(),
        Some("postgres://hooks:s3cret@db:5432/hooks"),
        "${{VAR}} works in the url like in every other key"
    );
    assert_eq!(config.storage.pool_size, 25);
    let shown = format!("{:?}", config.storage);
    assert!(
        !shown.contains("s3cret"),
        "the password never shows: {shown}"
    );
    assert!(shown.contains("hooks:***@db"), "{shown}");

    assert_eq!(parse(LEVER).unwrap().storage.pool_size, 10, "the default");

    let text = format!("{LEVER}[storage]\nurl = \"mysql://u:hunter2@db/x\"\npool_size = 0\n");
    let found = problems(&text);
    let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["storage.url", "storage.pool_size"]);
    assert!(
        found.iter().all(|p| !p.message.contains("hunter2")),
        "{found:?}"
    );
}
