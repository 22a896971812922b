//! `lever-hooks webhooks register|list|delete` against the fake Lever: the signing tokens
//! Lever returns are stored, and intake accepts deliveries signed with them although the
//! config names no signing token at all.

use super::*;
use lever_hooks::cli::webhooks::{run, Target, WebhooksArgs, WebhooksCommand};
use lever_hooks::handler::HandlerRegistry;

async fn open_store(path: &Path) -> SledStore {
    for _ in 0..300 {
        if let Ok(store) = SledStore::open(path) {
            return store;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the store at {} stayed locked", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_tokens_are_stored_and_verify_deliveries_without_configured_tokens() {
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    let provider = Provider::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = dir.path().join("data");
    let config_path = dir.path().join("lever-hooks.toml");
    std::fs::write(
        &config_path,
        format!(
            r#"
[server]
listen = "127.0.0.1:{port}"
workers = 1

[storage]
path = "{data}"

[lever]
api_base = "{api}"
api_key = "registration-key"

[retry]
initial_backoff = "20ms"
max_backoff = "200ms"
{handlers}
"#,
            data = data.display(),
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

    let code = run(WebhooksArgs {
        command: WebhooksCommand::Register {
            target: target(),
            url: url.clone(),
            events: vec!["candidateStageChange".into(), "candidateHired".into()],
        },
    })
    .await
    .unwrap();

    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let webhooks = lever.state().webhooks;
    assert_eq!(webhooks.len(), 2);
    assert!(webhooks.iter().all(|w| w.url == url));
    let store = open_store(&data).await;
    let stored = store.records("signing-token/default/").await.unwrap();
    for webhook in &webhooks {
        let key = format!("signing-token/default/{}/{}", webhook.event, webhook.id);
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
    run(WebhooksArgs {
        command: WebhooksCommand::Delete {
            target: target(),
            ids: vec![hired.id.clone()],
        },
    })
    .await
    .unwrap();
    assert_eq!(lever.state().webhooks.len(), 1);
    let store = open_store(&data).await;
    assert_eq!(
        store.records("signing-token/default/").await.unwrap().len(),
        1,
        "its token is forgotten"
    );
    drop(store);

    // Serve from that store: the fake signs with the registered webhook's own token.
    let config = Config::load(&config_path, &[]).unwrap();
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
