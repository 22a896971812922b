//! The names of the records kept in the store beside the events: one constructor per
//! namespace, so no two features can write each other's keys by accident.
//!
//! A record key is a path of `/`-separated parts whose first part names its owner
//! (`oauth/acme`, `hire/acme/<opportunity>/<handler>`). Parts that come from outside (an
//! account name, an id, a handler name) have `%` and `/` escaped, so `a/b` as an account
//! cannot reach into another account's records, and a prefix never matches more than the
//! one owner it names. Ids from Lever and config names never contain either character, so
//! keys written before this module existed are unchanged.

use std::borrow::Cow;
use std::fmt;

/// The key of one record in the store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey(String);

/// The first parts of a family of keys, for listing them ([`crate::store::Store::records`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPrefix(String);

impl RecordKey {
    /// That `handler` ran for the hire of `opportunity` in `account` (a hire is done once
    /// however many hire-like events arrive).
    pub fn hire_once(account: &str, opportunity: &str, handler: &str) -> Self {
        Self(join(["hire", account, opportunity, handler]))
    }

    /// The reconciled event that covered the late webhook `event` in `account` (it got
    /// no jobs: reconciliation had run the same change).
    pub fn covered(account: &str, event: &str) -> Self {
        Self(join(["covered", account, event]))
    }

    /// The rotated OAuth refresh token of `account`.
    pub fn oauth_session(account: &str) -> Self {
        Self(join(["oauth", account]))
    }

    /// The signing token Lever gave when lever-hooks registered `webhook` for `event`.
    pub fn signing_token(account: &str, event: &str, webhook: &str) -> Self {
        Self(join(["signing-token", account, event, webhook]))
    }

    /// The last known state of `opportunity` in `account` (reconciliation).
    pub fn opportunity_state(account: &str, opportunity: &str) -> Self {
        Self(join(["state", account, opportunity]))
    }

    /// Where the reconciliation of `account` got to: the start of its last complete pass.
    pub fn reconcile_cursor(account: &str) -> Self {
        Self(join(["reconcile-cursor", account]))
    }

    /// Which instance polls `account` now, and until when (the reconciliation lease).
    pub fn reconcile_lease(account: &str) -> Self {
        Self(join(["reconcile-lease", account]))
    }

    /// The record `/readyz` writes to prove the store takes writes.
    pub fn readiness_probe() -> Self {
        Self("health/ready".to_owned())
    }

    /// A record of the handler `handler`, named `name` by the handler. `name` is the
    /// handler's own: it may hold `/` to make families listed with
    /// [`RecordPrefix::handler`].
    pub fn handler(handler: &str, name: &str) -> Self {
        Self(format!("{}{name}", RecordPrefix::handler(handler).0))
    }

    /// A key of a namespace the Lever-aware handlers wrote before they had records of
    /// their own (`bgcheck`, `assessment`, `hris`, `write`), for the upgrade's tests.
    #[cfg(test)]
    pub(crate) fn legacy(owner: &'static str, parts: &[&str]) -> Self {
        let mut key = owner.to_owned();
        for part in parts {
            key.push('/');
            key.push_str(&escape(part));
        }
        Self(key)
    }

    /// A key read back from the store (a listing's result).
    pub(crate) fn from_stored(key: String) -> Self {
        Self(key)
    }

    /// The key as the store keeps it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The parts after the owner's name, unescaped: `["acme", "candidateHired", "wh-1"]`
    /// for a signing token. (A handler's record name comes back split at its `/`s.)
    pub fn parts(&self) -> Vec<String> {
        self.0.split('/').skip(1).map(unescape).collect()
    }
}

impl RecordPrefix {
    /// Every signing token registered for `account`.
    pub fn signing_tokens_of(account: &str) -> Self {
        Self(format!("{}/", join(["signing-token", account])))
    }

    /// Every signing token registered, for all accounts.
    pub fn signing_tokens() -> Self {
        Self("signing-token/".to_owned())
    }

    /// Every record of a namespace from before handlers had records of their own.
    pub(crate) fn legacy(owner: &'static str) -> Self {
        Self(format!("{owner}/"))
    }

    /// Every record of the handler `handler`.
    pub fn handler(handler: &str) -> Self {
        Self(format!("{}/", join(["handler", handler])))
    }

    /// Records of the handler `handler` whose name starts with `name_start`.
    pub fn handler_names(handler: &str, name_start: &str) -> Self {
        Self(format!("{}{name_start}", Self::handler(handler).0))
    }

    /// The prefix as the store matches it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RecordPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The owner's name, then each part with `%` and `/` escaped.
fn join<const N: usize>(parts: [&str; N]) -> String {
    let [owner, rest @ ..] = parts.as_slice() else {
        return String::new();
    };
    let mut key = (*owner).to_owned();
    for part in rest {
        key.push('/');
        key.push_str(&escape(part));
    }
    key
}

fn escape(part: &str) -> Cow<'_, str> {
    if part.contains(['%', '/']) {
        Cow::Owned(part.replace('%', "%25").replace('/', "%2F"))
    } else {
        Cow::Borrowed(part)
    }
}

fn unescape(part: &str) -> String {
    if part.contains('%') {
        part.replace("%2F", "/").replace("%25", "%")
    } else {
        part.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_written_before_this_module_keep_their_spelling() {
        assert_eq!(
            RecordKey::hire_once("acme", "opp-1", "hris").as_str(),
            "hire/acme/opp-1/hris"
        );
        assert_eq!(RecordKey::oauth_session("acme").as_str(), "oauth/acme");
        assert_eq!(
            RecordKey::signing_token("acme", "candidateHired", "wh-1").as_str(),
            "signing-token/acme/candidateHired/wh-1"
        );
        assert_eq!(
            RecordKey::legacy("bgcheck", &["acme", "opp-1"]).as_str(),
            "bgcheck/acme/opp-1"
        );
        assert_eq!(RecordKey::readiness_probe().as_str(), "health/ready");
    }

    #[test]
    fn a_slash_in_a_part_cannot_reach_another_owners_records() {
        let sneaky = RecordKey::oauth_session("acme/../other");
        assert_eq!(sneaky.as_str(), "oauth/acme%2F..%2Fother");
        let listed = RecordPrefix::signing_tokens_of("a");
        assert!(!RecordKey::signing_token("a/b", "e", "w")
            .as_str()
            .starts_with(listed.as_str()));
        assert!(RecordKey::signing_token("a", "e", "w")
            .as_str()
            .starts_with(listed.as_str()));
        assert_eq!(
            RecordKey::signing_token("a/b", "e%", "w").parts(),
            ["a/b", "e%", "w"]
        );
        assert_eq!(
            RecordKey::oauth_session("a%2Fb").parts(),
            ["a%2Fb"],
            "a literal %2F comes back as written"
        );
        assert_ne!(
            RecordKey::oauth_session("a%2Fb"),
            RecordKey::oauth_session("a/b"),
            "an escaped spelling is not the same account"
        );
    }

    #[test]
    fn a_handlers_records_are_its_own_and_listed_by_its_prefix() {
        let key = RecordKey::handler("announce", "sent/opp-1");
        assert_eq!(key.as_str(), "handler/announce/sent/opp-1");
        assert!(key
            .as_str()
            .starts_with(RecordPrefix::handler("announce").as_str()));
        assert!(key
            .as_str()
            .starts_with(RecordPrefix::handler_names("announce", "sent/").as_str()));
        assert!(!RecordKey::handler("announce-2", "x")
            .as_str()
            .starts_with(RecordPrefix::handler("announce").as_str()));
        assert!(!RecordKey::handler("a/b", "x")
            .as_str()
            .starts_with(RecordPrefix::handler("a").as_str()));
    }
}
