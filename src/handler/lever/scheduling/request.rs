//! What `scheduling` sends its provider and writes on the opportunity, decided from what
//! was read: the `schedule` and `interview-changed` requests, and the request's note.

use crate::lever::{Interview, User};
use serde_json::{json, Value};

/// The placeholders a `note` template may use.
pub const NOTE_PLACEHOLDERS: [&str; 4] = ["{stage}", "{posting}", "{link}", "{reference}"];

/// The `hiringManager` block: who the interviews are for; `null` when unknown.
pub fn hiring_manager_block(user: Option<&User>) -> Value {
    match user {
        None => Value::Null,
        Some(u) => json!({"id": u.id, "name": u.name, "email": u.email}),
    }
}

/// The `stage` block: the stage the opportunity entered, with its name when known.
pub fn stage_block(id: &str, name: Option<&str>) -> Value {
    json!({"id": id, "name": name})
}

/// Interviews or panels as Lever shows them now (canceled ones included, marked by
/// `canceledAt`), for the `interviews` and `panels` blocks.
pub fn list_block<T: serde::Serialize>(items: &[T]) -> Value {
    serde_json::to_value(items).unwrap_or(Value::Null)
}

/// The `interview-changed` request: the event's type, the interview as now read (`null`
/// and `"deleted": true` when it is gone), for the provider's request `reference`.
pub fn interview_changed_request(
    idempotency_key: &str,
    reference: &str,
    opportunity: &str,
    event: &str,
    interview_id: Option<&str>,
    interview: Option<&Interview>,
) -> Value {
    json!({
        "action": "interview-changed",
        "idempotencyKey": idempotency_key,
        "reference": reference,
        "opportunityId": opportunity,
        "event": event,
        "interviewId": interview_id,
        "interview": interview.map(|i| serde_json::to_value(i).unwrap_or(Value::Null)),
        "deleted": interview.is_none(),
    })
}

/// The note written once a request is made: the `note` template with its placeholders
/// filled, or the default text (which names the scheduling link only when there is one).
pub fn request_note(
    template: Option<&str>,
    stage: &str,
    posting: Option<&str>,
    link: Option<&str>,
    reference: &str,
) -> String {
    match template {
        Some(template) => template
            .replace("{stage}", stage)
            .replace("{posting}", posting.unwrap_or(""))
            .replace("{link}", link.unwrap_or(""))
            .replace("{reference}", reference),
        None => {
            let mut note = format!("Interview scheduling requested for stage {stage}.");
            if let Some(link) = link {
                note.push_str(&format!("\nScheduling link: {link}"));
            }
            note.push_str(&format!("\nProvider reference: {reference}."));
            note
        }
    }
}

/// The placeholders in `template` that [`request_note`] does not fill.
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let placeholder = &rest[start..start + len + 1];
        if !NOTE_PLACEHOLDERS.contains(&placeholder) {
            unknown.push(placeholder.to_owned());
        }
        rest = &rest[start + len + 1..];
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_note_names_the_link_only_when_there_is_one() {
        assert_eq!(
            request_note(None, "Onsite", None, Some("https://s.example.com/b/1"), "sch_1"),
            "Interview scheduling requested for stage Onsite.\nScheduling link: https://s.example.com/b/1\nProvider reference: sch_1."
        );
        assert_eq!(
            request_note(None, "Onsite", None, None, "sch_1"),
            "Interview scheduling requested for stage Onsite.\nProvider reference: sch_1."
        );
    }

    #[test]
    fn a_template_fills_its_placeholders() {
        let note = request_note(
            Some("{posting}: book {stage} at {link} ({reference})"),
            "Onsite",
            Some("Backend Engineer"),
            Some("https://s.example.com/b/1"),
            "sch_1",
        );
        assert_eq!(
            note,
            "Backend Engineer: book Onsite at https://s.example.com/b/1 (sch_1)"
        );
        assert_eq!(unknown_placeholders("{stage} {when} {link} {x"), ["{when}"]);
    }

    #[test]
    fn a_gone_interview_is_sent_as_deleted() {
        let gone =
            interview_changed_request("k", "sch_1", "opp-1", "interviewDeleted", Some("i-1"), None);
        assert_eq!(gone["deleted"], true);
        assert_eq!(gone["interview"], Value::Null);
        assert_eq!(gone["interviewId"], "i-1");
        let interview = Interview {
            id: "i-1".to_owned(),
            duration: Some(45),
            ..Interview::default()
        };
        let now = interview_changed_request(
            "k",
            "sch_1",
            "opp-1",
            "interviewUpdated",
            Some("i-1"),
            Some(&interview),
        );
        assert_eq!(now["deleted"], false);
        assert_eq!(now["interview"]["duration"], 45);
        assert_eq!(now["action"], "interview-changed");
        assert_eq!(now["reference"], "sch_1");
    }

    #[test]
    fn the_hiring_manager_block_has_id_name_and_email() {
        let user = User {
            id: "u-1".to_owned(),
            name: Some("Priya Raman".to_owned()),
            email: Some("priya@example.com".to_owned()),
            ..User::default()
        };
        assert_eq!(
            hiring_manager_block(Some(&user)),
            json!({"id": "u-1", "name": "Priya Raman", "email": "priya@example.com"})
        );
        assert_eq!(hiring_manager_block(None), Value::Null);
    }
}
