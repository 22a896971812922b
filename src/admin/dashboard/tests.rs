//! Sign-in and the cross-site checks, against the admin routes with no server.

use super::*;
use crate::store::SledStore;
use actix_web::dev::ServiceResponse;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use secrecy::SecretString;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

const TOKEN: &str = "dashboard-test-token-0123";
const HOST: &str = "127.0.0.1:9090";

fn state(token: Option<&str>) -> web::Data<AdminState> {
    let (_, stopping) = watch::channel(false);
    web::Data::new(AdminState {
        store: Arc::new(SledStore::temporary().expect("temporary store")),
        work_wake: Arc::new(Notify::new()),
        token: token.map(|t| SecretString::from(t.to_owned())),
        stopping,
        metrics: None,
    })
}

/// Sends `request` to the admin routes (health, API, dashboard) with `token` configured.
async fn send(token: Option<&str>, request: TestRequest) -> ServiceResponse {
    let app = init_service(
        actix_web::App::new()
            .app_data(state(token))
            .configure(crate::admin::configure),
    )
    .await;
    call_service(
        &app,
        request.insert_header((header::HOST, HOST)).to_request(),
    )
    .await
}

fn location(response: &ServiceResponse) -> &str {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn signed_in(request: TestRequest) -> TestRequest {
    request.cookie(Cookie::new(COOKIE, TOKEN))
}

#[actix_web::test]
async fn pages_send_a_stranger_to_the_sign_in_form() {
    for path in ["/", "/events/evt_1", "/?status=dead"] {
        let response = send(Some(TOKEN), TestRequest::get().uri(path)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login", "{path}");
    }
    let form = send(Some(TOKEN), TestRequest::get().uri("/login")).await;
    assert_eq!(form.status(), StatusCode::OK);
    let body = read_body(form).await;
    assert!(String::from_utf8_lossy(&body).contains("name=\"token\""));
}

#[actix_web::test]
async fn the_right_token_sets_a_strict_http_only_cookie_and_a_wrong_one_does_not() {
    let wrong = send(
        Some(TOKEN),
        TestRequest::post()
            .uri("/login")
            .set_form([("token", "not-the-token-at-all")]),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(header::SET_COOKIE).is_none());

    let right = send(
        Some(TOKEN),
        TestRequest::post()
            .uri("/login")
            .insert_header((header::ORIGIN, format!("http://{HOST}")))
            .set_form([("token", TOKEN)]),
    )
    .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/");
    let cookie = right
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a cookie is set");
    let cookie = Cookie::parse(cookie.to_owned()).unwrap();
    assert_eq!(cookie.name(), COOKIE);
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(SameSite::Strict));
    assert_eq!(cookie.path(), Some("/"));

    let page = send(Some(TOKEN), signed_in(TestRequest::get().uri("/"))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers().get(header::CONTENT_SECURITY_POLICY).unwrap();
    assert!(csp.to_str().unwrap().contains("frame-ancestors 'none'"));
    let body = read_body(page).await;
    assert!(String::from_utf8_lossy(&body).contains("<h1>Deliveries</h1>"));
}

#[actix_web::test]
async fn the_cookie_opens_the_pages_but_not_the_api() {
    let api = send(
        Some(TOKEN),
        signed_in(TestRequest::post().uri("/api/v1/events/purge"))
            .insert_header((header::ORIGIN, format!("http://{HOST}")))
            .set_json(serde_json::json!({})),
    )
    .await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let bearer = send(
        Some(TOKEN),
        TestRequest::get()
            .uri("/api/v1/events")
            .insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}"))),
    )
    .await;
    assert_eq!(bearer.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_post_from_another_origin_is_refused_even_with_the_cookie() {
    for path in [
        "/events/evt_1/replay",
        "/events/evt_1/retry",
        "/login",
        "/logout",
    ] {
        for origin in ["http://evil.example", "null", "http://127.0.0.1:9091"] {
            let response = send(
                Some(TOKEN),
                signed_in(TestRequest::post().uri(path))
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
    for origin in [None, Some(format!("http://{HOST}"))] {
        let mut request = signed_in(TestRequest::post().uri("/events/evt_1/retry"))
            .set_form([("handler", "switch")]);
        if let Some(origin) = &origin {
            request = request.insert_header((header::ORIGIN, origin.as_str()));
        }
        let response = send(Some(TOKEN), request).await;
        // The checks passed; the store has no such event.
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{origin:?}");
    }
    let stranger = send(
        Some(TOKEN),
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
    let page = send(None, TestRequest::get().uri("/")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let form = send(None, TestRequest::get().uri("/login")).await;
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&form), "/");
}

#[actix_web::test]
async fn a_bad_filter_is_explained_on_the_page() {
    let page = send(
        Some(TOKEN),
        signed_in(TestRequest::get().uri("/?status=maybe")),
    )
    .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let body = read_body(page).await;
    assert!(String::from_utf8_lossy(&body).contains("status `maybe` is not one of"));
}
