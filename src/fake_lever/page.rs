//! Query strings and Lever's list pages: `limit` (1–100, default 100) and opaque `offset`
//! tokens, answered as `{"data": [...], "hasNext": bool, "next": "<token>"}`.

use super::error::ApiError;
use super::fixture::value_id;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

/// The most items one page holds, and the default page size.
pub(crate) const MAX_LIMIT: usize = 100;

/// A request's query parameters, repeated keys kept (`expand=stage&expand=applications`).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    pub(crate) fn parse(query: &str) -> Result<Self, ApiError> {
        actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
            .map(|q| Self(q.into_inner()))
            .map_err(|e| ApiError::BadRequest(format!("bad query string: {e}")))
    }

    /// The first value of `name`.
    pub(crate) fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, comma-separated values split (`expand=stage,applications`).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page {
    /// The items on this page.
    pub(crate) items: Vec<Value>,
    /// The token that fetches the next page, when there is one.
    pub(crate) next: Option<String>,
}

impl Page {
    /// Lever's list body.
    pub(crate) fn into_json(self) -> Value {
        let mut body = json!({ "data": self.items, "hasNext": self.next.is_some() });
        if let Some(next) = self.next {
            body["next"] = Value::String(next);
        }
        body
    }
}

/// Cuts the page that `limit` and `offset` ask for out of `items` (objects with an `id`).
///
/// The token names the next item's position and id, base64-encoded so clients treat it
/// as opaque; if items were added or removed since, the page resumes at that id.
pub(crate) fn paginate(items: Vec<Value>, params: &Params) -> Result<Page, ApiError> {
    let limit = match params.one("limit") {
        None => MAX_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(MAX_LIMIT),
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "limit must be an integer from 1 to {MAX_LIMIT}, not \"{text}\""
                )))
            }
        },
    };
    let start = match params.one("offset") {
        None | Some("") => 0,
        Some(token) => resume_at(&items, token)?,
    };
    let end = (start + limit).min(items.len());
    let next = items.get(end).map(|item| offset_token(end, item));
    let items = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    Ok(Page { items, next })
}

fn offset_token(index: usize, item: &Value) -> String {
    let id = value_id(item).unwrap_or("");
    URL_SAFE_NO_PAD.encode(format!("{index}:{id}"))
}

fn resume_at(items: &[Value], token: &str) -> Result<usize, ApiError> {
    let bad = || ApiError::BadRequest(format!("offset \"{token}\" is not a token from `next`"));
    let decoded = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (index, id) = decoded.split_once(':').ok_or_else(bad)?;
    let index: usize = index.parse().map_err(|_| bad())?;
    let by_id = items.iter().position(|item| value_id(item) == Some(id));
    Ok(by_id.unwrap_or(index).min(items.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<Value> {
        (0..n).map(|i| json!({ "id": format!("id-{i}") })).collect()
    }

    fn ids(page: &Page) -> Vec<&str> {
        page.items.iter().filter_map(value_id).collect()
    }

    fn params(query: &str) -> Params {
        Params::parse(query).unwrap()
    }

    #[test]
    fn without_limit_a_page_holds_up_to_a_hundred() {
        let page = paginate(items(150), &params("")).unwrap();
        assert_eq!(page.items.len(), 100);
        assert!(page.next.is_some());
        let page = paginate(items(3), &params("")).unwrap();
        assert_eq!((page.items.len(), page.next), (3, None));
    }

    #[test]
    fn limit_above_a_hundred_is_capped() {
        let page = paginate(items(150), &params("limit=500")).unwrap();
        assert_eq!(page.items.len(), 100);
    }

    #[test]
    fn following_next_walks_every_item_once() {
        let all = items(5);
        let mut seen = Vec::new();
        let mut query = "limit=2".to_owned();
        let mut pages = 0;
        loop {
            let page = paginate(all.clone(), &params(&query)).unwrap();
            pages += 1;
            seen.extend(ids(&page).into_iter().map(str::to_owned));
            match page.next {
                Some(next) => query = format!("limit=2&offset={next}"),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, ["id-0", "id-1", "id-2", "id-3", "id-4"]);
    }

    #[test]
    fn the_body_has_has_next_and_next_only_when_more_follow() {
        let body = paginate(items(3), &params("limit=2")).unwrap().into_json();
        assert_eq!(body["hasNext"], true);
        assert!(body["next"].is_string());
        let body = paginate(items(2), &params("limit=2")).unwrap().into_json();
        assert_eq!(body["hasNext"], false);
        assert!(body.get("next").is_none());
    }

    #[test]
    fn a_page_resumes_at_its_item_when_earlier_items_went_away() {
        let first = paginate(items(4), &params("limit=2")).unwrap();
        let token = first.next.unwrap();
        let mut fewer = items(4);
        fewer.remove(0);
        let second = paginate(fewer, &params(&format!("offset={token}"))).unwrap();
        assert_eq!(ids(&second), ["id-2", "id-3"]);
    }

    #[test]
    fn bad_limits_and_made_up_offsets_are_rejected() {
        for query in [
            "limit=0",
            "limit=ten",
            "limit=-1",
            "offset=2",
            "offset=abc!",
            "offset=MA",
        ] {
            assert!(paginate(items(3), &params(query)).is_err(), "{query}");
        }
    }

    #[test]
    fn repeated_and_comma_separated_values_are_all_kept() {
        let p = params("expand=stage&expand=applications,contact");
        assert_eq!(p.all("expand"), ["stage", "applications", "contact"]);
        assert_eq!(p.one("expand"), Some("stage"));
    }
}
