//! `lever-hooks bench`: durable intake throughput and latency, measured in the same run
//! against a trivial actix-web endpoint (the framework's ceiling on this machine).
//!
//! Both servers run in this process on their own threads and runtime; the load generator
//! runs on the CLI's runtime. Every request body is built and signed before timing starts.
//!
//! With `--database-url`, lever-hooks stores into PostgreSQL (a schema of its own, dropped
//! afterwards) instead of a temporary sled folder, and `--instances 2` starts two
//! instances on that one database, with the load spread over both as a load balancer
//! would.

use crate::sample::{random_token, signed_body, SampleEvent};
use crate::store::now_millis;
use anyhow::{bail, Context};
use server_cpu::ServerCpu;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod server_cpu;
mod servers;

use servers::{start_servers, BenchSchema, Storage};

const SIGNING_TOKEN: &str = "bench-signing-token";

/// Arguments of `bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Deliveries in the closed-loop run (each target).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub requests: u64,
    /// Concurrent keep-alive connections in the closed-loop runs, one run per number
    /// (comma-separated). Durable intake answers only after a sync, so it needs more
    /// deliveries in flight than the ceiling before its throughput stops growing; the
    /// verdict compares each target's best median.
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = [32, 128, 256],
        value_parser = clap::value_parser!(u64).range(1..=4096)
    )]
    pub connections: Vec<u64>,
    /// Closed-loop runs of each target at each number of connections, alternating
    /// between the two; medians are compared, so one lucky or unlucky moment of a
    /// shared machine does not decide the verdict.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub repeat: u64,
    /// Deliveries per second in the paced run (0 skips it).
    #[arg(long, default_value_t = 1_000)]
    pub rate: u64,
    /// How long the paced run lasts.
    #[arg(long, default_value = "10s", value_parser = crate::duration::parse)]
    pub duration: Duration,
    /// HTTP worker threads of both servers (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Store into this PostgreSQL database (in a temporary schema) instead of sled.
    #[arg(long, env = "LEVER_HOOKS_BENCH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// lever-hooks instances sharing the database, each with its own pool, the load
    /// spread evenly (needs --database-url above 1).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=8))]
    pub instances: u64,
    /// Connections per instance to PostgreSQL.
    #[arg(long, default_value_t = crate::store::postgres::DEFAULT_POOL_SIZE)]
    pub pool_size: u32,
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
    /// CPU the servers used during the run (and the moment after it, for work an
    /// answer leaves behind), where the platform tells.
    pub server_cpu: Option<Duration>,
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

    /// Server CPU per delivery, where the platform tells.
    pub fn cpu_per_delivery(&self) -> Option<Duration> {
        Some(self.server_cpu? / self.sent.max(1) as u32)
    }

    fn row(&self, name: &str) -> String {
        let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        let cpu = self.cpu_per_delivery().map_or_else(
            || "-".to_owned(),
            |d| format!("{:.0}", d.as_secs_f64() * 1e6),
        );
        format!(
            "  {name:<25} {:>10.0} {:>8} {:>8} {:>8} {:>8} {:>8} {cpu:>10}",
            self.per_second(),
            ms(self.quantile(0.50)),
            ms(self.quantile(0.99)),
            ms(self.quantile(0.999)),
            ms(self.latencies.last().copied().unwrap_or_default()),
            self.sent - self.ok,
        )
    }
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

/// How long after a run's last answer its server CPU is still counted: the router
/// takes up the last deliveries just after they were answered.
const SETTLE: Duration = Duration::from_millis(250);

/// Runs `load` and records the CPU the servers spent on it (see [`ServerCpu`]).
async fn with_server_cpu(load: impl std::future::Future<Output = RunStats>) -> RunStats {
    let before = ServerCpu::read();
    let mut run = load.await;
    tokio::time::sleep(SETTLE).await;
    run.server_cpu = before
        .zip(ServerCpu::read())
        .map(|(before, after)| after.since(&before));
    run
}

/// Sends every body over `connections` concurrent keep-alive connections, as fast as
/// answers come; connection `i` talks to `urls[i % urls.len()]`.
pub async fn closed_loop(urls: &[String], bodies: Vec<Vec<u8>>, connections: u64) -> RunStats {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections as usize)
        .build()
        .expect("HTTP client");
    let sent = bodies.len() as u64;
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..connections as usize {
        let (client, queue, url) = (client.clone(), queue.clone(), urls[i % urls.len()].clone());
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
        server_cpu: None,
    }
}

/// Sends at a fixed `rate` for `duration` (open loop). Latency counts from each request's
/// scheduled time, not from when it was actually sent, so a stalled server cannot hide
/// its stall by slowing the sender down (no coordinated omission). Request `i` goes to
/// `urls[i % urls.len()]`.
pub async fn paced(urls: &[String], rate: u64, duration: Duration) -> RunStats {
    let count = (rate as f64 * duration.as_secs_f64()).ceil() as u64;
    let bodies = bodies(count);
    let client = reqwest::Client::new();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count as usize);
    for (i, body) in bodies.into_iter().enumerate() {
        let scheduled = started + interval * i as u32;
        tokio::time::sleep_until(scheduled).await;
        let (client, url) = (client.clone(), urls[i % urls.len()].clone());
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
        server_cpu: None,
    }
}

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

fn header() -> String {
    format!(
        "  {:<25} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "target", "events/s", "p50 ms", "p99 ms", "p999 ms", "max ms", "errors", "server µs"
    )
}

/// Runs `bench` and prints the report. Exits 1 when any delivery was not accepted.
pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = args.workers.unwrap_or(cores);
    if args.instances > 1 && args.database_url.is_none() {
        bail!("--instances above 1 needs --database-url: sled allows one process per store");
    }
    let schema = match &args.database_url {
        Some(url) => Some(BenchSchema::create(url).await?),
        None => None,
    };
    let storage = match &schema {
        Some(schema) => Storage::Postgres {
            url: schema.url.clone(),
            pool_size: args.pool_size,
        },
        None => Storage::Sled,
    };
    let result = measure(&args, workers, cores, &storage).await;
    if let Some(schema) = schema {
        schema.drop().await;
    }
    result
}

async fn measure(
    args: &BenchArgs,
    workers: usize,
    cores: usize,
    storage: &Storage,
) -> anyhow::Result<ExitCode> {
    let servers = start_servers(workers, args.instances, storage)?;
    let stored_in = match storage {
        Storage::Sled => "sled".to_owned(),
        Storage::Postgres { pool_size, .. } => format!(
            "PostgreSQL, {} instance{} with {pool_size} connections each",
            args.instances,
            if args.instances == 1 { "" } else { "s" }
        ),
    };
    println!("lever-hooks bench: {cores} cores; {workers} HTTP workers per server; storage: {stored_in}; client in the same process");
    let ceiling_url = std::slice::from_ref(&servers.ceiling);
    // A short warm-up so connection setup is not measured.
    let warm_up = args.connections.iter().copied().max().unwrap_or(1);
    let _ = closed_loop(ceiling_url, bodies(200), warm_up).await;
    let _ = closed_loop(&servers.ours, bodies(200), warm_up).await;
    // The paced run goes first: it measures the steady state, not the background work
    // (dedupe indexing, routing) a closed-loop burst leaves behind.
    let mut errors = 0;
    if args.rate > 0 {
        let run = with_server_cpu(paced(&servers.ours, args.rate, args.duration)).await;
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
    let (mut best_ceiling, mut best_ours) = (0.0f64, 0.0f64);
    for &connections in &args.connections {
        println!(
            "closed loop: {} distinct signed deliveries over {connections} connections, each target, {} time{} in turn",
            args.requests,
            args.repeat,
            if args.repeat == 1 { "" } else { "s" }
        );
        println!("{}", header());
        let (mut ceiling_rates, mut our_rates) = (Vec::new(), Vec::new());
        for round in 1..=args.repeat {
            let ceiling =
                with_server_cpu(closed_loop(ceiling_url, bodies(args.requests), connections)).await;
            let ours = with_server_cpu(closed_loop(
                &servers.ours,
                bodies(args.requests),
                connections,
            ))
            .await;
            println!("{}", ceiling.row(&format!("actix-web ceiling #{round}")));
            println!("{}", ours.row(&format!("lever-hooks (durable) #{round}")));
            ceiling_rates.push(ceiling.per_second());
            our_rates.push(ours.per_second());
            errors += ours.sent - ours.ok + ceiling.sent - ceiling.ok;
        }
        let (ceiling, ours) = (median(&mut ceiling_rates), median(&mut our_rates));
        println!(
            "  at {connections} connections, medians: ceiling {ceiling:.0}, durable intake {ours:.0} events/s, {:.0}% of the ceiling",
            100.0 * ours / ceiling
        );
        best_ceiling = best_ceiling.max(ceiling);
        best_ours = best_ours.max(ours);
    }
    println!(
        "durable intake at its best, {best_ours:.0} events/s, reaches {:.0}% of the ceiling at its best, {best_ceiling:.0} events/s (medians; target: at least 50%)",
        100.0 * best_ours / best_ceiling
    );
    tokio::task::spawn_blocking(move || servers.stop())
        .await
        .context("stopping the bench servers")?;
    if errors > 0 {
        bail!("{errors} deliveries were not answered 200 accepted");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_run_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut [30.0, 10.0, 20.0]), 20.0);
        assert_eq!(median(&mut [40.0, 10.0, 30.0, 20.0]), 25.0);
        assert_eq!(median(&mut [7.0]), 7.0);
        assert_eq!(median(&mut []), 0.0);
    }
}
