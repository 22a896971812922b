//! The `Store` contract, written once and run against every backend.
//!
//! Each test is a `pub async fn` taking a fresh, empty `Arc<dyn Store>`; nothing here
//! knows which backend it talks to. Times handed to `claim` are explicit, so no test
//! depends on the wall clock.
//!
//! # Adding a backend
//!
//! In `tests/it/store_contract.rs`, add a module with an async factory and one macro call:
//!
//! ```ignore
//! mod mystore {
//!     use super::*;
//!     async fn fresh() -> Arc<dyn Store> {
//!         // An empty store no other test shares.
//!         Arc::new(MyStore::temporary().await.unwrap())
//!     }
//!     contract::store_contract!(fresh);
//! }
//! ```
//!
//! A backend that needs a server gives `store_contract!(optional fresh)` a factory
//! returning `Option<Arc<dyn Store>>`; `None` (no server configured here) makes each test
//! say it was skipped. The PostgreSQL module does that, with a fresh schema per store
//! (`pg.rs`).
//!
//! The factory must return an empty store isolated from every other test, because tests
//! run in parallel and some count everything unrouted or claimable.

pub mod admin;
pub mod claim;
pub mod finish;
pub mod fixtures;
pub mod ingest;
pub mod pg;
pub mod purge;
pub mod records;
pub mod routing;

/// Defines one `#[tokio::test]` per contract test, each on a store from `$factory`
/// (an `async fn() -> Arc<dyn Store>`). With `optional`, the factory returns an
/// `Option<Arc<dyn Store>>`, and each test says it was skipped when it gives `None` (a
/// backend whose server is not available here).
macro_rules! store_contract {
    (optional $factory:path) => {
        $crate::contract::store_contract!(@list { $factory().await });
    };
    ($factory:path) => {
        $crate::contract::store_contract!(@list { Some($factory().await) });
    };
    (@list $make:block) => {
        $crate::contract::store_contract!(@tests $make;
            ingest::an_accepted_event_reads_back_exactly_as_given,
            ingest::the_same_dedupe_key_with_a_new_token_is_a_duplicate_of_the_first_event,
            ingest::the_same_token_with_the_same_content_is_a_duplicate,
            ingest::the_same_token_with_other_content_is_token_reuse_and_writes_nothing,
            ingest::a_token_first_seen_on_a_duplicate_is_remembered_too,
            ingest::dedupe_keys_and_tokens_are_per_account,
            ingest::concurrent_ingests_accept_each_distinct_key_exactly_once,
            ingest::a_token_remembered_without_an_event_makes_any_event_with_it_token_reuse,
            routing::unrouted_lists_events_oldest_first_up_to_the_limit,
            routing::routing_creates_one_pending_job_per_handler_and_clears_unrouted,
            routing::routing_an_event_twice_creates_no_new_jobs,
            routing::an_event_routed_to_no_handler_is_no_longer_unrouted,
            claim::only_due_jobs_are_claimed,
            claim::a_claimed_job_comes_with_its_event_and_lease,
            claim::a_leased_job_is_claimed_again_only_after_its_lease_expires,
            claim::jobs_of_one_order_key_are_handed_out_one_at_a_time_in_event_order,
            claim::a_retrying_head_holds_back_later_jobs_of_its_order_key,
            claim::a_dead_job_does_not_block_the_next_job_of_its_order_key,
            claim::different_order_keys_run_side_by_side,
            claim::jobs_without_an_order_key_are_all_claimable_at_once,
            claim::claim_hands_out_at_most_limit_jobs,
            claim::concurrent_claims_never_hand_out_a_job_twice,
            finish::a_done_attempt_is_recorded_and_the_job_is_never_claimed_again,
            finish::a_dead_attempt_keeps_the_job_as_a_dead_letter,
            finish::a_retry_waits_until_its_time_and_attempts_are_numbered_in_order,
            finish::next_due_reports_the_earliest_pending_job,
            finish::next_due_ignores_jobs_waiting_behind_their_order_key_head,
            finish::next_due_does_not_report_a_leased_job_as_due_now,
            finish::two_workers_finishing_one_job_at_once_both_leave_their_attempt,
            admin::events_list_newest_first_in_pages_with_status_and_filters,
            admin::a_malformed_cursor_is_refused,
            admin::retrying_dead_letters_gives_a_fresh_budget_and_keeps_attempts,
            admin::replaying_runs_finished_jobs_again,
            admin::purging_by_filter_and_pruning_old_finished_events,
            purge::purging_an_opportunity_keeps_only_ids_and_times_of_its_events,
            records::a_put_record_reads_back_and_a_second_put_replaces_it,
            records::insert_record_writes_only_the_first_value_and_returns_it_to_later_callers,
            records::concurrent_insert_record_lets_exactly_one_caller_win,
            records::records_lists_by_prefix_in_key_order_and_delete_removes,
        );
    };
    (@tests $make:block; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(store) = ($make) else {
                    eprintln!("{}", $crate::contract::pg::SKIPPED);
                    return;
                };
                $crate::contract::$module::$name(store).await;
            }
        )*
    };
}
pub(crate) use store_contract;
