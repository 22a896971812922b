//! The error vocabulary every layer shares: [`BoxError`] and [`error_chain`]. A leaf: it uses
//! nothing else of the crate, so the Data API client, handlers, dispatch and alerts can all
//! speak it without importing each other.

/// Any error a handler (or another pluggable part) returns; it is recorded with the attempt
/// and the job is retried.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An error and its causes on one line: `outer: inner: root` (reqwest's own message hides
/// "connection refused" in a cause).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn every_cause_is_joined_on_one_line() {
        let error = Outer(std::io::Error::other("root"));
        assert_eq!(error_chain(&error), "outer: root");
    }
}
