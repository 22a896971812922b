//! `background-check`: one check per opportunity, its note and tag, no email, stale
//! triggers, provider outages, and cancelling on archive.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entering_the_stage_requests_one_check_and_writes_its_note_and_tag() {
    let flow = Flow::start().await;

    flow.move_to(DANA_BACKEND, BACKGROUND_CHECK).await;

    eventually("the check's note", || {
        flow.notes(DANA_BACKEND)
            .iter()
            .any(|n| n.contains("Background check requested (package standard)"))
    })
    .await;
    let creates = flow.provider.actions("create");
    assert_eq!(creates.len(), 1, "{creates:#?}");
    let request = &creates[0];
    assert_eq!(request["opportunityId"], DANA_BACKEND);
    assert_eq!(request["contactId"], DANA);
    assert_eq!(request["package"], "standard");
    assert_eq!(request["candidate"]["name"], "Dana Whitfield");
    assert_eq!(
        request["candidate"]["emails"][0],
        "dana.whitfield@example.com"
    );
    assert_eq!(request["posting"]["title"], "Backend Engineer");
    assert_eq!(request["posting"]["team"], "Platform");
    let key = request["idempotencyKey"].as_str().unwrap();
    assert!(key.ends_with(":bgcheck"), "{key}");
    let (header, _) = flow.provider.requests.lock().unwrap()[0].clone();
    assert_eq!(header.as_deref(), Some(key), "Idempotency-Key header");
    let check_id = format!("create-{:08x}", fnv(key));
    assert!(
        flow.notes(DANA_BACKEND)
            .iter()
            .any(|n| n.contains(&format!("Provider reference: {check_id}"))),
        "the note names the provider's reference"
    );
    eventually("the tag", || {
        flow.tags(DANA_BACKEND)
            .contains(&"Background check requested".to_owned())
    })
    .await;
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archiving_as_not_hired_cancels_the_open_check() {
    let flow = Flow::start().await;
    flow.move_to(DANA_BACKEND, BACKGROUND_CHECK).await;
    eventually("the check", || flow.provider.actions("create").len() == 1).await;
    let key = flow.provider.actions("create")[0]["idempotencyKey"]
        .as_str()
        .unwrap()
        .to_owned();

    flow.archive(DANA_BACKEND, WITHDREW).await;

    eventually("the cancel note", || {
        flow.notes(DANA_BACKEND)
            .iter()
            .any(|n| n.contains("cancelled"))
    })
    .await;
    let cancels = flow.provider.actions("cancel");
    assert_eq!(cancels.len(), 1, "{cancels:#?}");
    assert_eq!(cancels[0]["checkId"], format!("create-{:08x}", fnv(&key)));
    assert_eq!(cancels[0]["reason"], "archived");
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hire_does_not_cancel_the_check() {
    let flow = Flow::start().await;
    flow.move_to(DANA_BACKEND, BACKGROUND_CHECK).await;
    eventually("the check", || flow.provider.actions("create").len() == 1).await;

    flow.archive(DANA_BACKEND, HIRED).await;
    settle().await;

    assert!(flow.provider.actions("cancel").is_empty());
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_email_means_no_check_a_note_saying_why_and_a_dead_letter() {
    // Webhooks are sent by hand here, to know the event's id.
    let flow = Flow::start_with(|options| options.webhook_url = None).await;
    flow.move_to(SAM_NO_EMAIL, BACKGROUND_CHECK).await;
    let event = flow
        .deliver(
            "candidateStageChange",
            json!({"opportunityId": SAM_NO_EMAIL, "fromStageId": PHONE_SCREEN, "toStageId": BACKGROUND_CHECK}),
        )
        .await;

    let jobs = flow.finished(&event).await;

    assert_eq!(jobs, [("bgcheck".to_owned(), JobState::Dead)]);
    assert!(flow
        .notes(SAM_NO_EMAIL)
        .iter()
        .any(|n| n.contains("no email address")));
    assert!(flow.provider.bodies().is_empty(), "nothing was sent");
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_trigger_is_done_without_a_check() {
    let flow = Flow::start().await;
    let notes_before = flow.notes(DANA_BACKEND).len();

    // Lever said Dana entered Background Check, but she is (again) in Phone Screen.
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
    assert!(flow.provider.bodies().is_empty());
    assert_eq!(flow.notes(DANA_BACKEND).len(), notes_before);
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_provider_503_the_retry_still_writes_one_note() {
    let flow = Flow::start().await;
    flow.provider.fail_next.store(2, Ordering::SeqCst);

    flow.move_to(DANA_BACKEND, BACKGROUND_CHECK).await;

    eventually("the note", || {
        flow.notes(DANA_BACKEND)
            .iter()
            .any(|n| n.contains("Background check requested"))
    })
    .await;
    settle().await;
    let creates = flow.provider.actions("create");
    assert_eq!(creates.len(), 3, "two 503s, then the answer");
    let keys: std::collections::BTreeSet<_> = creates
        .iter()
        .map(|c| c["idempotencyKey"].to_string())
        .collect();
    assert_eq!(keys.len(), 1, "every retry sends the same idempotency key");
    let notes = flow
        .notes(DANA_BACKEND)
        .into_iter()
        .filter(|n| n.contains("Background check requested"))
        .count();
    assert_eq!(notes, 1);
    flow.stop().await;
}
