//! The built-in `tagger` handler: adds and removes fixed tags on the event's opportunity,
//! or on every opportunity of the event's contact, once per (event, opportunity, add or
//! remove).

use super::common::{lever_failure, read_opportunity, settle, writer};
use crate::document::EventDocument;
use crate::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, Outcome,
};
use serde::Deserialize;
use std::sync::Arc;
use tracing::info;

/// Which opportunities the tags go on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The event's opportunity (the default).
    #[default]
    Opportunity,
    /// Every opportunity of the event's contact, as Lever's tagging guide asks for
    /// facts about the person.
    Contact,
}

/// `[handlers.NAME] kind = "tagger"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaggerConfig {
    /// Tags to add.
    #[serde(default)]
    pub add: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    pub remove: Vec<String>,
    /// `opportunity` or `contact`.
    #[serde(default)]
    pub scope: Scope,
}

/// Tags opportunities as a [`TaggerConfig`] says.
///
/// ```toml
/// [[routes]]
/// events = ["contactUpdated"]
/// handler = "tag-person"
/// ```
#[derive(Debug)]
pub struct TaggerHandler {
    config: TaggerConfig,
}

/// Problems with a tagger's settings (pure), as (key, message) pairs.
fn problems(config: &TaggerConfig) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if config.add.is_empty() && config.remove.is_empty() {
        problems.push((
            "add".to_owned(),
            "set `add` or `remove` (or both)".to_owned(),
        ));
    }
    for (key, tags) in [("add", &config.add), ("remove", &config.remove)] {
        if tags.iter().any(|t| t.trim().is_empty()) {
            problems.push((key.to_owned(), "a tag must not be empty".to_owned()));
        }
    }
    if let Some(both) = config.add.iter().find(|t| config.remove.contains(t)) {
        problems.push((
            "remove".to_owned(),
            format!("`{both}` is both added and removed"),
        ));
    }
    problems
}

impl TaggerHandler {
    /// Builds the handler.
    pub fn new(config: TaggerConfig) -> Self {
        Self { config }
    }

    /// The opportunities to tag, or the outcome to end with.
    async fn targets(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
    ) -> Result<Vec<String>, Outcome> {
        let opportunity = doc.opportunity_id.as_ref().map(|o| o.to_string());
        if self.config.scope == Scope::Opportunity {
            return opportunity.map(|o| vec![o]).ok_or_else(|| {
                Outcome::give_up(format!(
                    "`{}` names no opportunity; use scope = \"contact\" to tag the person's opportunities",
                    doc.event
                ))
            });
        }
        let api = ctx.lever()?;
        let contact = match (doc.contact_id.as_ref(), &opportunity) {
            (Some(contact), _) => contact.to_string(),
            (None, Some(opportunity)) => read_opportunity(api.client(), opportunity)
                .await?
                .contact
                .ok_or_else(|| Outcome::give_up("the opportunity names no contact"))?,
            (None, None) => {
                return Err(Outcome::give_up(format!(
                    "`{}` names neither an opportunity nor a contact",
                    doc.event
                )))
            }
        };
        let all = api
            .client()
            .opportunities_of_contact(&contact)
            .await
            .map_err(|e| lever_failure("listing the contact's opportunities", e))?;
        Ok(all.into_iter().map(|o| o.id).collect())
    }

    async fn run(&self, ctx: &HandlerContext, doc: &EventDocument) -> Result<Outcome, Outcome> {
        let targets = self.targets(ctx, doc).await?;
        let api = ctx.lever()?;
        let write = writer(ctx, api);
        for opportunity in &targets {
            // Lever's tag edits are set operations; the once-record also keeps a replay
            // from putting back a tag a recruiter has since removed.
            let key = format!("{}:{opportunity}", doc.idempotency_key);
            if !self.config.add.is_empty() {
                write
                    .tags_once(&format!("{key}:add"), opportunity, &self.config.add)
                    .await?;
            }
            if !self.config.remove.is_empty() {
                write
                    .remove_tags_once(&format!("{key}:remove"), opportunity, &self.config.remove)
                    .await?;
            }
        }
        info!(event_id = %doc.id, opportunities = targets.len(), "tags written");
        Ok(Outcome::Done)
    }
}

#[async_trait]
impl Handler for TaggerHandler {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        Ok(settle(self.run(ctx, doc).await))
    }
}

impl HandlerKind for TaggerConfig {
    const KIND: &'static str = "tagger";
    const USES_LEVER_API: bool = true;

    fn check(&self, _cx: &KindContext) -> Vec<(String, String)> {
        problems(self)
    }

    fn build(&self, _cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(TaggerHandler::new(self.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> TaggerConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_tagger_must_add_or_remove_and_not_both_for_one_tag() {
        assert_eq!(problems(&config("scope = \"contact\""))[0].0, "add");
        assert!(problems(&config("add = [\"Alumni\"]")).is_empty());
        assert_eq!(
            problems(&config("add = [\"A\"]\nremove = [\"A\"]"))[0].1,
            "`A` is both added and removed"
        );
        assert_eq!(problems(&config("remove = [\" \"]"))[0].0, "remove");
        assert!(toml::from_str::<TaggerConfig>("scope = \"person\"").is_err());
    }
}
