//! Log output captured in memory, for unit tests that assert on what was (or was not)
//! logged: hand a [`Captured`] to `tracing_subscriber::fmt().with_writer(..)`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// Every byte a subscriber wrote, shared by its clones.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Captures every line logged on this thread, at any level, until the guard drops.
    ///
    /// Callsite interest is cached process-wide: a log line first reached by another test
    /// thread while no subscriber listened is cached as "never".
    /// [`crate::telemetry::keep_interest_open`] keeps every callsite open first.
    pub(crate) fn on_this_thread(&self) -> tracing::subscriber::DefaultGuard {
        crate::telemetry::keep_interest_open();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        guard
    }

    /// What was written so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
