//! `lever-hooks reconcile --dry-run` lists the changes and stores nothing.

use super::*;
use lever_hooks::handler::HandlerRegistry;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_dry_run_lists_the_changes_and_stores_nothing() {
    let lever = quiet_lever().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lever-hooks.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = \"{}\"\n[lever]\napi_base = \"{}\"\napi_key = \"cli-key\"\n\
             [handlers.log]\nkind = \"http\"\nurl = \"http://127.0.0.1:9/hook\"\n\
             [[routes]]\nevents = [\"candidateStageChange\"]\nhandler = \"log\"\n",
            dir.path().join("data").display(),
            lever.url()
        ),
    )
    .unwrap();
    make_changes(&lever).await;
    let args = lever_hooks::cli::reconcile::ReconcileArgs {
        config: config.clone(),
        account: None,
        since: Duration::from_secs(3_600),
        dry_run: true,
    };
    let mut out = Vec::new();
    let code = lever_hooks::cli::reconcile::run(args, &HandlerRegistry::new(), &mut out)
        .await
        .unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(&format!(
            "default candidateStageChange {SAM_NO_EMAIL} stage"
        )),
        "{out}"
    );
    assert!(out.contains("-> log; not stored (dry run)"), "{out}");
    assert!(
        out.contains(&format!("candidateHired {ELENA_OFFER} hired")),
        "{out}"
    );
    assert!(
        out.contains("dry run: 4 change(s) found, nothing stored"),
        "{out}"
    );

    // The command's store lets go of its lock when its writer has stopped.
    let mut opened = None;
    for _ in 0..100 {
        if let Ok(store) = SledStore::open(&dir.path().join("data")) {
            opened = Some(store);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let store = opened.expect("the store opens once the command is done");
    assert!(events(&store).await.is_empty());
    assert_eq!(
        state::load(&store, "default", SAM_NO_EMAIL).await.unwrap(),
        None
    );
    lever.stop().await;
}
