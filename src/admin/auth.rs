//! The admin token: `Authorization: Bearer <token>`, or the cookie the dashboard sets.

use super::AdminState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::future::{ready, Ready};

/// The cookie holding the admin token for the dashboard.
pub const COOKIE: &str = "lever_hooks_admin";

/// Proof that a request carried the admin token (or that none is configured).
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
        ready(if allowed(req, state) {
            Ok(Authorized)
        } else {
            Err(super::api::ApiError::Unauthorized.into())
        })
    }
}

/// True when the request carries the admin token (bearer or cookie), or none is configured.
pub(super) fn allowed(req: &HttpRequest, state: &AdminState) -> bool {
    if state.token.is_none() {
        return true;
    }
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let cookie = req.cookie(COOKIE).map(|c| c.value().to_owned());
    [bearer, cookie]
        .into_iter()
        .flatten()
        .any(|given| token_matches(state, &given))
}

/// True when `given` is the configured token (false when none is configured).
pub(super) fn token_matches(state: &AdminState, given: &str) -> bool {
    let Some(token) = &state.token else {
        return false;
    };
    // Comparing digests: equal time for every wrong guess of the same length.
    Sha256::digest(given.as_bytes()) == Sha256::digest(token.expose_secret().as_bytes())
}
