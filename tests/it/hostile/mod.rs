//! Hostile and broken requests against the real app (port 0, temporary sled store): each
//! gets its documented status, stores nothing, and leaves the server serving.
//!
//! `matrix.rs` is the table of cases (one named row each, in the order the checks run);
//! `replay.rs` holds the cases that need more than one request (token reuse, settings-page
//! test replays) and `content_type.rs` the decision that the body, not the header, decides.

mod bodies;
mod client;
mod content_type;
mod matrix;
mod replay;
