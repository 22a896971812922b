//! Integration tests: the real app on port 0 with a temporary store. Intake and dispatch
//! run on both stores: sled, and PostgreSQL when `LEVER_HOOKS_TEST_DATABASE_URL` is set
//! (a fresh schema per test; see README "PostgreSQL").

mod dispatch;
mod intake;
mod send;
mod shutdown;
