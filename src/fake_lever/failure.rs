//! Failure injection: rules that answer the next few matching requests with an error status
//! instead of serving them, so tests can watch a client retry.

use serde::{Deserialize, Serialize};

/// Answer the next `times` requests whose path starts with `path` with `status`.
///
/// The body of `POST /_fake/fail`: `{"status":503,"times":2,"path":"/v1/opportunities","retryAfter":1}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailureRule {
    /// The status to answer with (400–599).
    pub status: u16,
    /// How many matching requests fail (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// A path prefix such as `/v1/opportunities`; every API request matches when absent.
    #[serde(default)]
    pub path: Option<String>,
    /// Seconds for a `Retry-After` header, when set.
    #[serde(default)]
    pub retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

impl FailureRule {
    /// Fail the next `times` API requests with `status`.
    pub fn new(status: u16, times: u32) -> Self {
        Self {
            status,
            times,
            path: None,
            retry_after: None,
        }
    }

    /// Only requests whose path starts with `prefix`.
    pub fn on_path(mut self, prefix: impl Into<String>) -> Self {
        self.path = Some(prefix.into());
        self
    }

    /// Send `Retry-After: seconds` with each failure.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Why this rule cannot be served, if it cannot.
    pub(crate) fn problem(&self) -> Option<String> {
        if !(400..=599).contains(&self.status) {
            return Some(format!("status must be 400–599, not {}", self.status));
        }
        if self.times == 0 {
            return Some("times must be at least 1".to_owned());
        }
        None
    }

    fn matches(&self, path: &str) -> bool {
        self.path
            .as_deref()
            .map_or(true, |prefix| path.starts_with(prefix))
    }
}

/// The pending rules, first added first used.
#[derive(Debug, Default)]
pub(crate) struct Failures {
    rules: Vec<FailureRule>,
}

impl Failures {
    /// Adds a rule after the pending ones.
    pub(crate) fn add(&mut self, rule: FailureRule) {
        self.rules.push(rule);
    }

    /// The failure `path` gets now, if any; uses up one of that rule's `times`.
    pub(crate) fn take(&mut self, path: &str) -> Option<FailureRule> {
        let index = self.rules.iter().position(|rule| rule.matches(path))?;
        let rule = &mut self.rules[index];
        rule.times -= 1;
        let taken = rule.clone();
        if rule.times == 0 {
            self.rules.remove(index);
        }
        Some(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_fails_its_number_of_matching_requests_then_stops() {
        let mut failures = Failures::default();
        failures.add(FailureRule::new(503, 2).on_path("/v1/opportunities"));
        assert!(failures.take("/v1/stages").is_none());
        assert_eq!(failures.take("/v1/opportunities/x").unwrap().status, 503);
        assert!(failures.take("/v1/opportunities").is_some());
        assert!(failures.take("/v1/opportunities").is_none());
    }

    #[test]
    fn the_body_decodes_with_defaults() {
        let rule: FailureRule = serde_json::from_str(r#"{"status": 429}"#).unwrap();
        assert_eq!(rule, FailureRule::new(429, 1));
        assert!(FailureRule::new(200, 1).problem().is_some());
    }
}
