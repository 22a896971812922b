//! When a connection is closed rather than kept for another request, so that a client
//! cannot hold one open at its own pace.
//!
//! - **After a rejected request.** actix-web gives only a connection's *first* request
//!   head a deadline (`client_timeout`); on a kept-alive connection the next head may be
//!   trickled forever once its first byte is in. Any answer other than 2xx therefore says
//!   `Connection: close`: a client must prove itself (a validly signed delivery) before
//!   its connection is kept.
//! - **After a body that was not read to the end.** When a route answers without reading
//!   all of a chunked body (a 404, a 413, a 408 for a body too slow), actix-http keeps
//!   the connection and reads the rest of the body at whatever pace the client sends it,
//!   with no deadline. When the body is still owned as the answer goes out, actix instead
//!   closes the connection, giving the client `disconnect_timeout` to go. So the guard
//!   owns every request's body, hands the route a stream that reads through it, and keeps
//!   it until the answer's last byte is sent.
//! - **Close means close.** Once an answer says `Connection: close` (the guard's own
//!   rule above, or the request asked for it), nothing more read from that connection
//!   is processed. actix-http still serves requests that were pipelined behind the
//!   closing one (it decodes them as they arrive and only stops when none are left), so
//!   each connection carries a [`ConnectionState`] and the guard refuses any request that
//!   comes after a closing answer: it never reaches a route, and the connection is
//!   dropped without answering it once the client has had `disconnect_timeout` to take
//!   the answers before it.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::Stream;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use tracing::warn;

/// What the guard knows about one connection, kept in its connection data.
#[derive(Debug)]
pub(crate) struct ConnectionState {
    /// An answer on this connection said `Connection: close`.
    closing: Cell<bool>,
    /// `disconnect_timeout`: how long a closing connection has to take its answers.
    linger: Duration,
}

/// For `HttpServer::on_connect`: gives each new connection its [`ConnectionState`].
fn track_connection(connection: &mut Extensions, linger: Duration) {
    connection.insert(ConnectionState {
        closing: Cell::new(false),
        linger,
    });
}

/// The `on_connect` callback's shape, for [`track_connection`].
pub(crate) fn on_connect(linger: Duration) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync {
    move |_, connection| track_connection(connection, linger)
}

/// The middleware function, for `actix_web::middleware::from_fn`.
pub(crate) async fn guard_connection(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<KeepBodyUntilSent>, actix_web::Error> {
    let body = Rc::new(RefCell::new(req.take_payload()));
    if let Some(linger) = closed_before(&req) {
        warn!(
            path = req.path(),
            "a request sent after an answer that closed its connection was not processed"
        );
        // The answers before this one are written out meanwhile; then the connection
        // is dropped without a word about this request.
        tokio::time::sleep(linger).await;
        let unanswered = req.into_response(HttpResponse::ServiceUnavailable().body(DropConnection));
        return Ok(keep_body_until_sent(unanswered, body));
    }
    let asked_to_close = req.head().connection_type() == ConnectionType::Close;
    let read_through: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(ReadThrough(body.clone()));
    req.set_payload(Payload::from(read_through));
    let mut res = next.call(req).await?.map_into_boxed_body();
    if asked_to_close || !res.status().is_success() {
        // actix-http would otherwise take the connection type from the latest request it
        // read, which may be one pipelined behind this one.
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
        if let Some(state) = res.request().conn_data::<ConnectionState>() {
            state.closing.set(true);
        }
    }
    Ok(keep_body_until_sent(res, body))
}

fn keep_body_until_sent(
    res: ServiceResponse<BoxBody>,
    request_body: Rc<RefCell<Payload>>,
) -> ServiceResponse<KeepBodyUntilSent> {
    res.map_body(|_, answer| KeepBodyUntilSent {
        answer,
        _request_body: request_body,
    })
}

/// When an earlier answer on `req`'s connection closed it: how long to linger.
fn closed_before(req: &ServiceRequest) -> Option<Duration> {
    req.conn_data::<ConnectionState>()
        .filter(|state| state.closing.get())
        .map(|state| state.linger)
}

/// An answer's body that ends before the one byte it declares. actix-http takes that as
/// a broken connection and drops it at once, with this answer's head still unsent: the
/// one way a route can end a connection without answering. (A body that fails with an
/// error does the same, but actix-http logs each one as a server error.)
struct DropConnection;

impl MessageBody for DropConnection {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(1)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}

/// The body as the route sees it: every read goes to the one the middleware keeps.
struct ReadThrough(Rc<RefCell<Payload>>);

impl Stream for ReadThrough {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_next(cx)
    }
}

/// An answer's body that holds its request's body until the answer is sent (actix
/// decides between draining and closing as the last byte goes out).
pub(crate) struct KeepBodyUntilSent {
    answer: BoxBody,
    _request_body: Rc<RefCell<Payload>>,
}

impl MessageBody for KeepBodyUntilSent {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.answer.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.answer).poll_next(cx)
    }
}
