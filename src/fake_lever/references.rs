//! Cross-references inside a fixture: which ids (stages, contacts, postings, users,
//! archive reasons, requisitions, opportunities) point at nothing.

use super::fixture::{value_id, Fixture};
use serde_json::Value;
use std::collections::HashSet;

impl Fixture {
    /// Ids that point at nothing in this fixture, one line each (`opportunities[0].stage:
    /// no stage "x"`). The fake serves such a fixture, but a GET that follows the id gets 404.
    pub fn unresolved_references(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let users = ids(&self.users);
        let postings = ids(&self.postings);
        let contacts = ids(&self.contacts);
        let requisitions = ids(&self.requisitions);
        let stages: HashSet<_> = self.stages.iter().map(|s| s.id.as_str()).collect();
        let reasons: HashSet<_> = self.archive_reasons.iter().map(|r| r.id.as_str()).collect();
        let opportunities: HashSet<_> = self.opportunities.iter().map(|o| o.id.as_str()).collect();
        let mut check = |at: String, kind: &str, known: &HashSet<&str>, id: Option<&str>| {
            report_unknown(&mut problems, at, kind, known, id)
        };
        for (i, o) in self.opportunities.iter().enumerate() {
            let at = format!("opportunities[{i}]");
            check(format!("{at}.stage"), "stage", &stages, Some(&o.stage));
            check(
                format!("{at}.contact"),
                "contact",
                &contacts,
                Some(&o.contact),
            );
            let reason = o.archived.as_ref().map(|a| a.reason.as_str());
            check(
                format!("{at}.archived.reason"),
                "archive reason",
                &reasons,
                reason,
            );
            for field in ["owner", "sourcedBy"] {
                let id = o.rest.get(field).and_then(Value::as_str);
                check(format!("{at}.{field}"), "user", &users, id);
            }
            for (j, user) in strings(o.rest.get("followers")).enumerate() {
                check(format!("{at}.followers[{j}]"), "user", &users, Some(user));
            }
            for (j, app) in o.applications.iter().enumerate() {
                let at = format!("{at}.applications[{j}]");
                let posting = app.get("posting").and_then(Value::as_str);
                check(format!("{at}.posting"), "posting", &postings, posting);
                for field in ["postingOwner", "postingHiringManager"] {
                    let id = app.get(field).and_then(Value::as_str);
                    check(format!("{at}.{field}"), "user", &users, id);
                }
            }
        }
        for (i, p) in self.postings.iter().enumerate() {
            for field in ["user", "owner", "hiringManager"] {
                let id = p.get(field).and_then(Value::as_str);
                check(format!("postings[{i}].{field}"), "user", &users, id);
            }
        }
        for (i, r) in self.requisitions.iter().enumerate() {
            for field in ["hiringManager", "owner"] {
                let id = r.get(field).and_then(Value::as_str);
                check(format!("requisitions[{i}].{field}"), "user", &users, id);
            }
            for (j, posting) in strings(r.get("postings")).enumerate() {
                let at = format!("requisitions[{i}].postings[{j}]");
                check(at, "posting", &postings, Some(posting));
            }
        }
        for (name, map) in [
            ("interviews", &self.interviews),
            ("feedback", &self.feedback),
            ("forms", &self.forms),
        ] {
            for (opportunity, values) in map {
                for (i, value) in values.iter().enumerate() {
                    let at = format!("{name}.{opportunity}[{i}]");
                    let user = value.get("user").and_then(Value::as_str);
                    check(format!("{at}.user"), "user", &users, user);
                    let interviewers = value.get("interviewers").and_then(Value::as_array);
                    for (j, who) in interviewers.into_iter().flatten().enumerate() {
                        let id = who.get("id").and_then(Value::as_str);
                        check(format!("{at}.interviewers[{j}]"), "user", &users, id);
                    }
                }
            }
        }
        for (name, map) in self.by_opportunity() {
            for opportunity in map.keys() {
                let at = format!("{name}.{opportunity}");
                check(at, "opportunity", &opportunities, Some(opportunity));
            }
        }
        for (opportunity, offers) in &self.offers {
            for (i, offer) in offers.iter().enumerate() {
                let fields = offer.get("fields").and_then(Value::as_array);
                for field in fields.into_iter().flatten() {
                    let identifier = field.get("identifier").and_then(Value::as_str);
                    let value = field.get("value").and_then(Value::as_str);
                    let (kind, known) = match identifier {
                        Some("hiring_manager" | "direct_manager") => ("user", &users),
                        Some("requisition") => ("requisition", &requisitions),
                        Some("job_posting") => ("posting", &postings),
                        _ => continue,
                    };
                    let at = format!("offers.{opportunity}[{i}].{}", identifier.unwrap_or(""));
                    check(at, kind, known, value);
                }
            }
        }
        problems
    }
}

fn ids(values: &[Value]) -> HashSet<&str> {
    values.iter().filter_map(value_id).collect()
}

fn report_unknown(
    problems: &mut Vec<String>,
    at: String,
    kind: &str,
    known: &HashSet<&str>,
    id: Option<&str>,
) {
    if let Some(id) = id.filter(|id| !known.contains(id)) {
        problems.push(format!("{at}: no {kind} \"{id}\""));
    }
}

fn strings(value: Option<&Value>) -> impl Iterator<Item = &str> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangling_ids_are_listed() {
        let fixture = Fixture::from_json(
            r#"{"stages": [{"id": "s", "text": "S"}],
                "opportunities": [{"id": "o", "contact": "c", "stage": "s",
                                   "applications": [{"id": "a", "posting": "p"}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            fixture.unresolved_references(),
            [
                "opportunities[0].contact: no contact \"c\"",
                "opportunities[0].applications[0].posting: no posting \"p\"",
            ]
        );
    }
}
