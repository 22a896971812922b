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
