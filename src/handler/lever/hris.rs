//! The built-in `hris` handler: on a hire, creates (or updates) the person's employee
//! record in an HRIS, one per contact, from the signed offer, posting, hiring manager and
//! requisition; and writes the HRIS's answer back when it comes ([`results`]).

pub mod results;

use super::common::{
    date_of, lever_failure, posting_block, posting_id, read_opportunity, settle, store_failure,
    writer,
};
use super::provider::{answer_id, Provider, ProviderConfig};
use crate::document::EventDocument;
use crate::event::LeverEvent;
use crate::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, LeverApi, Outcome,
};
use crate::lever::{LeverClient, LeverError, Offer, Opportunity};
use crate::store::now_millis;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

/// How long to wait when another opportunity of the same person is being created now.
const CONCURRENT_CREATE_WAIT: Duration = Duration::from_secs(30);

/// What to do when the person already has an employee record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnExisting {
    /// Leave it alone (the default).
    #[default]
    Skip,
    /// Send `action: "update"` with the new hire's details and the `employeeId`.
    Update,
}

/// `[handlers.NAME] kind = "hris"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HrisConfig {
    /// The HRIS (or your bridge to it).
    pub provider: ProviderConfig,
    /// When the person already has an employee record: `skip` or `update`.
    #[serde(default)]
    pub on_existing: OnExisting,
    /// Tag added when the HRIS reports the record `created`.
    #[serde(default = "default_created_tag")]
    pub created_tag: String,
}

fn default_created_tag() -> String {
    "HRIS record created".to_owned()
}

impl HrisConfig {
    /// Problems with these settings, as `(key, message)` pairs.
    fn problems(&self, base_dir: &Path) -> Vec<(String, String)> {
        let mut problems = self.provider.check(base_dir);
        if self.created_tag.trim().is_empty() {
            problems.push(("created_tag".to_owned(), "must not be empty".to_owned()));
        }
        problems
    }
}

/// Creates employee records for hires through a provider.
///
/// ```toml
/// [[routes]]
/// events = ["hired"]   # candidateHired, or an archive with a hired reason: once per opportunity
/// handler = "hris"
/// ```
#[derive(Debug)]
pub struct HrisHandler {
    config: HrisConfig,
    provider: Provider,
}

/// The record of the employee created for `contact` (in the handler's records).
fn employee_record(account: &str, contact: &str) -> String {
    format!("employee/{account}/{contact}")
}

impl HrisHandler {
    /// Builds the handler.
    pub fn new(config: HrisConfig, base_dir: &Path) -> Result<Self, BoxError> {
        Ok(Self {
            provider: config.provider.build(base_dir)?,
            config,
        })
    }

    async fn hire(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        opportunity_id: &str,
    ) -> Result<Outcome, Outcome> {
        let api = ctx.lever()?;
        let records = ctx.records();
        let opportunity = read_opportunity(api.client(), opportunity_id).await?;
        if !self.is_hired(api, &opportunity).await? {
            info!(event_id = %doc.id, opportunity = opportunity_id, "stale trigger: the opportunity is not archived as hired (anymore); no employee record");
            return Ok(Outcome::Done);
        }
        let Some(contact) = opportunity
            .contact
            .clone()
            .or_else(|| doc.contact_id.as_ref().map(|c| c.to_string()))
        else {
            return Err(Outcome::give_up("the opportunity names no contact"));
        };
        let key = employee_record(&doc.account, &contact);
        let mine = json!({"state": "creating", "by": doc.idempotency_key, "opportunityId": opportunity_id, "at": now_millis()});
        let mut employee = None;
        if let Some(existing) = records.insert(&key, mine).await.map_err(store_failure)? {
            let ours = existing["by"] == doc.idempotency_key.as_str();
            match existing["employeeId"].as_str() {
                Some(id) if ours && existing["state"] == "created" => {
                    // Created by this very job before a crash: finish the write-back only.
                    return self
                        .note(ctx, doc, api, opportunity_id, id, "created")
                        .await;
                }
                Some(id) if self.config.on_existing == OnExisting::Skip => {
                    info!(event_id = %doc.id, opportunity = opportunity_id, employee = id, "the person already has an employee record; on_existing = skip");
                    return Ok(Outcome::Done);
                }
                Some(id) => employee = Some(id.to_owned()),
                None if ours => {}
                None => {
                    return Err(Outcome::Retry {
                        after: Some(CONCURRENT_CREATE_WAIT),
                        reason: format!(
                            "an employee record for this person is being created for opportunity {}; checking again shortly",
                            existing["opportunityId"].as_str().unwrap_or("?")
                        ),
                    });
                }
            }
        }
        let mut request = self
            .request(api.client(), doc, &opportunity, &contact)
            .await?;
        let action = if employee.is_some() {
            "update"
        } else {
            "create"
        };
        request["action"] = action.into();
        if let Some(id) = &employee {
            request["employeeId"] = id.as_str().into();
        }
        let answer = self.provider.call(&request).await?;
        let Some(id) = answer_id(&answer, "id").or(employee) else {
            return Err(Outcome::give_up(
                "the provider's answer to `create` has no `id`",
            ));
        };
        // The provider's result comes back with this id (POST /providers/…/HANDLER).
        ctx.remember_reference(&id, opportunity_id, Some(&contact))
            .await
            .map_err(store_failure)?;
        records
            .put(
                &key,
                json!({"state": "created", "employeeId": id, "by": doc.idempotency_key, "opportunityId": opportunity_id, "at": now_millis()}),
            )
            .await
            .map_err(store_failure)?;
        let verb = if action == "create" {
            "created"
        } else {
            "updated"
        };
        self.note(ctx, doc, api, opportunity_id, &id, verb).await
    }

    async fn note(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        api: LeverApi<'_>,
        opportunity_id: &str,
        employee: &str,
        verb: &str,
    ) -> Result<Outcome, Outcome> {
        let note = format!("Employee record {employee} {verb} in the HRIS.");
        writer(ctx, api)
            .note_once(
                &format!("{}:note", doc.idempotency_key),
                opportunity_id,
                &note,
            )
            .await?;
        info!(event_id = %doc.id, opportunity = opportunity_id, employee, verb, "HRIS record written");
        Ok(Outcome::Done)
    }

    /// True when the opportunity is archived with a reason of type hired.
    async fn is_hired(
        &self,
        api: LeverApi<'_>,
        opportunity: &Opportunity,
    ) -> Result<bool, Outcome> {
        let Some(reason) = opportunity
            .archived
            .as_ref()
            .and_then(|a| a.reason.as_deref())
        else {
            return Ok(false);
        };
        let found = api
            .archive_reason(reason)
            .await
            .map_err(|e| lever_failure("looking up the archive reason", e))?;
        Ok(found.is_some_and(|r| r.is_hired()))
    }

    /// Everything the HRIS gets, gathered from the offer, posting, users and requisition.
    async fn request(
        &self,
        client: &LeverClient,
        doc: &EventDocument,
        opportunity: &Opportunity,
        contact: &str,
    ) -> Result<Value, Outcome> {
        let offers = client
            .offers(&opportunity.id)
            .await
            .map_err(|e| lever_failure("reading offers", e))?;
        let offer = chosen_offer(&offers);
        let field = |name: &str| offer.and_then(|o| offer_field(o, name));
        let application = opportunity.applications.first();
        let posting_id = field("job_posting")
            .and_then(text_of)
            .or_else(|| posting_id(opportunity).map(str::to_owned));
        let posting = match posting_id {
            Some(id) => optional(client.posting(&id).await, "reading the posting")?,
            None => None,
        };
        let manager_id = field("hiring_manager")
            .and_then(text_of)
            .or_else(|| application.and_then(|a| a.posting_hiring_manager.clone()))
            .or_else(|| posting.as_ref().and_then(|p| p.hiring_manager.clone()));
        let manager = match &manager_id {
            Some(id) => optional(client.user(id).await, "reading the hiring manager")?,
            None => None,
        };
        let requisition_code = match field("requisition").and_then(text_of) {
            Some(id) => optional(client.requisition(&id).await, "reading the requisition")?
                .and_then(|r| r.requisition_code),
            None => None,
        }
        .or_else(|| {
            application
                .and_then(|a| a.requisition_for_hire.as_ref())
                .and_then(|r| r.requisition_code.clone())
        });
        let start_date = field("anticipated_start_date")
            .and_then(millis_of)
            .map(date_of);
        let job_title = field("job_title")
            .and_then(text_of)
            .or_else(|| posting.as_ref().and_then(|p| p.text.clone()));
        if offer.is_none() {
            warn!(event_id = %doc.id, opportunity = %opportunity.id, "no offer on the opportunity; sending the hire without salary or start date");
        }
        Ok(json!({
            "idempotencyKey": doc.idempotency_key,
            "contactId": contact,
            "opportunityId": opportunity.id,
            "name": opportunity.name,
            "emails": opportunity.emails,
            "phones": opportunity.phones.iter().map(|p| json!({"type": p.r#type, "value": p.value})).collect::<Vec<_>>(),
            "location": opportunity.location,
            "jobTitle": job_title,
            "startDate": start_date,
            "salary": {
                "amount": field("salary_amount").cloned(),
                "currency": field("compensation_currency").cloned(),
                "interval": field("salary_interval").cloned(),
            },
            "hiringManager": manager_id.map(|id| json!({
                "id": id,
                "name": manager.as_ref().and_then(|m| m.name.clone()),
                "email": manager.as_ref().and_then(|m| m.email.clone()),
            })),
            "posting": posting_block(posting.as_ref()),
            "requisitionCode": requisition_code,
        }))
    }
}

/// The signed offer, else the newest one.
fn chosen_offer(offers: &[Offer]) -> Option<&Offer> {
    offers
        .iter()
        .find(|o| o.status.as_deref() == Some("signed"))
        .or_else(|| offers.iter().max_by_key(|o| o.created_at.unwrap_or(0)))
}

fn offer_field<'a>(offer: &'a Offer, identifier: &str) -> Option<&'a Value> {
    offer
        .fields
        .iter()
        .find(|f| f.identifier.as_deref() == Some(identifier))
        .map(|f| &f.value)
        .filter(|v| !v.is_null())
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Milliseconds from a number or a numeric string (Lever sends both).
fn millis_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A lookup whose absence (not found, no access) is not worth failing the hire over.
fn optional<T>(result: Result<T, LeverError>, doing: &str) -> Result<Option<T>, Outcome> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(LeverError::NotFound { .. }) | Err(LeverError::Forbidden { .. }) => Ok(None),
        Err(e) => Err(lever_failure(doing, e)),
    }
}

#[async_trait]
impl Handler for HrisHandler {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        match doc.provider_result() {
            Some(Ok(result)) => return Ok(results::handle(&self.config, ctx, &result).await),
            Some(Err(e)) => return Ok(Outcome::give_up(format!("the result does not parse: {e}"))),
            None => {}
        }
        let opportunity = match doc.lever_event() {
            Ok(LeverEvent::CandidateHired(hired)) => hired.opportunity_id,
            Ok(LeverEvent::CandidateArchiveChange(change)) if !change.is_unarchive() => {
                change.opportunity_id
            }
            Ok(other) => {
                info!(event_id = %doc.id, event = other.name(), "hris has nothing to do for this event");
                return Ok(Outcome::Done);
            }
            Err(e) => return Ok(Outcome::give_up(e.to_string())),
        };
        Ok(settle(self.hire(ctx, doc, opportunity.as_str()).await))
    }
}

impl HandlerKind for HrisConfig {
    const KIND: &'static str = "hris";
    const USES_LEVER_API: bool = true;
    const TAKES_RESULTS: bool = true;

    fn check(&self, cx: &KindContext) -> Vec<(String, String)> {
        self.problems(cx.base_dir)
    }

    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(HrisHandler::new(self.clone(), cx.base_dir)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_values_come_as_numbers_or_strings() {
        assert_eq!(millis_of(&json!(1719792000000u64)), Some(1_719_792_000_000));
        assert_eq!(millis_of(&json!("1719792000000")), Some(1_719_792_000_000));
        assert_eq!(millis_of(&json!("soon")), None);
        assert_eq!(text_of(&json!(150000)), Some("150000".into()));
        assert_eq!(text_of(&json!("")), None);
    }
}
