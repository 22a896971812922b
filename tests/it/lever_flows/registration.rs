//! `lever-hooks webhooks register|list|delete` against the fake Lever: the signing tokens
//! Lever returns are stored, and intake accepts deliveries signed with them although the
//! config names no signing token at all. Once on the embedded store, and once on
//! PostgreSQL (skipped without `LEVER_HOOKS_TEST_DATABASE_URL`, see README "PostgreSQL").

use super::*;
use lever_hooks::cli::webhooks::{run, Target, WebhooksArgs, WebhooksCommand};
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::store::{PostgresStore, RecordKey, RecordPrefix};
use std::path::PathBuf;

/// Where the CLI and the service keep the registered tokens.
enum Storage {
    /// The embedded store in this directory.
    Sled(PathBuf),
    /// PostgreSQL at this URL (a schema of the test's own).
    Postgres(String),
}

impl Storage {
    /// The config's `[storage]` section.
    fn section(&self) -> String {
        match self {
            Storage::Sled(path) => format!("[storage]\npath = \"{}\"\n", path.display()),
            Storage::Postgres(url) => format!("[storage]\nurl = \"{url}\"\npool_size = 2\n"),
        }
    }

    /// Opens the store between CLI runs (sled: once the last user let go of it).
    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Storage::Sled(path) => Arc::new(open_sled(path).await),
            Storage::Postgres(url) => Arc::new(
                PostgresStore::connect(url, 1)
                    .await
                    .expect("the test database"),
            ),
        }
    }
}

async fn open_sled(path: &Path) -> SledStore {
    for _ in 0..300 {
        if let Ok(store) = SledStore::open(path) {
            return store;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the store at {} stayed locked", path.display());
}

/// On the embedded store: `webhooks register` (run while lever-hooks is stopped) stores the
/// tokens, and the service started afterwards verifies Lever's deliveries with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_tokens_are_stored_and_verify_deliveries_without_configured_tokens() {
    let dir = tempfile::tempdir().unwrap();
    register_then_serve(dir.path(), Storage::Sled(dir.path().join("data"))).await;
}

/// The same on PostgreSQL: `webhooks register` writes the tokens into the database, and a
/// service on that database verifies Lever's deliveries with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_registered_tokens_are_stored_and_verify_deliveries() {
    let Some(url) = pg::url() else {
        eprintln!("{}", pg::SKIPPED);
        return;
    };
    let schema = pg::fresh_schema(&url).await;
    let dir = tempfile::tempdir().unwrap();
    register_then_serve(
        dir.path(),
        Storage::Postgres(pg::url_in_schema(&url, &schema)),
    )
    .await;
}

/// Registers two webhooks with the CLI, deletes one, then serves from `storage` and has the
/// fake Lever deliver a stage change signed with the remaining webhook's token.
async fn register_then_serve(dir: &Path, storage: Storage) {
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    let provider = Provider::start().await;
    let port = free_port();
    let config_path = dir.join("lever-hooks.toml");
    std::fs::write(
        &config_path,
        format!(
            r#"
[server]
listen = "127.0.0.1:{port}"
workers = 1

{storage}
[lever]
api_base = "{api}"
api_key = "registration-key"

[retry]
initial_backoff = "20ms"
max_backoff = "200ms"
{handlers}
"#,
            storage = storage.section(),
            api = lever.url(),
            handlers = handlers(&provider.url),
        ),
    )
    .unwrap();
    let target = || Target {
        config: config_path.clone(),
        account: "default".to_owned(),
    };
    let url = format!("http://127.0.0.1:{port}/webhooks/lever");

    let code = run(
        WebhooksArgs {
            command: WebhooksCommand::Register {
                target: target(),
                url: url.clone(),
                events: vec!["candidateStageChange".into(), "candidateHired".into()],
            },
        },
        &HandlerRegistry::new(),
    )
    .await
    .unwrap();

    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let webhooks = lever.state().webhooks;
    assert_eq!(webhooks.len(), 2);
    assert!(webhooks.iter().all(|w| w.url == url));
    let store = storage.open().await;
    let stored = store
        .records(&RecordPrefix::signing_tokens_of("default"))
        .await
        .unwrap();
    for webhook in &webhooks {
        let key = RecordKey::signing_token("default", &webhook.event, &webhook.id);
        let token = stored
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone());
        assert_eq!(token, Some(json!(webhook.signature_token)), "{key}");
    }
    drop(store);

    let hired = webhooks
        .iter()
        .find(|w| w.event == "candidateHired")
        .unwrap();
    run(
        WebhooksArgs {
            command: WebhooksCommand::Delete {
                target: target(),
                ids: vec![hired.id.clone()],
            },
        },
        &HandlerRegistry::new(),
    )
    .await
    .unwrap();
    assert_eq!(lever.state().webhooks.len(), 1);
    let store = storage.open().await;
    assert_eq!(
        store
            .records(&RecordPrefix::signing_tokens_of("default"))
            .await
            .unwrap()
            .len(),
        1,
        "its token is forgotten"
    );
    drop(store);

    // Serve from that store: the fake signs with the registered webhook's own token.
    let config = Config::load(&config_path, &HandlerRegistry::new()).unwrap();
    let mut app = None;
    for _ in 0..300 {
        match App::build(&config, HandlerRegistry::new()).await {
            Ok(built) => {
                app = Some(built);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let app = app.expect("lever-hooks starts on the registered store");
    let stopper = app.stopper();
    let running = tokio::spawn(app.run_until_stopped());
    reqwest::Client::new()
        .put(format!(
            "{}/opportunities/{DANA_BACKEND}/stage",
            lever.url()
        ))
        .basic_auth("recruiter-key", Some(""))
        .json(&json!({ "stage": BACKGROUND_CHECK }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    eventually(
        "the check requested from a delivery signed with the stored token",
        || provider.actions("create").len() == 1,
    )
    .await;
    let deliveries = lever.deliveries();
    assert!(
        deliveries.iter().all(|d| d.status == Some(200)),
        "{deliveries:?}"
    );
    stopper.stop();
    running.await.unwrap().unwrap();
    lever.stop().await;
}
