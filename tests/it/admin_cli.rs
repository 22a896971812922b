//! `lever-hooks events …` and `dead-letters …` against a running app with `[admin]`: the
//! command functions are called with a buffer for stdout, the real binary once for `--help`.

use crate::helpers;

use clap::Parser;
use helpers::*;
use lever_hooks::cli::{admin, Cli, Command};
use lever_hooks::sample::SampleEvent;
use lever_hooks::store::JobState;
use serde_json::Value;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

const TOKEN: &str = "admin-token-for-cli-tests-42";

/// Runs `lever-hooks <args>` in-process against `url` with `token`; the result and stdout.
async fn cli_with(url: &str, token: &str, args: &[&str]) -> (anyhow::Result<ExitCode>, String) {
    let argv = ["lever-hooks"]
        .into_iter()
        .chain(args.iter().copied())
        .chain(["--admin-url", url, "--admin-token", token]);
    let cli = Cli::try_parse_from(argv).expect("the arguments parse");
    let mut out = Vec::new();
    let result = match cli.command {
        Command::Events(args) => admin::events(args, &mut out).await,
        Command::DeadLetters(args) => admin::dead_letters(args, &mut out).await,
        other => panic!("not an admin command: {other:?}"),
    };
    (result, String::from_utf8(out).expect("the output is UTF-8"))
}

/// Runs a command that must succeed; its stdout.
async fn cli(app: &TestApp, args: &[&str]) -> String {
    let (result, out) = cli_with(app.admin.as_ref().unwrap(), TOKEN, args).await;
    match result {
        Ok(code) => assert_eq!(code, ExitCode::SUCCESS, "{args:?}: {out}"),
        Err(e) => panic!("{args:?} failed: {e:#}\n{out}"),
    }
    out
}

/// Delivers an event and waits until its job is dead or done; its id.
async fn deliver_and_settle(app: &TestApp, opportunity: &str) -> String {
    let mut sample = SampleEvent::new("candidateStageChange");
    sample.opportunity_id = opportunity.to_owned();
    let (status, answer) = app.deliver(delivery(&sample)).await;
    assert_eq!(status, 200, "{answer}");
    let id = event_id(&answer);
    eventually("the job to settle", Duration::from_secs(5), || async {
        let jobs = jobs_of(app, &id).await;
        !jobs.is_empty() && jobs.iter().all(|j| j.state != JobState::Pending)
    })
    .await;
    id.to_string()
}

/// A dead letter is listed, shown, retried (after the handler recovers) with attempt
/// numbers going on, and the tables and JSON say so.
#[tokio::test]
async fn a_dead_letter_is_listed_retried_and_shown_with_every_attempt() {
    // Arrange
    let switch = Switch::default();
    switch.failing.store(true, Ordering::SeqCst);
    let app = spawn_with_switch(TOKEN, &switch).await;
    let dead = deliver_and_settle(&app, "opp-dead").await;

    // Act and assert: events list, as a table and as JSON.
    let table = cli(&app, &["events", "list"]).await;
    let row = table.lines().find(|l| l.contains(&dead)).expect(&table);
    assert!(
        row.contains("dead") && row.contains("switch:dead"),
        "{table}"
    );
    assert!(table.starts_with("RECEIVED"), "{table}");
    let json: Value = serde_json::from_str(&cli(&app, &["events", "list", "--json"]).await)
        .expect("--json prints one JSON document");
    assert_eq!(json["events"][0]["event"]["id"], dead.as_str());
    assert_eq!(json["events"][0]["status"], "dead");

    // dead-letters list shows the error text.
    let letters = cli(&app, &["dead-letters", "list"]).await;
    assert!(letters.contains(&dead), "{letters}");
    assert!(letters.contains("the provider said no"), "{letters}");

    // The handler recovers; retry everything without asking.
    switch.failing.store(false, Ordering::SeqCst);
    let retried = cli(&app, &["dead-letters", "retry", "--yes"]).await;
    assert!(retried.contains("retried 1 dead letter"), "{retried}");
    eventually(
        "the retried job to succeed",
        Duration::from_secs(5),
        || async {
            cli(&app, &["events", "list", "--status", "done"])
                .await
                .contains(&dead)
        },
    )
    .await;
    let none = cli(&app, &["dead-letters", "list"]).await;
    assert!(none.contains("no dead letters match"), "{none}");

    // events show prints every attempt, numbering going on across the retry.
    let shown = cli(&app, &["events", "show", &dead]).await;
    assert!(shown.contains("job switch (done), 2 attempts"), "{shown}");
    let attempts: Vec<&str> = shown
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(attempts.len(), 2, "{shown}");
    assert!(attempts[0].trim_start().starts_with('1') && attempts[0].contains("give_up"));
    assert!(attempts[0].contains("the provider said no"), "{shown}");
    assert!(attempts[1].trim_start().starts_with('2') && attempts[1].contains("done"));
    assert!(
        shown.contains("\"opportunityId\": \"opp-dead\""),
        "data pretty-printed: {shown}"
    );
    app.stop().await;
}

/// Filters narrow, `--all` follows the cursor, and replay runs several events again.
#[tokio::test]
async fn filters_pages_and_replay_of_several_events() {
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    let first = deliver_and_settle(&app, "opp-1").await;
    let second = deliver_and_settle(&app, "opp-2").await;
    let third = deliver_and_settle(&app, "opp-1").await;

    let one = cli(&app, &["events", "list", "--opportunity", "opp-2"]).await;
    assert!(one.contains(&second) && !one.contains(&first), "{one}");
    let page = cli(&app, &["events", "list", "--limit", "2"]).await;
    assert!(page.contains(&third) && !page.contains(&first), "{page}");
    assert!(page.contains("--all"), "says there is more: {page}");
    let all = cli(&app, &["events", "list", "--limit", "2", "--all", "--json"]).await;
    let all: Value = serde_json::from_str(&all).unwrap();
    let ids: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["event"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [&third, &second, &first], "newest first over pages");

    let replayed = cli(
        &app,
        &["events", "replay", &first, &second, "--handler", "switch"],
    )
    .await;
    assert!(
        replayed.contains(&format!("replaying {first}:switch")),
        "{replayed}"
    );
    assert!(
        replayed.contains(&format!("replaying {second}:switch")),
        "{replayed}"
    );
    eventually("the replays to run", Duration::from_secs(5), || async {
        let shown = cli(&app, &["events", "show", &second]).await;
        shown.contains("job switch (done), 2 attempts")
    })
    .await;

    // Without --handler, every handler's job of the event runs again.
    let replayed = cli(&app, &["events", "replay", &third]).await;
    assert!(
        replayed.contains(&format!("replaying {third}:switch")),
        "{replayed}"
    );
    eventually("the replay to run", Duration::from_secs(5), || async {
        let shown = cli(&app, &["events", "show", &third]).await;
        shown.contains("job switch (done), 2 attempts")
    })
    .await;

    // The API's own message on a 400 and a 404.
    let url = app.admin.clone().unwrap();
    let (result, _) = cli_with(&url, TOKEN, &["events", "list", "--since", "yesterday"]).await;
    assert!(format!("{:#}", result.unwrap_err()).contains("since `yesterday`"));
    let (result, out) = cli_with(&url, TOKEN, &["events", "replay", "evt_nope"]).await;
    assert!(format!("{:#}", result.unwrap_err()).contains("1 of 1"));
    assert!(out.contains("no event evt_nope"), "{out}");
    app.stop().await;
}

/// A wrong token and an unreachable URL give messages that say what to fix.
#[tokio::test]
async fn wrong_token_and_unreachable_url_say_what_to_fix() {
    let app = spawn_with_switch(TOKEN, &Switch::default()).await;
    let url = app.admin.clone().unwrap();
    let (result, _) = cli_with(&url, "not-the-token", &["events", "list"]).await;
    let message = format!("{:#}", result.unwrap_err());
    assert_eq!(
        message,
        "wrong or missing admin token (--admin-token or LEVER_HOOKS_ADMIN_TOKEN)"
    );
    assert!(!message.contains(TOKEN));
    app.stop().await;

    // Nothing listens there any more.
    let (result, _) = cli_with(&url, TOKEN, &["dead-letters", "list"]).await;
    let message = format!("{:#}", result.unwrap_err());
    assert!(
        message.contains(&format!("cannot reach the admin API at {url}")),
        "{message}"
    );
    assert!(message.contains("[admin]"), "{message}");
    assert!(!message.contains(TOKEN), "{message}");
}

/// The real binary knows the subcommand and its flags.
#[test]
fn the_binary_prints_help_for_events_list() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["events", "list", "--help"])
        .env_remove("LEVER_HOOKS_ADMIN_TOKEN")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--account",
        "--status",
        "--since",
        "--all",
        "--admin-url",
        "--json",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}
