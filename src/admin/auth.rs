//! The API's credential: `Authorization: Bearer <token>` and nothing else.
//!
//! The dashboard's cookie is not accepted here. A browser attaches a cookie to requests
//! that other pages make (another port of 127.0.0.1 is the same site), but never an
//! `Authorization` header it was not told to send, so an API that takes only the bearer
//! token cannot be driven from another page. Like Stripe's and Svix's API keys: keys for
//! programs, sessions for the people at the dashboard.

use super::AdminState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::future::{ready, Ready};

/// Proof that a request carried the admin token as a bearer token (or that none is
/// configured).
pub struct Authorized;

impl FromRequest for Authorized {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AdminState>>() else {
            return ready(Err(actix_web::error::ErrorInternalServerError(
                "no admin state",
            )));
        };
        let allowed = match &state.token {
            None => true,
            Some(token) => bearer(req).is_some_and(|given| token_matches(token, given)),
        };
        ready(if allowed {
            Ok(Authorized)
        } else {
            Err(super::api::ApiError::Unauthorized.into())
        })
    }
}

/// The token in `Authorization: Bearer <token>`, if the request has one.
fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// True when `given` is the admin `token`.
pub(super) fn token_matches(token: &SecretString, given: &str) -> bool {
    // Comparing digests: equal time for every wrong guess of the same length.
    Sha256::digest(given.as_bytes()) == Sha256::digest(token.expose_secret().as_bytes())
}
