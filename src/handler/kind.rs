//! Handler kinds: `[handlers.NAME] kind = "…"` picks one, its typed settings are read
//! from the rest of the section, checked, and built into a handler. The built-in kinds
//! are registered exactly as a plugin's are.

use super::{BoxError, Handler};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A kind of handler, implemented by its settings type.
///
/// ```
/// use lever_hooks::handler::{async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, Outcome};
/// use lever_hooks::EventDocument;
/// use std::sync::Arc;
///
/// /// `[handlers.NAME] kind = "hire-announcement"`.
/// #[derive(Debug, serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct Announce {
///     url: String,
///     #[serde(default)]
///     template: Option<String>,
/// }
///
/// impl HandlerKind for Announce {
///     const KIND: &'static str = "hire-announcement";
///
///     fn check(&self, _: &KindContext) -> Vec<(String, String)> {
///         if self.url.starts_with("https://") { vec![] }
///         else { vec![("url".into(), "use an https:// URL".into())] }
///     }
///
///     fn build(&self, _: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
///         Ok(Arc::new(AnnounceHandler { url: self.url.clone() }))
///     }
/// }
///
/// struct AnnounceHandler { url: String }
///
/// #[async_trait]
/// impl Handler for AnnounceHandler {
///     async fn handle(&self, doc: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
///         println!("would announce {} to {}", doc.id, self.url);
///         Ok(Outcome::Done)
///     }
/// }
///
/// let registry = lever_hooks::HandlerRegistry::new().register_kind::<Announce>();
/// assert!(registry.kinds().contains(&"hire-announcement"));
/// ```
pub trait HandlerKind: DeserializeOwned + fmt::Debug + Send + Sync + 'static {
    /// The `kind = "…"` value that selects this kind.
    const KIND: &'static str;

    /// True when handlers of this kind call Lever's Data API: check-config then asks for
    /// an account with credentials.
    const USES_LEVER_API: bool = false;

    /// True when handlers of this kind take their providers' results: a section may then
    /// set `callback_secret`, and results signed with it reach the handler as
    /// `providerResult` events (see `HandlerContext::remember_reference`).
    const TAKES_RESULTS: bool = false;

    /// Problems with these settings, as (key within the section, message) pairs; shown by
    /// check-config as `handlers.NAME.key: message`. Nothing by default.
    fn check(&self, _cx: &KindContext) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Builds the handler from settings that passed [`HandlerKind::check`].
    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError>;
}

/// What [`HandlerKind::check`] and [`HandlerKind::build`] are told about the section.
#[derive(Debug, Clone, Copy)]
pub struct KindContext<'a> {
    /// The handler's name (`NAME` in `[handlers.NAME]`).
    pub name: &'a str,
    /// The config file's folder: relative paths in settings are relative to it.
    pub base_dir: &'a Path,
}

/// One `[handlers.NAME]` section, read and checked by its kind.
#[derive(Clone)]
pub struct HandlerSettings {
    kind: &'static str,
    uses_lever_api: bool,
    takes_results: bool,
    callback_secrets: Vec<SecretString>,
    settings: Arc<dyn ErasedKind>,
}

impl fmt::Debug for HandlerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.settings.fmt(f)
    }
}

impl HandlerSettings {
    /// Settings read into `T` (tests and tools; the service only builds them).
    pub fn of<T: HandlerKind>(settings: T) -> Self {
        Self {
            kind: T::KIND,
            uses_lever_api: T::USES_LEVER_API,
            takes_results: T::TAKES_RESULTS,
            callback_secrets: Vec::new(),
            settings: Arc::new(settings),
        }
    }

    /// These settings with the section's `callback_secret` values.
    pub fn with_callback_secrets(mut self, secrets: Vec<SecretString>) -> Self {
        self.callback_secrets = secrets;
        self
    }

    /// The secrets providers sign results for this handler with (`callback_secret`, one
    /// or a list for rotation); empty when results are not taken.
    pub fn callback_secrets(&self) -> &[SecretString] {
        &self.callback_secrets
    }

    /// True when this handler's kind takes providers' results.
    pub fn takes_results(&self) -> bool {
        self.takes_results
    }

    /// The kind's name.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// True when this handler calls Lever's Data API.
    pub fn uses_lever_api(&self) -> bool {
        self.uses_lever_api
    }

    /// The settings, when they are of type `T`.
    pub fn get<T: HandlerKind>(&self) -> Option<&T> {
        self.settings.as_any().downcast_ref()
    }

    /// Problems with the settings (see [`HandlerKind::check`]).
    pub fn check(&self, cx: &KindContext) -> Vec<(String, String)> {
        self.settings.check(cx)
    }

    /// Builds the handler.
    pub fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        self.settings.build(cx)
    }
}

/// [`HandlerKind`] without its type, so sections of every kind sit in one map.
trait ErasedKind: fmt::Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn check(&self, cx: &KindContext) -> Vec<(String, String)>;
    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError>;
}

impl<T: HandlerKind> ErasedKind for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn check(&self, cx: &KindContext) -> Vec<(String, String)> {
        HandlerKind::check(self, cx)
    }
    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        HandlerKind::build(self, cx)
    }
}

/// Reads a section's settings (without `kind`) as `T`: the settings when they could be
/// read, and every problem as (key path within the section, message), unknown keys
/// included even when `T` does not deny them.
pub(crate) type ReadSettings = fn(toml::Value) -> SectionRead;

/// A section as read: the settings when they could be read, and every problem found.
pub(crate) type SectionRead = (Option<HandlerSettings>, Vec<(String, String)>);

/// The [`ReadSettings`] of kind `T`.
pub(crate) fn read_settings<T: HandlerKind>(value: toml::Value) -> SectionRead {
    let mut unknown = Vec::new();
    let mut note_unknown = |path: serde_ignored::Path| unknown.push(path.to_string());
    let ignoring = serde_ignored::Deserializer::new(value, &mut note_unknown);
    let read = serde_path_to_error::deserialize::<_, T>(ignoring);
    let mut problems: Vec<(String, String)> = unknown
        .into_iter()
        .map(|key| (key, "unknown key".to_owned()))
        .collect();
    match read {
        Ok(settings) => (Some(HandlerSettings::of(settings)), problems),
        Err(e) => {
            let path = e.path().to_string();
            let message = e.into_inner().message().to_owned();
            problems.push(serde_problem(&path, message));
            (None, problems)
        }
    }
}

/// A serde error as (key path, message); a missing field is reported at its own path.
fn serde_problem(path: &str, message: String) -> (String, String) {
    let within = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    match missing {
        Some(field) if within.is_empty() => {
            (field.to_owned(), "missing: this key is required".to_owned())
        }
        Some(field) => (
            format!("{within}.{field}"),
            "missing: this key is required".to_owned(),
        ),
        None => (within.to_owned(), message),
    }
}
