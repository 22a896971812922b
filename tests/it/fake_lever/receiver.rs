//! A local server that takes the fake's webhook deliveries, and the signature check.

use actix_web::{web, HttpRequest, HttpResponse, HttpServer};
use lever_hooks::signature::sign;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;

/// One webhook delivery a [`Receiver`] got.
#[derive(Debug)]
pub struct Delivery {
    pub user_agent: String,
    pub body: Value,
}

/// A local server that takes webhook deliveries and hands them to the test.
pub struct Receiver {
    pub url: String,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
}

impl Receiver {
    pub async fn start() -> Self {
        let (tx, deliveries) = mpsc::unbounded_channel();
        let tx = web::Data::new(tx);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/webhooks/lever", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(tx.clone())
                .default_service(web::to(take))
        })
        .listen(listener)
        .unwrap()
        .workers(1)
        .disable_signals()
        .run();
        tokio::spawn(server);
        Self { url, deliveries }
    }

    pub async fn next(&mut self) -> Delivery {
        tokio::time::timeout(Duration::from_secs(10), self.deliveries.recv())
            .await
            .expect("a webhook arrives within 10 s")
            .expect("the receiver is running")
    }

    pub async fn nothing_more(&mut self) {
        let more = tokio::time::timeout(Duration::from_millis(500), self.deliveries.recv()).await;
        assert!(more.is_err(), "unexpected delivery: {more:?}");
    }
}

async fn take(
    req: HttpRequest,
    body: web::Bytes,
    tx: web::Data<mpsc::UnboundedSender<Delivery>>,
) -> HttpResponse {
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = serde_json::from_slice(&body).expect("a delivery is JSON");
    let _ = tx.send(Delivery { user_agent, body });
    HttpResponse::Ok().finish()
}

/// Checks the envelope `sample::signed_body` builds and its signature with `signing_token`.
pub fn assert_signed(delivery: &Delivery, signing_token: &str) {
    let body = &delivery.body;
    assert_eq!(delivery.user_agent, "Lever-Webhooks");
    let triggered_at = body["triggeredAt"]
        .as_u64()
        .expect("triggeredAt is an integer");
    let token = body["token"].as_str().expect("token is a string");
    assert_eq!(token.len(), 48);
    let expected = sign(signing_token, token, &triggered_at.to_string());
    assert_eq!(body["signature"], expected.as_str(), "signature of {body}");
}
