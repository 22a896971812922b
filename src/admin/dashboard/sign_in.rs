//! Signing in and out of the dashboard: `/login` trades the admin token for a session
//! cookie, `/logout` ends the session.
//!
//! The cookie holds a random session id, never the token. Attempts are limited per
//! client address (`login_limit`); each wrong token is a warning naming the address
//! (never what was typed) and counts in `lever_hooks_admin_login_failures_total`.

use super::{html, same_origin, see_other, DashError};
use crate::admin::auth::token_matches;
use crate::admin::AdminState;
use crate::metrics::ADMIN_LOGIN_FAILURES;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::{debug, warn};

/// The cookie holding a dashboard session's id.
pub const COOKIE: &str = "lever_hooks_admin";

/// `GET /login`: the form (straight to the deliveries when there is no token).
pub(super) async fn form(state: web::Data<AdminState>) -> HttpResponse {
    if state.token.is_none() {
        return see_other("/");
    }
    super::html(StatusCode::OK, html::login(None))
}

#[derive(Deserialize)]
pub(super) struct SignInForm {
    /// Secret, so that no `Debug` or log can show what was typed.
    token: SecretString,
}

/// `POST /login`: checks the token, within the client's attempts, and starts a session.
pub(super) async fn sign_in(
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, DashError> {
    same_origin(&req)?;
    let Some(token) = &state.token else {
        return Ok(see_other("/"));
    };
    let client = req.peer_addr().map(|addr| addr.ip());
    let shown = client.map_or("unknown".to_owned(), |ip| ip.to_string());
    if let Err(limited) = state.login_limiter.attempt(client) {
        metrics::counter!(ADMIN_LOGIN_FAILURES, "reason" => "rate_limited").increment(1);
        debug!(client = %shown, "admin sign-in refused: too many attempts");
        let mut page = super::html(
            StatusCode::TOO_MANY_REQUESTS,
            html::login(Some(&format!("{limited}."))),
        );
        page.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(limited.retry_after.as_secs()),
        );
        return Ok(page);
    }
    if !token_matches(token, form.token.expose_secret()) {
        metrics::counter!(ADMIN_LOGIN_FAILURES, "reason" => "wrong_token").increment(1);
        warn!(client = %shown, "admin sign-in failed: wrong token");
        return Ok(super::html(
            StatusCode::UNAUTHORIZED,
            html::login(Some("That is not the admin token.")),
        ));
    }
    let id = state.sessions.start();
    let max_age =
        time::Duration::try_from(state.sessions.lifetime()).unwrap_or(time::Duration::MAX);
    let mut cookie = session_cookie(&req, id);
    cookie.set_max_age(max_age);
    let mut response = see_other("/");
    response
        .add_cookie(&cookie)
        .map_err(|e| DashError::Cookie(e.to_string()))?;
    Ok(response)
}

/// `POST /logout`: ends the session the cookie names and clears the cookie.
pub(super) async fn sign_out(
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, DashError> {
    same_origin(&req)?;
    if let Some(cookie) = req.cookie(COOKIE) {
        state.sessions.end(cookie.value());
    }
    let mut gone = session_cookie(&req, String::new());
    gone.make_removal();
    let mut response = see_other("/login");
    response
        .add_cookie(&gone)
        .map_err(|e| DashError::Cookie(e.to_string()))?;
    Ok(response)
}

/// The session cookie: script cannot read it, other sites' requests do not carry it, and
/// it is `Secure` when the dashboard is reached over HTTPS (a TLS proxy in front says so
/// with `X-Forwarded-Proto` or `Forwarded`; the admin listener itself is plain HTTP).
fn session_cookie(req: &HttpRequest, value: String) -> Cookie<'static> {
    let https = req.connection_info().scheme().eq_ignore_ascii_case("https");
    Cookie::build(COOKIE, value)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(https)
        .path("/")
        .finish()
}
