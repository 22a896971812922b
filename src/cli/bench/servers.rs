//! The servers a bench run measures: lever-hooks instances (on sled or in the bench's own
//! PostgreSQL schema) and the trivial actix-web ceiling, each on its own thread and runtime.

use super::SIGNING_TOKEN;
use crate::config::Config;
use crate::handler::HandlerRegistry;
use crate::App;
use anyhow::Context;
use std::net::TcpListener;
use std::path::Path;

/// The servers under test (lever-hooks instances and the ceiling), each on its own thread.
pub(super) struct Servers {
    pub(super) ours: Vec<String>,
    pub(super) ceiling: String,
    running: Vec<Running>,
    _store_dir: tempfile::TempDir,
}

/// A lever-hooks instance's thread and the handle that stops it.
pub(super) struct Running {
    stopper: crate::app::Stopper,
    thread: std::thread::JoinHandle<()>,
}

impl Servers {
    /// Stops every instance and waits for it (before the bench schema is dropped).
    pub(super) fn stop(self) {
        for running in &self.running {
            running.stopper.stop();
        }
        for running in self.running {
            let _ = running.thread.join();
        }
    }
}

/// Where the instances store: a sled folder, or a PostgreSQL URL (already in the bench's
/// own schema) and pool size.
pub(super) enum Storage {
    Sled,
    Postgres { url: String, pool_size: u32 },
}

pub(super) fn start_servers(
    workers: usize,
    instances: u64,
    storage: &Storage,
) -> anyhow::Result<Servers> {
    let store_dir = tempfile::tempdir().context("creating a temporary store folder")?;
    let storage_section = match storage {
        Storage::Sled => format!("path = \"{}\"", store_dir.path().join("data").display()),
        Storage::Postgres { url, pool_size } => {
            format!("url = \"{url}\"\npool_size = {pool_size}")
        }
    };
    let config_text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nworkers = {workers}\n[storage]\n{storage_section}\n[lever]\nsigning_tokens = {{ default = [\"{SIGNING_TOKEN}\"] }}\n",
    );
    let config = Config::parse(
        &config_text,
        Path::new("."),
        &|_| None,
        &HandlerRegistry::new(),
    )
    .map_err(|e| anyhow::anyhow!("bench config: {e}"))?;
    let mut ours = Vec::new();
    let mut running = Vec::new();
    for _ in 1..instances {
        let (url, instance) = start_instance(config.clone())?;
        ours.push(url);
        running.push(instance);
    }
    let ((first, ceiling), instance) = start_with_ceiling(config, workers)?;
    ours.insert(0, first);
    running.push(instance);
    Ok(Servers {
        ours,
        ceiling,
        running,
        _store_dir: store_dir,
    })
}

/// The runtime each bench instance's thread serves on.
fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(super::server_cpu::SERVER_RUNTIME_THREAD)
        .enable_all()
        .build()
        .expect("server runtime")
}

/// One more lever-hooks instance on its own thread; its intake URL.
fn start_instance(config: Config) -> anyhow::Result<(String, Running)> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = server_runtime();
        runtime.block_on(async move {
            match App::build(&config, HandlerRegistry::new()).await {
                Ok(app) => {
                    let url = format!("http://127.0.0.1:{}/webhooks/lever", app.port());
                    let _ = ready_tx.send(Ok((url, app.stopper())));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                }
            }
        });
    });
    let (url, stopper) = ready_rx
        .recv()
        .context("a bench instance did not start")?
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok((url, Running { stopper, thread }))
}

/// The first lever-hooks instance and the ceiling server, on one thread.
fn start_with_ceiling(
    config: Config,
    workers: usize,
) -> anyhow::Result<((String, String), Running)> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = server_runtime();
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
            let _ = ready_tx.send(Ok(((ours, ceiling), app.stopper())));
            let _ = app.run_until_stopped().await;
        });
    });
    let (urls, stopper) = ready_rx
        .recv()
        .context("the bench servers did not start")?
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok((urls, Running { stopper, thread }))
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

/// The bench's own schema in the database, so its rows never mix with anything else's.
pub(super) struct BenchSchema {
    admin: sqlx::PgPool,
    name: String,
    /// The URL with `search_path` set to the schema.
    pub(super) url: String,
}

impl BenchSchema {
    pub(super) async fn create(url: &str) -> anyhow::Result<Self> {
        let options = crate::store::postgres::parse_url(url)
            .map_err(|e| anyhow::anyhow!("--database-url: {e}"))?;
        let admin = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| anyhow::anyhow!("connecting to --database-url: {e}"))?;
        let name = format!("bench_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&admin)
            .await
            .context("creating the bench schema")?;
        let url = crate::store::postgres::url_with_schema(url, &name);
        Ok(Self { admin, name, url })
    }

    pub(super) async fn drop(self) {
        let dropped = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
            .execute(&self.admin)
            .await;
        if let Err(e) = dropped {
            eprintln!(
                "warning: could not drop the bench schema {}: {e}",
                self.name
            );
        }
    }
}
