//! The `http` handler (placeholder being replaced).

use super::{async_trait, BoxError, Handler, HandlerContext, Outcome};
use crate::document::EventDocument;
use serde::Deserialize;

/// `[handlers.NAME] kind = "http"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Where to POST.
    pub url: String,
}

impl HttpConfig {
    pub(crate) fn check(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// POSTs each event.
pub struct HttpHandler {
    _config: HttpConfig,
}

impl HttpHandler {
    /// Builds the handler.
    pub fn new(config: HttpConfig) -> Result<Self, BoxError> {
        Ok(Self { _config: config })
    }
}

#[async_trait]
impl Handler for HttpHandler {
    async fn handle(
        &self,
        _doc: &EventDocument,
        _ctx: &HandlerContext,
    ) -> Result<Outcome, BoxError> {
        Err("http handler not built yet".into())
    }
}
