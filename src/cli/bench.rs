//! `lever-hooks bench`: durable intake throughput and latency, measured in the same run
//! against a trivial actix-web endpoint (the framework's ceiling on this machine).
//!
//! Both servers run in this process on their own threads and runtime; the load generator
//! runs on the CLI's runtime. Every request body is built and signed before timing starts.

use crate::config::Config;
use crate::handler::HandlerRegistry;
use crate::sample::{random_token, signed_body, SampleEvent};
use crate::store::now_millis;
use crate::App;
use anyhow::{bail, Context};
use std::net::TcpListener;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SIGNING_TOKEN: &str = "bench-signing-token";

/// Arguments of `bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Deliveries in the closed-loop run (each target).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub requests: u64,
    /// Concurrent keep-alive connections in the closed-loop run.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub connections: u64,
    /// Deliveries per second in the paced run (0 skips it).
    #[arg(long, default_value_t = 1_000)]
    pub rate: u64,
    /// How long the paced run lasts.
    #[arg(long, default_value = "10s", value_parser = crate::config::duration::parse)]
    pub duration: Duration,
    /// HTTP worker threads of both servers (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Latency and throughput of one run.
#[derive(Debug, Clone)]
pub struct RunStats {
    /// Requests sent.
    pub sent: u64,
    /// Answers that were 200 (and, for lever-hooks, `accepted`).
    pub ok: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Every latency, sorted.
    pub latencies: Vec<Duration>,
}

impl RunStats {
    /// Completed requests per second.
    pub fn per_second(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `q` (0.0–1.0).
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies[index]
    }

    fn row(&self, name: &str) -> String {
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        format!(
            "  {name:<22} {:>10.0} {:>8} {:>8} {:>8} {:>8} {:>8}",
            self.per_second(),
            ms(self.quantile(0.50)),
            ms(self.quantile(0.99)),
            ms(self.quantile(0.999)),
            ms(self.latencies.last().copied().unwrap_or_default()),
            self.sent - self.ok,
        )
    }
}

/// The two servers under test, each on its own thread.
struct Servers {
    ours: String,
    ceiling: String,
    _store_dir: tempfile::TempDir,
}

fn start_servers(workers: usize) -> anyhow::Result<Servers> {
    let store_dir = tempfile::tempdir().context("creating a temporary store folder")?;
    let config_text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nworkers = {workers}\n[storage]\npath = \"{}\"\n[lever]\nsigning_tokens = {{ default = [\"{SIGNING_TOKEN}\"] }}\n",
        store_dir.path().join("data").display()
    );
    let config = Config::parse(&config_text, Path::new("."), &|_| None, &[])
        .map_err(|e| anyhow::anyhow!("bench config: {e}"))?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let app = match App::build(&config, HandlerRegistry::new()).await {
                Ok(app) => app,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let ours = format!("http://127.0.0.1:{}/webhooks/lever", app.port());
            let ceiling = match ceiling_server(workers) {
                Ok((url, server)) => {
                    tokio::spawn(server);
                    url
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = ready_tx.send(Ok((ours, ceiling)));
            let _ = app.run_until_stopped().await;
        });
    });
    let (ours, ceiling) = ready_rx
        .recv()
        .context("the bench servers did not start")?
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok(Servers {
        ours,
        ceiling,
        _store_dir: store_dir,
    })
}

/// An actix-web endpoint that reads the body and answers 200: the framework's ceiling.
fn ceiling_server(workers: usize) -> std::io::Result<(String, actix_web::dev::Server)> {
    use actix_web::{web, HttpResponse};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://127.0.0.1:{}/", listener.local_addr()?.port());
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().route(
            "/",
            web::post().to(|body: web::Bytes| async move {
                HttpResponse::Ok()
                    .json(serde_json::json!({"status": "accepted", "len": body.len()}))
            }),
        )
    })
    .listen(listener)?
    .workers(workers)
    .disable_signals()
    .run();
    Ok((url, server))
}

/// `count` distinct, signed deliveries of realistic stage changes.
pub fn bodies(count: u64) -> Vec<Vec<u8>> {
    let now = now_millis();
    (0..count)
        .map(|_| {
            let sample = SampleEvent::new("candidateStageChange");
            signed_body(
                SIGNING_TOKEN,
                &sample.event,
                &sample.data(now),
                now,
                &random_token(),
            )
        })
        .collect()
}

async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> bool {
    match client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(response) if response.status().as_u16() == 200 => response
            .text()
            .await
            .is_ok_and(|text| text.contains("\"accepted\"")),
        _ => false,
    }
}

/// Sends every body over `connections` concurrent keep-alive connections, as fast as answers come.
pub async fn closed_loop(url: &str, bodies: Vec<Vec<u8>>, connections: u64) -> RunStats {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections as usize)
        .build()
        .expect("HTTP client");
    let sent = bodies.len() as u64;
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, queue, url) = (client.clone(), queue.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut ok = 0u64;
            loop {
                let Some(body) = queue.lock().expect("queue lock").pop() else {
                    break;
                };
                let t = Instant::now();
                ok += u64::from(post(&client, &url, body).await);
                latencies.push(t.elapsed());
            }
            (ok, latencies)
        }));
    }
    let mut ok = 0;
    let mut latencies = Vec::with_capacity(sent as usize);
    for task in tasks {
        let (task_ok, task_latencies) = task.await.expect("load task");
        ok += task_ok;
        latencies.extend(task_latencies);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    RunStats {
        sent,
        ok,
        elapsed,
        latencies,
    }
}

/// Sends at a fixed `rate` for `duration` (open loop). Latency counts from each request's
/// scheduled time, not from when it was actually sent, so a stalled server cannot hide
/// its stall by slowing the sender down (no coordinated omission).
pub async fn paced(url: &str, rate: u64, duration: Duration) -> RunStats {
    let count = (rate as f64 * duration.as_secs_f64()).ceil() as u64;
    let bodies = bodies(count);
    let client = reqwest::Client::new();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count as usize);
    for (i, body) in bodies.into_iter().enumerate() {
        let scheduled = started + interval * i as u32;
        tokio::time::sleep_until(scheduled).await;
        let (client, url) = (client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let ok = post(&client, &url, body).await;
            (ok, scheduled.elapsed())
        }));
    }
    let mut ok = 0;
    let mut latencies = Vec::with_capacity(count as usize);
    for task in tasks {
        let (task_ok, latency) = task.await.expect("load task");
        ok += u64::from(task_ok);
        latencies.push(latency);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    RunStats {
        sent: count,
        ok,
        elapsed,
        latencies,
    }
}

fn header() -> String {
    format!(
        "  {:<22} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "target", "events/s", "p50 ms", "p99 ms", "p999 ms", "max ms", "errors"
    )
}

/// Runs `bench` and prints the report. Exits 1 when any delivery was not accepted.
pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = args.workers.unwrap_or(cores);
    let servers = start_servers(workers)?;
    println!("lever-hooks bench: {cores} cores; {workers} HTTP workers per server; client in the same process");
    // A short warm-up so connection setup is not measured.
    let _ = closed_loop(&servers.ceiling, bodies(200), args.connections).await;
    let _ = closed_loop(&servers.ours, bodies(200), args.connections).await;
    // The paced run goes first: it measures the steady state, not the background work
    // (dedupe indexing, routing) a closed-loop burst leaves behind.
    let mut errors = 0;
    if args.rate > 0 {
        let run = paced(&servers.ours, args.rate, args.duration).await;
        println!(
            "paced: {} events/s for {:?} against lever-hooks (open loop, latency from the scheduled send time)",
            args.rate, args.duration
        );
        println!("{}", header());
        println!("{}", run.row("lever-hooks (durable)"));
        println!(
            "  p99 {:.2} ms (target: under 10 ms)",
            run.quantile(0.99).as_secs_f64() * 1000.0
        );
        errors += run.sent - run.ok;
    }
    println!(
        "closed loop: {} distinct signed deliveries over {} connections, each target",
        args.requests, args.connections
    );
    let ceiling = closed_loop(&servers.ceiling, bodies(args.requests), args.connections).await;
    let ours = closed_loop(&servers.ours, bodies(args.requests), args.connections).await;
    println!("{}", header());
    println!("{}", ceiling.row("actix-web ceiling"));
    println!("{}", ours.row("lever-hooks (durable)"));
    println!(
        "  durable intake reaches {:.0}% of the ceiling (target: at least 50%)",
        100.0 * ours.per_second() / ceiling.per_second()
    );
    errors += ours.sent - ours.ok + ceiling.sent - ceiling.ok;
    if errors > 0 {
        bail!("{errors} deliveries were not answered 200 accepted");
    }
    Ok(ExitCode::SUCCESS)
}
