//! `background-check` results: tags swapped, the report link, a stage moved only while the
//! opportunity waits where the check was requested, and each write once.

use super::*;

/// A background check requested for Dana's backend opportunity; returns its reference.
async fn checked(world: &World) -> String {
    world
        .request(DANA_BACKEND, BACKGROUND_CHECK, "evt_stage")
        .await;
    assert_eq!(world.provider.actions("create").len(), 1);
    assert!(world
        .tags(DANA_BACKEND)
        .contains(&"Background check requested".to_owned()));
    let record = world.record(&format!("check/default/{DANA_BACKEND}")).await;
    assert_eq!(
        record["stage"], BACKGROUND_CHECK,
        "the trigger stage is kept"
    );
    record["checkId"].as_str().unwrap().to_owned()
}

fn clear(reference: &str, event: &str) -> EventDocument {
    let fields = json!({"status": "clear", "reportUrl": REPORT, "summary": "No records found"});
    result(event, "bgcheck", DANA_BACKEND, reference, fields)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clear_check_swaps_tags_adds_the_report_link_and_moves_to_the_next_stage() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    let tags = world.tags(DANA_BACKEND);
    assert!(tags.contains(&"Report Clear".to_owned()), "{tags:?}");
    assert!(
        !tags.contains(&"Background check requested".to_owned()),
        "{tags:?}"
    );
    assert_eq!(world.report_links(DANA_BACKEND), 1);
    assert_eq!(world.stage(DANA_BACKEND), OFFER);
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert_eq!(world.notes_with(DANA_BACKEND, "No records found"), 1);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consider_result_tags_and_notes_but_moves_no_stage() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    let fields = json!({"status": "consider", "reportUrl": REPORT});
    let doc = result("evt_consider", "bgcheck", DANA_BACKEND, &reference, fields);

    assert_eq!(world.run(&doc).await, Outcome::Done);

    let tags = world.tags(DANA_BACKEND);
    assert!(tags.contains(&"Report Consider".to_owned()), "{tags:?}");
    assert!(
        !tags.contains(&"Background check requested".to_owned()),
        "{tags:?}"
    );
    assert_eq!(world.stage(DANA_BACKEND), BACKGROUND_CHECK);
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: consider."),
        1
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_for_an_archived_opportunity_is_noted_but_moves_no_stage() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    world
        .recruiter_put(DANA_BACKEND, "archived", json!({ "reason": WITHDREW }))
        .await;

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert!(world
        .tags(DANA_BACKEND)
        .contains(&"Report Clear".to_owned()));
    assert_eq!(
        world.stage(DANA_BACKEND),
        BACKGROUND_CHECK,
        "not moved to Offer"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_for_an_opportunity_moved_on_is_noted_but_moves_no_stage() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    world
        .recruiter_put(DANA_BACKEND, "stage", json!({ "stage": ONSITE }))
        .await;

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert_eq!(world.stage(DANA_BACKEND), ONSITE);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_for_a_deleted_opportunity_writes_nothing() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    assert!(world.lever.delete_opportunity(DANA_BACKEND, None));
    let since = world.lever.requests().len();

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    let writes: Vec<_> = world.lever.requests()[since..]
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(writes, Vec::<String>::new());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_result_handled_again_or_replayed_writes_nothing_twice() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    let since = world.lever.requests().len();

    for event in ["evt_clear", "evt_clear", "evt_clear_replayed"] {
        assert_eq!(world.run(&clear(&reference, event)).await, Outcome::Done);
    }

    for action in ["notes", "addTags", "removeTags", "addLinks", "stage"] {
        assert_eq!(world.writes(since, DANA_BACKEND, action), 1, "{action}");
    }
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_and_a_503_from_lever_midway_still_write_each_thing_once() {
    // Retried by the client, and (with no client retries) by running the job again.
    for max_retries in [5, 0] {
        each_write_once_through_failures(max_retries).await;
    }
}

async fn each_write_once_through_failures(max_retries: u32) {
    let world = World::start_with_retries("background-check", "bgcheck", CHECKR, max_retries).await;
    let reference = checked(&world).await;
    let since = world.lever.requests().len();
    let path = |action: &str| format!("/v1/opportunities/{DANA_BACKEND}/{action}");
    world
        .lever
        .fail_next(FailureRule::new(429, 1).on_path(path("addLinks")));
    world
        .lever
        .fail_next(FailureRule::new(503, 1).on_path(path("notes")));
    world
        .lever
        .fail_next(FailureRule::new(503, 1).on_path(path("stage")));

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    let failed: Vec<u16> = world.lever.requests()[since..]
        .iter()
        .map(|r| r.status)
        .filter(|s| *s >= 400)
        .collect();
    assert_eq!(failed, [429, 503, 503], "the failures were served");
    for action in ["notes", "addTags", "removeTags", "addLinks", "stage"] {
        assert_eq!(world.writes(since, DANA_BACKEND, action), 1, "{action}");
    }
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert_eq!(world.stage(DANA_BACKEND), OFFER);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_came_back_clear_is_not_cancelled_by_a_later_archive() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );
    world
        .recruiter_put(DANA_BACKEND, "archived", json!({ "reason": WITHDREW }))
        .await;
    let data = json!({"opportunityId": DANA_BACKEND, "contactId": DANA,
        "toArchived": {"reason": WITHDREW, "archivedAt": 3}});
    let archived = document(
        "evt_archive",
        "bgcheck",
        "candidateArchiveChange",
        DANA_BACKEND,
        data,
    );

    assert_eq!(world.run(&archived).await, Outcome::Done);

    assert_eq!(world.provider.actions("cancel"), Vec::<Value>::new());
    let record = world.record(&format!("check/default/{DANA_BACKEND}")).await;
    assert_eq!(
        (&record["state"], &record["result"]),
        (&json!("closed"), &json!("clear"))
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_name_lever_does_not_know_gives_up_after_the_note() {
    let settings =
        "[on_result.clear]\nadd_tags = [\"Report Clear\"]\nstage = \"Hired Elsewhere\"\n";
    let world = World::start("background-check", "bgcheck", settings).await;
    let reference = checked(&world).await;

    match world.run(&clear(&reference, "evt_clear")).await {
        Outcome::GiveUp { reason } => {
            assert!(
                reason.contains("no stage named `Hired Elsewhere`"),
                "{reason}"
            )
        }
        other => panic!("an unknown stage name is a dead letter, not {other:?}"),
    }
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert_eq!(world.stage(DANA_BACKEND), BACKGROUND_CHECK);
    world.stop().await;
}
