//! Wiring and lifecycle: build the store, dispatcher and HTTP server from a config, run
//! them, and shut down cleanly on SIGTERM or ctrl-c.

use crate::admin::{AdminState, LoginLimiter, Sessions};
use crate::alerts::Alerts;
use crate::config::{AdminConfig, Config};
use crate::dispatch::Dispatcher;
use crate::handler::{HandlerRegistry, Platform};
use crate::lever::LeverError;
use crate::lever_accounts::LeverAccounts;
use crate::reconcile::Poller;
use crate::registered_tokens::RegisteredTokens;
use crate::retention::Retention;
use crate::route::Router;
use crate::server::{self, IntakeState};
use crate::store::{PostgresStore, ReopeningStore, Store, StoreError};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store could not be opened or flushed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A configured handler could not be built.
    #[error("cannot build handlers: {0}")]
    Handler(String),
    /// The listener could not be bound or the server failed.
    #[error("HTTP server: {0}")]
    Io(#[from] std::io::Error),
    /// `[server.tls]` names a certificate or key that cannot be used.
    #[error("cannot serve HTTPS: {0}")]
    Tls(String),
}

/// A built, not yet running, lever-hooks instance.
pub struct App {
    port: u16,
    server: actix_web::dev::Server,
    /// The admin listener's port and server, when `[admin]` is configured.
    admin: Option<(u16, actix_web::dev::Server)>,
    stop: watch::Sender<bool>,
    stop_requested: Arc<Notify>,
    tasks: Vec<JoinHandle<()>>,
    store: Arc<dyn Store>,
    grace: Duration,
}

/// Asks a running [`App`] to shut down, as SIGTERM would.
#[derive(Clone)]
pub struct Stopper(Arc<Notify>);

impl Stopper {
    /// Starts the graceful shutdown.
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

impl LeverAccounts {
    /// The Data API of every account in `config` that has credentials, as `serve` builds it;
    /// rotated OAuth refresh tokens are kept in `store`. (Here rather than in
    /// `lever_accounts`, which knows Data API settings but not the config file.)
    pub fn from_config(config: &Config, store: Arc<dyn Store>) -> Result<Self, LeverError> {
        Self::new(config.data_api_settings(), store)
    }
}

/// A reconciliation poller for each account with Data API credentials and
/// `reconcile_every` not `"off"`.
fn pollers(
    config: &Config,
    store: &Arc<dyn Store>,
    accounts: &LeverAccounts,
    alerts: &Arc<Alerts>,
    route_wake: Arc<Notify>,
) -> Vec<Poller> {
    config
        .accounts
        .iter()
        .filter_map(|(name, account)| {
            let every = account.reconcile_every?;
            let api = accounts.get(name)?.clone();
            Some(Poller::new(
                name,
                store.clone(),
                api,
                (every, account.reconcile_overlap),
                alerts.clone(),
                route_wake.clone(),
            ))
        })
        .collect()
}

/// The HMAC keys of every handler's `callback_secret` (the config checked that each one
/// makes a key).
fn result_keys(
    config: &Config,
) -> std::collections::HashMap<String, Vec<secrecy::SecretSlice<u8>>> {
    config
        .handlers
        .iter()
        .filter(|(_, settings)| settings.takes_results())
        .map(|(name, settings)| {
            let keys = settings
                .callback_secrets()
                .iter()
                .filter_map(|secret| crate::standard_webhooks::signing_key(secret).ok())
                .collect();
            (name.clone(), keys)
        })
        .collect()
}

impl App {
    /// Builds everything from `config`: on PostgreSQL when `[storage] url` is set (its
    /// migrations applied first), else on the sled store at `[storage] path`.
    pub async fn build(config: &Config, handlers: HandlerRegistry) -> Result<Self, AppError> {
        // Installed before the store opens, so what opening finds (journal damage) counts.
        crate::metrics::handle();
        let store = open_store(&config.storage).await?;
        Self::build_with_store(config, handlers, store).await
    }

    /// Builds everything on a given store (tests use a temporary or failing one).
    pub async fn build_with_store(
        config: &Config,
        handlers: HandlerRegistry,
        store: Arc<dyn Store>,
    ) -> Result<Self, AppError> {
        let accounts = Arc::new(
            LeverAccounts::new(config.data_api_settings(), store.clone())
                .map_err(|e| AppError::Handler(format!("Data API client: {e}")))?,
        );
        crate::records_upgrade::adopt_legacy_records(&*store, &config.handlers)
            .await
            .map_err(|e| AppError::Handler(format!("moving handler records: {e}")))?;
        let platform = Platform::new(store.clone(), accounts.clone());
        let handlers = handlers
            .with_config(&config.handlers, &config.base_dir)
            .map_err(|e| AppError::Handler(e.to_string()))?;
        for (name, account) in &config.accounts {
            if account.allow_unsigned {
                warn!(account = %name, "allow_unsigned is set: deliveries are NOT verified; anyone who can reach this URL can trigger handlers. Use this for local experiments only.");
            }
        }
        let alerts = Arc::new(Alerts::new(&config.alerts, handlers.clone(), platform));
        let dispatcher = Dispatcher::new(
            store.clone(),
            handlers,
            Router::new(&config.routes),
            config.dispatch.clone(),
            config.retry.clone(),
        )
        .with_accounts(accounts.clone())
        .with_alerts(alerts.clone());
        let tls = match &config.server.tls {
            Some(tls) => Some(tls.server_config(&config.base_dir).map_err(|problems| {
                let described: Vec<String> = problems
                    .iter()
                    .map(|p| format!("server.tls.{}: {}", p.key, p.message))
                    .collect();
                AppError::Tls(described.join("; "))
            })?),
            None => None,
        };
        let grace = config.server.shutdown_grace;
        let (stop, stopped) = watch::channel(false);
        let admin = match &config.admin {
            Some(admin) => Some(Self::admin_server(
                admin,
                AdminState {
                    store: store.clone(),
                    work_wake: dispatcher.work_wake(),
                    token: admin.token.clone(),
                    stopping: stopped.clone(),
                    metrics: crate::metrics::handle(),
                    sessions: Arc::new(Sessions::new(admin.session_lifetime)),
                    login_limiter: Arc::new(LoginLimiter::default()),
                },
            )?),
            None => None,
        };
        let retention = Retention::new(
            store.clone(),
            config.storage.retention,
            config.storage.prune_every,
        );
        let mut tasks = vec![
            tokio::spawn(retention.run(stopped.clone())),
            tokio::spawn(dispatcher.clone().run_router(stopped.clone())),
        ];
        for poller in pollers(config, &store, &accounts, &alerts, dispatcher.route_wake()) {
            tasks.push(tokio::spawn(poller.run(stopped.clone())));
        }
        tasks.push(tokio::spawn(dispatcher.clone().run_workers(stopped, grace)));
        let listener = TcpListener::bind(&config.server.listen)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(IntakeState {
            accounts: config.accounts.clone().into_iter().collect(),
            store: store.clone(),
            route_wake: dispatcher.route_wake(),
            max_body_bytes: config.server.max_body_bytes,
            body_timeout: config.server.body_timeout,
            body_budget: server::BodyBudget::new(config.server.max_pending_body_bytes),
            registered: Arc::new(RegisteredTokens::load(store.clone()).await?),
            alerts,
            result_keys: result_keys(config),
        });
        let workers = config
            .server
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let https = tls.is_some();
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .wrap(from_fn(server::guard_connection))
                .app_data(state.clone())
                .configure(server::configure)
        })
        // Slow or idle clients: each phase of a connection has a deadline. actix has none
        // for the body (see `server::read_limited`) and keeps some connections it should
        // close, or serves requests pipelined behind a closing answer (see
        // `server::guard_connection`).
        .client_request_timeout(config.server.client_timeout)
        .keep_alive(config.server.keep_alive)
        .client_disconnect_timeout(config.server.disconnect_timeout)
        .on_connect(server::on_connect(config.server.disconnect_timeout))
        .max_connections(config.server.max_connections)
        .tls_handshake_timeout(config.server.client_timeout);
        let server = match tls {
            Some(tls) => server.listen_rustls_0_23(listener, tls)?,
            None => server.listen(listener)?,
        };
        let server = server
            .workers(workers)
            .disable_signals()
            .shutdown_timeout(grace.as_secs().max(1))
            .run();
        info!(port, workers, https, "listening for Lever webhooks");
        Ok(Self {
            port,
            server,
            admin,
            stop,
            stop_requested: Arc::new(Notify::new()),
            tasks,
            store,
            grace,
        })
    }

    fn admin_server(
        config: &AdminConfig,
        state: AdminState,
    ) -> Result<(u16, actix_web::dev::Server), AppError> {
        let listener = TcpListener::bind(&config.listen)?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(state);
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(state.clone())
                .configure(crate::admin::configure)
        })
        .listen(listener)?
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .run();
        info!(port, "admin listener (health, metrics, API, dashboard)");
        Ok((port, server))
    }

    /// The admin listener's port, when `[admin]` is configured.
    pub fn admin_port(&self) -> Option<u16> {
        self.admin.as_ref().map(|(port, _)| *port)
    }

    /// The port the intake listener is bound to (useful with `listen = "127.0.0.1:0"`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that shuts this instance down like SIGTERM does.
    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop_requested.clone())
    }

    /// Serves until SIGTERM, ctrl-c or [`Stopper::stop`]; then stops accepting, lets
    /// in-flight requests and running jobs finish within the grace period, and flushes.
    pub async fn run_until_stopped(self) -> Result<(), AppError> {
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        let admin = self.admin.map(|(_, admin)| {
            let handle = admin.handle();
            tokio::spawn(admin);
            handle
        });
        tokio::select! {
            result = &mut server => {
                // The server ended on its own: report why, then still stop the workers.
                let _ = self.stop.send(true);
                result.map_err(|e| AppError::Io(std::io::Error::other(e)))??;
            }
            _ = shutdown_signal() => info!("shutdown signal received"),
            _ = self.stop_requested.notified() => info!("shutdown requested"),
        }
        info!(
            grace_ms = self.grace.as_millis() as u64,
            "stopping: no new deliveries; finishing running work"
        );
        handle.stop(true).await;
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.store.flush().await?;
        if let Some(admin) = admin {
            admin.stop(true).await;
        }
        info!("stopped cleanly");
        Ok(())
    }
}

/// The store `[storage]` configures: PostgreSQL when `url` is set, else sled at `path`.
pub async fn open_store(
    storage: &crate::config::StorageConfig,
) -> Result<Arc<dyn Store>, StoreError> {
    match &storage.url {
        Some(url) => {
            let store = PostgresStore::connect(url, storage.pool_size).await?;
            info!(
                url = %crate::store::postgres::redact_url(url),
                pool_size = storage.pool_size,
                "storage: PostgreSQL, migrations applied"
            );
            Ok(Arc::new(store))
        }
        None => Ok(Arc::new(ReopeningStore::open(&storage.path)?)),
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
