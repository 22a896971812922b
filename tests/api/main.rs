//! Integration tests: the real app on port 0 with a temporary sled store.

mod dispatch;
mod helpers;
mod intake;
mod send;
mod shutdown;
