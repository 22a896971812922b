//! The server, TLS, admin, retention, alerts and storage sections: defaults and limits.

use super::*;

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

    let config = Config::parse(&text, dir.path(), &env, &HandlerRegistry::new())
        .unwrap_or_else(|e| panic!("{e}"));
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
    let config = Config::parse(&text, Path::new("."), &lookup, &HandlerRegistry::new()).unwrap();
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
