//! HTTPS without a proxy: the real app with `[server.tls]`, a self-signed certificate made
//! by the test, and a client that trusts only that certificate.

use crate::helpers;

use helpers::{spawn_app_with_config, TestApp};
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::store::{SledStore, Store};
use lever_hooks::{Config, HandlerRegistry};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

const SIGNING_TOKEN: &str = "tls-signing-token";

/// A folder with a fresh self-signed certificate for `localhost` (`cert.pem`, `key.pem`)
/// and a config file (`lever-hooks.toml`) that names them relative to itself.
struct Setup {
    dir: tempfile::TempDir,
    cert_pem: String,
}

impl Setup {
    fn new() -> Self {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("rcgen makes a certificate");
        let dir = tempfile::tempdir().unwrap();
        let cert_pem = generated.cert.pem();
        std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(
            dir.path().join("key.pem"),
            generated.signing_key.serialize_pem(),
        )
        .unwrap();
        let config = format!(
            r#"
[server]
listen = "127.0.0.1:0"
workers = 1
shutdown_grace = "2s"
client_timeout = "1s"

[server.tls]
cert = "cert.pem"
key = "key.pem"

[lever]
signing_tokens = {{ default = ["{SIGNING_TOKEN}"] }}
"#
        );
        std::fs::write(dir.path().join("lever-hooks.toml"), config).unwrap();
        Self { dir, cert_pem }
    }

    fn config_path(&self) -> std::path::PathBuf {
        self.dir.path().join("lever-hooks.toml")
    }

    /// Replaces `key.pem` with the key of another certificate.
    fn swap_in_a_foreign_key(&self) {
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        std::fs::write(
            self.dir.path().join("key.pem"),
            other.signing_key.serialize_pem(),
        )
        .unwrap();
    }
}

async fn spawn(setup: &Setup) -> TestApp {
    let config = Config::load(&setup.config_path(), &HandlerRegistry::new())
        .unwrap_or_else(|e| panic!("{e}"));
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("temporary store"));
    spawn_app_with_config(&config, HandlerRegistry::new(), store).await
}

fn delivery() -> Vec<u8> {
    let now = lever_hooks::store::now_millis();
    let sample = SampleEvent::new("candidateStageChange");
    signed_body(
        SIGNING_TOKEN,
        &sample.event,
        &sample.data(now),
        now,
        &random_token(),
    )
}

/// A client that trusts the test's certificate and finds `localhost` at the app.
fn trusting_client(setup: &Setup, addr: SocketAddr) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(setup.cert_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(cert)
        .resolve("localhost", addr)
        .build()
        .unwrap()
}

/// A signed delivery over HTTPS is accepted like one over plain HTTP.
#[tokio::test]
async fn a_signed_delivery_over_https_is_accepted() {
    let setup = Setup::new();
    let app = spawn(&setup).await;
    let client = trusting_client(&setup, app.addr());

    let response = client
        .post(format!(
            "https://localhost:{}/webhooks/lever",
            app.addr().port()
        ))
        .header("content-type", "application/json")
        .body(delivery())
        .send()
        .await
        .expect("the TLS handshake succeeds with the test's certificate");

    assert_eq!(response.status().as_u16(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["status"], "accepted", "{answer}");
    app.stop().await;
}

/// With `[server.tls]` the port speaks HTTPS only: plain HTTP gets no answer.
#[tokio::test]
async fn plain_http_to_the_https_port_fails() {
    let setup = Setup::new();
    let app = spawn(&setup).await;

    let plain = reqwest::Client::new()
        .post(format!("http://{}/webhooks/lever", app.addr()))
        .header("content-type", "application/json")
        .body(delivery())
        .send()
        .await;

    let error = plain.expect_err("plain HTTP got an answer");
    // Connected, then refused: the port is up and answers only TLS.
    assert!(!error.is_connect(), "the port was not listening: {error:?}");
    app.stop().await;
}

/// A client that does not trust the certificate cannot deliver (the server really
/// presents the configured certificate, not something any client would accept).
#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused_by_its_own_check() {
    let setup = Setup::new();
    let app = spawn(&setup).await;
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", app.addr())
        .build()
        .unwrap();

    let result = untrusting
        .post(format!(
            "https://localhost:{}/webhooks/lever",
            app.addr().port()
        ))
        .body(delivery())
        .send()
        .await;

    let error = result.expect_err("a client without the certificate delivered");
    // Refused by the certificate check, not by anything else (a closed port, plain HTTP).
    let chain = format!("{error:?}");
    assert!(chain.contains("UnknownIssuer"), "{chain}");
    app.stop().await;
}

/// A connection that never starts its TLS handshake is closed at `client_timeout`.
#[tokio::test]
async fn a_connection_that_never_starts_the_handshake_is_closed_at_the_client_timeout() {
    let setup = Setup::new();
    let app = spawn(&setup).await;

    let started = Instant::now();
    let mut idle = TcpStream::connect(app.addr()).await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_millis(2500), idle.read(&mut buf)).await;

    let closed_after = started.elapsed();
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "still open after {closed_after:?}: {read:?}"
    );
    println!("idle TLS connection closed after {closed_after:?} (client_timeout 1s)");
    app.stop().await;
}

/// `check-config` names an unusable certificate or key by its key path and exits 1.
#[test]
fn check_config_reports_tls_problems_with_their_key_paths() {
    let setup = Setup::new();
    let ok = check_config(&setup.config_path());
    assert!(ok.status.success(), "{}", text(&ok));

    setup.swap_in_a_foreign_key();
    let mismatch = check_config(&setup.config_path());
    assert_eq!(mismatch.status.code(), Some(1), "{}", text(&mismatch));
    assert!(
        text(&mismatch).contains("server.tls.key: does not belong to the certificate"),
        "{}",
        text(&mismatch)
    );

    std::fs::remove_file(setup.dir.path().join("cert.pem")).unwrap();
    std::fs::write(setup.dir.path().join("key.pem"), "not a key").unwrap();
    let broken = check_config(&setup.config_path());
    let output = text(&broken);
    println!("{output}");
    assert_eq!(broken.status.code(), Some(1), "{output}");
    assert!(output.contains("server.tls.cert: cannot read"), "{output}");
    assert!(output.contains("server.tls.key: "), "{output}");
}

fn check_config(path: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["check-config", "--config"])
        .arg(path)
        .output()
        .expect("the binary runs")
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
