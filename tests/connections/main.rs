//! What intake does with connections that push at its limits, over raw loopback sockets
//! against the real app on port 0: bodies held unfinished cannot pin more memory than
//! `max_pending_body_bytes` ([`body_budget`]), and once an answer closes a connection,
//! nothing more sent on it is processed ([`close_means_close`]); and, against the real
//! binary, memory a flood took goes back to the system afterwards ([`memory_after_flood`]).

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod body_budget;
mod close_means_close;
mod memory_after_flood;
mod raw;
#[path = "../spawned/mod.rs"]
mod spawned;
