//! The admin listener against a running app: probes and metrics without a token, the REST
//! API behind it (events, one event's attempts, replay, dead letters and their retry,
//! purge, OpenAPI), and clear JSON errors. Each runs on sled and on PostgreSQL (when
//! `LEVER_HOOKS_TEST_DATABASE_URL` is set).
//!
//! Its own test binary: `auth` installs the process-wide tracing subscriber and asserts on
//! exactly the sign-in failures logged and counted (process-wide metrics) in this process.
//! Shares `tests/it/helpers.rs` with `tests/it`.

#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod auth;

use helpers::*;
use lever_hooks::sample::SampleEvent;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

const TOKEN: &str = "admin-token-for-tests-0123";

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.admin.as_ref().unwrap()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, None, Some(TOKEN)).await
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, Some(body), Some(TOKEN)).await
}

/// Delivers a stage change about `opportunity` and returns its id once its job finished.
async fn deliver_and_finish(app: &TestApp, opportunity: &str) -> String {
    let mut sample = SampleEvent::new("candidateStageChange");
    sample.opportunity_id = opportunity.to_owned();
    let (status, answer) = app.deliver(delivery(&sample)).await;
    assert_eq!(status, 200);
    let id = answer["id"].as_str().unwrap().to_owned();
    eventually("the job to finish", Duration::from_secs(5), || async {
        let (_, view) = get(app, &format!("/api/v1/events/{id}")).await;
        view["status"] == "done" || view["status"] == "dead"
    })
    .await;
    id
}

pub async fn probes_and_metrics_need_no_token_and_the_api_does() {
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    deliver_and_finish(&app, "opp-1").await;
    for path in ["/healthz", "/readyz"] {
        let (status, body) = call(&app, reqwest::Method::GET, path, None, None).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let metrics = reqwest::get(format!("{}/metrics", app.admin.as_ref().unwrap()))
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    for (token, expected) in [
        (None, 401),
        (Some("wrong-token-wrong-token"), 401),
        (Some(TOKEN), 200),
    ] {
        let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/events", None, token).await;
        assert_eq!(status, expected, "{token:?}: {body}");
        if expected == 401 {
            assert!(
                body["error"].as_str().unwrap().contains("admin token"),
                "{body}"
            );
        }
    }
    let cookie = app
        .http
        .get(format!("{}/api/v1/events", app.admin.as_ref().unwrap()))
        .header("cookie", format!("{}={TOKEN}", lever_hooks::admin::COOKIE))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cookie.status(),
        401,
        "the dashboard's cookie is not an API key"
    );
    app.stop().await;
}

pub async fn events_list_in_pages_and_one_event_shows_its_attempts() {
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    let first = deliver_and_finish(&app, "opp-1").await;
    let second = deliver_and_finish(&app, "opp-2").await;
    let third = deliver_and_finish(&app, "opp-1").await;

    let (status, page) = get(&app, "/api/v1/events?limit=2").await;
    assert_eq!(status, 200, "{page}");
    let ids: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["event"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [third.as_str(), second.as_str()], "newest first");
    let next = page["next"].as_str().unwrap();
    let (_, rest) = get(&app, &format!("/api/v1/events?limit=2&before={next}")).await;
    assert_eq!(rest["events"][0]["event"]["id"], first.as_str());
    assert!(rest["next"].is_null());
    let (_, about) = get(
        &app,
        "/api/v1/events?opportunity=opp-1&handler=switch&status=done",
    )
    .await;
    assert_eq!(about["events"].as_array().unwrap().len(), 2);

    let (status, view) = get(&app, &format!("/api/v1/events/{first}")).await;
    assert_eq!(status, 200);
    assert_eq!(view["status"], "done");
    let attempt = &view["jobs"][0]["attempts"][0];
    assert_eq!(attempt["number"], 1);
    assert_eq!(attempt["outcome"], "done");
    assert!(attempt["startedAt"].as_u64().unwrap() > 0 && attempt.get("durationMs").is_some());
    app.stop().await;
}

pub async fn a_dead_letter_is_listed_with_its_error_and_a_retry_keeps_counting_attempts() {
    let switch = Switch::default();
    switch.failing.store(true, Ordering::SeqCst);
    let app = spawn_with_switch(TOKEN, &switch).await;
    let id = deliver_and_finish(&app, "opp-1").await;

    let (status, letters) = get(&app, "/api/v1/dead-letters?handler=switch").await;
    assert_eq!(status, 200);
    let letter = &letters["deadLetters"][0];
    assert_eq!(letter["event"]["id"], id.as_str());
    assert!(
        letter["lastError"]
            .as_str()
            .unwrap()
            .contains("the provider said no"),
        "{letter}"
    );

    switch.failing.store(false, Ordering::SeqCst);
    let (status, retried) = post(
        &app,
        "/api/v1/dead-letters/retry",
        json!({"handler": "switch"}),
    )
    .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["retried"], json!([format!("{id}:switch")]));
    eventually(
        "the retried job to succeed",
        Duration::from_secs(5),
        || async { get(&app, &format!("/api/v1/events/{id}")).await.1["status"] == "done" },
    )
    .await;
    let (_, view) = get(&app, &format!("/api/v1/events/{id}")).await;
    let numbers: Vec<u64> = view["jobs"][0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2], "the history stays and numbering goes on");
    assert!(get(&app, "/api/v1/dead-letters").await.1["deadLetters"]
        .as_array()
        .unwrap()
        .is_empty());
    app.stop().await;
}

pub async fn replay_runs_an_event_again_and_purge_leaves_tombstones() {
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    let id = deliver_and_finish(&app, "opp-1").await;
    let before = switch.calls.load(Ordering::SeqCst);

    let (status, replayed) = post(
        &app,
        &format!("/api/v1/events/{id}/replay"),
        json!({"handler": "switch"}),
    )
    .await;
    assert_eq!(status, 202, "{replayed}");
    eventually("the replay to run", Duration::from_secs(5), || async {
        switch.calls.load(Ordering::SeqCst) == before + 1
    })
    .await;
    let (status, missing) = post(
        &app,
        &format!("/api/v1/events/{id}/replay"),
        json!({"handler": "nobody"}),
    )
    .await;
    assert_eq!(status, 404, "{missing}");

    let (status, purged) = post(
        &app,
        "/api/v1/events/purge",
        json!({"opportunity": "opp-1"}),
    )
    .await;
    assert_eq!((status, purged["purged"].as_u64()), (200, Some(1)));
    let (_, view) = get(&app, &format!("/api/v1/events/{id}")).await;
    assert!(view["event"]["purgedAt"].is_u64(), "{view}");
    app.stop().await;
}

pub async fn bad_requests_get_clear_json_errors_and_the_openapi_document_is_served() {
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    for (path, needle) in [
        ("/api/v1/events?status=failed", "status `failed`"),
        ("/api/v1/events?acount=acme", "unknown parameter `acount`"),
        ("/api/v1/events?since=yesterday", "since `yesterday`"),
        ("/api/v1/events?limit=0", "limit `0`"),
        ("/api/v1/events?before=garbage", "cursor `garbage`"),
        ("/api/v1/events?before=evt_", "cursor `evt_`"),
        ("/api/v1/dead-letters?before=garbage", "cursor `garbage`"),
    ] {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, 400, "{path}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{path}: {body}"
        );
    }
    let (status, body) = get(&app, "/api/v1/events/evt_nope").await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (404, "no event evt_nope")
    );
    let (status, body) = post(&app, "/api/v1/dead-letters/retry", json!({"handlr": "x"})).await;
    assert_eq!(status, 400, "a typo must not retry everything: {body}");
    let (status, doc) = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/api/v1/events",
        "/api/v1/events/{id}/replay",
        "/api/v1/dead-letters/retry",
        "/api/v1/events/purge",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    app.stop().await;
}

/// POSTs `body` as it is, with `content_type` when given (a form, text, no header).
async fn post_raw(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}{path}", app.admin.as_ref().unwrap()))
        .bearer_auth(TOKEN)
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Every event's status and whether it was purged, newest first.
async fn snapshot(app: &TestApp) -> Vec<(String, bool)> {
    let (_, page) = get(app, "/api/v1/events").await;
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let status = v["status"].as_str().unwrap().to_owned();
            (status, v["event"]["purgedAt"].is_u64())
        })
        .collect()
}

/// A body the API cannot read as a JSON object is refused (415 when it is not declared
/// JSON, 400 when it is not an object), and a bulk action with no filter needs an
/// explicit `{"all": true}`: none of these widens to every event.
pub async fn bulk_actions_refuse_unreadable_bodies_and_need_all_to_mean_everything() {
    let switch = Switch::default();
    switch.failing.store(true, Ordering::SeqCst);
    let app = spawn_with_switch(TOKEN, &switch).await;
    let first = deliver_and_finish(&app, "opp-1").await;
    deliver_and_finish(&app, "opp-2").await;
    let calls = switch.calls.load(Ordering::SeqCst);
    let before = snapshot(&app).await;
    assert_eq!(before, [("dead".into(), false), ("dead".into(), false)]);
    let replay = format!("/api/v1/events/{first}/replay");

    let mut wrong = Vec::new();
    let form = Some("application/x-www-form-urlencoded");
    let json = Some("application/json");
    // Past the admin API's 256 KiB body limit: a JSON error like every other answer.
    let oversized = format!(r#"{{"opportunity":"{}"}}"#, "x".repeat(300_000));
    for path in [
        "/api/v1/events/purge",
        "/api/v1/dead-letters/retry",
        &replay,
    ] {
        for (content_type, body, expected) in [
            // What `curl -d` sends: the filter read as a form.
            (form, r#"{"opportunity":"opp-1"}"#, 415),
            (form, r#"{"handler":"switch"}"#, 415),
            (Some("text/plain"), r#"{"handler":"switch"}"#, 415),
            (None, r#"{"handler":"switch"}"#, 415),
            (json, r#"["opportunity","opp-1"]"#, 400),
            (json, r#""opp-1""#, 400),
            (json, "null", 400),
            (json, r#"{"opportunity":"opp-1""#, 400),
            // No filter at all, or one that filters nothing, unless it says so.
            (None, "", 400),
            (json, "", 400),
            (json, "{}", 400),
            (json, r#"{"opportunity":""}"#, 400),
            (json, r#"{"all":false}"#, 400),
            (json, r#"{"all":"yes"}"#, 400),
            (json, r#"{"all":true,"handler":"switch"}"#, 400),
            (json, oversized.as_str(), 413),
        ] {
            let (status, answer) = post_raw(&app, path, content_type, body).await;
            if status != expected || !answer["error"].is_string() {
                let shown: String = body.chars().take(80).collect();
                wrong.push(format!(
                    "{path} {content_type:?} {shown}: {status} {answer}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "expected refusals:\n{}", wrong.join("\n"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(snapshot(&app).await, before, "nothing purged or retried");
    assert_eq!(
        switch.calls.load(Ordering::SeqCst),
        calls,
        "nothing ran again"
    );

    // Saying so works: one event's every job, every dead letter, every event.
    switch.failing.store(false, Ordering::SeqCst);
    let (status, replayed) = post_raw(&app, &replay, json, r#"{"all": true}"#).await;
    assert_eq!(status, 202, "{replayed}");
    assert_eq!(replayed["replayed"], json!([format!("{first}:switch")]));
    eventually("the replay to run", Duration::from_secs(5), || async {
        get(&app, &format!("/api/v1/events/{first}")).await.1["status"] == "done"
    })
    .await;
    let (status, retried) = post(&app, "/api/v1/dead-letters/retry", json!({"all": true})).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["retried"].as_array().unwrap().len(), 1, "{retried}");
    let (status, purged) = post_raw(
        &app,
        "/api/v1/events/purge",
        Some("application/json; charset=utf-8"),
        r#"{"all": true}"#,
    )
    .await;
    assert_eq!(
        (status, purged["purged"].as_u64()),
        (200, Some(2)),
        "{purged}"
    );

    let (_, doc) = get(&app, "/api/v1/openapi.json").await;
    for path in [
        "/api/v1/events/purge",
        "/api/v1/dead-letters/retry",
        "/api/v1/events/{id}/replay",
    ] {
        let post = &doc["paths"][path]["post"];
        assert_eq!(post["requestBody"]["required"], true, "{path}");
        assert!(post["responses"]["415"].is_object(), "{path} documents 415");
    }
    let bulk = &doc["components"]["schemas"]["BulkFilter"];
    assert_eq!(bulk["properties"]["all"]["enum"], json!([true]));
    app.stop().await;
}

helpers::on_both_stores!(
    probes_and_metrics_need_no_token_and_the_api_does,
    events_list_in_pages_and_one_event_shows_its_attempts,
    a_dead_letter_is_listed_with_its_error_and_a_retry_keeps_counting_attempts,
    replay_runs_an_event_again_and_purge_leaves_tombstones,
    bad_requests_get_clear_json_errors_and_the_openapi_document_is_served,
    bulk_actions_refuse_unreadable_bodies_and_need_all_to_mean_everything,
);

/// The admin API's `curl` examples in docs/operations.md, run as written (with the
/// listener's address, the token and real ids put in): each POST's body is read, never
/// refused as unreadable (415) or as no filter (400). A `curl -d` without the JSON
/// content type, which reads a filter as a form, would fail here.
#[tokio::test]
async fn the_documented_admin_curl_commands_are_read_as_written() {
    let switch = Switch::default();
    switch.failing.store(true, Ordering::SeqCst);
    let app = spawn_with_switch(TOKEN, &switch).await;
    let opportunity = "422acab5-0000-4000-8000-000000000001";
    let event = deliver_and_finish(&app, opportunity).await;
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"))
        .unwrap();
    let block = docs
        .split("```sh\n")
        .find(|block| block.contains("/api/v1/events/purge"))
        .and_then(|block| block.split("```").next())
        .expect("docs/operations.md has the admin API's curl examples");
    let admin = app.admin.clone().unwrap();
    let script = block
        .replace("http://127.0.0.1:9090", &admin)
        .replace("evt_…", &event)
        .replace("422acab5-…", opportunity);

    let mut posts = 0;
    let mut setup = String::new();
    for line in script.lines() {
        if !line.starts_with("curl") {
            setup.push_str(line);
            setup.push('\n');
            continue;
        }
        if !line.contains("-X POST") {
            continue;
        }
        posts += 1;
        let command = line.split("   #").next().unwrap();
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{setup}{command} -s -o /dev/null -w '%{{http_code}}'"
            ))
            .env("LEVER_HOOKS_ADMIN_TOKEN", TOKEN)
            .output()
            .expect("bash and curl run");
        let status = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            !matches!(status.as_str(), "400" | "401" | "415" | "000"),
            "{command} answered {status}"
        );
    }
    assert_eq!(posts, 4, "the docs' POST examples: {script}");
    let (_, view) = get(&app, &format!("/api/v1/events/{event}")).await;
    assert!(
        view["event"]["purgedAt"].is_u64(),
        "the documented purge of {opportunity} purged its event: {view}"
    );
    app.stop().await;
}
