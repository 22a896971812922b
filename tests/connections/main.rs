//! What intake does with connections that push at its limits, over raw loopback sockets
//! against the real app on port 0: bodies held unfinished cannot pin more memory than
//! `max_pending_body_bytes` ([`body_budget`]), and once an answer closes a connection,
//! nothing more sent on it is processed ([`close_means_close`]); and, against the real
//! binary, memory a flood took goes back to the system afterwards ([`memory_after_flood`]).
//!
//! Its own test binary: `body_budget` asserts exact values of the process-wide
//! `lever_hooks_pending_body_bytes` gauge, which every other test's deliveries move.
//! Shares `tests/it/helpers.rs` with `tests/it`.

#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod body_budget;
mod close_means_close;
mod memory_after_flood;
mod raw;
// Shared with `tests/it`, which uses the rest of it.
#[path = "../it/spawned/mod.rs"]
#[allow(dead_code)]
mod spawned;
