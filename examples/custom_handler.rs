//! A user's own binary: lever-hooks' whole CLI plus one Rust handler plugin.
//!
//! The plugin posts a short summary of every stage change to stdout and asks for a
//! retry when Lever's data is incomplete. Run it with:
//!
//! ```text
//! cargo run --example custom_handler -- serve --config examples/custom_handler.toml
//! cargo run -- send --signing-token quickstart-signing-token --event candidateStageChange
//! ```
//!
//! `check-config`, `send` and every other subcommand work too, and routes may name
//! `stage-summary` as a handler.

use lever_hooks::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerRegistry, Outcome,
};
use lever_hooks::{EventDocument, LeverEvent};
use std::process::ExitCode;

/// Prints one line per stage change; gives up on events it cannot read.
struct StageSummary;

#[async_trait]
impl Handler for StageSummary {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        let event = match doc.lever_event() {
            Ok(event) => event,
            // Retrying cannot fix data that does not decode: dead-letter it with the reason.
            Err(e) => return Ok(Outcome::give_up(e.to_string())),
        };
        if let LeverEvent::CandidateStageChange(change) = event {
            println!(
                "[{}] opportunity {} moved {} -> {} (attempt {}, key {})",
                ctx.account,
                change.opportunity_id,
                change.from_stage.as_ref().map_or("(new)", |s| s.as_str()),
                change.to_stage,
                doc.attempt,
                doc.idempotency_key,
            );
        }
        Ok(Outcome::Done)
    }
}

fn main() -> ExitCode {
    lever_hooks::cli::main_with(HandlerRegistry::new().register("stage-summary", StageSummary))
}
