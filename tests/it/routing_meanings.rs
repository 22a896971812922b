//! Routing with looked-up facts, through the real dispatcher and store: a hire that Lever
//! reports twice reaches a `hired` handler once, stage names resolve, and an event whose
//! lookup fails (a stage name, or the opportunity a route's conditions are about) waits,
//! unrouted, instead of being routed wrongly.

use crate::contract;

use contract::fixtures::{accept, content_hash, delivery};
use lever_hooks::config::{ArchiveReasonType, DispatchConfig, RetryConfig, RouteConfig};
use lever_hooks::dispatch::{Dispatcher, RoutedBatch};
use lever_hooks::event::{ContactId, OpportunityId};
use lever_hooks::lever::{Opportunity, OpportunityFacts};
use lever_hooks::lookup::{Lookup, LookupError};
use lever_hooks::route::Router;
use lever_hooks::store::{NewEvent, SledStore, StoredEvent};
use lever_hooks::{HandlerRegistry, Store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Stage `s-bgc` is "Background Check"; reason `r-hired` is a hire, `r-gone` is not;
/// opportunity `opp-1` is tagged "Engineering", and no other can be read.
/// `down` makes every lookup fail, as when the Data API is unreachable.
#[derive(Default)]
struct FakeLookup {
    down: AtomicBool,
}

#[lever_hooks::handler::async_trait]
impl Lookup for FakeLookup {
    async fn stage_name(&self, account: &str, stage: &str) -> Result<Option<String>, LookupError> {
        self.check(account)?;
        Ok((stage == "s-bgc").then(|| "Background Check".to_owned()))
    }
    async fn reason_type(
        &self,
        account: &str,
        reason: &str,
    ) -> Result<Option<ArchiveReasonType>, LookupError> {
        self.check(account)?;
        Ok(match reason {
            "r-hired" => Some(ArchiveReasonType::Hired),
            "r-gone" => Some(ArchiveReasonType::NonHired),
            _ => None,
        })
    }
    async fn opportunity_facts(
        &self,
        account: &str,
        opportunity: &str,
    ) -> Result<Option<OpportunityFacts>, LookupError> {
        self.check(account)?;
        let read: Opportunity =
            serde_json::from_value(serde_json::json!({"id": opportunity, "tags": ["Engineering"]}))
                .unwrap();
        Ok((opportunity == "opp-1").then(|| OpportunityFacts::from_parts(read, None, None)))
    }
}

impl FakeLookup {
    fn check(&self, account: &str) -> Result<(), LookupError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(LookupError {
                account: account.to_owned(),
                what: "anything".into(),
                message: "503 from Lever".into(),
            });
        }
        Ok(())
    }
}

fn route(events: &[&str], to_stage: Option<&str>, handler: &str) -> RouteConfig {
    RouteConfig {
        events: events.iter().map(|e| e.to_string()).collect(),
        to_stage: to_stage.map(str::to_owned),
        from_stage: None,
        reason_type: None,
        conditions: Default::default(),
        handler: handler.to_owned(),
    }
}

fn dispatcher(
    store: Arc<dyn Store>,
    routes: &[RouteConfig],
    lookup: Arc<FakeLookup>,
) -> Dispatcher {
    Dispatcher::new(
        store,
        HandlerRegistry::new(),
        Router::new(routes),
        DispatchConfig::default(),
        RetryConfig::default(),
    )
    .with_lookup(lookup)
}

fn event(name: &str, opportunity: &str, data: serde_json::Value) -> NewEvent {
    let data = data.to_string();
    let mut new = delivery("default", &format!("id:{}", uuid()), &uuid(), &data);
    new.event = name.to_owned();
    new.content_hash = content_hash(name, new.triggered_at, &data);
    new.opportunity_id = Some(OpportunityId::new(opportunity));
    new.contact_id = Some(ContactId::new("contact-1"));
    new
}

fn uuid() -> String {
    lever_hooks::sample::random_uuid()
}

async fn handlers_of(store: &dyn Store, event: &StoredEvent) -> Vec<String> {
    let mut jobs: Vec<String> = store
        .jobs_of(&event.id)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.handler)
        .collect();
    jobs.sort();
    jobs
}

#[tokio::test]
async fn a_hire_reported_by_both_events_reaches_a_hired_handler_once() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let dispatcher = dispatcher(
        store.clone(),
        &[
            route(&["hired"], None, "hris"),
            route(&["candidateArchiveChange"], None, "audit"),
        ],
        Arc::default(),
    );
    let hired = accept(
        &*store,
        event(
            "candidateHired",
            "opp-1",
            serde_json::json!({"opportunityId": "opp-1"}),
        ),
    )
    .await;
    let archive = serde_json::json!({
        "opportunityId": "opp-1", "fromArchived": null,
        "toArchived": {"archivedAt": 1717171799000u64, "reason": "r-hired"}
    });
    let archived = accept(
        &*store,
        event("candidateArchiveChange", "opp-1", archive.clone()),
    )
    .await;
    let other_opportunity =
        accept(&*store, event("candidateArchiveChange", "opp-2", archive)).await;

    let batch = dispatcher.route_pending().await.unwrap();

    assert_eq!(
        batch,
        RoutedBatch {
            routed: 3,
            waiting: 0,
            jobs: 4
        }
    );
    assert_eq!(handlers_of(&*store, &hired).await, ["hris"]);
    assert_eq!(
        handlers_of(&*store, &archived).await,
        ["audit"],
        "the second report of opp-1's hire gets no hris job"
    );
    assert_eq!(
        handlers_of(&*store, &other_opportunity).await,
        ["audit", "hris"]
    );
}

#[tokio::test]
async fn stage_names_route_and_a_failed_lookup_leaves_the_event_unrouted_until_it_succeeds() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let lookup = Arc::new(FakeLookup::default());
    let dispatcher = dispatcher(
        store.clone(),
        &[route(
            &["candidateStageChange"],
            Some("background check"),
            "bgcheck",
        )],
        lookup.clone(),
    );
    let change = |to: &str| serde_json::json!({"opportunityId": "opp-1", "fromStageId": "s-screen", "toStageId": to});
    lookup.down.store(true, Ordering::SeqCst);
    let into_bgc = accept(
        &*store,
        event("candidateStageChange", "opp-1", change("s-bgc")),
    )
    .await;

    let batch = dispatcher.route_pending().await.unwrap();

    assert_eq!(
        batch,
        RoutedBatch {
            routed: 0,
            waiting: 1,
            jobs: 0
        }
    );
    assert_eq!(
        store.unrouted(10).await.unwrap().len(),
        1,
        "still waiting for routing"
    );
    assert!(handlers_of(&*store, &into_bgc).await.is_empty());

    lookup.down.store(false, Ordering::SeqCst);
    let elsewhere = accept(
        &*store,
        event("candidateStageChange", "opp-1", change("s-onsite")),
    )
    .await;
    let batch = dispatcher.route_pending().await.unwrap();

    assert_eq!(
        batch,
        RoutedBatch {
            routed: 2,
            waiting: 0,
            jobs: 1
        }
    );
    assert_eq!(handlers_of(&*store, &into_bgc).await, ["bgcheck"]);
    assert!(handlers_of(&*store, &elsewhere).await.is_empty());
}

#[tokio::test]
async fn conditions_route_on_the_opportunity_read_and_a_failed_read_waits() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let lookup = Arc::new(FakeLookup::default());
    let engineering = RouteConfig {
        conditions: toml::from_str("tags_any = [\"engineering\"]").unwrap(),
        ..route(&["applicationCreated"], None, "eng")
    };
    let dispatcher = dispatcher(store.clone(), &[engineering], lookup.clone());
    let created = |o: &str| serde_json::json!({"opportunityId": o});
    lookup.down.store(true, Ordering::SeqCst);
    let opp1 = accept(
        &*store,
        event("applicationCreated", "opp-1", created("opp-1")),
    )
    .await;

    let batch = dispatcher.route_pending().await.unwrap();

    assert_eq!(
        batch,
        RoutedBatch {
            routed: 0,
            waiting: 1,
            jobs: 0
        }
    );
    lookup.down.store(false, Ordering::SeqCst);
    let unreadable = accept(
        &*store,
        event("applicationCreated", "opp-2", created("opp-2")),
    )
    .await;
    let batch = dispatcher.route_pending().await.unwrap();

    assert_eq!(
        batch,
        RoutedBatch {
            routed: 2,
            waiting: 0,
            jobs: 1
        }
    );
    assert_eq!(handlers_of(&*store, &opp1).await, ["eng"]);
    assert!(handlers_of(&*store, &unreadable).await.is_empty());
}
