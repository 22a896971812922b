//! Logging setup: `tracing` to stderr, as text or JSON lines, filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log pipelines.
    Json,
}

/// What is logged when `RUST_LOG` is not set: `info`, but PostgreSQL's notices (such as
/// "relation already exists, skipping" from every start's migration check) only from `warn`.
pub const DEFAULT_FILTER: &str = "info,sqlx::postgres::notice=warn";

/// Installs the global subscriber once; later calls do nothing.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Keeps every log line's callsite open for subscribers set later on one thread (tests
/// that capture what a piece of code logs): installs, once, a global subscriber that records
/// nothing but answers "sometimes" for every callsite, then rebuilds the interest cache.
///
/// Without it, a line first reached by another thread while no subscriber listened is
/// cached process-wide as "never", and a thread's own subscriber can miss it. Does nothing
/// more when a global subscriber is already set (as `serve` sets one).
pub fn keep_interest_open() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(KeepInterest);
    });
    tracing::callsite::rebuild_interest_cache();
}

/// Records nothing; keeps every callsite's interest at "sometimes".
struct KeepInterest;

impl tracing::Subscriber for KeepInterest {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, _: &tracing::Event<'_>) {}

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_filter_parses_and_quiets_postgres_notices_below_warn() {
        let filter = EnvFilter::try_new(DEFAULT_FILTER).expect("a valid filter");
        let text = filter.to_string();
        assert!(text.contains("sqlx::postgres::notice=warn"), "{text}");
        assert!(text.split(',').any(|d| d == "info"), "{text}");
    }

    /// What the filter does, not only what it says: a subscriber with it drops
    /// PostgreSQL's notices below `warn` and keeps everything else from `info`.
    #[test]
    fn the_default_filter_drops_info_notices_and_keeps_warn_notices_and_other_info() {
        use tracing::Level;
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber =
            tracing_subscriber::registry().with(EnvFilter::try_new(DEFAULT_FILTER).unwrap());
        tracing::subscriber::with_default(subscriber, || {
            assert!(!tracing::enabled!(target: "sqlx::postgres::notice", Level::INFO));
            assert!(tracing::enabled!(target: "sqlx::postgres::notice", Level::WARN));
            assert!(tracing::enabled!(target: "lever_hooks::server", Level::INFO));
            assert!(tracing::enabled!(target: "sqlx::query", Level::INFO));
            assert!(!tracing::enabled!(target: "lever_hooks::server", Level::DEBUG));
        });
    }
}
