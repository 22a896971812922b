//! Without an admin token, the admin listener answers only requests whose `Host` names
//! it by a loopback name or address: a page whose domain was rebound to 127.0.0.1 (DNS
//! rebinding) names its own domain, and gets 421 instead of the candidates' data.
//!
//! The rule covers every route, probes and `/metrics` included: without a token the
//! listener is bound to loopback (the config insists), so a legitimate client connects to
//! a loopback address and names it, or `localhost`. Accepted: `localhost`, `127.0.0.0/8`
//! and `[::1]`, with or without a port. Refused: any other name (`*.localhost` too: not
//! every resolver keeps those on the machine), any other address, and no `Host` at all
//! (every browser sends one; a client that does not has no reason to be let through).

use super::AdminState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use serde_json::json;
use std::net::IpAddr;

/// Why a request was refused by the `Host` rule (421 Misdirected Request).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// `Host` names something other than this machine's loopback interface.
    #[error("this admin listener has no token, so it answers only a loopback Host (localhost, 127.0.0.1, [::1]); got `{0}`")]
    NotLoopback(String),
    /// The request had no `Host`.
    #[error("this admin listener has no token, so it answers only a loopback Host (localhost, 127.0.0.1, [::1]); send one")]
    Missing,
}

impl ResponseError for HostError {
    fn status_code(&self) -> StatusCode {
        StatusCode::MISDIRECTED_REQUEST
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(json!({"error": self.to_string()}))
    }
}

/// The middleware function, for `actix_web::middleware::from_fn`: applies the rule when
/// no token is configured, and lets everything through when one is.
pub(super) async fn loopback_host_unless_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let has_token = req
        .app_data::<web::Data<AdminState>>()
        .is_some_and(|state| state.token.is_some());
    if !has_token {
        if let Err(refused) = check(host_of(&req)) {
            return Ok(req.error_response(refused).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// `Host`, or the URI's authority (HTTP/2); `None` when there is neither.
fn host_of(req: &ServiceRequest) -> Option<String> {
    match req.headers().get(header::HOST) {
        Some(value) => Some(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        None => req.uri().authority().map(|a| a.as_str().to_owned()),
    }
}

/// The rule itself: `Ok` for a loopback name or address.
fn check(host: Option<String>) -> Result<(), HostError> {
    let host = host.ok_or(HostError::Missing)?;
    if is_loopback(&host) {
        Ok(())
    } else {
        Err(HostError::NotLoopback(host))
    }
}

/// True when `host` (a `Host` value: a name or address, and maybe `:port`) is
/// `localhost`, an address in `127.0.0.0/8`, or `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    let (name, port) = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((inside, rest)) => (inside, rest),
            None => return false,
        },
        None => match host.split_once(':') {
            Some((name, _)) => (name, &host[name.len()..]),
            None => (host, ""),
        },
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.parse::<u16>().is_ok());
    let bracketed = host.starts_with('[');
    let name_ok = match name.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => bracketed && v6.to_canonical().is_loopback(),
        Ok(IpAddr::V4(v4)) => !bracketed && v4.is_loopback(),
        Err(_) => !bracketed && name.eq_ignore_ascii_case("localhost"),
    };
    port_ok && name_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_addresses_pass_with_or_without_a_port() {
        for host in [
            "localhost",
            "LOCALHOST:9090",
            "localhost:1",
            "127.0.0.1",
            "127.0.0.1:9090",
            "127.255.0.9:80",
            "[::1]",
            "[::1]:9090",
            "[0:0:0:0:0:0:0:1]:9090",
            "[::ffff:127.0.0.1]:9090",
        ] {
            assert!(is_loopback(host), "{host}");
        }
    }

    #[test]
    fn other_names_and_addresses_are_refused() {
        for host in [
            "",
            "evil.example",
            "evil.example:9090",
            "localhost.evil.example",
            "127.0.0.1.evil.example:9090",
            "app.localhost:9090",
            "localhost.",
            "10.0.0.1:9090",
            "0.0.0.0:9090",
            "[::]:9090",
            "[2001:db8::1]:9090",
            "::1",
            "[127.0.0.1]:9090",
            "[::1",
            "localhost:",
            "localhost:port",
            "localhost:99999",
            "localhost:9090:1",
            "user@localhost",
            "127.1",
            "2130706433",
        ] {
            assert!(!is_loopback(host), "{host:?}");
        }
    }

    #[test]
    fn no_host_is_refused_and_says_what_to_send() {
        let refused = check(None).unwrap_err();
        assert!(refused.to_string().contains("loopback Host"), "{refused}");
        assert!(matches!(
            check(Some("evil.example".into())),
            Err(HostError::NotLoopback(host)) if host == "evil.example"
        ));
    }
}
