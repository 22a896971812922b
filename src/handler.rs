//! The handler plugin API: the object-safe [`Handler`] trait, what a handler can answer
//! ([`Outcome`]), the registry of named handlers, and the built-in kinds.
//!
//! A plugin author needs only this module: `async_trait` is re-exported.
//!
//! ```
//! use lever_hooks::handler::{async_trait, BoxError, Handler, HandlerContext, Outcome};
//! use lever_hooks::EventDocument;
//!
//! struct Audit;
//!
//! #[async_trait]
//! impl Handler for Audit {
//!     async fn handle(&self, doc: &EventDocument, _ctx: &HandlerContext) -> Result<Outcome, BoxError> {
//!         println!("{} for {:?}", doc.event, doc.opportunity_id);
//!         Ok(Outcome::Done)
//!     }
//! }
//! ```

pub mod command;
pub mod http;
pub mod lever;

pub use async_trait::async_trait;
pub use command::{CommandConfig, CommandHandler};
pub use http::{HttpConfig, HttpHandler};
pub use lever::{
    AssessmentConfig, AssessmentHandler, BackgroundCheckConfig, BackgroundCheckHandler, HrisConfig,
    HrisHandler, LeverDeps,
};

use crate::document::EventDocument;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use crate::error::BoxError;

/// What a handler says about one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The work is done; the job is complete.
    Done,
    /// Try again later: after `after` when given, else on the backoff schedule.
    Retry {
        /// A delay the handler asks for (a provider's `Retry-After`, say).
        after: Option<Duration>,
        /// Why, for the attempt record and the log.
        reason: String,
    },
    /// It will never work (bad data, a 4xx from a provider): dead letter now.
    GiveUp {
        /// Why, for the dead letter and the log.
        reason: String,
    },
}

impl Outcome {
    /// A retry on the backoff schedule.
    pub fn retry(reason: impl Into<String>) -> Self {
        Self::Retry {
            after: None,
            reason: reason.into(),
        }
    }

    /// A permanent failure.
    pub fn give_up(reason: impl Into<String>) -> Self {
        Self::GiveUp {
            reason: reason.into(),
        }
    }
}

/// What the dispatcher hands a handler besides the document.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HandlerContext {
    /// The handler's configured name.
    pub handler: String,
    /// The account the event came in for.
    pub account: String,
}

impl HandlerContext {
    /// A context for `handler` running an event of `account`.
    pub fn new(handler: impl Into<String>, account: impl Into<String>) -> Self {
        Self {
            handler: handler.into(),
            account: account.into(),
        }
    }
}

/// A handler: runs one event document and says how it went.
///
/// Called at least once per (event, handler); use `doc.idempotency_key` to make side
/// effects idempotent. Returning `Err` records the error and retries on the backoff
/// schedule; return [`Outcome::GiveUp`] for failures that retrying cannot fix.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt.
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError>;
}

/// The configuration of a built-in handler, `[handlers.NAME]`, chosen by `kind`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HandlerConfig {
    /// Runs a program with the document on stdin.
    Command(CommandConfig),
    /// POSTs the document to a URL.
    Http(HttpConfig),
    /// Requests (and cancels) background checks through a provider.
    BackgroundCheck(BackgroundCheckConfig),
    /// Invites people to an assessment through a provider.
    Assessment(AssessmentConfig),
    /// Creates employee records for hires through a provider.
    Hris(HrisConfig),
}

impl HandlerConfig {
    /// Problems with this handler's settings, as `(key, message)` pairs.
    pub fn check(&self, base_dir: &Path) -> Vec<(String, String)> {
        match self {
            Self::Command(c) => c.check(base_dir),
            Self::Http(c) => c.check(),
            Self::BackgroundCheck(c) => c.check(base_dir),
            Self::Assessment(c) => c.check(base_dir),
            Self::Hris(c) => c.check(base_dir),
        }
    }

    /// True for the handlers that call Lever's Data API.
    pub fn uses_lever_api(&self) -> bool {
        matches!(
            self,
            Self::BackgroundCheck(_) | Self::Assessment(_) | Self::Hris(_)
        )
    }

    /// Builds the runtime handler. The Lever-aware kinds need `lever` (the store and
    /// the accounts' Data API) and fail without it.
    pub fn build(
        &self,
        base_dir: &Path,
        lever: Option<&LeverDeps>,
    ) -> Result<Arc<dyn Handler>, BoxError> {
        let deps = || {
            lever
                .cloned()
                .ok_or("this handler kind needs Lever's Data API and the store")
        };
        Ok(match self {
            Self::Command(c) => Arc::new(CommandHandler::new(c.clone(), base_dir)),
            Self::Http(c) => Arc::new(HttpHandler::new(c.clone())?),
            Self::BackgroundCheck(c) => {
                Arc::new(BackgroundCheckHandler::new(c.clone(), base_dir, deps()?)?)
            }
            Self::Assessment(c) => Arc::new(AssessmentHandler::new(c.clone(), base_dir, deps()?)?),
            Self::Hris(c) => Arc::new(HrisHandler::new(c.clone(), base_dir, deps()?)?),
        })
    }
}

/// Named handlers: Rust plugins registered in code, plus those built from config.
#[derive(Clone, Default)]
pub struct HandlerRegistry {
    handlers: BTreeMap<String, Arc<dyn Handler>>,
}

impl std::fmt::Debug for HandlerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.handlers.keys()).finish()
    }
}

impl HandlerRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a Rust handler under `name`, which routes can then name.
    pub fn register(mut self, name: impl Into<String>, handler: impl Handler) -> Self {
        self.handlers.insert(name.into(), Arc::new(handler));
        self
    }

    /// Registers an already shared handler under `name`.
    pub fn register_arc(mut self, name: impl Into<String>, handler: Arc<dyn Handler>) -> Self {
        self.handlers.insert(name.into(), handler);
        self
    }

    /// The registered names.
    pub fn names(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }

    /// The handler called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Handler>> {
        self.handlers.get(name)
    }

    /// This registry plus every handler in `config`.
    pub fn with_config(
        mut self,
        handlers: &BTreeMap<String, HandlerConfig>,
        base_dir: &Path,
        lever: &LeverDeps,
    ) -> Result<Self, BoxError> {
        for (name, config) in handlers {
            let handler = config
                .build(base_dir, Some(lever))
                .map_err(|e| format!("handlers.{name}: {e}"))?;
            self.handlers.insert(name.clone(), handler);
        }
        Ok(self)
    }
}
