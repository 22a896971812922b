//! Helpers for tests that run the real `lever-hooks` binary: ports, waiting for it to
//! listen, and distinct signed deliveries.

use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `lever-hooks serve --config config`, quietly.
pub fn start(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

/// Waits until something accepts connections on `port` (10 s at most).
pub async fn wait_listening(port: u16) {
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("lever-hooks never listened on {port}");
}

/// `count` distinct stage changes signed with `token`, built by `sample` from a fresh
/// [`SampleEvent`].
pub fn signed_bodies(
    token: &str,
    count: usize,
    mut sample: impl FnMut(usize, &mut SampleEvent),
) -> Vec<Vec<u8>> {
    let now = lever_hooks::store::now_millis();
    (0..count)
        .map(|i| {
            let mut event = SampleEvent::new("candidateStageChange");
            sample(i, &mut event);
            signed_body(token, &event.event, &event.data(now), now, &random_token())
        })
        .collect()
}

/// Writes an executable shell script.
pub fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
