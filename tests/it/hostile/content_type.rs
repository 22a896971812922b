//! The Content-Type header is not checked: Lever always sends `application/json`, but the
//! body is what is verified, and a proxy that drops or rewrites the header must not cost
//! events. A body that is not a signed JSON delivery is refused whatever the header says
//! (see the matrix's `form_urlencoded_body` and `text_plain_unsigned_body`).

use super::bodies::*;
use super::client::{send, Request};
use crate::helpers::*;
use lever_hooks::handler::HandlerRegistry;
use serde_json::json;

/// A signed delivery is accepted as `text/plain`, with a charset, or without the header.
#[tokio::test]
async fn a_signed_delivery_is_accepted_whatever_its_content_type() {
    let app = spawn_app("", HandlerRegistry::new()).await;
    for content_type in [
        Some("text/plain"),
        Some("application/json; charset=utf-8"),
        Some("application/octet-stream"),
        None,
    ] {
        let request = Request::Post {
            path: "/webhooks/lever".into(),
            content_type,
            body: serde_json::to_vec(&valid()).unwrap(),
        };
        let answer = send(&app, request).await;
        assert_eq!(
            (answer.status, &answer.body["status"]),
            (200, &json!("accepted")),
            "{content_type:?}"
        );
    }
    assert_eq!(app.store.accepted_count(), 4);
    app.stop().await;
}

/// A delivery sent chunked, without Content-Length, is read whole and accepted.
#[tokio::test]
async fn a_chunked_delivery_under_the_limit_is_accepted() {
    let app = spawn_app("", HandlerRegistry::new()).await;
    let body = serde_json::to_vec(&valid()).unwrap();
    let (first, rest) = body.split_at(body.len() / 3);
    let mut bytes = b"POST /webhooks/lever HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in [first, rest] {
        bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    let answer = send(&app, Request::Raw(bytes)).await;
    assert_eq!(
        (answer.status, &answer.body["status"]),
        (200, &json!("accepted"))
    );
    assert_eq!(app.store.accepted_count(), 1);
    app.stop().await;
}

/// The signature's hex digits may come in either case (hex is case-blind; Lever sends
/// lowercase): uppercase or mixed case of the right digest is accepted.
#[tokio::test]
async fn an_uppercase_or_mixed_case_signature_is_accepted() {
    let app = spawn_app("", HandlerRegistry::new()).await;
    for case in [0, 1] {
        let body = edited(|b| {
            let sig = b["signature"].as_str().unwrap();
            let recased: String = sig
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == case || case == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            assert_ne!(recased, sig);
            b.insert("signature".into(), json!(recased));
        });
        let (status, answer) = app.deliver(body).await;
        assert_eq!((status, &answer["status"]), (200, &json!("accepted")));
    }
    app.stop().await;
}
