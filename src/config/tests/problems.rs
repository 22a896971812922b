//! How problems are reported: unknown keys at their path, every problem at once, bad TOML.

use super::*;

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
