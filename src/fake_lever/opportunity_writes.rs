//! `POST /v1/opportunities` (create, announced with `applicationCreated`), the links and
//! sources edits, and `POST /v1/opportunities/:id/files`.

use super::account::NewOpportunity;
use super::api_read::one;
use super::api_write::{body, perform_as};
use super::error::ApiError;
use super::multipart::file_part;
use super::server::Shared;
use crate::sample::random_uuid;
use crate::store::now_millis;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// Lever's upload limit.
const MAX_FILE_BYTES: usize = 30 * 1024 * 1024;

fn required_user(req: &HttpRequest, shared: &Shared) -> Result<String, ApiError> {
    perform_as(req, shared)?.ok_or_else(|| ApiError::BadRequest("perform_as is required".into()))
}

/// `POST /v1/opportunities?perform_as=` → 201 with the opportunity.
pub(crate) async fn create(
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let new: NewOpportunity = body(&bytes)?;
    let user = required_user(&req, &shared)?;
    let mut account = shared.account();
    let created = account.create_opportunity(new, &user, now_millis())?;
    let opportunity = account.opportunity(&created.id)?;
    if let Some(application) = &created.application {
        shared
            .outbox
            .application_created(opportunity, application, account.webhooks());
    }
    Ok(HttpResponse::Created().json(json!({ "data": account.render(opportunity, &[]) })))
}

async fn edit(
    id: &str,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
    field: &'static str,
    add: bool,
) -> Result<HttpResponse, ApiError> {
    let mut values: serde_json::Map<String, serde_json::Value> = body(&bytes)?;
    let list: Vec<String> = match values.remove(field) {
        Some(v) if values.is_empty() => serde_json::from_value(v)
            .map_err(|e| ApiError::BadRequest(format!("body at {field}: {e}")))?,
        _ => {
            return Err(ApiError::BadRequest(format!(
                "the body is {{\"{field}\": [...]}}"
            )))
        }
    };
    perform_as(&req, &shared)?;
    let mut account = shared.account();
    account.edit_list(id, field, &list, add, now_millis())?;
    Ok(one(account.render(account.opportunity(id)?, &[])))
}

/// `POST /v1/opportunities/:id/addLinks` `{links}` → the opportunity.
pub(crate) async fn add_links(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    edit(&id, req, bytes, shared, "links", true).await
}

/// `POST /v1/opportunities/:id/removeLinks` `{links}` → the opportunity.
pub(crate) async fn remove_links(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    edit(&id, req, bytes, shared, "links", false).await
}

/// `POST /v1/opportunities/:id/addSources` `{sources}` → the opportunity.
pub(crate) async fn add_sources(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    edit(&id, req, bytes, shared, "sources", true).await
}

/// `POST /v1/opportunities/:id/removeSources` `{sources}` → the opportunity.
pub(crate) async fn remove_sources(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    edit(&id, req, bytes, shared, "sources", false).await
}

/// `POST /v1/opportunities/:id/files?perform_as=`, multipart field `file` → 201 with
/// `{id, downloadUrl, ext, name, uploadedAt, status, size}` (status `processed`).
pub(crate) async fn upload_file(
    id: web::Path<String>,
    req: HttpRequest,
    bytes: web::Bytes,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let part = file_part(content_type, &bytes, "file")?;
    if part.bytes.len() > MAX_FILE_BYTES {
        return Err(ApiError::BadRequest("files are at most 30 MB".into()));
    }
    required_user(&req, &shared)?;
    let file_id = random_uuid();
    let info = req.connection_info();
    let download_url = format!(
        "{}://{}/v1/opportunities/{id}/files/{file_id}/download",
        info.scheme(),
        info.host()
    );
    let ext = part
        .file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_lowercase());
    let now = now_millis();
    let file = json!({
        "id": file_id, "downloadUrl": download_url, "ext": ext, "name": part.file_name,
        "uploadedAt": now, "status": "processed", "size": part.bytes.len(),
    });
    shared.account().add_file(&id, file.clone(), now)?;
    Ok(HttpResponse::Created().json(json!({ "data": file })))
}
