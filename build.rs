//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds the
//! files of `migrations/` at compile time, and a new file alone would not trigger that.
//!
//! Also says, in a line cargo shows without `--nocapture`, when the PostgreSQL test suites
//! will skip themselves (they pass, printing `skipped`, under libtest's capture).

/// The variable the PostgreSQL store suites and the multi-instance test read.
const TEST_DATABASE_URL: &str = "LEVER_HOOKS_TEST_DATABASE_URL";

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed={TEST_DATABASE_URL}");
    // Release builds (`cargo install`) are not for running the tests: stay quiet there.
    if std::env::var("PROFILE").as_deref() == Ok("debug")
        && std::env::var_os(TEST_DATABASE_URL).is_none()
    {
        println!(
            "cargo:warning=tests: the PostgreSQL suites will be skipped: {TEST_DATABASE_URL} is unset (see docs/postgresql.md)"
        );
    }
}
