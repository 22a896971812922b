//! The handler plugin API: the object-safe [`Handler`] trait, what a handler can answer
//! ([`Outcome`]), what it gets besides the document ([`HandlerContext`]: the account's
//! Data API and its own [`Records`]), handler kinds with typed settings ([`HandlerKind`]),
//! the registry, and the built-in kinds, which use nothing a plugin cannot.
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
mod context;
pub mod http;
mod kind;
pub mod lever;
mod records;

/// The conditions routes and the `categorize` handler's rules match on, for plugins too.
pub use crate::route::conditions::Conditions;
pub use async_trait::async_trait;
pub use command::{CommandConfig, CommandHandler};
pub use context::{
    reference_record, HandlerContext, LeverApi, NoDataApi, Platform, ProviderReference,
};
pub use http::{HttpConfig, HttpHandler};
pub use kind::{HandlerKind, HandlerSettings, KindContext};
pub use lever::{
    AssessmentConfig, AssessmentHandler, BackgroundCheckConfig, BackgroundCheckHandler,
    CategorizeConfig, CategorizeHandler, HrisConfig, HrisHandler, SchedulingConfig,
    SchedulingHandler, TaggerConfig, TaggerHandler,
};
pub use records::{OnceError, Records, Start};

use crate::document::EventDocument;
use kind::ReadSettings;
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

/// Named handlers (Rust plugins registered in code, plus those built from config) and
/// the handler kinds `[handlers.NAME]` sections may name.
///
/// [`HandlerRegistry::new`] knows the built-in kinds (`command`, `http`,
/// `background-check`, `assessment`, `hris`, `scheduling`, `tagger`, `categorize`);
/// [`HandlerRegistry::register_kind`] adds a
/// plugin's.
#[derive(Clone)]
pub struct HandlerRegistry {
    handlers: BTreeMap<String, Arc<dyn Handler>>,
    kinds: BTreeMap<&'static str, ReadSettings>,
}

impl std::fmt::Debug for HandlerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerRegistry")
            .field("handlers", &self.handlers.keys().collect::<Vec<_>>())
            .field("kinds", &self.kinds.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Default for HandlerRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl HandlerRegistry {
    /// A registry with the built-in kinds and no named handlers.
    pub fn new() -> Self {
        Self {
            handlers: BTreeMap::new(),
            kinds: BTreeMap::new(),
        }
        .register_kind::<CommandConfig>()
        .register_kind::<HttpConfig>()
        .register_kind::<BackgroundCheckConfig>()
        .register_kind::<AssessmentConfig>()
        .register_kind::<HrisConfig>()
        .register_kind::<TaggerConfig>()
        .register_kind::<CategorizeConfig>()
        .register_kind::<SchedulingConfig>()
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

    /// Registers the handler kind `T`: `[handlers.NAME] kind = "<T::KIND>"` sections are
    /// then read into `T`, checked and built like the built-in kinds.
    ///
    /// # Panics
    ///
    /// When a kind of that name is already registered (two plugins, or a plugin and a
    /// built-in, claiming one name is a mistake in the binary, not in a config file).
    pub fn register_kind<T: HandlerKind>(mut self) -> Self {
        let taken = self.kinds.insert(T::KIND, kind::read_settings::<T>);
        assert!(
            taken.is_none(),
            "handler kind `{}` is registered twice",
            T::KIND
        );
        self
    }

    /// The registered names.
    pub fn names(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }

    /// The kinds `[handlers.NAME]` sections may name, in name order.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.kinds.keys().copied().collect()
    }

    /// Reads the settings of a `[handlers.NAME]` section of kind `kind` (the section
    /// without its `kind` key). `None` when no such kind is registered; otherwise the
    /// settings, or their problems as (key within the section, message).
    pub fn read_settings(
        &self,
        kind: &str,
        section: toml::Value,
    ) -> Option<Result<HandlerSettings, Vec<(String, String)>>> {
        self.read_section(kind, section)
            .map(|(settings, problems)| match settings {
                Some(settings) if problems.is_empty() => Ok(settings),
                _ => Err(problems),
            })
    }

    /// Like [`HandlerRegistry::read_settings`], keeping settings that could be read
    /// despite problems (unknown keys), so their own check still runs.
    pub(crate) fn read_section(
        &self,
        kind: &str,
        section: toml::Value,
    ) -> Option<kind::SectionRead> {
        self.kinds.get(kind).map(|read| read(section))
    }

    /// The handler called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Handler>> {
        self.handlers.get(name)
    }

    /// This registry plus a handler built from each configured section.
    pub fn with_config(
        mut self,
        handlers: &BTreeMap<String, HandlerSettings>,
        base_dir: &Path,
    ) -> Result<Self, BoxError> {
        for (name, settings) in handlers {
            let cx = KindContext { name, base_dir };
            let handler = settings
                .build(&cx)
                .map_err(|e| format!("handlers.{name}: {e}"))?;
            self.handlers.insert(name.clone(), handler);
        }
        Ok(self)
    }
}
