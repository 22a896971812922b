//! The whole loop, through HTTP: a stage change makes the background check request, the
//! provider's signed result comes back at `POST /providers/bgcheck`, and the fake Lever
//! shows the tags swapped, the note, the report link and the stage moved, once, however
//! often the result is sent again or replayed.

use super::*;
use lever_hooks::standard_webhooks::{signature_headers, signing_key};
use secrecy::SecretString;

/// POSTs `result` to the app's `/providers/bgcheck`, signed as `webhook_id`.
async fn send_result(flow: &Flow, webhook_id: &str, result: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(result).unwrap();
    let key = signing_key(&SecretString::from(CALLBACK_SECRET)).unwrap();
    let now = lever_hooks::store::now_millis() / 1000;
    let mut request = reqwest::Client::new()
        .post(format!("{}/providers/bgcheck", flow.base))
        .header("content-type", "application/json");
    for (name, value) in signature_headers(&key, webhook_id, now, &body) {
        request = request.header(name, value);
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Lever writes made through the Data API (not the recruiter's), by path suffix.
fn writes(flow: &Flow) -> Vec<String> {
    flow.lever
        .requests()
        .iter()
        .filter(|r| r.method != "GET" && r.path.contains(DANA_BACKEND) && r.status < 300)
        .map(|r| r.path.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_clear_result_closes_the_loop_once() {
    let flow = Flow::start().await;
    flow.move_to(DANA_BACKEND, BACKGROUND_CHECK).await;
    eventually("the check requested and noted", || {
        flow.notes(DANA_BACKEND)
            .iter()
            .any(|n| n.contains("Provider reference"))
    })
    .await;
    let noted = flow.notes(DANA_BACKEND).join("\n");
    let reference = noted
        .split("Provider reference: ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .expect("the note names the provider's id")
        .to_owned();
    let result = json!({
        "reference": reference,
        "status": "clear",
        "reportUrl": "https://checks.example.com/reports/1",
        "summary": "No records found.",
    });

    let (status, answer) = send_result(&flow, "msg_clear_1", &result).await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "accepted");
    let event = lever_hooks::event::EventId::new(answer["id"].as_str().unwrap());
    assert_eq!(
        flow.finished(&event).await,
        [("bgcheck".to_owned(), JobState::Done)]
    );
    let dana = flow
        .lever
        .state()
        .opportunity(DANA_BACKEND)
        .cloned()
        .unwrap();
    assert_eq!(dana.stage, "offer", "moved to the configured next stage");
    assert!(
        dana.tags.contains(&"Report Clear".to_owned()),
        "{:?}",
        dana.tags
    );
    assert!(
        !dana.tags.contains(&"Background check requested".to_owned()),
        "the requested tag was swapped out: {:?}",
        dana.tags
    );
    let result_notes = |flow: &Flow| {
        flow.notes(DANA_BACKEND)
            .iter()
            .filter(|n| n.contains("clear") && n.contains("checks.example.com/reports/1"))
            .count()
    };
    assert_eq!(result_notes(&flow), 1);
    let written = writes(&flow);
    assert!(written.contains(&"addLinks".to_owned()), "{written:?}");

    // The provider sends it again, and an operator replays it: nothing is written twice.
    let (status, again) = send_result(&flow, "msg_clear_1", &result).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("duplicate")));
    assert_eq!(again["id"], answer["id"]);
    flow.store
        .replay(&event, None, lever_hooks::store::now_millis())
        .await
        .unwrap();
    flow.finished(&event).await;
    let jobs = flow.store.jobs_of(&event).await.unwrap();
    assert_eq!(jobs[0].attempts.len(), 2, "the replay ran");
    assert_eq!(writes(&flow), written, "no Lever write was made again");
    assert_eq!(result_notes(&flow), 1);
    flow.stop().await;
}
