//! The Data API's writes: notes, tags, stage, archive state and webhooks. Each is applied
//! to the account at once (later GETs see it); a change Lever would announce is then handed
//! to the outbox, which sends the webhooks in the background.

use super::account::{NewNote, Webhook};
use super::api_read::one;
use super::error::ApiError;
use super::page::Params;
use super::server::Shared;
use crate::event::KNOWN_EVENTS;
use crate::sample::{random_token, random_uuid};
use crate::store::now_millis;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

/// Decodes a JSON body; errors name the bad field.
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        if at == "." {
            ApiError::BadRequest(format!("body: {inner}"))
        } else {
            ApiError::BadRequest(format!("body at {at}: {inner}"))
        }
    })
}

/// The `perform_as` user, checked against the account's users.
pub(crate) fn perform_as(req: &HttpRequest, shared: &Shared) -> Result<Option<String>, ApiError> {
    let params = Params::parse(req.query_string())?;
    let user = params.one("perform_as").map(str::to_owned);
    shared.account().check_user(user.as_deref())?;
    Ok(user)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NoteBody {
    value: String,
    #[serde(default)]
    secret: bool,
    #[serde(default)]
    score: Option<u8>,
    #[serde(default)]
    notify_followers: bool,
    #[serde(default)]
    created_at: Option<u64>,
}

/// `POST /v1/opportunities/:id/notes` → 201 `{"data": {"noteId": "…"}}`.
pub(crate) async fn add_note(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let note: NoteBody = body(&bytes)?;
    if note.value.trim().is_empty() {
        return Err(ApiError::BadRequest("value must not be empty".into()));
    }
    if note.score.is_some_and(|s| !(1..=4).contains(&s)) {
        return Err(ApiError::BadRequest("score must be 1 to 4".into()));
    }
    let now = now_millis();
    if note.created_at.is_some_and(|t| t > now) {
        return Err(ApiError::BadRequest("createdAt must be in the past".into()));
    }
    let user = perform_as(&req, &shared)?;
    let note_id = shared.account().add_note(
        &id,
        NewNote {
            value: note.value,
            secret: note.secret,
            score: note.score,
            notify_followers: note.notify_followers,
            created_at: note.created_at.unwrap_or(now),
            user,
        },
    )?;
    Ok(HttpResponse::Created().json(json!({ "data": { "noteId": note_id } })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagsBody {
    tags: Vec<String>,
}

/// `POST /v1/opportunities/:id/addTags` → the opportunity.
pub(crate) async fn add_tags(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let tags: TagsBody = body(&bytes)?;
    perform_as(&req, &shared)?;
    let mut account = shared.account();
    account.add_tags(&id, &tags.tags, now_millis())?;
    Ok(one(account.render(account.opportunity(&id)?, &[])))
}

/// `POST /v1/opportunities/:id/removeTags` → the opportunity.
pub(crate) async fn remove_tags(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let tags: TagsBody = body(&bytes)?;
    perform_as(&req, &shared)?;
    let mut account = shared.account();
    account.remove_tags(&id, &tags.tags, now_millis())?;
    Ok(one(account.render(account.opportunity(&id)?, &[])))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageBody {
    stage: String,
}

/// `PUT /v1/opportunities/:id/stage` → the opportunity; a move sends `candidateStageChange`.
pub(crate) async fn set_stage(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let stage: StageBody = body(&bytes)?;
    let user = perform_as(&req, &shared)?;
    let mut account = shared.account();
    let moved = account.set_stage(&id, &stage.stage, user.as_deref(), now_millis())?;
    let opportunity = account.opportunity(&id)?;
    if let Some(moved) = moved {
        shared
            .outbox
            .stage_changed(opportunity, &moved, account.webhooks());
    }
    Ok(one(account.render(opportunity, &[])))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ArchivedBody {
    /// `None`: the key is missing; `Some(None)`: `null`, which unarchives.
    #[serde(default, deserialize_with = "present")]
    reason: Option<Option<String>>,
    /// Accepted so Lever's documented body passes; the fake has no interviews to clean.
    #[serde(default)]
    #[allow(dead_code)]
    clean_interviews: Option<bool>,
    #[serde(default)]
    requisition_id: Option<String>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PUT /v1/opportunities/:id/archived` → the opportunity; a change sends
/// `candidateArchiveChange`, and `candidateHired` too when the reason is of type `hired`.
pub(crate) async fn set_archived(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let archived: ArchivedBody = body(&bytes)?;
    let Some(reason) = archived.reason else {
        let message = "reason is required: an archive reason id, or null to unarchive";
        return Err(ApiError::BadRequest(message.into()));
    };
    perform_as(&req, &shared)?;
    let mut account = shared.account();
    if let Some(requisition) = &archived.requisition_id {
        account.find(super::account::Collection::Requisitions, requisition)?;
        let hired = reason.as_deref().and_then(|r| account.archive_reason(r));
        if !hired.is_some_and(|r| r.kind == super::fixture::ArchiveReasonType::Hired) {
            let message = "requisitionId needs an archive reason of type hired";
            return Err(ApiError::BadRequest(message.into()));
        }
    }
    let moved = account.set_archived(&id, reason.as_deref(), now_millis())?;
    let opportunity = account.opportunity(&id)?;
    if let Some(moved) = moved {
        shared
            .outbox
            .archive_changed(opportunity, &moved, account.webhooks());
    }
    Ok(one(account.render(opportunity, &[])))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookBody {
    url: String,
    event: String,
    #[serde(default)]
    configuration: Option<Value>,
}

/// `POST /v1/webhooks` → 201 with the webhook and its generated `signatureToken`.
pub(crate) async fn create_webhook(
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let new: WebhookBody = body(&bytes)?;
    if !(new.url.starts_with("https://") || new.url.starts_with("http://")) {
        return Err(ApiError::BadRequest(format!(
            "url must be an http(s) URL, not \"{}\"",
            new.url
        )));
    }
    if !KNOWN_EVENTS.contains(&new.event.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "event must be one of {}, not \"{}\"",
            KNOWN_EVENTS.join(", "),
            new.event
        )));
    }
    let configuration = match new.configuration {
        None | Some(Value::Null) => json!({}),
        Some(object @ Value::Object(_)) => object,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "configuration must be an object".into(),
            ))
        }
    };
    let now = now_millis();
    let webhook = Webhook {
        id: random_uuid(),
        url: new.url,
        event: new.event,
        configuration,
        signature_token: random_token(),
        created_at: now,
        updated_at: now,
    };
    let created = webhook.created();
    shared.account().add_webhook(webhook);
    Ok(HttpResponse::Created().json(json!({ "data": created })))
}

/// `DELETE /v1/webhooks/:id` → 204.
pub(crate) async fn delete_webhook(
    id: web::Path<String>,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    shared.account().delete_webhook(&id)?;
    Ok(HttpResponse::NoContent().finish())
}
