//! The `command` handler: exit codes, stdin, environment, timeouts, program lookup, checks.

use super::{build, config, document, document_with_data, problems, read, run};
use lever_hooks::handler::{CommandConfig, HandlerSettings, KindContext, Outcome};
use std::path::Path;
use std::time::{Duration, Instant};

/// A `kind = "command"` table running `script` with `/bin/sh -c`, with `$1` set to `dir`.
fn sh_table(script: &str, dir: &Path) -> toml::Table {
    let mut table = toml::Table::new();
    table.insert("kind".into(), "command".into());
    table.insert("program".into(), "/bin/sh".into());
    let args = ["-c", script, "sh", &dir.display().to_string()].map(toml::Value::from);
    table.insert("args".into(), toml::Value::Array(args.to_vec()));
    table
}

fn sh(script: &str, dir: &Path) -> HandlerSettings {
    config(sh_table(script, dir))
}

#[tokio::test]
async fn exit_zero_is_done_and_the_program_gets_the_document_and_its_environment() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let script = r#"cat > "$1/stdin.json" &&
        printf '%s\n' "$LEVER_HOOKS_EVENT" "$LEVER_HOOKS_EVENT_ID" "$LEVER_HOOKS_ATTEMPT" \
            "$LEVER_HOOKS_IDEMPOTENCY_KEY" "$FROM_CONFIG" > "$1/env.txt""#;
    let mut table = sh_table(script, dir.path());
    let mut env = toml::Table::new();
    env.insert("FROM_CONFIG".into(), "yes".into());
    table.insert("env".into(), env.into());
    let handler = build(&config(table), dir.path());
    let doc = document("notify");

    // Act
    let outcome = run(&handler, &doc).await;

    // Assert
    assert_eq!(outcome, Outcome::Done);
    let stdin = std::fs::read(dir.path().join("stdin.json")).unwrap();
    assert_eq!(stdin, doc.to_json());
    let env = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    let expected = [
        "candidateStageChange",
        doc.id.as_str(),
        "3",
        "evt_0190d5f8a0c47c2e9f6b5d1e2a3b4c5d:notify",
        "yes",
    ];
    assert_eq!(env.lines().collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn exit_65_gives_up_with_the_end_of_stderr_in_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let handler = build(
        &sh("echo 'candidate has no email' >&2; exit 65", dir.path()),
        dir.path(),
    );

    let outcome = run(&handler, &document("notify")).await;

    let Outcome::GiveUp { reason } = outcome else {
        panic!("expected GiveUp, got {outcome:?}")
    };
    assert!(
        reason.contains("65") && reason.contains("candidate has no email"),
        "{reason}"
    );
}

#[tokio::test]
async fn exit_1_is_retried_on_the_backoff_schedule_with_stderr_in_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let script = "echo 'calling provider' >&2; echo 'provider said 503' >&2; exit 1";
    let handler = build(&sh(script, dir.path()), dir.path());

    let outcome = run(&handler, &document("notify")).await;

    let Outcome::Retry { after, reason } = outcome else {
        panic!("expected Retry, got {outcome:?}")
    };
    assert_eq!(after, None);
    assert!(reason.contains("exit status: 1"), "{reason}");
    assert!(
        reason.contains("calling provider | provider said 503"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_retry_after_line_on_stdout_sets_the_delay_of_the_retry() {
    let dir = tempfile::tempdir().unwrap();
    let script = "echo 'rate limited'; echo retry-after=7; exit 75";
    let handler = build(&sh(script, dir.path()), dir.path());

    let outcome = run(&handler, &document("notify")).await;

    assert!(
        matches!(outcome, Outcome::Retry { after: Some(d), .. } if d == Duration::from_secs(7)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_program_past_its_timeout_is_killed_reaped_and_retried() {
    // Arrange: the shell replaces itself with `sleep`, so the recorded pid is the child's.
    let dir = tempfile::tempdir().unwrap();
    let mut table = sh_table(r#"echo $$ > "$1/pid"; exec sleep 30"#, dir.path());
    table.insert("timeout".into(), "300ms".into());
    let handler = build(&config(table), dir.path());

    // Act
    let started = Instant::now();
    let outcome = run(&handler, &document("notify")).await;

    // Assert
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let Outcome::Retry { reason, .. } = outcome else {
        panic!("expected Retry, got {outcome:?}")
    };
    assert!(reason.contains("longer than 300ms"), "{reason}");
    let pid = std::fs::read_to_string(dir.path().join("pid")).unwrap();
    // `kill -0` succeeds for a running process and for an unreaped zombie alike.
    let alive = std::process::Command::new("kill")
        .args(["-0", pid.trim()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(!alive, "process {} is still there", pid.trim());
}

#[tokio::test]
async fn death_by_signal_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let handler = build(&sh("kill -KILL $$", dir.path()), dir.path());

    let outcome = run(&handler, &document("notify")).await;

    let Outcome::Retry { reason, .. } = outcome else {
        panic!("expected Retry, got {outcome:?}")
    };
    assert!(reason.contains("signal"), "{reason}");
}

#[tokio::test]
async fn a_chatty_program_that_ignores_a_large_document_does_not_deadlock() {
    // Arrange: a document far larger than a pipe buffer, and more output than one too.
    let dir = tempfile::tempdir().unwrap();
    let script = "yes to-stderr | head -n 100000 >&2; yes to-stdout | head -n 100000; exit 0";
    let handler = build(&sh(script, dir.path()), dir.path());
    let data = format!(r#"{{"notes":"{}"}}"#, "x".repeat(1 << 20));
    let doc = document_with_data("notify", &data);

    // Act
    let outcome = tokio::time::timeout(Duration::from_secs(20), run(&handler, &doc)).await;

    // Assert
    assert_eq!(outcome.expect("the run finishes"), Outcome::Done);
}

#[cfg(unix)]
#[tokio::test]
async fn a_relative_program_is_found_in_the_config_files_folder() {
    // Arrange: `bin/run` exists only under the config folder, not under the test's cwd.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    std::os::unix::fs::symlink("/bin/sh", dir.path().join("bin/run")).unwrap();
    let mut table = sh_table(r#"echo ran > "$1/ran""#, dir.path());
    table.insert("program".into(), "bin/run".into());
    let handler = build(&config(table), dir.path());

    // Act
    let outcome = run(&handler, &document("notify")).await;

    // Assert
    assert_eq!(outcome, Outcome::Done);
    assert!(dir.path().join("ran").exists());
}

#[tokio::test]
async fn a_bare_program_name_is_looked_up_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = sh_table(r#"echo ran > "$1/ran""#, dir.path());
    table.insert("program".into(), "sh".into());
    let handler = build(&config(table), dir.path());

    let outcome = run(&handler, &document("notify")).await;

    assert_eq!(outcome, Outcome::Done);
    assert!(dir.path().join("ran").exists());
}

#[tokio::test]
async fn a_program_that_cannot_start_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = sh_table("", dir.path());
    table.insert("program".into(), "./gone.sh".into());
    let handler = config(table)
        .build(&KindContext {
            name: "under-test",
            base_dir: dir.path(),
        })
        .unwrap();

    let outcome = run(&handler, &document("notify")).await;

    let Outcome::Retry { reason, .. } = outcome else {
        panic!("expected Retry, got {outcome:?}")
    };
    assert!(
        reason.contains("could not start") && reason.contains("gone.sh"),
        "{reason}"
    );
}

#[test]
fn check_reports_a_missing_program() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = sh_table("", dir.path());
    table.insert("program".into(), "./scripts/missing.sh".into());

    let found = problems(&config(table), dir.path());

    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "program");
    assert!(found[0].1.contains("missing.sh"), "{}", found[0].1);
}

#[test]
fn check_reports_a_bare_name_missing_from_path_and_hints_at_a_file_next_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notify-lever-hooks-test.sh"), "#!/bin/sh\n").unwrap();
    let mut table = sh_table("", dir.path());
    table.insert("program".into(), "notify-lever-hooks-test.sh".into());

    let found = problems(&config(table), dir.path());

    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "program");
    assert!(found[0].1.contains("not found on PATH"), "{}", found[0].1);
    assert!(
        found[0].1.contains("\"./notify-lever-hooks-test.sh\""),
        "{}",
        found[0].1
    );
}

#[cfg(unix)]
#[test]
fn check_reports_a_program_that_is_not_executable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notify.sh"), "#!/bin/sh\n").unwrap();
    let mut table = sh_table("", dir.path());
    table.insert("program".into(), "./notify.sh".into());

    let found = problems(&config(table), dir.path());

    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("not executable"), "{}", found[0].1);
}

#[test]
fn check_reports_a_zero_timeout_and_env_that_would_override_lever_hooks_variables() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = sh_table("", dir.path());
    table.insert("timeout".into(), "0s".into());
    let mut env = toml::Table::new();
    env.insert("LEVER_HOOKS_ATTEMPT".into(), "1".into());
    env.insert("A=B".into(), "1".into());
    table.insert("env".into(), env.into());

    let mut keys: Vec<String> = problems(&config(table), dir.path())
        .into_iter()
        .map(|p| p.0)
        .collect();
    keys.sort();

    assert_eq!(keys, ["env.A=B", "env.LEVER_HOOKS_ATTEMPT", "timeout"]);
}

#[test]
fn unknown_keys_are_rejected_and_the_timeout_defaults_to_30_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = sh_table("", dir.path());
    table.insert("shell".into(), true.into());
    let error = read(table).unwrap_err();
    assert_eq!(error.len(), 1, "{error:?}");
    assert!(error[0].1.contains("shell"), "{error:?}");

    let settings = sh("", dir.path());
    let Some(command) = settings.get::<CommandConfig>() else {
        panic!("kind = \"command\" builds a command config")
    };
    assert_eq!(command.timeout, Duration::from_secs(30));
}

#[test]
fn debug_output_shows_env_names_but_not_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = sh_table("", dir.path());
    let mut env = toml::Table::new();
    env.insert("PROVIDER_API_KEY".into(), "sk_live_do_not_print".into());
    table.insert("env".into(), env.into());
    let config = config(table);

    let Some(command) = config.get::<CommandConfig>() else {
        panic!("kind = \"command\" builds a command config")
    };
    let handler = lever_hooks::handler::CommandHandler::new(command.clone(), dir.path());
    let printed = format!("{config:?} {handler:?}");

    assert!(printed.contains("PROVIDER_API_KEY"), "{printed}");
    assert!(!printed.contains("sk_live_do_not_print"), "{printed}");
}
