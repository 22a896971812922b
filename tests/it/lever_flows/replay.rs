//! Write-backs happen once per idempotency key: a job run again (a replay) and a note
//! interrupted between Lever's answer and our record.

use super::*;
use lever_hooks::config::DEFAULT_ACCOUNT;
use lever_hooks::handler::lever::write_back::{reference_line, WriteBack};
use lever_hooks::handler::{
    HandlerContext, HandlerRegistry, KindContext, Outcome, Platform, Records,
};
use lever_hooks::lever::{
    ClientConfig, Credentials, Directory, LeverClient, MemoryRefreshTokenStore,
};
use lever_hooks::lever_accounts::{AccountApi, LeverAccounts};
use lever_hooks::EventDocument;

fn client(lever: &FakeLever) -> LeverClient {
    client_with_retries(lever, 5)
}

/// A client of the fake that retries a failed request `max_retries` times.
fn client_with_retries(lever: &FakeLever, max_retries: u32) -> LeverClient {
    let config = ClientConfig {
        api_base: lever.url(),
        max_retries,
        ..ClientConfig::new(Credentials::ApiKey("replay-key".to_owned().into()))
    };
    LeverClient::new(
        DEFAULT_ACCOUNT,
        config,
        Arc::new(MemoryRefreshTokenStore::default()),
    )
    .unwrap()
}

fn platform(lever: &FakeLever, store: Arc<dyn Store>) -> Platform {
    platform_with_retries(lever, store, 5)
}

/// A platform over the fake whose client retries a failed request `max_retries` times.
pub(super) fn platform_with_retries(
    lever: &FakeLever,
    store: Arc<dyn Store>,
    max_retries: u32,
) -> Platform {
    let client = client_with_retries(lever, max_retries);
    let api = AccountApi {
        directory: Directory::new(client.clone(), Duration::from_secs(600)),
        client,
        perform_as: Some(INTEGRATION_USER.to_owned()),
    };
    let accounts = LeverAccounts::from_clients(BTreeMap::from([(DEFAULT_ACCOUNT.to_owned(), api)]));
    Platform::new(store, Arc::new(accounts))
}

fn stage_change_document(opportunity: &str, to: &str) -> EventDocument {
    let data = json!({"opportunityId": opportunity, "contactId": DANA, "fromStageId": PHONE_SCREEN, "toStageId": to});
    serde_json::from_value(json!({
        "id": "evt_replay", "account": DEFAULT_ACCOUNT, "event": "candidateStageChange",
        "triggeredAt": 1, "receivedAt": 2, "opportunityId": opportunity, "contactId": DANA,
        "data": data, "handler": "bgcheck", "attempt": 1, "idempotencyKey": "evt_replay:bgcheck",
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_job_requests_no_second_check_and_writes_no_second_note() {
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    let provider = Provider::start().await;
    reqwest::Client::new()
        .put(format!(
            "{}/opportunities/{DANA_BACKEND}/stage",
            lever.url()
        ))
        .basic_auth("recruiter-key", Some(""))
        .json(&json!({ "stage": BACKGROUND_CHECK }))
        .send()
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let section: toml::Value = toml::from_str(&format!(
        "provider = {{ kind = \"http\", url = \"{}\" }}\n",
        provider.url
    ))
    .unwrap();
    let settings = HandlerRegistry::new()
        .read_settings("background-check", section)
        .unwrap()
        .unwrap();
    let handler = settings
        .build(&KindContext {
            name: "bgcheck",
            base_dir: Path::new("."),
        })
        .unwrap();
    let doc = stage_change_document(DANA_BACKEND, BACKGROUND_CHECK);
    let ctx = HandlerContext::new("bgcheck", DEFAULT_ACCOUNT, platform(&lever, store));

    for run in 1..=3 {
        assert_eq!(
            handler.handle(&doc, &ctx).await.unwrap(),
            Outcome::Done,
            "run {run}"
        );
    }

    assert_eq!(provider.actions("create").len(), 1);
    let notes = lever
        .state()
        .notes_of(DANA_BACKEND)
        .iter()
        .filter(|n| n.to_string().contains("Background check requested"))
        .count();
    assert_eq!(notes, 1);
    lever.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_written_before_a_crash_is_found_by_its_reference_not_written_again() {
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let client = client(&lever);
    let key = "evt_crash:hris:note";
    // The previous attempt recorded that it started, Lever stored the note, and the
    // process died before recording that it was done.
    let records = Records::new(store.clone(), "hris");
    records
        .put(&format!("write/{key}"), json!({"state": "started"}))
        .await
        .unwrap();
    let earlier = client
        .add_note(
            ELENA_OFFER,
            &format!("Employee record e-1 created.\n\n{}", reference_line(key)),
            None,
        )
        .await
        .unwrap();
    let write = WriteBack::new(records.clone(), &client, None);

    let id = write
        .note_once(key, ELENA_OFFER, "Employee record e-1 created.")
        .await
        .unwrap();

    assert_eq!(id.as_deref(), Some(earlier.as_str()));
    let notes = lever.state().notes_of(ELENA_OFFER).len();
    assert_eq!(
        write
            .note_once(key, ELENA_OFFER, "again")
            .await
            .unwrap()
            .as_deref(),
        Some(earlier.as_str())
    );
    assert_eq!(
        lever.state().notes_of(ELENA_OFFER).len(),
        notes,
        "no new note"
    );
    assert_eq!(
        records.get(&format!("write/{key}")).await.unwrap().unwrap()["state"],
        "done"
    );
    lever.stop().await;
}
