//! What `GET /opportunities` and `GET /opportunities/deleted` can be asked for: the
//! documented filters (lever-facts.md §4.11) as typed fields, turned into query pairs.

/// A span of time in ms since the epoch; either end may be open. Lever's `*_start` and
/// `*_end` filters take these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// At or after this (`*_start`).
    pub start: Option<i64>,
    /// At or before this (`*_end`).
    pub end: Option<i64>,
}

impl TimeRange {
    /// From `start` on, open-ended.
    pub fn since(start: i64) -> Self {
        Self {
            start: Some(start),
            end: None,
        }
    }

    /// From `start` to `end`, both included.
    pub fn between(start: i64, end: i64) -> Self {
        Self {
            start: Some(start),
            end: Some(end),
        }
    }

    /// Adds `start=` and `end=` for the ends that are set.
    pub(crate) fn push(
        &self,
        (start, end): (&'static str, &'static str),
        query: &mut Vec<(&'static str, String)>,
    ) {
        if let Some(at) = self.start {
            query.push((start, at.to_string()));
        }
        if let Some(at) = self.end {
            query.push((end, at.to_string()));
        }
    }
}

/// A reference Lever can inline in an opportunity (`expand=`): the field then holds the
/// object instead of its id, which [`crate::lever::Opportunity`] decodes either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expand {
    /// `applications`: the application objects.
    Applications,
    /// `stage`: `{id, text}`.
    Stage,
    /// `owner`: the owner's user object.
    Owner,
    /// `followers`: user objects.
    Followers,
    /// `sourcedBy`: the user object.
    SourcedBy,
    /// `contact`: the contact object.
    Contact,
}

impl Expand {
    /// Lever's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applications => "applications",
            Self::Stage => "stage",
            Self::Owner => "owner",
            Self::Followers => "followers",
            Self::SourcedBy => "sourcedBy",
            Self::Contact => "contact",
        }
    }
}

/// The filters of `GET /opportunities`. Every field left at its default asks for
/// nothing; the values of one multi-valued filter are a union (any of them matches) and
/// go out as repeated query parameters; different filters all have to match.
///
/// ```
/// use lever_hooks::lever::{Expand, OpportunityFilter, TimeRange};
///
/// let filter = OpportunityFilter {
///     updated_at: TimeRange::since(1_717_000_000_000),
///     stage_id: vec!["offer".into()],
///     archived: Some(false),
///     expand: vec![Expand::Applications, Expand::Stage],
///     ..OpportunityFilter::default()
/// };
/// assert!(filter.query().contains(&("stage_id", "offer".to_owned())));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpportunityFilter {
    /// `created_at_start` / `created_at_end`.
    pub created_at: TimeRange,
    /// `updated_at_start` / `updated_at_end`.
    pub updated_at: TimeRange,
    /// `advanced_at_start` / `advanced_at_end` (the last stage move forward).
    pub advanced_at: TimeRange,
    /// `archived_at_start` / `archived_at_end`.
    pub archived_at: TimeRange,
    /// `email`: any of these addresses.
    pub email: Vec<String>,
    /// `tag`: carrying any of these tags.
    pub tag: Vec<String>,
    /// `origin`: any of `agency`, `applied`, `internal`, `referred`, `sourced`, `university`.
    pub origin: Vec<String>,
    /// `source`: with any of these sources.
    pub source: Vec<String>,
    /// `stage_id`: in any of these stages.
    pub stage_id: Vec<String>,
    /// `posting_id`: applied to any of these postings.
    pub posting_id: Vec<String>,
    /// `archived`: only archived (`true`) or only active (`false`) ones.
    pub archived: Option<bool>,
    /// `archive_reason_id`: archived with any of these reasons.
    pub archive_reason_id: Vec<String>,
    /// `contact_id`: candidacies of any of these people.
    pub contact_id: Vec<String>,
    /// `confidentiality`: `confidential`, `non-confidential` (Lever's default) or `all`.
    pub confidentiality: Option<String>,
    /// `expand`: references to inline.
    pub expand: Vec<Expand>,
    /// `limit`: items per page (1–100); `None` asks for Lever's maximum.
    pub page_size: Option<u8>,
}

impl OpportunityFilter {
    /// The opportunities of one person, confidential ones included when the credential
    /// may see them.
    pub fn of_contact(contact: &str) -> Self {
        Self {
            contact_id: vec![contact.to_owned()],
            confidentiality: Some("all".to_owned()),
            ..Self::default()
        }
    }

    /// The query pairs, in a fixed order.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        self.created_at
            .push(("created_at_start", "created_at_end"), &mut query);
        self.updated_at
            .push(("updated_at_start", "updated_at_end"), &mut query);
        self.advanced_at
            .push(("advanced_at_start", "advanced_at_end"), &mut query);
        self.archived_at
            .push(("archived_at_start", "archived_at_end"), &mut query);
        let lists: [(&'static str, &Vec<String>); 8] = [
            ("email", &self.email),
            ("tag", &self.tag),
            ("origin", &self.origin),
            ("source", &self.source),
            ("stage_id", &self.stage_id),
            ("posting_id", &self.posting_id),
            ("archive_reason_id", &self.archive_reason_id),
            ("contact_id", &self.contact_id),
        ];
        for (name, values) in lists {
            query.extend(values.iter().map(|v| (name, v.clone())));
        }
        if let Some(archived) = self.archived {
            query.push(("archived", archived.to_string()));
        }
        if let Some(confidentiality) = &self.confidentiality {
            query.push(("confidentiality", confidentiality.clone()));
        }
        query.extend(
            self.expand
                .iter()
                .map(|e| ("expand", e.as_str().to_owned())),
        );
        if let Some(limit) = self.page_size {
            query.push(("limit", limit.to_string()));
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_of_a_list_filter_is_its_own_parameter() {
        let filter = OpportunityFilter {
            tag: vec!["a".into(), "b".into()],
            archived_at: TimeRange::between(1, 2),
            archived: Some(true),
            expand: vec![Expand::Stage, Expand::SourcedBy],
            page_size: Some(2),
            ..OpportunityFilter::default()
        };
        let query = filter.query();
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            query,
            [
                ("archived_at_start", "1"),
                ("archived_at_end", "2"),
                ("tag", "a"),
                ("tag", "b"),
                ("archived", "true"),
                ("expand", "stage"),
                ("expand", "sourcedBy"),
                ("limit", "2"),
            ]
        );
        assert!(OpportunityFilter::default().query().is_empty());
    }
}
