//! `lever-hooks send` against the running app: accepted, duplicate, wrong token, bad --data.

use crate::helpers::*;
use lever_hooks::cli::send::{build_body, deliver, SendArgs};
use lever_hooks::envelope::Envelope;
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::LeverEvent;
use std::time::Duration;

fn args(url: String) -> SendArgs {
    SendArgs {
        url,
        signing_token: SIGNING_TOKEN.to_owned(),
        event: "candidateStageChange".to_owned(),
        opportunity: Some("opp-from-send".to_owned()),
        contact: None,
        from_stage: "phone-screen".to_owned(),
        to_stage: "background-check".to_owned(),
        archive_reason: None,
        unarchive: false,
        data: None,
        triggered_at: None,
        token: None,
        repeat: 1,
        print: false,
    }
}

/// A sent stage change is accepted and reaches the handler with the chosen ids and stages.
#[tokio::test]
async fn send_delivers_a_signed_stage_change_that_is_accepted() {
    let (recorder, mut seen) = Recorder::new(Script::Succeed);
    let app = spawn_app(
        "[[routes]]\nevents = [\"*\"]\nhandler = \"r\"\n",
        HandlerRegistry::new().register("r", recorder),
    )
    .await;
    let answers = deliver(&args(format!("{}/webhooks/lever", app.base)))
        .await
        .unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].status, 200);
    assert!(
        answers[0].body.contains("\"accepted\""),
        "{}",
        answers[0].body
    );
    let doc = seen.next(Duration::from_secs(5)).await;
    let LeverEvent::CandidateStageChange(change) = doc.lever_event().unwrap() else {
        panic!("expected a stage change, got {}", doc.event);
    };
    assert_eq!(change.opportunity_id.as_str(), "opp-from-send");
    assert_eq!(change.to_stage.as_str(), "background-check");
    app.stop().await;
}

/// `--repeat 2` sends one delivery twice: the second answer is `duplicate`.
#[tokio::test]
async fn send_repeat_shows_dedupe() {
    let app = spawn_app("", HandlerRegistry::new()).await;
    let mut a = args(format!("{}/webhooks/lever", app.base));
    a.repeat = 2;
    let answers = deliver(&a).await.unwrap();
    assert!(
        answers[0].body.contains("accepted") && answers[1].body.contains("duplicate"),
        "{answers:?}"
    );
    app.stop().await;
}

/// A wrong signing token is refused with 401, as a forged delivery would be.
#[tokio::test]
async fn send_with_a_wrong_signing_token_is_refused() {
    let app = spawn_app("", HandlerRegistry::new()).await;
    let mut a = args(format!("{}/webhooks/lever", app.base));
    a.signing_token = "not-the-token".to_owned();
    assert_eq!(deliver(&a).await.unwrap()[0].status, 401);
    assert_eq!(app.store.accepted_count(), 0);
    app.stop().await;
}

/// `--data` must hold a JSON object; anything else is a clear error before sending.
#[tokio::test]
async fn send_refuses_data_that_is_not_an_object() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.json");
    std::fs::write(&file, "[1, 2]").unwrap();
    let mut a = args("http://127.0.0.1:9/unused".to_owned());
    a.data = Some(file.clone());
    let err = build_body(&a).unwrap_err().to_string();
    assert!(err.contains("must hold a JSON object"), "{err}");
    std::fs::write(&file, r#"{"opportunityId": "x", "custom": [1]}"#).unwrap();
    let body = build_body(&a).unwrap();
    let envelope = Envelope::parse(&body).unwrap();
    let sent: serde_json::Value = serde_json::from_str(envelope.data.get()).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"opportunityId": "x", "custom": [1]})
    );
}

/// An archive change can be sent as an unarchive.
#[test]
fn send_builds_an_unarchive() {
    let mut a = args("http://unused".to_owned());
    a.event = "candidateArchiveChange".to_owned();
    a.unarchive = true;
    let envelope = Envelope::parse(&build_body(&a).unwrap()).unwrap();
    let LeverEvent::CandidateArchiveChange(change) =
        LeverEvent::decode(&envelope.event, &envelope.data).unwrap()
    else {
        panic!("expected an archive change");
    };
    assert!(change.is_unarchive());
}
