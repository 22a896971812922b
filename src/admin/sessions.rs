//! Dashboard sessions: random ids handed out at sign-in, each live until it expires or
//! its operator signs out, kept in memory (a restart signs everyone out).
//!
//! The cookie carries only the id, never the admin token, so a cookie that leaks (a
//! shared browser profile, a proxy log) opens the dashboard for at most one lifetime and
//! never the API. The map is keyed by each id's SHA-256: what it holds cannot be replayed
//! as a cookie, and a lookup compares digests rather than the caller's text.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most sessions kept at once; signing in beyond that ends the oldest.
pub const MAX_SESSIONS: usize = 1_000;

type Digest256 = [u8; 32];

/// The live sessions, each with the instant it expires.
///
/// Expiry is absolute (from sign-in), not sliding: the dashboard's pages reload every few
/// seconds, so a sliding expiry would never end a session left open on a screen.
pub struct Sessions {
    lifetime: Duration,
    max: usize,
    live: Mutex<HashMap<Digest256, Instant>>,
}

impl Sessions {
    /// Sessions that each last `lifetime`, at most 1,000 at once (the oldest goes first).
    pub fn new(lifetime: Duration) -> Self {
        Self::with_max(lifetime, MAX_SESSIONS)
    }

    /// Sessions that each last `lifetime`, at most `max` (at least one) at once.
    pub fn with_max(lifetime: Duration, max: usize) -> Self {
        Self {
            lifetime,
            max: max.max(1),
            live: Mutex::new(HashMap::new()),
        }
    }

    /// How long each session lasts.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Starts a session now; returns its id (64 hex digits: 256 random bits) for the cookie.
    pub fn start(&self) -> String {
        self.start_at(Instant::now())
    }

    /// Starts a session at `now`: drops expired ones and, when full, the one that expires
    /// first (the oldest).
    pub fn start_at(&self, now: Instant) -> String {
        let id = hex::encode(rand::random::<[u8; 32]>());
        let mut live = self.lock();
        live.retain(|_, expires| *expires > now);
        while live.len() >= self.max {
            let Some(oldest) = live
                .iter()
                .min_by_key(|(_, expires)| **expires)
                .map(|(key, _)| *key)
            else {
                break;
            };
            live.remove(&oldest);
        }
        live.insert(digest(&id), now + self.lifetime);
        id
    }

    /// True when `id` names a session that has not expired nor been ended.
    pub fn is_live(&self, id: &str) -> bool {
        self.is_live_at(id, Instant::now())
    }

    /// True when `id` names a session live at `now`; an expired one is forgotten.
    pub fn is_live_at(&self, id: &str, now: Instant) -> bool {
        let key = digest(id);
        let mut live = self.lock();
        match live.get(&key) {
            Some(expires) if *expires > now => true,
            Some(_) => {
                live.remove(&key);
                false
            }
            None => false,
        }
    }

    /// Ends the session `id` (signing out); an unknown id changes nothing.
    pub fn end(&self, id: &str) {
        self.lock().remove(&digest(id));
    }

    /// How many sessions are kept (expired ones not yet dropped included).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no session is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest256, Instant>> {
        // The map stays consistent even if a holder panicked: every change is one call.
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn digest(id: &str) -> Digest256 {
    Sha256::digest(id.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn an_id_is_256_random_bits_in_hex_and_each_is_new() {
        let sessions = Sessions::new(HOUR);
        let first = sessions.start();
        let second = sessions.start();
        assert_eq!(first.len(), 64);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(first, second);
        assert!(sessions.is_live(&first) && sessions.is_live(&second));
    }

    #[test]
    fn an_unknown_id_is_not_live() {
        let sessions = Sessions::new(HOUR);
        sessions.start();
        assert!(!sessions.is_live("0".repeat(64).as_str()));
        assert!(!sessions.is_live(""));
    }

    #[test]
    fn signing_out_ends_only_that_session() {
        let sessions = Sessions::new(HOUR);
        let mine = sessions.start();
        let theirs = sessions.start();
        sessions.end(&mine);
        assert!(!sessions.is_live(&mine));
        assert!(sessions.is_live(&theirs));
        sessions.end(&mine);
        assert_eq!(sessions.len(), 1);
    }

    #[test]
    fn a_session_expires_a_lifetime_after_sign_in_however_often_it_is_used() {
        let sessions = Sessions::new(HOUR);
        let start = Instant::now();
        let id = sessions.start_at(start);
        for minutes in [1, 30, 59] {
            assert!(sessions.is_live_at(&id, start + Duration::from_secs(minutes * 60)));
        }
        assert!(!sessions.is_live_at(&id, start + HOUR));
        assert!(sessions.is_empty(), "an expired session is forgotten");
    }

    #[test]
    fn signing_in_drops_expired_sessions() {
        let sessions = Sessions::new(HOUR);
        let start = Instant::now();
        for _ in 0..10 {
            sessions.start_at(start);
        }
        let fresh = sessions.start_at(start + 2 * HOUR);
        assert_eq!(sessions.len(), 1);
        assert!(sessions.is_live_at(&fresh, start + 2 * HOUR));
    }

    #[test]
    fn beyond_the_cap_the_oldest_session_ends() {
        let sessions = Sessions::with_max(HOUR, 3);
        let start = Instant::now();
        let ids: Vec<String> = (0..5)
            .map(|i| sessions.start_at(start + Duration::from_secs(i)))
            .collect();
        assert_eq!(sessions.len(), 3);
        let now = start + Duration::from_secs(10);
        let live: Vec<bool> = ids.iter().map(|id| sessions.is_live_at(id, now)).collect();
        assert_eq!(live, [false, false, true, true, true]);
    }

    #[test]
    fn the_map_does_not_hold_the_ids_themselves() {
        let sessions = Sessions::new(HOUR);
        let id = sessions.start();
        let held = sessions.lock();
        assert!(held.keys().all(|key| hex::encode(key) != id));
    }
}
