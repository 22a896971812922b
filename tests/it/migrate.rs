//! `lever-hooks migrate`, with the real binary: it applies the embedded migrations to the
//! database of `[storage] url`, says which ran, applies nothing the second time, and
//! refuses a config without a url.
//!
//! The database part needs `LEVER_HOOKS_TEST_DATABASE_URL` (see README "PostgreSQL").

use crate::contract::pg;

use std::path::Path;
use std::process::{Command, Output};

fn migrate(config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["migrate", "--config"])
        .arg(config)
        .output()
        .expect("the binary runs")
}

fn config(dir: &Path, storage: &str) -> std::path::PathBuf {
    let path = dir.join("lever-hooks.toml");
    std::fs::write(
        &path,
        format!("[storage]\n{storage}\n[lever]\nsigning_tokens = {{ default = [\"t\"] }}\n"),
    )
    .unwrap();
    path
}

#[test]
fn migrate_has_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["migrate", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--config"));
}

#[test]
fn migrate_without_a_database_url_says_sled_needs_none() {
    let dir = tempfile::tempdir().unwrap();
    let out = migrate(&config(dir.path(), "path = \"./data\""));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no [storage] url"), "{stderr}");
}

#[tokio::test]
async fn migrate_applies_each_migration_once_and_masks_the_password() {
    let Some(url) = pg::url() else {
        eprintln!("{}", pg::SKIPPED);
        return;
    };
    let schema = pg::fresh_schema(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let in_schema = pg::url_in_schema(&url, &schema);
    let path = config(dir.path(), &format!("url = \"{in_schema}\""));

    let first = migrate(&path);
    let second = migrate(&path);

    let first_out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{first_out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(first_out.contains("0001 initial"), "{first_out}");
    assert!(first_out.contains("applied now"), "{first_out}");
    assert!(first_out.contains("0 already in place"), "{first_out}");
    let second_out = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success());
    assert!(second_out.contains("0 migrations applied"), "{second_out}");
    assert!(!second_out.contains("applied now"), "{second_out}");
    if let Some(password) = lever_hooks::store::postgres::parse_url(&url)
        .ok()
        .and_then(|_| url.split_once("://"))
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(user, _)| user.split_once(':'))
        .map(|(_, password)| password.to_owned())
    {
        assert!(!first_out.contains(&format!(":{password}@")), "{first_out}");
    }
}
