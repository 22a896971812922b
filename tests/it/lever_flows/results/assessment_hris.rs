//! `assessment` results by score thresholds with the pointer note, and `hris` results.

use super::*;

/// Dana invited for the backend job; her sales opportunity then waits on that invite.
async fn invited(world: &World) -> String {
    world.request(DANA_BACKEND, ASSESSMENT, "evt_invite").await;
    world.request(DANA_SALES, ASSESSMENT, "evt_waiting").await;
    assert_eq!(world.provider.actions("invite").len(), 1);
    assert_eq!(world.notes_with(DANA_SALES, "not sent again"), 1);
    let record = world
        .record(&format!("invite/default/{DANA}/backend-take-home"))
        .await;
    record["inviteId"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assessment_scores_pass_review_or_fail_and_the_waiting_opportunity_gets_a_pointer() {
    let settings = "assessment = \"backend-take-home\"\npass_at = 70\nreview_at = 50\npass_stage = \"Onsite\"\n";
    for (score, tag, stage) in [
        (82, "Assessment passed", ONSITE),
        (60, "Assessment needs review", ASSESSMENT),
        (30, "Assessment failed", ASSESSMENT),
    ] {
        let world = World::start("assessment", "assessment", settings).await;
        let reference = invited(&world).await;
        let fields =
            json!({"status": "completed", "score": score, "maxScore": 100, "reportUrl": REPORT});
        let doc = result("evt_scored", "assessment", DANA_BACKEND, &reference, fields);

        for _ in 0..2 {
            assert_eq!(world.run(&doc).await, Outcome::Done, "score {score}");
        }

        let tags = world.tags(DANA_BACKEND);
        assert!(tags.contains(&tag.to_owned()), "score {score}: {tags:?}");
        assert!(!tags.contains(&"Assessment invited".to_owned()), "{tags:?}");
        assert_eq!(world.stage(DANA_BACKEND), stage, "score {score}");
        assert_eq!(
            world.notes_with(DANA_BACKEND, &format!("Score: {score} / 100.")),
            1,
            "score {score}"
        );
        assert_eq!(world.report_links(DANA_BACKEND), 1);
        assert_eq!(
            world.notes_with(
                DANA_SALES,
                &format!("Written in full on opportunity {DANA_BACKEND}")
            ),
            1,
            "one pointer note on the waiting opportunity (score {score})"
        );
        assert!(!world.tags(DANA_SALES).contains(&tag.to_owned()));
        world.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hris_created_notes_and_tags_and_failed_notes_and_gives_up() {
    let world = World::start("hris", "hris", "").await;
    let created = json!({"status": "created", "employeeId": "E-1042"});
    let doc = result("evt_created", "hris", ELENA_OFFER, "emp-1", created);

    assert_eq!(world.run(&doc).await, Outcome::Done);
    assert_eq!(
        world.notes_with(ELENA_OFFER, "Employee record E-1042 created"),
        1
    );
    assert!(world
        .tags(ELENA_OFFER)
        .contains(&"HRIS record created".to_owned()));

    let failed = json!({"status": "failed", "summary": "Missing tax id"});
    let doc = result("evt_failed", "hris", ELENA_OFFER, "emp-2", failed);
    match world.run(&doc).await {
        Outcome::GiveUp { reason } => assert!(reason.contains("Missing tax id"), "{reason}"),
        other => panic!("a failed HRIS result is a dead letter, not {other:?}"),
    }
    assert_eq!(
        world.notes_with(ELENA_OFFER, "could not create the employee record"),
        1
    );
    world.stop().await;
}
