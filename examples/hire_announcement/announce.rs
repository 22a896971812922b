//! The `hire-announcement` handler kind: on a hire, post "Dana Whitfield was hired as
//! Backend Engineer! Hiring manager: Priya Raman." to a chat webhook, once per
//! opportunity however many hire events Lever sends.
//!
//! It uses only the plugin API, like the built-in handlers: typed settings read from
//! `[handlers.NAME]` and checked by `check-config`, the account's shared Data API client
//! (its rate budget, retries and OAuth session), the archive-reason lookup, and the
//! handler's own records for "announce once".

use lever_hooks::handler::lever::common::posting_id;
use lever_hooks::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, LeverApi, Outcome,
};
use lever_hooks::lever::LeverError;
use lever_hooks::{EventDocument, LeverEvent};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The text posted when no `template` is set.
pub const DEFAULT_TEMPLATE: &str =
    "{candidate} was hired as {posting}! Hiring manager: {hiring_manager}.";

/// The placeholders a template may use.
const PLACEHOLDERS: [&str; 3] = ["{candidate}", "{posting}", "{hiring_manager}"];

/// `[handlers.NAME] kind = "hire-announcement"`.
#[derive(Debug, Deserialize)]
pub struct HireAnnouncement {
    /// Where `{"text": …}` is POSTed (a Slack or Teams incoming webhook, say).
    pub url: String,
    /// The text, with `{candidate}`, `{posting}` and `{hiring_manager}` filled in.
    #[serde(default)]
    pub template: Option<String>,
}

impl HandlerKind for HireAnnouncement {
    const KIND: &'static str = "hire-announcement";
    const USES_LEVER_API: bool = true;

    fn check(&self, _: &KindContext) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        match reqwest::Url::parse(&self.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => problems.push(("url".into(), "must be an http(s) URL".into())),
        }
        if let Some(template) = &self.template {
            let mut rest = template.as_str();
            while let Some(start) = rest.find('{') {
                let end = rest[start..]
                    .find('}')
                    .map_or(rest.len(), |e| start + e + 1);
                let placeholder = &rest[start..end];
                if !PLACEHOLDERS.contains(&placeholder) {
                    problems.push((
                        "template".into(),
                        format!(
                            "unknown placeholder `{placeholder}`; use {}",
                            PLACEHOLDERS.join(", ")
                        ),
                    ));
                }
                rest = &rest[end..];
            }
        }
        problems
    }

    fn build(&self, _: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(Announcer {
            url: self.url.clone(),
            template: self
                .template
                .clone()
                .unwrap_or_else(|| DEFAULT_TEMPLATE.to_owned()),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
        }))
    }
}

/// One configured `hire-announcement` handler.
pub struct Announcer {
    url: String,
    template: String,
    http: reqwest::Client,
}

#[async_trait]
impl Handler for Announcer {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        let lever = match ctx.lever() {
            Ok(lever) => lever,
            // No credentials for this account: retrying cannot help; the reason names the key.
            Err(missing) => return Ok(missing.into()),
        };
        let opportunity = match doc.lever_event() {
            Ok(LeverEvent::CandidateHired(hired)) => hired.opportunity_id,
            Ok(LeverEvent::CandidateArchiveChange(change)) => {
                let reason = change.to_archived.as_ref().and_then(|a| a.reason.as_ref());
                let Some(reason) = reason else {
                    return Ok(Outcome::Done); // unarchived: nothing to announce
                };
                let hired = lever.archive_reason(reason.as_str()).await?;
                if !hired.is_some_and(|r| r.is_hired()) {
                    return Ok(Outcome::Done); // archived, but not as a hire
                }
                change.opportunity_id
            }
            Ok(_) => return Ok(Outcome::Done),
            Err(e) => return Ok(Outcome::give_up(e.to_string())),
        };
        // Lever may send both candidateHired and the hired archive: announce once per
        // opportunity. `once` records the result; a retry after a crash between the POST
        // and the record posts again (chat webhooks have no idempotency key).
        let name = format!("announced/{}/{opportunity}", ctx.account);
        ctx.records()
            .once(&name, |_| async {
                let text = self.text(lever, opportunity.as_str()).await?;
                self.post(&text).await?;
                Ok::<_, BoxError>(text)
            })
            .await?;
        Ok(Outcome::Done)
    }
}

impl Announcer {
    /// The announcement for `opportunity`: its name, its posting's title and the posting's
    /// hiring manager, read through the account's shared client.
    async fn text(&self, lever: LeverApi<'_>, opportunity: &str) -> Result<String, LeverError> {
        let client = lever.client();
        let opportunity = client.opportunity(opportunity).await?;
        let candidate = opportunity.name.clone().unwrap_or_else(|| "Someone".into());
        let (mut posting, mut manager) = ("a role".to_owned(), "not set".to_owned());
        if let Some(id) = posting_id(&opportunity) {
            let found = client.posting(id).await?;
            posting = found.text.unwrap_or(posting);
            if let Some(user) = found.hiring_manager {
                manager = client.user(&user).await?.name.unwrap_or(manager);
            }
        }
        Ok(self
            .template
            .replace("{candidate}", &candidate)
            .replace("{posting}", &posting)
            .replace("{hiring_manager}", &manager))
    }

    async fn post(&self, text: &str) -> Result<(), BoxError> {
        let response = self
            .http
            .post(&self.url)
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("{} answered {}", self.url, response.status()).into());
        }
        Ok(())
    }
}
