//! The Data API client under Lever's limits: 429s are waited out, and handlers sharing an
//! account's client stay under its rate limit.

use super::*;
use lever_hooks::fake_lever::{AuthKind, FailureRule};
use lever_hooks::store::RecordKey;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lever_429s_are_retried_and_the_job_still_completes() {
    let flow = Flow::start_with(|options| options.webhook_url = None).await;
    flow.move_to(DANA_BACKEND, BACKGROUND_CHECK).await;
    let path = format!("/v1/opportunities/{DANA_BACKEND}");
    flow.lever
        .fail_next(FailureRule::new(429, 2).on_path(&path));

    let event = flow
        .deliver(
            "candidateStageChange",
            json!({"opportunityId": DANA_BACKEND, "contactId": DANA, "fromStageId": PHONE_SCREEN, "toStageId": BACKGROUND_CHECK}),
        )
        .await;

    assert_eq!(
        flow.finished(&event).await,
        [("bgcheck".to_owned(), JobState::Done)]
    );
    let reads: Vec<u16> = flow
        .lever
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == path)
        .map(|r| r.status)
        .collect();
    assert_eq!(reads, [429, 429, 200], "the client waited out both 429s");
    assert_eq!(flow.provider.actions("create").len(), 1);
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_of_one_account_share_its_rate_limit() {
    // The fake allows 4 requests/s (bursts of 8) per key; the client keeps to 3 (6).
    let flow = Flow::start_custom(|options| options.rate_limit = Some((4, 8)), (3, 6)).await;

    tokio::join!(
        flow.move_to(DANA_BACKEND, BACKGROUND_CHECK),
        flow.move_to(SAM_NO_EMAIL, BACKGROUND_CHECK),
        flow.move_to(DANA_SALES, ASSESSMENT),
        flow.archive(ELENA_OFFER, HIRED),
    );
    eventually("every handler's note", || {
        [DANA_BACKEND, SAM_NO_EMAIL, DANA_SALES, ELENA_OFFER]
            .iter()
            .all(|o| flow.notes(o).iter().any(|n| n.contains("lever-hooks ref")))
    })
    .await;

    let by_handlers = flow
        .lever
        .requests()
        .iter()
        .filter(|r| {
            r.auth == AuthKind::ApiKey
                && r.path.starts_with("/v1/")
                && !r.path.ends_with("/stage")
                && !r.path.ends_with("/archived")
        })
        .count();
    assert!(
        by_handlers > 8,
        "more requests ({by_handlers}) than the fake's burst"
    );
    assert_eq!(
        flow.lever.rate_limited(),
        0,
        "the client never ran into Lever's limit"
    );
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rotated_oauth_refresh_token_is_kept_in_the_store_so_a_restart_keeps_working() {
    use lever_hooks::lever_accounts::LeverAccounts;
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    let text = format!(
        r#"
[lever]
api_base = "{api}"
oauth = {{ client_id = "fake-client-id", client_secret = "fake-client-secret", refresh_token = "fake-refresh-token-0", token_url = "{base}/oauth/token" }}
"#,
        api = lever.url(),
        base = lever.base_url(),
    );
    let config = Config::parse(&text, Path::new("."), &|_| None, &HandlerRegistry::new()).unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());

    for start in 1..=3 {
        // A new set of clients on the same store, as after a restart.
        let accounts = LeverAccounts::from_config(&config, store.clone()).unwrap();
        let client = &accounts.get("default").unwrap().client;
        let opportunity = client.opportunity(DANA_BACKEND).await;
        assert!(opportunity.is_ok(), "start {start}: {opportunity:?}");
        let saved = store
            .record(&RecordKey::oauth_session("default"))
            .await
            .unwrap();
        assert!(
            saved.is_some(),
            "start {start}: the rotated token is in the store"
        );
        assert!(
            !saved
                .unwrap()
                .to_string()
                .contains("fake-refresh-token-0\""),
            "the stored token is the rotated one"
        );
    }
    let refreshes = lever
        .requests()
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .map(|r| r.status)
        .collect::<Vec<_>>();
    assert_eq!(
        refreshes,
        [200, 200, 200],
        "each start refreshed once, with a token that still worked"
    );
    lever.stop().await;
}
