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

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::Stream;
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// The middleware function, for `actix_web::middleware::from_fn`.
pub(crate) async fn guard_connection(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<KeepBodyUntilSent>, actix_web::Error> {
    let body = Rc::new(RefCell::new(req.take_payload()));
    let read_through: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(ReadThrough(body.clone()));
    req.set_payload(Payload::from(read_through));
    let mut res = next.call(req).await?.map_into_boxed_body();
    if !res.status().is_success() {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res.map_body(|_, answer| KeepBodyUntilSent {
        answer,
        _request_body: body,
    }))
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
