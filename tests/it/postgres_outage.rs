//! PostgreSQL going away under a running lever-hooks: the app reaches the database through
//! a TCP proxy that the test switches off (every open connection dropped, new ones
//! refused) and on again, or that lets one connection go silent mid-call (no answer and
//! no reset, as in a network partition). Intake answers 503 within the store's deadlines
//! and stores nothing it did not answer 200 for; afterwards intake and the dispatcher
//! resume without a restart, and every delivery answered 200 is stored exactly once.
//!
//! Needs `LEVER_HOOKS_TEST_DATABASE_URL` (see README "PostgreSQL"); skipped without it.

use crate::contract::pg;
use crate::helpers;

use helpers::{
    delivery, event_id, eventually, now, spawn_app_on, Recorded, Recorder, Script, TestApp,
    SIGNING_TOKEN,
};
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::store::postgres::parse_url;
use lever_hooks::store::PostgresStore;
use sqlx::postgres::PgSslMode;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The pool's acquire timeout (`ACQUIRE_TIMEOUT` in `src/store/postgres.rs`): the longest
/// a caller should wait for a connection before the store gives up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// The store's deadline for one call (`CALL_TIMEOUT` in `src/store/postgres.rs`): the
/// longest a call on a connection gone silent may wait.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Slack on top of those timeouts for a request's whole round trip.
const SLACK: Duration = Duration::from_secs(2);

/// Bytes that, when a client sends them, make its connection go silent (see
/// [`Proxy::go_silent_on`]); taken when they spring.
type Trap = Arc<Mutex<Option<Vec<u8>>>>;

/// A TCP proxy in front of PostgreSQL that can be switched off and on.
struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
    trap: Trap,
}

impl Proxy {
    /// Starts forwarding a port of its own to `target`.
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, state) = watch::channel(true);
        let trap = Trap::default();
        tokio::spawn(serve(listener, port, target, state, trap.clone()));
        Self { port, up, trap }
    }

    /// The next connection whose client sends `marker` goes silent: those bytes and
    /// everything after are not forwarded, and neither side is closed.
    fn go_silent_on(&self, marker: &[u8]) {
        *self.trap.lock().unwrap() = Some(marker.to_vec());
    }

    /// Whether a connection went silent since [`go_silent_on`](Self::go_silent_on).
    fn went_silent(&self) -> bool {
        self.trap.lock().unwrap().is_none()
    }

    /// Drops every open connection and refuses new ones (the port is closed).
    fn down(&self) {
        self.up.send_replace(false);
    }

    /// Listens and forwards again, on the same port.
    fn up(&self) {
        self.up.send_replace(true);
    }
}

/// Accepts and forwards while up; while down, the listener is closed.
async fn serve(
    mut listener: TcpListener,
    port: u16,
    target: SocketAddr,
    mut state: watch::Receiver<bool>,
    trap: Trap,
) {
    let forwarders = state.clone();
    loop {
        let went_down = tokio::select! {
            accepted = listener.accept() => {
                if let Ok((client, _)) = accepted {
                    tokio::spawn(forward(client, target, forwarders.clone(), trap.clone()));
                }
                false
            }
            changed = async { state.wait_for(|up| !*up).await.is_ok() } => {
                if !changed {
                    return;
                }
                true
            }
        };
        if went_down {
            drop(listener);
            if state.wait_for(|up| *up).await.is_err() {
                return;
            }
            listener = rebind(port).await;
        }
    }
}

/// Binds `port` again; it was ours a moment ago, so only a short wait is tolerated.
async fn rebind(port: u16) -> TcpListener {
    for _ in 0..100 {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the proxy could not listen on {port} again");
}

/// Copies both ways until either side closes or the proxy goes down, then drops both; a
/// client chunk holding the trap's bytes stops the copying but keeps both sockets open.
async fn forward(
    client: TcpStream,
    target: SocketAddr,
    mut state: watch::Receiver<bool>,
    trap: Trap,
) {
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let upstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from_client.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if springs(&trap, &buf[..n]) {
                std::future::pending::<()>().await;
            }
            if to_server.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = upstream => {}
        _ = tokio::io::copy(&mut from_server, &mut to_client) => {}
        _ = async { state.wait_for(|up| !*up).await.is_ok() } => {}
    }
}

/// Whether `chunk` holds the trap's bytes; takes them if so.
fn springs(trap: &Trap, chunk: &[u8]) -> bool {
    let mut trap = trap.lock().unwrap();
    let hit = trap
        .as_deref()
        .is_some_and(|marker| chunk.windows(marker.len()).any(|w| w == marker));
    if hit {
        *trap = None;
    }
    hit
}

/// A delivery, its answer's status and how long the answer took.
struct Answer {
    status: u16,
    body: serde_json::Value,
    took: Duration,
}

/// POSTs `body` and times the answer; fails rather than waiting past `ACQUIRE_TIMEOUT`
/// plus [`SLACK`] (Lever gives up on a hanging request and retries).
async fn timed_delivery(app: &TestApp, body: Vec<u8>) -> Answer {
    delivery_within(app, body, ACQUIRE_TIMEOUT + SLACK).await
}

/// POSTs `body` and times the answer; fails rather than waiting past `limit`.
async fn delivery_within(app: &TestApp, body: Vec<u8>, limit: Duration) -> Answer {
    let started = Instant::now();
    let (status, body) = tokio::time::timeout(limit, app.deliver(body))
        .await
        .unwrap_or_else(|_| panic!("a delivery is answered within {limit:?}"));
    Answer {
        status,
        body,
        took: started.elapsed(),
    }
}

/// `/readyz` on the admin listener: its status and how long it took.
async fn readyz(app: &TestApp) -> (u16, Duration) {
    let admin = app.admin.as_ref().expect("the config has [admin]");
    let started = Instant::now();
    let response = tokio::time::timeout(
        ACQUIRE_TIMEOUT + SLACK,
        app.http.get(format!("{admin}/readyz")).send(),
    )
    .await
    .expect("/readyz answers within the acquire timeout")
    .expect("/readyz reachable");
    (response.status().as_u16(), started.elapsed())
}

/// The ids of the events stored in the test's schema, read past the proxy.
async fn stored_ids(db: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM events ORDER BY seq")
        .fetch_all(db)
        .await
        .unwrap()
}

const CONFIG: &str = r#"
[admin]
listen = "127.0.0.1:0"

[dispatch]
lease = "1s"

[[routes]]
events = ["*"]
handler = "record"
"#;

/// The app on a fresh schema, reached through a [`Proxy`]; the test reads the schema
/// directly through `db`.
struct Outage {
    proxy: Proxy,
    app: TestApp,
    db: sqlx::PgPool,
    seen: Recorded,
    /// The app's own pool, to see which of its connections are in use.
    pool: sqlx::PgPool,
}

impl Outage {
    /// Starts it all, or says why the test is skipped.
    async fn start() -> Option<Self> {
        let Some(url) = pg::url() else {
            eprintln!("{}", pg::SKIPPED);
            return None;
        };
        let schema = pg::fresh_schema(&url).await;
        let direct = pg::url_in_schema(&url, &schema);
        let options = parse_url(&direct).unwrap();
        let target = tokio::net::lookup_host((options.get_host(), options.get_port()))
            .await
            .unwrap()
            .next()
            .expect("the test database's address");
        let proxy = Proxy::start(target).await;
        // Plain TCP, so the proxy can see what a connection sends (see `go_silent_on`).
        let through_proxy = options
            .host("127.0.0.1")
            .port(proxy.port)
            .ssl_mode(PgSslMode::Disable);
        let store = PostgresStore::connect_with(through_proxy, pg::TEST_POOL)
            .await
            .expect("the store connects through the proxy");
        let pool = store.pool_handle().clone();
        let db = sqlx::PgPool::connect(&direct).await.unwrap();
        let (recorder, seen) = Recorder::new(Script::Succeed);
        let app = spawn_app_on(
            CONFIG,
            HandlerRegistry::new().register("record", recorder),
            Arc::new(store),
        )
        .await;
        Some(Self {
            proxy,
            app,
            db,
            seen,
            pool,
        })
    }

    /// The ids of the stored events, read past the proxy.
    async fn stored_ids(&self) -> BTreeSet<String> {
        stored_ids(&self.db).await.into_iter().collect()
    }
}

/// The database goes away while the service runs: 503s of bounded length and nothing
/// stored meanwhile; afterwards intake and dispatch resume without a restart, resent
/// deliveries are accepted once, and every 200 is in the store exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_answers_503_while_postgres_is_away_and_resumes_when_it_is_back() {
    let Some(Outage {
        proxy,
        app,
        db,
        mut seen,
        ..
    }) = Outage::start().await
    else {
        return;
    };
    let mut accepted = BTreeSet::new();

    // Up: deliveries are accepted, their jobs run, and the service is ready.
    for _ in 0..3 {
        let answer = timed_delivery(&app, delivery(&SampleEvent::new("candidateHired"))).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["status"], "accepted");
        accepted.insert(event_id(&answer.body).to_string());
    }
    let mut handled = BTreeSet::new();
    while handled.len() < accepted.len() {
        handled.insert(seen.next(Duration::from_secs(5)).await.id.to_string());
    }
    assert_eq!(handled, accepted, "every job before the outage ran");
    assert_eq!(readyz(&app).await.0, 200, "ready while the database is up");

    // Down: every delivery is refused with 503 within the acquire timeout, and so is
    // readiness; nothing reaches the store.
    proxy.down();
    let outage = Instant::now();
    let bodies: Vec<Vec<u8>> = (0..3)
        .map(|_| delivery(&SampleEvent::new("candidateHired")))
        .collect();
    let (answers, ready) = tokio::join!(
        futures_util::future::join_all(bodies.iter().map(|b| timed_delivery(&app, b.clone()))),
        readyz(&app),
    );
    for answer in &answers {
        assert_eq!(answer.status, 503, "during the outage: {}", answer.body);
    }
    assert_eq!(ready.0, 503, "/readyz during the outage");
    let first = answers.iter().map(|a| a.took).min().unwrap();
    let longest = answers.iter().map(|a| a.took).max().unwrap().max(ready.1);
    eprintln!(
        "outage: first 503 after {first:?}, longest answer {longest:?}, /readyz {:?}",
        ready.1
    );
    assert_eq!(
        stored_ids(&db).await.into_iter().collect::<BTreeSet<_>>(),
        accepted,
        "nothing answered 503 was stored"
    );

    // Back up: Lever resends what got 503; it is accepted (not a duplicate), without a
    // restart of the app.
    proxy.up();
    let back = Instant::now();
    let mut recovered = None;
    for attempt in 0..20 {
        let answer = timed_delivery(&app, bodies[0].clone()).await;
        if answer.status == 200 {
            recovered = Some(answer);
            break;
        }
        assert_eq!(answer.status, 503, "attempt {attempt}: {}", answer.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = recovered.expect("intake resumed within 20 resends");
    eprintln!(
        "recovery: first 200 {:?} after the proxy was up (outage lasted {:?})",
        back.elapsed(),
        back - outage
    );
    let mut after = vec![recovered];
    for body in &bodies[1..] {
        after.push(timed_delivery(&app, body.clone()).await);
    }
    after.push(timed_delivery(&app, delivery(&SampleEvent::new("candidateHired"))).await);
    for answer in &after {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["status"], "accepted", "{}", answer.body);
        assert!(
            accepted.insert(event_id(&answer.body).to_string()),
            "a new id for each delivery"
        );
    }
    // A resend of something already answered 200 is a duplicate of the same event.
    let again = timed_delivery(&app, bodies[0].clone()).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["status"], "duplicate");
    assert_eq!(again.body["id"], after[0].body["id"]);

    // The dispatcher resumed: every job of an event accepted after the outage runs to done.
    let mut handled_after = BTreeSet::new();
    for _ in 0..after.len() {
        handled_after.insert(seen.next(Duration::from_secs(10)).await.id.to_string());
    }
    let accepted_after: BTreeSet<String> = after
        .iter()
        .map(|a| event_id(&a.body).to_string())
        .collect();
    assert_eq!(
        handled_after, accepted_after,
        "the jobs after the outage ran"
    );
    eventually("every job is done", Duration::from_secs(10), || async {
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state <> 'done'")
            .fetch_one(&db)
            .await
            .unwrap();
        pending == 0
    })
    .await;
    let (ready, _) = readyz(&app).await;
    assert_eq!(ready, 200, "ready again once the database is back");

    // Every delivery answered 200 is stored, each exactly once.
    let stored = stored_ids(&db).await;
    assert_eq!(
        stored.len(),
        accepted.len(),
        "one event per accepted delivery"
    );
    assert_eq!(stored.into_iter().collect::<BTreeSet<_>>(), accepted);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(jobs as usize, accepted.len(), "one job per event");
    app.stop().await;
    db.close().await;
}

/// One connection's network path goes silent in the middle of a delivery's insert (no
/// answer and no reset, as in a partition): that delivery gets 503 within the store's call
/// timeout instead of waiting for the kernel to give up, Lever's resend is accepted once,
/// and intake and dispatch carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_whose_connection_goes_silent_gets_503_within_the_call_timeout() {
    let Some(mut outage) = Outage::start().await else {
        return;
    };
    let sample = SampleEvent::new("candidateHired");
    let token = random_token();
    let body = signed_body(
        SIGNING_TOKEN,
        &sample.event,
        &sample.data(now()),
        now(),
        &token,
    );

    // The insert carries the delivery's token: the connection goes silent as it is sent.
    outage.proxy.go_silent_on(token.as_bytes());
    let silent = delivery_within(&outage.app, body.clone(), CALL_TIMEOUT + SLACK).await;
    assert!(
        outage.proxy.went_silent(),
        "the insert went through the trap"
    );
    assert_eq!(silent.status, 503, "{}", silent.body);
    eprintln!("silent connection: 503 after {:?}", silent.took);
    // Its connection is closed, not kept waiting for an answer in a pool slot.
    eventually(
        "no connection of the pool stays in use",
        Duration::from_secs(5),
        || async { outage.pool.size() as usize == outage.pool.num_idle() },
    )
    .await;

    let resent = timed_delivery(&outage.app, body).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    assert_eq!(
        resent.body["status"], "accepted",
        "the silent insert never landed"
    );
    let id = event_id(&resent.body).to_string();
    assert_eq!(
        outage
            .seen
            .next(Duration::from_secs(5))
            .await
            .id
            .to_string(),
        id
    );
    assert_eq!(outage.stored_ids().await, BTreeSet::from([id]));
    outage.app.stop().await;
    outage.db.close().await;
}
