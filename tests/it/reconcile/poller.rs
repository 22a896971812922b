//! The reconciliation poller against the fake Lever with no webhooks: changes made through
//! the fake's API are found by one pass and stored once as `reconcile:` events; the first
//! pass records only; a deletion is found; two pollers on one store store each change
//! once; the poll waits on its own bucket at half the account's rate, and with the
//! handlers stays under the fake's limit; and
//! `lever-hooks reconcile --dry-run` lists without storing.

use crate::contract::pg;
use crate::lever_flows::{
    self, example, ASSESSMENT, BACKGROUND_CHECK, DANA_BACKEND, ELENA_OFFER, HIRED, SAM_NO_EMAIL,
};
use lever_hooks::alerts::Alerts;
use lever_hooks::fake_lever::{self, FakeLever, FakeLeverOptions};
use lever_hooks::lever::{
    ClientConfig, Credentials, Directory, LeverClient, MemoryRefreshTokenStore,
};
use lever_hooks::lever_accounts::AccountApi;
use lever_hooks::opportunity_state as state;
use lever_hooks::reconcile::poller::Tick;
use lever_hooks::reconcile::{PassReport, Poller};
use lever_hooks::store::{EventFilter, SledStore, Store, StoredEvent};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

mod app;
mod cli;
mod late_and_early;

/// A fake Lever on the example fixture that sends no webhooks (they are "stopped").
async fn quiet_lever() -> FakeLever {
    fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .expect("the fake starts")
}

fn api(lever: &FakeLever) -> AccountApi {
    api_at(
        lever,
        ClientConfig::new(Credentials::ApiKey("k".to_owned().into())).rate,
    )
}

/// The account's Data API with the client limited to `rate`.
fn api_at(lever: &FakeLever, rate: lever_hooks::lever::RateLimit) -> AccountApi {
    let config = ClientConfig {
        api_base: lever.url(),
        rate,
        ..ClientConfig::new(Credentials::ApiKey("poll-key".to_owned().into()))
    };
    let client = LeverClient::new(
        "default",
        config,
        Arc::new(MemoryRefreshTokenStore::default()),
    )
    .unwrap();
    AccountApi {
        directory: Directory::new(client.clone(), Duration::from_secs(60)),
        client,
        perform_as: None,
    }
}

fn poller(lever: &FakeLever, store: &Arc<dyn Store>) -> Poller {
    poller_on(api(lever), store)
}

fn poller_on(api: AccountApi, store: &Arc<dyn Store>) -> Poller {
    Poller::new(
        "default",
        store.clone(),
        api,
        (Duration::from_secs(1), Duration::from_secs(2)),
        Arc::new(Alerts::default()),
        Arc::new(Notify::new()),
    )
}

async fn pass(poller: &Poller) -> PassReport {
    match poller.tick().await.expect("the pass completes") {
        Tick::Passed(report) => report,
        Tick::NotHolder => panic!("the only poller holds the lease"),
    }
}

async fn events(store: &dyn Store) -> Vec<StoredEvent> {
    let page = store
        .list_events(&EventFilter::default(), None, 100)
        .await
        .unwrap();
    page.events.into_iter().map(|view| view.event).collect()
}

/// `(event type, opportunity)` of each stored event, sorted.
async fn stored(store: &dyn Store) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = events(store)
        .await
        .into_iter()
        .map(|e| {
            assert!(
                e.dedupe_key.starts_with("reconcile:default:"),
                "{}",
                e.dedupe_key
            );
            let opportunity = e.opportunity_id.map(|o| o.to_string()).unwrap_or_default();
            (e.event, opportunity)
        })
        .collect();
    found.sort();
    found
}

/// Moves, archives and deletes through the fake's API, as a recruiter would.
async fn recruiter(
    lever: &FakeLever,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", lever.url()))
        .basic_auth("recruiter-key", Some(""))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

async fn make_changes(lever: &FakeLever) {
    let put = reqwest::Method::PUT;
    let stage = |s: &str| json!({ "stage": s });
    recruiter(
        lever,
        put.clone(),
        &format!("/opportunities/{DANA_BACKEND}/stage"),
        stage(ASSESSMENT),
    )
    .await;
    recruiter(
        lever,
        put.clone(),
        &format!("/opportunities/{DANA_BACKEND}/stage"),
        stage(BACKGROUND_CHECK),
    )
    .await;
    recruiter(
        lever,
        put.clone(),
        &format!("/opportunities/{SAM_NO_EMAIL}/stage"),
        stage(ASSESSMENT),
    )
    .await;
    recruiter(
        lever,
        put,
        &format!("/opportunities/{ELENA_OFFER}/archived"),
        json!({ "reason": HIRED }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_pass_records_every_state_and_stores_no_event() {
    let lever = quiet_lever().await;
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let report = pass(&poller(&lever, &store)).await;
    assert!(report.first);
    assert!(report.read > 0);
    assert!(report.found.is_empty(), "{:?}", report.found);
    assert!(
        events(&*store).await.is_empty(),
        "the first pass runs nothing"
    );
    let dana = state::load(&*store, "default", DANA_BACKEND).await.unwrap();
    assert!(
        dana.is_some_and(|s| s.stage_id.is_some()),
        "the state is recorded"
    );
    lever.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_without_webhooks_are_found_by_one_pass_and_the_next_finds_nothing() {
    let lever = quiet_lever().await;
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let poller = poller(&lever, &store);
    pass(&poller).await;

    make_changes(&lever).await;
    assert!(lever.delete_opportunity(lever_flows::DANA_SALES, None));
    let report = pass(&poller).await;
    assert!(!report.first);
    assert_eq!(
        stored(&*store).await,
        [
            ("candidateArchiveChange".to_owned(), ELENA_OFFER.to_owned()),
            (
                "candidateDeleted".to_owned(),
                lever_flows::DANA_SALES.to_owned()
            ),
            ("candidateHired".to_owned(), ELENA_OFFER.to_owned()),
            ("candidateStageChange".to_owned(), SAM_NO_EMAIL.to_owned()),
            ("candidateStageChange".to_owned(), DANA_BACKEND.to_owned()),
        ],
        "two moves of one opportunity between passes are one change, from the known stage"
    );
    let dana = events(&*store)
        .await
        .into_iter()
        .find(|e| {
            e.opportunity_id
                .as_ref()
                .is_some_and(|o| o.as_str() == DANA_BACKEND)
        })
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(dana.data.get()).unwrap();
    assert_eq!(data["toStageId"], BACKGROUND_CHECK);
    assert_eq!(data["fromStageId"], lever_flows::PHONE_SCREEN);
    let state = state::load(&*store, "default", DANA_BACKEND)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        state.set_by,
        Some(dana.id.clone()),
        "the state names the event"
    );
    assert_eq!(state.source.as_deref(), Some("reconcile"));
    assert_eq!(
        state::load(&*store, "default", lever_flows::DANA_SALES)
            .await
            .unwrap(),
        None,
        "a deleted opportunity is forgotten"
    );

    let again = pass(&poller).await;
    assert!(again.found.is_empty(), "{:?}", again.found);
    assert_eq!(events(&*store).await.len(), 5);
    lever.stop().await;
}

/// Two pollers (two instances) on one store: one holds the lease and passes; and even two
/// passes at once store each change once.
async fn two_pollers_store_each_change_once(store: Arc<dyn Store>) {
    let lever = quiet_lever().await;
    let (one, two) = (poller(&lever, &store), poller(&lever, &store));
    pass(&one).await;
    assert!(matches!(two.tick().await.unwrap(), Tick::NotHolder));

    make_changes(&lever).await;
    let (a, b) = tokio::join!(one.tick(), two.tick());
    let passed = [a.unwrap(), b.unwrap()]
        .into_iter()
        .filter(|t| matches!(t, Tick::Passed(_)))
        .count();
    assert_eq!(passed, 1, "one instance polls at a time");
    assert_eq!(stored(&*store).await.len(), 4);

    // Two passes over the same window that both read the state before either saved it
    // (two instances taking over a lapsed lease in the same instant): one copy is kept.
    make_changes_again(&lever).await;
    let cursor = lever_hooks::reconcile::lease::cursor(&*store, "default")
        .await
        .unwrap()
        .unwrap();
    let before = state::load(&*store, "default", SAM_NO_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let (api_one, api_two) = (api(&lever), api(&lever));
    let pass_of = |api| lever_hooks::reconcile::Pass {
        account: "default",
        store: &*store,
        api,
        limiter: None,
        dry_run: false,
    };
    let window = lever_hooks::reconcile::Window::Since(cursor);
    let first = pass_of(&api_one).run(window, &mut |_, _| {}).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    state::save(&*store, "default", SAM_NO_EMAIL, &before)
        .await
        .unwrap();
    let second = pass_of(&api_two).run(window, &mut |_, _| {}).await.unwrap();
    assert_ne!(first.started_at, second.started_at);
    assert_eq!((first.found.len(), second.found.len()), (1, 1));
    assert!(
        first.found[0].new && !second.found[0].new,
        "the second is a duplicate"
    );
    assert_eq!(first.found[0].stored, second.found[0].stored);
    assert_eq!(stored(&*store).await.len(), 5, "stored once");
    lever.stop().await;
}

async fn make_changes_again(lever: &FakeLever) {
    recruiter(
        lever,
        reqwest::Method::PUT,
        &format!("/opportunities/{SAM_NO_EMAIL}/stage"),
        json!({ "stage": BACKGROUND_CHECK }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pollers_on_one_sled_store_store_each_change_once() {
    two_pollers_store_each_change_once(Arc::new(SledStore::temporary().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pollers_on_one_postgresql_store_store_each_change_once() {
    let Some(store) = pg::fresh_store().await else {
        return;
    };
    two_pollers_store_each_change_once(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_that_fails_moves_no_cursor_and_the_next_tick_catches_up() {
    let lever = quiet_lever().await;
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let poller = poller(&lever, &store);
    pass(&poller).await;
    let before = lever_hooks::reconcile::lease::cursor(&*store, "default")
        .await
        .unwrap();
    make_changes(&lever).await;
    lever.fail_next(lever_hooks::fake_lever::FailureRule::new(401, 1));
    assert!(poller.tick().await.is_err(), "a 401 fails the pass");
    assert_eq!(
        lever_hooks::reconcile::lease::cursor(&*store, "default")
            .await
            .unwrap(),
        before
    );
    pass(&poller).await;
    assert_eq!(stored(&*store).await.len(), 4);
    lever.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poll_waits_on_its_own_bucket_at_half_the_accounts_rate() {
    let lever = quiet_lever().await;
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    // The account may send 2 a second (burst 2); the poll 1 a second (burst 1).
    let rate = lever_hooks::lever::RateLimit {
        per_second: 2,
        burst: 2,
    };
    let poller = poller_on(api_at(&lever, rate), &store);
    pass(&poller).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // Two requests (the opportunities and the deleted ones): the second waits a second,
    // where the account's own bucket would have let both through at once.
    let started = std::time::Instant::now();
    pass(&poller).await;
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    lever.stop().await;
}
