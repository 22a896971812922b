//! What operators see of reconciliation: each event's `source` and, for a late webhook,
//! the event that covered it (`coveredBy`); and `GET /api/v1/opportunities/{id}`, an
//! opportunity's last known state.

use super::api::ApiError;
use super::auth::Authorized;
use super::AdminState;
use crate::event::{EventId, EventSource};
use crate::opportunity_state::{self as state, late};
use crate::store::{EventPage, EventView, Store, StoreError};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The account an opportunity is looked up in when the query names none.
const DEFAULT_ACCOUNT: &str = "default";

/// An event as the API shows it: the store's view with where it came from.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShownEvent {
    /// The event, its status and its jobs.
    #[serde(flatten)]
    pub view: EventView,
    /// Where the event came from.
    pub source: EventSource,
    /// For a late webhook: the reconciled event that had already run its change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<EventId>,
}

/// A page of [`ShownEvent`]s, newest first.
#[derive(Debug, Serialize)]
pub struct ShownPage {
    /// The events.
    pub events: Vec<ShownEvent>,
    /// As in [`EventPage::next`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `view` with its source and, for a webhook, the event that covered it.
pub async fn shown(store: &dyn Store, view: EventView) -> Result<ShownEvent, StoreError> {
    let source = view.event.source();
    // Only a webhook can be late: one record read each, none for other sources.
    let covered_by = if source == EventSource::Webhook {
        late::covered_by(store, &view.event.account, &view.event.id).await?
    } else {
        None
    };
    Ok(ShownEvent {
        view,
        source,
        covered_by,
    })
}

/// Every event of `page` [`shown`].
pub async fn shown_page(store: &dyn Store, page: EventPage) -> Result<ShownPage, StoreError> {
    let mut events = Vec::with_capacity(page.events.len());
    for view in page.events {
        events.push(shown(store, view).await?);
    }
    Ok(ShownPage {
        events,
        next: page.next,
    })
}

/// `GET /api/v1/opportunities/{id}?account=…`: the opportunity's last known state.
pub async fn opportunity(
    _: Authorized,
    admin: web::Data<AdminState>,
    id: web::Path<String>,
    query: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    if let Some(other) = query.keys().find(|k| k.as_str() != "account") {
        return Err(ApiError::BadRequest(format!(
            "unknown query parameter `{other}`; only `account` is taken"
        )));
    }
    let account = query.get("account").map_or(DEFAULT_ACCOUNT, String::as_str);
    let id = id.into_inner();
    let known = state::load(&*admin.store, account, &id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no known state for opportunity {id} in account `{account}`: no stage or archive change of it was routed (or it was deleted)"
            ))
        })?;
    Ok(HttpResponse::Ok().json(json!({
        "account": account,
        "opportunityId": id,
        "state": known,
    })))
}
