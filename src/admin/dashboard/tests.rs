//! Sign-in, sessions and the cross-site checks, against the admin routes with no server.

use super::*;
use crate::admin::{LoginLimiter, Sessions};
use crate::store::SledStore;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::ServiceResponse;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

const TOKEN: &str = "dashboard-test-token-0123";
const HOST: &str = "127.0.0.1:9090";
const CLIENT: &str = "192.0.2.7:50000";

fn state_with(token: Option<&str>, session_lifetime: Duration) -> web::Data<AdminState> {
    let (_, stopping) = watch::channel(false);
    web::Data::new(AdminState {
        store: Arc::new(SledStore::temporary().expect("temporary store")),
        work_wake: Arc::new(Notify::new()),
        token: token.map(|t| SecretString::from(t.to_owned())),
        stopping,
        metrics: None,
        sessions: Arc::new(Sessions::new(session_lifetime)),
        login_limiter: Arc::new(LoginLimiter::default()),
    })
}

fn state(token: Option<&str>) -> web::Data<AdminState> {
    state_with(token, Duration::from_secs(3600))
}

/// Sends `request` with `Host: host` to the admin routes (health, API, dashboard).
async fn send_with_host(
    state: &web::Data<AdminState>,
    host: &str,
    request: TestRequest,
) -> ServiceResponse {
    let app = init_service(
        actix_web::App::new()
            .app_data(state.clone())
            .configure(crate::admin::configure),
    )
    .await;
    let request = request
        .insert_header((header::HOST, host))
        .peer_addr(CLIENT.parse().unwrap());
    call_service(&app, request.to_request()).await
}

/// Sends `request` to the admin routes as the dashboard's own host.
async fn send(state: &web::Data<AdminState>, request: TestRequest) -> ServiceResponse {
    send_with_host(state, HOST, request).await
}

fn location(response: &ServiceResponse) -> &str {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The cookie a response sets.
fn set_cookie(response: &ServiceResponse) -> Option<Cookie<'static>> {
    let text = response.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    Some(Cookie::parse(text.to_owned()).unwrap())
}

/// `request` with the cookie of a session started in `state`.
fn signed_in(state: &web::Data<AdminState>, request: TestRequest) -> TestRequest {
    request.cookie(Cookie::new(COOKIE, state.sessions.start()))
}

fn sign_in_with(token: &str) -> TestRequest {
    TestRequest::post()
        .uri("/login")
        .insert_header((header::ORIGIN, format!("http://{HOST}")))
        .set_form([("token", token)])
}

#[actix_web::test]
async fn pages_send_a_stranger_to_the_sign_in_form() {
    let state = state(Some(TOKEN));
    for path in ["/", "/events/evt_1", "/?status=dead"] {
        let response = send(&state, TestRequest::get().uri(path)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login", "{path}");
    }
    let form = send(&state, TestRequest::get().uri("/login")).await;
    assert_eq!(form.status(), StatusCode::OK);
    let body = read_body(form).await;
    assert!(String::from_utf8_lossy(&body).contains("name=\"token\""));
}

#[actix_web::test]
async fn the_right_token_sets_a_strict_http_only_session_cookie_and_a_wrong_one_does_not() {
    let state = state(Some(TOKEN));
    let wrong = send(&state, sign_in_with("not-the-token-at-all")).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&wrong).is_none());

    let right = send(&state, sign_in_with(TOKEN)).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/");
    let cookie = set_cookie(&right).expect("a cookie is set");
    assert_eq!(cookie.name(), COOKIE);
    assert_ne!(cookie.value(), TOKEN, "the cookie holds a session id");
    assert_eq!(cookie.value().len(), 64);
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(SameSite::Strict));
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.secure(), None, "plain HTTP");
    assert_eq!(
        cookie.max_age().map(|age| age.whole_seconds()),
        Some(3600),
        "the browser forgets it when the session ends"
    );

    let page = send(
        &state,
        TestRequest::get().uri("/").cookie(cookie.into_owned()),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers().get(header::CONTENT_SECURITY_POLICY).unwrap();
    assert!(csp.to_str().unwrap().contains("frame-ancestors 'none'"));
    let body = read_body(page).await;
    assert!(String::from_utf8_lossy(&body).contains("<h1>Deliveries</h1>"));
}

#[actix_web::test]
async fn behind_an_https_proxy_the_cookie_is_secure() {
    let state = state(Some(TOKEN));
    let right = send(
        &state,
        sign_in_with(TOKEN).insert_header(("x-forwarded-proto", "https")),
    )
    .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(set_cookie(&right).unwrap().secure(), Some(true));
}

#[actix_web::test]
async fn a_cookie_holding_the_token_itself_opens_nothing() {
    let state = state(Some(TOKEN));
    let raw = Cookie::new(COOKIE, TOKEN);
    let page = send(&state, TestRequest::get().uri("/").cookie(raw.clone())).await;
    assert_eq!(
        (page.status(), location(&page)),
        (StatusCode::SEE_OTHER, "/login")
    );
    let api = send(&state, TestRequest::get().uri("/api/v1/events").cookie(raw)).await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_session_opens_the_pages_but_not_the_api() {
    let state = state(Some(TOKEN));
    let api = send(
        &state,
        signed_in(&state, TestRequest::post().uri("/api/v1/events/purge"))
            .insert_header((header::ORIGIN, format!("http://{HOST}")))
            .set_json(serde_json::json!({})),
    )
    .await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let bearer = send(
        &state,
        TestRequest::get()
            .uri("/api/v1/events")
            .insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}"))),
    )
    .await;
    assert_eq!(bearer.status(), StatusCode::OK);
}

#[actix_web::test]
async fn signing_out_ends_the_session() {
    let state = state(Some(TOKEN));
    let id = state.sessions.start();
    let with_session = || TestRequest::default().cookie(Cookie::new(COOKIE, id.clone()));
    let out = send(
        &state,
        with_session()
            .method(actix_web::http::Method::POST)
            .uri("/logout")
            .insert_header((header::ORIGIN, format!("http://{HOST}"))),
    )
    .await;
    assert_eq!(
        (out.status(), location(&out)),
        (StatusCode::SEE_OTHER, "/login")
    );
    let cleared = set_cookie(&out).expect("the cookie is cleared");
    assert_eq!(cleared.value(), "");
    let page = send(&state, with_session().uri("/")).await;
    assert_eq!(location(&page), "/login", "the old cookie no longer works");
    assert!(state.sessions.is_empty());
}

#[actix_web::test]
async fn an_expired_session_sends_the_operator_back_to_sign_in() {
    let state = state_with(Some(TOKEN), Duration::ZERO);
    let page = send(&state, signed_in(&state, TestRequest::get().uri("/"))).await;
    assert_eq!(
        (page.status(), location(&page)),
        (StatusCode::SEE_OTHER, "/login")
    );
}

#[actix_web::test]
async fn too_many_attempts_from_one_address_are_refused_even_with_the_right_token() {
    let state = state(Some(TOKEN));
    for _ in 0..crate::admin::login_limit::ATTEMPTS_PER_MINUTE {
        let wrong = send(&state, sign_in_with("not-the-token-at-all")).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = send(&state, sign_in_with(TOKEN)).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(&limited).is_none());
    let retry_after: u64 = limited
        .headers()
        .get(header::RETRY_AFTER)
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry_after), "{retry_after}");
    let body = read_body(limited).await;
    assert!(String::from_utf8_lossy(&body).contains("too many sign-in attempts"));
    assert!(state.sessions.is_empty());
}

#[actix_web::test]
async fn a_post_from_another_origin_is_refused_even_with_the_cookie() {
    let state = state(Some(TOKEN));
    for path in [
        "/events/evt_1/replay",
        "/events/evt_1/retry",
        "/login",
        "/logout",
    ] {
        for origin in ["http://evil.example", "null", "http://127.0.0.1:9091"] {
            let response = send(
                &state,
                signed_in(&state, TestRequest::post().uri(path))
                    .insert_header((header::ORIGIN, origin))
                    .set_form([("handler", "switch"), ("token", TOKEN)]),
            )
            .await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} from {origin}"
            );
        }
    }
}

#[actix_web::test]
async fn a_post_from_the_dashboard_itself_reaches_the_action() {
    let state = state(Some(TOKEN));
    for origin in [None, Some(format!("http://{HOST}"))] {
        let mut request = signed_in(&state, TestRequest::post().uri("/events/evt_1/retry"))
            .set_form([("handler", "switch")]);
        if let Some(origin) = &origin {
            request = request.insert_header((header::ORIGIN, origin.as_str()));
        }
        let response = send(&state, request).await;
        // The checks passed; the store has no such event.
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{origin:?}");
    }
    let stranger = send(
        &state,
        TestRequest::post()
            .uri("/events/evt_1/replay")
            .insert_header((header::ORIGIN, format!("http://{HOST}"))),
    )
    .await;
    assert_eq!(stranger.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&stranger), "/login");
}

#[actix_web::test]
async fn without_a_token_configured_there_is_nothing_to_sign_in_to() {
    let state = state(None);
    let page = send(&state, TestRequest::get().uri("/")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let form = send(&state, TestRequest::get().uri("/login")).await;
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&form), "/");
}

#[actix_web::test]
async fn without_a_token_a_foreign_host_is_misdirected_on_every_route() {
    let state = state(None);
    for path in ["/", "/api/v1/events", "/healthz", "/metrics", "/nowhere"] {
        let refused = send_with_host(&state, "evil.example", TestRequest::get().uri(path)).await;
        assert_eq!(refused.status(), StatusCode::MISDIRECTED_REQUEST, "{path}");
        let body = read_body(refused).await;
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(body["error"].as_str().unwrap().contains("evil.example"));
        for host in ["localhost:9090", "[::1]:9090"] {
            let answered = send_with_host(&state, host, TestRequest::get().uri(path)).await;
            assert_ne!(
                answered.status(),
                StatusCode::MISDIRECTED_REQUEST,
                "{host}{path}"
            );
        }
    }
    let with_token = send_with_host(
        &self::state(Some(TOKEN)),
        "admin.internal.example:9090",
        TestRequest::get().uri("/healthz"),
    )
    .await;
    assert_eq!(with_token.status(), StatusCode::OK, "with a token any Host");
}

#[actix_web::test]
async fn a_bad_filter_is_explained_on_the_page() {
    let state = state(Some(TOKEN));
    let page = send(
        &state,
        signed_in(&state, TestRequest::get().uri("/?status=maybe")),
    )
    .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let body = read_body(page).await;
    assert!(String::from_utf8_lossy(&body).contains("status `maybe` is not one of"));

    let page = send(
        &state,
        signed_in(&state, TestRequest::get().uri("/?before=garbage")),
    )
    .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let body = read_body(page).await;
    assert!(String::from_utf8_lossy(&body).contains("cursor `garbage` is not an event id"));
}

/// Stores a webhook's stage change of `opportunity` in `state`'s store.
async fn stored_webhook(state: &web::Data<AdminState>, opportunity: &str) -> EventId {
    let id = EventId::generate();
    let data = format!(r#"{{"opportunityId":"{opportunity}","toStageId":"s2"}}"#);
    let new = crate::store::NewEvent {
        id: id.clone(),
        account: "default".to_owned(),
        event: "candidateStageChange".to_owned(),
        triggered_at: 1,
        received_at: 2,
        token: "t".to_owned(),
        envelope_id: None,
        dedupe_key: format!("id:{id}"),
        content_hash: [0; 32],
        opportunity_id: Some(crate::event::OpportunityId::new(opportunity)),
        contact_id: None,
        data: serde_json::value::RawValue::from_string(data).unwrap(),
    };
    state.store.ingest(new).await.unwrap();
    id
}

#[actix_web::test]
async fn a_covered_webhook_shows_its_source_and_the_covering_event_on_page_and_api() {
    let state = state(Some(TOKEN));
    let id = stored_webhook(&state, "o1").await;
    let by = EventId::new("evt_reconciled");
    late::remember_cover(&*state.store, "default", &id, &by)
        .await
        .unwrap();

    let page = send(
        &state,
        signed_in(&state, TestRequest::get().uri(&format!("/events/{id}"))),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8(read_body(page).await.to_vec()).unwrap();
    assert!(html.contains("<dt>Source</dt><dd>webhook</dd>"), "{html}");
    assert!(
        html.contains("<dt>Covered by</dt><dd><a href=\"/events/evt_reconciled\">"),
        "{html}"
    );

    let bearer = |uri: String| {
        TestRequest::get()
            .uri(&uri)
            .insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}")))
    };
    let api = send(&state, bearer(format!("/api/v1/events/{id}"))).await;
    let view: serde_json::Value = actix_web::test::read_body_json(api).await;
    assert_eq!(
        (&view["source"], &view["coveredBy"]),
        (
            &serde_json::json!("webhook"),
            &serde_json::json!("evt_reconciled")
        )
    );
    assert_eq!(
        view["event"]["id"],
        id.as_str(),
        "the view is kept as it was"
    );
    let list = send(&state, bearer("/api/v1/events".to_owned())).await;
    let list: serde_json::Value = actix_web::test::read_body_json(list).await;
    assert_eq!(list["events"][0]["coveredBy"], "evt_reconciled", "{list}");
}

#[actix_web::test]
async fn an_opportunitys_state_is_served_to_the_bearer_and_unknown_ones_are_404() {
    let state = state(Some(TOKEN));
    let get = |uri: &str, token: Option<&str>| {
        let request = TestRequest::get().uri(uri);
        match token {
            Some(t) => request.insert_header((header::AUTHORIZATION, format!("Bearer {t}"))),
            None => request,
        }
    };
    let missing = send(&state, get("/api/v1/opportunities/o1", Some(TOKEN))).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let known = crate::opportunity_state::OpportunityState {
        stage_id: Some("s2".into()),
        archived_reason: None,
        archived_at: None,
        contact_id: None,
        updated_at: Some(5),
        set_by: Some(EventId::new("evt_1")),
        source: Some("webhook".into()),
    };
    crate::opportunity_state::save(&*state.store, "acme", "o1", &known)
        .await
        .unwrap();
    let other_account = send(&state, get("/api/v1/opportunities/o1", Some(TOKEN))).await;
    assert_eq!(
        other_account.status(),
        StatusCode::NOT_FOUND,
        "default is not acme"
    );
    let uri = "/api/v1/opportunities/o1?account=acme";
    let found = send(&state, get(uri, Some(TOKEN))).await;
    assert_eq!(found.status(), StatusCode::OK);
    let body: serde_json::Value = actix_web::test::read_body_json(found).await;
    assert_eq!(
        body,
        serde_json::json!({"account": "acme", "opportunityId": "o1", "state": {
            "stageId": "s2", "updatedAt": 5, "setBy": "evt_1", "source": "webhook"}})
    );
    let session = send(&state, signed_in(&state, get(uri, None))).await;
    assert_eq!(session.status(), StatusCode::UNAUTHORIZED, "bearer only");
    let stray = send(
        &state,
        get("/api/v1/opportunities/o1?acount=acme", Some(TOKEN)),
    )
    .await;
    assert_eq!(stray.status(), StatusCode::BAD_REQUEST);
}
