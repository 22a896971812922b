//! `POST /oauth/token`: Lever's token endpoint for `grant_type=refresh_token`, answering
//! a fresh access token and a rotated refresh token (the used one stops working).

use super::server::Shared;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use std::time::Instant;

#[derive(Deserialize)]
struct TokenRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    refresh_token: String,
}

/// Answers a form-encoded (or JSON) token request.
pub(crate) async fn token(
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed = if is_json {
        serde_json::from_slice::<TokenRequest>(&bytes).map_err(|e| e.to_string())
    } else {
        std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                web::Query::<TokenRequest>::from_query(text)
                    .map(web::Query::into_inner)
                    .map_err(|e| e.to_string())
            })
    };
    let form = match parsed {
        Ok(form) => form,
        Err(e) => return oauth_error(400, "invalid_request", &format!("unreadable body: {e}")),
    };
    let result = shared.credentials().refresh(
        &form.grant_type,
        &form.client_id,
        &form.client_secret,
        &form.refresh_token,
        Instant::now(),
    );
    match result {
        Ok(grant) => HttpResponse::Ok().json(grant),
        Err(e) => oauth_error(e.status(), &e.to_string(), e.description()),
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(json!({ "error": error, "error_description": description }))
}
