//! The `command` handler (placeholder being replaced).

use super::{async_trait, BoxError, Handler, HandlerContext, Outcome};
use crate::document::EventDocument;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[handlers.NAME] kind = "command"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// The program to run.
    pub program: PathBuf,
}

impl CommandConfig {
    pub(crate) fn check(&self, _base_dir: &Path) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Runs a program per event.
pub struct CommandHandler {
    _config: CommandConfig,
}

impl CommandHandler {
    /// Builds the handler.
    pub fn new(config: CommandConfig, _base_dir: &Path) -> Self {
        Self { _config: config }
    }
}

#[async_trait]
impl Handler for CommandHandler {
    async fn handle(
        &self,
        _doc: &EventDocument,
        _ctx: &HandlerContext,
    ) -> Result<Outcome, BoxError> {
        Err("command handler not built yet".into())
    }
}
