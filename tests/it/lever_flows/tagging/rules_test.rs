//! `lever-hooks rules test` against the fake Lever: the matching rules, and no write.

use super::*;
use lever_hooks::cli::rules::{RulesArgs, RulesCommand, TestArgs};
use lever_hooks::config::DEFAULT_ACCOUNT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_test_prints_the_matching_rules_and_writes_nothing() {
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lever-hooks.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = \"{store}\"\n\n[lever]\nsigning_tokens = {{ default = [\"t\"] }}\n\
             api_base = \"{api}\"\napi_key = \"rules-key\"\n{CATEGORIZE}",
            store = dir.path().join("store").display(),
            api = lever.url(),
        ),
    )
    .unwrap();
    let args = RulesArgs {
        command: RulesCommand::Test(TestArgs {
            config,
            handler: "categorize".to_owned(),
            opportunity: DANA_BACKEND.to_owned(),
            account: DEFAULT_ACCOUNT.to_owned(),
        }),
    };
    let mut out = Vec::new();

    let code = lever_hooks::cli::rules::run(args, &HandlerRegistry::new(), &mut out)
        .await
        .unwrap();

    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert_eq!(
        out,
        format!(
            "opportunity {DANA_BACKEND} (Dana Whitfield), posting Backend Engineer, origin referred\n\
             categorize: engineering matches\n  would add tags Dept: Engineering\n\
             categorize: referrals matches\n  would add note \"Referred: moved to Phone Screen\"\n  \
             would move to stage \"Phone Screen\"\n\
             nothing was written\n"
        )
    );
    assert!(
        lever.requests().iter().all(|r| r.method == "GET"),
        "only reads"
    );
    lever.stop().await;
}
