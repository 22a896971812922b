//! A categorize rule on application answers, end to end: the fake's application answers are
//! read through the Data API and only the matching opportunity is tagged.

use super::*;

const BY_ANSWERS: &str = r#"
[handlers.sponsorship]
kind = "categorize"

[[handlers.sponsorship.rules]]
name = "needs-sponsorship"
when = { answers = { "Are you authorized to work in the US?" = "No" } }
add_tags = ["Needs sponsorship"]

[[routes]]
events = ["candidateStageChange"]
handler = "sponsorship"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_on_application_answers_tags_only_the_matching_opportunity() {
    let flow = Flow::start_with_plugins(
        |o| o.webhook_url = None,
        (8, 15),
        HandlerRegistry::new(),
        |_| BY_ANSWERS.to_owned(),
    )
    .await;
    let stage_change = |opportunity: &str, contact: &str| json!({"opportunityId": opportunity, "contactId": contact, "fromStageId": "applicant-new", "toStageId": PHONE_SCREEN});
    let sam = flow
        .lever
        .state()
        .opportunity(SAM_NO_EMAIL)
        .map(|o| o.contact.clone())
        .unwrap();

    let said_no = flow
        .deliver("candidateStageChange", stage_change(SAM_NO_EMAIL, &sam))
        .await;
    let said_yes = flow
        .deliver("candidateStageChange", stage_change(DANA_BACKEND, DANA))
        .await;

    for event in [&said_no, &said_yes] {
        let jobs = flow.finished(event).await;
        assert!(
            jobs.iter()
                .any(|(h, s)| h == "sponsorship" && *s == JobState::Done),
            "{jobs:?}"
        );
    }
    assert!(flow
        .tags(SAM_NO_EMAIL)
        .contains(&"Needs sponsorship".to_owned()));
    assert!(!flow
        .tags(DANA_BACKEND)
        .contains(&"Needs sponsorship".to_owned()));
    flow.stop().await;
}
