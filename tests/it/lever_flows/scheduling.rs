//! `scheduling`: one request per opportunity entering the stage, with the hiring manager and
//! the interviews Lever has now; interview events forwarded only for an opportunity with a
//! request; the provider's `scheduled` result written once; Lever's rate limit never hit.

use super::*;
use lever_hooks::fake_lever::FailureRule;
use lever_hooks::standard_webhooks::{signature_headers, signing_key};
use secrecy::SecretString;

/// Stage "Onsite", where the scheduling handler is routed.
const ONSITE: &str = "b37523a5-3b4a-4ee2-8463-513755ac0ecd";
/// Dana's phone screen interview (fixture).
const PHONE_SCREEN_INTERVIEW: &str = "758f40ef-7145-5b27-805b-791d4c39ef85";

fn scheduling_section(provider: &str) -> String {
    format!(
        r#"
[handlers.scheduling]
kind = "scheduling"
provider = {{ kind = "http", url = "{provider}" }}
callback_secret = "{CALLBACK_SECRET}"

[[routes]]
events = ["candidateStageChange"]
to_stage = "Onsite"
handler = "scheduling"

[[routes]]
events = ["interviewCreated", "interviewUpdated", "interviewDeleted"]
handler = "scheduling"
"#
    )
}

/// The app with the scheduling handler; webhooks are sent by hand, to know their ids.
async fn start() -> Flow {
    Flow::start_with_plugins(
        |options| options.webhook_url = None,
        (8, 15),
        HandlerRegistry::new(),
        scheduling_section,
    )
    .await
}

/// Moves Dana's backend opportunity to Onsite and delivers the stage change; returns
/// the event once its job is done.
async fn enter_onsite(flow: &Flow) -> lever_hooks::event::EventId {
    flow.move_to(DANA_BACKEND, ONSITE).await;
    let event = flow
        .deliver(
            "candidateStageChange",
            json!({"opportunityId": DANA_BACKEND, "contactId": DANA, "fromStageId": PHONE_SCREEN, "toStageId": ONSITE}),
        )
        .await;
    assert_eq!(
        flow.finished(&event).await,
        [("scheduling".to_owned(), JobState::Done)]
    );
    event
}

fn notes_with(flow: &Flow, text: &str) -> usize {
    flow.notes(DANA_BACKEND)
        .iter()
        .filter(|n| n.contains(text))
        .count()
}

/// Successful Data API writes `action` (`addTags`, `notes`) on Dana's opportunity.
fn writes(flow: &Flow, action: &str) -> usize {
    let path = format!("/v1/opportunities/{DANA_BACKEND}/{action}");
    flow.lever
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path && (200..300).contains(&r.status))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entering_the_stage_sends_one_request_with_the_hiring_manager_and_the_interviews() {
    let flow = start().await;

    let event = enter_onsite(&flow).await;

    let requests = flow.provider.actions("schedule");
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert_eq!(request["opportunityId"], DANA_BACKEND);
    assert_eq!(request["candidate"]["name"], "Dana Whitfield");
    assert_eq!(
        request["candidate"]["emails"][0],
        "dana.whitfield@example.com"
    );
    assert_eq!(
        request["candidate"]["phones"][0]["value"],
        "+1 510 555 0142"
    );
    assert_eq!(request["posting"]["title"], "Backend Engineer");
    assert_eq!(request["hiringManager"]["name"], "Priya Raman");
    assert_eq!(request["hiringManager"]["email"], "priya.raman@example.com");
    assert_eq!(request["stage"], json!({"id": ONSITE, "name": "Onsite"}));
    let interviews: Vec<&str> = request["interviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(interviews.len(), 3, "{interviews:?}");
    assert!(interviews.contains(&PHONE_SCREEN_INTERVIEW));
    assert_eq!(request["panels"].as_array().unwrap().len(), 2);
    let key = request["idempotencyKey"].as_str().unwrap();
    let link = format!(
        "Scheduling link: https://schedule.example.com/book/schedule-{:08x}",
        fnv(key)
    );
    assert_eq!(
        notes_with(&flow, &link),
        1,
        "{:#?}",
        flow.notes(DANA_BACKEND)
    );
    assert!(flow
        .tags(DANA_BACKEND)
        .contains(&"Scheduling requested".to_owned()));

    // A replay sends nothing and writes nothing again.
    flow.store
        .replay(&event, None, lever_hooks::store::now_millis())
        .await
        .unwrap();
    flow.finished(&event).await;
    assert_eq!(
        flow.store.jobs_of(&event).await.unwrap()[0].attempts.len(),
        2
    );
    assert_eq!(flow.provider.actions("schedule").len(), 1);
    assert_eq!(notes_with(&flow, "Scheduling link"), 1);
    assert_eq!(writes(&flow, "addTags"), 1);
    assert_eq!(flow.lever.rate_limited(), 0, "never over Lever's limit");
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lever_503_midway_still_ends_with_one_request_one_tag_one_note() {
    let flow = start().await;
    // More 503s on the tag write than the client retries: the job itself retries, after
    // the provider already answered.
    let tags = format!("/v1/opportunities/{DANA_BACKEND}/addTags");
    flow.lever
        .fail_next(FailureRule::new(503, 7).on_path(&tags));

    let event = enter_onsite(&flow).await;

    assert!(
        flow.store.jobs_of(&event).await.unwrap()[0].attempts.len() >= 2,
        "the job was retried"
    );
    assert_eq!(flow.provider.actions("schedule").len(), 1);
    assert_eq!(writes(&flow, "addTags"), 1);
    assert_eq!(writes(&flow, "notes"), 1);
    assert_eq!(notes_with(&flow, "Scheduling link"), 1);
    assert_eq!(flow.lever.rate_limited(), 0);
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interview_change_is_forwarded_as_lever_shows_it_now() {
    let flow = start().await;
    enter_onsite(&flow).await;
    let reference = format!(
        "schedule-{:08x}",
        fnv(flow.provider.actions("schedule")[0]["idempotencyKey"]
            .as_str()
            .unwrap())
    );

    let updated = flow
        .deliver(
            "interviewUpdated",
            json!({"interviewId": PHONE_SCREEN_INTERVIEW, "opportunityId": DANA_BACKEND, "contactId": DANA}),
        )
        .await;
    flow.finished(&updated).await;
    let deleted = flow
        .deliver(
            "interviewDeleted",
            json!({"interviewId": "gone-interview", "opportunityId": DANA_BACKEND, "contactId": DANA}),
        )
        .await;
    flow.finished(&deleted).await;

    let changes = flow.provider.actions("interview-changed");
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_eq!(changes[0]["event"], "interviewUpdated");
    assert_eq!(changes[0]["reference"], reference.as_str());
    assert_eq!(changes[0]["interview"]["id"], PHONE_SCREEN_INTERVIEW);
    assert_eq!(changes[0]["interview"]["subject"], "Phone screen");
    assert_eq!(changes[0]["deleted"], false);
    assert_eq!(changes[1]["event"], "interviewDeleted");
    assert_eq!(changes[1]["interview"], Value::Null);
    assert_eq!(changes[1]["deleted"], true);
    assert_eq!(flow.lever.rate_limited(), 0);
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interview_event_for_an_opportunity_without_a_request_sends_nothing() {
    let flow = start().await;

    let event = flow
        .deliver(
            "interviewUpdated",
            json!({"interviewId": PHONE_SCREEN_INTERVIEW, "opportunityId": DANA_BACKEND, "contactId": DANA}),
        )
        .await;

    assert_eq!(
        flow.finished(&event).await,
        [("scheduling".to_owned(), JobState::Done)]
    );
    assert!(
        flow.provider.bodies().is_empty(),
        "{:#?}",
        flow.provider.bodies()
    );
    flow.stop().await;
}

/// POSTs `result` to the app's `/providers/scheduling`, signed as `webhook_id`.
async fn send_result(flow: &Flow, webhook_id: &str, result: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(result).unwrap();
    let key = signing_key(&SecretString::from(CALLBACK_SECRET)).unwrap();
    let now = lever_hooks::store::now_millis() / 1000;
    let mut request = reqwest::Client::new()
        .post(format!("{}/providers/scheduling", flow.base))
        .header("content-type", "application/json");
    for (name, value) in signature_headers(&key, webhook_id, now, &body) {
        request = request.header(name, value);
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_scheduled_result_writes_its_note_once() {
    let flow = start().await;
    enter_onsite(&flow).await;
    let key = flow.provider.actions("schedule")[0]["idempotencyKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let result = json!({
        "reference": format!("schedule-{:08x}", fnv(&key)),
        "status": "scheduled",
        "interviewAt": 1_768_496_400_000u64,
    });

    let (status, answer) = send_result(&flow, "msg_scheduled_1", &result).await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "accepted");
    let event = lever_hooks::event::EventId::new(answer["id"].as_str().unwrap());
    assert_eq!(
        flow.finished(&event).await,
        [("scheduling".to_owned(), JobState::Done)]
    );
    let scheduled = "Interview scheduled for 2026-01-15 17:00 UTC.";
    assert_eq!(notes_with(&flow, scheduled), 1);

    // Sent again and replayed: still one note.
    let (status, again) = send_result(&flow, "msg_scheduled_1", &result).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("duplicate")));
    flow.store
        .replay(&event, None, lever_hooks::store::now_millis())
        .await
        .unwrap();
    flow.finished(&event).await;
    assert_eq!(
        flow.store.jobs_of(&event).await.unwrap()[0].attempts.len(),
        2
    );
    assert_eq!(notes_with(&flow, scheduled), 1);
    assert_eq!(flow.lever.rate_limited(), 0);
    flow.stop().await;
}
