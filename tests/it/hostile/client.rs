//! Sending one request the way a hostile client would: through reqwest, or as raw bytes
//! on a fresh connection for framing reqwest refuses to produce.

use crate::helpers::TestApp;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One request of a case.
pub enum Request {
    /// POST `body` to `path`, with `Content-Type: content_type` (none when `None`).
    Post {
        path: String,
        content_type: Option<&'static str>,
        body: Vec<u8>,
    },
    /// Another method on `path`, without a body.
    Method { method: &'static str, path: String },
    /// These exact bytes on a new connection (chunked bodies, lying lengths, smuggling).
    Raw(Vec<u8>),
}

impl Request {
    /// A POST of `body` to the default account as `application/json`.
    pub fn json(body: Vec<u8>) -> Self {
        Self::post("/webhooks/lever", body)
    }

    /// A POST of `body` to `path` as `application/json`.
    pub fn post(path: &str, body: Vec<u8>) -> Self {
        Self::Post {
            path: path.to_owned(),
            content_type: Some("application/json"),
            body,
        }
    }
}

/// What came back: the status, the `Allow` header, and the JSON body (`Null` if none).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub allow: Option<String>,
    pub body: Value,
}

/// Sends `request` to `app` and reads the answer.
pub async fn send(app: &TestApp, request: Request) -> Answer {
    match request {
        Request::Post {
            path,
            content_type,
            body,
        } => {
            let mut builder = app.http.post(format!("{}{path}", app.base)).body(body);
            if let Some(content_type) = content_type {
                builder = builder.header("content-type", content_type);
            }
            read(builder.send().await.expect("request reaches the app")).await
        }
        Request::Method { method, path } => {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
            let url = format!("{}{path}", app.base);
            read(
                app.http
                    .request(method, url)
                    .send()
                    .await
                    .expect("request reaches the app"),
            )
            .await
        }
        Request::Raw(bytes) => {
            let addr = app.base.trim_start_matches("http://").to_owned();
            tokio::task::spawn_blocking(move || raw(&addr, &bytes))
                .await
                .expect("raw client did not panic")
        }
    }
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        allow,
        body,
    }
}

/// Writes `bytes` (in pieces: the server may answer and stop reading before the end) and
/// reads one answer: its head, then as much body as `Content-Length` says.
fn raw(addr: &str, bytes: &[u8]) -> Answer {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    for piece in bytes.chunks(16 * 1024) {
        if conn.write_all(piece).is_err() {
            break;
        }
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    while !complete(&got) {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    parse(&got)
}

fn split_head(got: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = got.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some((&got[..end], &got[end + 4..]))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn complete(got: &[u8]) -> bool {
    let Some((head, body)) = split_head(got) else {
        return false;
    };
    let head = String::from_utf8_lossy(head);
    let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok());
    body.len() >= length.unwrap_or(0)
}

fn parse(got: &[u8]) -> Answer {
    let (head, body) = split_head(got).unwrap_or((got, &[]));
    let head = String::from_utf8_lossy(head);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer, got {:?}", head));
    // Only this answer's body: a lying request can be followed by a second answer.
    let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok());
    let body = &body[..length.unwrap_or(0).min(body.len())];
    Answer {
        status,
        allow: header(&head, "allow").map(str::to_owned),
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
    }
}
