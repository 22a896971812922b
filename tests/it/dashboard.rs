//! The dashboard in a real browser: headless Chromium, driven over WebDriver by
//! chromedriver, against the app running in this process with `[admin]` and a token.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`apt-get install chromium
//! chromium-driver`); without them the test says `skipped: …` and passes.
//! `LEVER_HOOKS_SCREENSHOT=1` also saves the dashboard, with its dead letter, to
//! `docs/dashboard.png`.

use crate::helpers;

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use helpers::*;
use hyper_util::client::legacy::connect::HttpConnector;
use lever_hooks::event::EventId;
use lever_hooks::sample::SampleEvent;
use lever_hooks::store::JobState;
use serde_json::json;
use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const TOKEN: &str = "dashboard-token-for-tests-0123";
/// How long the browser may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// chromedriver, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What is missing to run the browser, if anything.
fn missing_browser() -> Option<&'static str> {
    [CHROMEDRIVER, CHROMIUM]
        .into_iter()
        .find(|path| !Path::new(path).exists())
}

/// Starts chromedriver on a free port and opens a headless Chromium session with a fresh
/// profile in `profile`.
async fn open_browser(profile: &Path) -> (Driver, Client) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The flags keep Chromium off the network (this machine's is closed) and away from
    // any state of a previous run.
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,760",
                format!("--user-data-dir={}", profile.display()),
            ],
        }
    });
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session");
    (driver, client)
}

/// Polls `check` until it is true; errors (an element not there yet, a page reloading)
/// count as not yet.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, CmdError>>,
{
    let deadline = Instant::now() + PATIENCE;
    let mut last = String::from("never true");
    while Instant::now() < deadline {
        match check().await {
            Ok(true) => return,
            Ok(false) => last = "still false".into(),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what} ({last})");
}

/// Clicks a form's button and waits until the answer has replaced the page (the button
/// goes stale). Navigating away before then would cancel the POST.
async fn submit(button: Element, what: &str) {
    button.click().await.unwrap();
    until(&format!("{what}'s answer to replace the page"), || async {
        Ok(button.is_displayed().await.is_err())
    })
    .await;
}

/// Delivers `event` about `opportunity` and waits until its job is in `state`.
async fn deliver(app: &TestApp, event: &str, opportunity: &str, state: JobState) -> EventId {
    let mut sample = SampleEvent::new(event);
    sample.opportunity_id = opportunity.to_owned();
    let (status, answer) = app.deliver(delivery(&sample)).await;
    assert_eq!(status, 200, "{answer}");
    let id = event_id(&answer);
    eventually("the job to finish", Duration::from_secs(10), || async {
        let jobs = jobs_of(app, &id).await;
        !jobs.is_empty() && jobs.iter().all(|j| j.state == state)
    })
    .await;
    id
}

/// An operator signs in, sees the dead letter with its error, retries it after the cause
/// is fixed, sees it done, and reads both attempts (then a third after Replay).
#[tokio::test]
async fn an_operator_signs_in_retries_a_dead_letter_and_reads_its_attempts() {
    if let Some(missing) = missing_browser() {
        println!(
            "skipped: {missing} is not installed; the dashboard's browser test needs \
             Chromium and chromedriver: apt-get install chromium chromium-driver"
        );
        return;
    }
    let switch = Switch::default();
    let app = spawn_with_switch(TOKEN, &switch).await;
    let admin = app.admin.clone().expect("[admin] is configured");
    deliver(&app, "applicationCreated", "opp-ada", JobState::Done).await;
    deliver(&app, "candidateHired", "opp-grace", JobState::Done).await;
    switch.failing.store(true, Ordering::SeqCst);
    let id = deliver(&app, "candidateStageChange", "opp-linus", JobState::Dead).await;

    let profile = tempfile::tempdir().unwrap();
    let (_driver, browser) = open_browser(profile.path()).await;

    // A stranger is sent to the sign-in form; the token gets them to the deliveries.
    browser.goto(&format!("{admin}/")).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/login");
    let token = browser
        .find(Locator::Css("input[name=token]"))
        .await
        .unwrap();
    token.send_keys(TOKEN).await.unwrap();
    browser
        .find(Locator::Css("form.login button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until("the deliveries after signing in", || async {
        Ok(browser.current_url().await?.path() == "/"
            && browser.find(Locator::Id("failures")).await.is_ok())
    })
    .await;

    // The failures panel names the event and the handler's error.
    let failures = browser
        .find(Locator::Id("failures"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(failures.contains(id.as_str()), "{failures}");
    assert!(failures.contains("the provider said no"), "{failures}");
    let rows = browser
        .find_all(Locator::Css("#deliveries tbody tr[data-event]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "every delivery is listed");
    if std::env::var("LEVER_HOOKS_SCREENSHOT").as_deref() == Ok("1") {
        let png = browser.screenshot().await.unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dashboard.png");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png).unwrap();
        println!("saved {}", path.display());
    }

    // The cause is fixed; Retry runs the job again and the page comes to show it done.
    switch.failing.store(false, Ordering::SeqCst);
    let retry = browser
        .find(Locator::Css(&format!(
            "tr[data-job=\"{id}:switch\"] button"
        )))
        .await
        .unwrap();
    submit(retry, "Retry").await;
    let row = format!("#deliveries tr[data-event=\"{id}\"]");
    until("the retried event to show as done", || async {
        browser.goto(&format!("{admin}/")).await?;
        let status = browser
            .find(Locator::Css(&row))
            .await?
            .attr("data-status")
            .await?;
        Ok(status.as_deref() == Some("done"))
    })
    .await;
    assert!(
        browser.find(Locator::Id("failures")).await.is_err(),
        "no failures are left"
    );

    // The event's page shows both attempts: the one that gave up, and the retry.
    browser
        .find(Locator::Css(&format!("{row} a")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let event_path = format!("/events/{id}");
    until("the event page", || async {
        Ok(browser.current_url().await?.path() == event_path)
    })
    .await;
    let attempts = browser.find_all(Locator::Css("tr.attempt")).await.unwrap();
    assert_eq!(attempts.len(), 2);
    let first = attempts[0].text().await.unwrap();
    let second = attempts[1].text().await.unwrap();
    assert!(
        first.starts_with('1') && first.contains("give_up"),
        "{first}"
    );
    assert!(first.contains("the provider said no"), "{first}");
    assert!(
        second.starts_with('2') && second.contains("done"),
        "{second}"
    );

    // Replay runs it once more, and the page comes back to the event.
    let replay = browser
        .find(Locator::Css("form[action$=\"/replay\"] button"))
        .await
        .unwrap();
    submit(replay, "Replay").await;
    until("a third attempt after Replay", || async {
        browser.goto(&format!("{admin}{event_path}")).await?;
        Ok(browser.find_all(Locator::Css("tr.attempt")).await?.len() == 3)
    })
    .await;

    browser.close().await.unwrap();
    app.stop().await;
}
