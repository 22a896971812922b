//! The Data API's reads under one opportunity that the fixture keeps by opportunity id:
//! interviews, panels, feedback and profile forms, each as a paged list and by id.

use super::error::ApiError;
use super::fixture::{value_id, Fixture};
use super::page::{paginate, Params};
use super::server::Shared;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One kind of object listed under `/opportunities/:id/<kind>`.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Interviews,
    Panels,
    Feedback,
    Forms,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Interviews, Kind::Panels, Kind::Feedback, Kind::Forms];

    /// The path segment, also the collection named in a 404.
    fn segment(self) -> &'static str {
        match self {
            Self::Interviews => "interviews",
            Self::Panels => "panels",
            Self::Feedback => "feedback",
            Self::Forms => "forms",
        }
    }

    fn lists(self, fixture: &Fixture) -> &BTreeMap<String, Vec<Value>> {
        match self {
            Self::Interviews => &fixture.interviews,
            Self::Panels => &fixture.panels,
            Self::Feedback => &fixture.feedback,
            Self::Forms => &fixture.forms,
        }
    }
}

/// Registers `GET /opportunities/:id/<kind>` and `GET /opportunities/:id/<kind>/:item`
/// for each kind (inside the `/v1` scope).
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    for kind in Kind::ALL {
        let list_path = format!("/opportunities/{{id}}/{}", kind.segment());
        let item_path = format!("{list_path}/{{item}}");
        cfg.route(
            &list_path,
            web::get().to(
                move |id: web::Path<String>, req: HttpRequest, shared: web::Data<Shared>| {
                    list(kind, id.into_inner(), req, shared)
                },
            ),
        );
        cfg.route(
            &item_path,
            web::get().to(
                move |ids: web::Path<(String, String)>, shared: web::Data<Shared>| {
                    item(kind, ids.into_inner(), shared)
                },
            ),
        );
    }
}

/// The kind's objects of an existing opportunity, oldest first, paged.
async fn list(
    kind: Kind,
    opportunity: String,
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let items = of_opportunity(&shared, kind, &opportunity)?;
    Ok(HttpResponse::Ok().json(paginate(items, &params)?.into_json()))
}

/// One object of an existing opportunity: `{"data": …}`, or 404 naming the kind.
async fn item(
    kind: Kind,
    (opportunity, id): (String, String),
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let found = of_opportunity(&shared, kind, &opportunity)?
        .into_iter()
        .find(|v| value_id(v) == Some(id.as_str()))
        .ok_or_else(|| ApiError::not_found(kind.segment(), &id))?;
    Ok(HttpResponse::Ok().json(json!({ "data": found })))
}

fn of_opportunity(shared: &Shared, kind: Kind, opportunity: &str) -> Result<Vec<Value>, ApiError> {
    let account = shared.account();
    account.opportunity(opportunity)?;
    Ok(kind
        .lists(account.data())
        .get(opportunity)
        .cloned()
        .unwrap_or_default())
}
