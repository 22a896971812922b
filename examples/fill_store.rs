//! Fills a sled store with many events through the store API (no HTTP), then sends the
//! same events again to count how many the store still has: every `accepted` on the
//! second pass is an event the store lost. Used to measure how long a big store takes
//! to open and what damage to its journal costs.
//!
//! ```sh
//! cargo run --release --example fill_store -- fill /tmp/big-store 1000000
//! # stop, damage a segment under /tmp/big-store/journal/, then:
//! cargo run --release --example fill_store -- resend /tmp/big-store 1000000
//! ```

use lever_hooks::event::{EventId, OpportunityId};
use lever_hooks::sample::SampleEvent;
use lever_hooks::store::{now_millis, IngestOutcome, NewEvent, SledStore, Store};
use sha2::Digest;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Deliveries in flight at once, so the writer's groups are large.
const IN_FLIGHT: usize = 2048;

/// The `i`th event, the same on every call but for its fresh id and receive time.
fn event(i: usize) -> NewEvent {
    let mut sample = SampleEvent::new("candidateStageChange");
    sample.opportunity_id = format!("00000000-0000-4000-8000-{i:012}");
    sample.contact_id = format!("10000000-0000-4000-8000-{i:012}");
    sample.archive_reason = None;
    let data = sample.data(1_700_000_000_000).to_string();
    NewEvent {
        id: EventId::generate(),
        account: "default".to_owned(),
        event: sample.event.clone(),
        triggered_at: 1_700_000_000_000,
        received_at: now_millis(),
        token: format!("fill-token-{i}"),
        envelope_id: None,
        dedupe_key: format!("id:fill-{i}"),
        content_hash: sha2::Sha256::digest(data.as_bytes()).into(),
        opportunity_id: Some(OpportunityId::new(sample.opportunity_id)),
        contact_id: None,
        data: serde_json::value::RawValue::from_string(data).expect("valid JSON"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, dir, count] = args.as_slice() else {
        return Err("usage: fill_store fill|resend DIR COUNT".into());
    };
    let count: usize = count.parse()?;
    // The store's own log (progress while it opens, damage it finds), as `serve` shows it.
    lever_hooks::telemetry::init(lever_hooks::telemetry::LogFormat::Text);
    let started = Instant::now();
    let store = SledStore::open(&PathBuf::from(dir))?;
    println!("opened {dir} in {:.1?}", started.elapsed());

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (store, next, accepted) = (store.clone(), next.clone(), accepted.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return;
                    }
                    match store.ingest(event(i)).await {
                        Ok(IngestOutcome::Accepted(_)) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(e) => panic!("event {i}: {e}"),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    store.flush().await?;
    let accepted = accepted.load(Ordering::Relaxed);
    println!(
        "{mode}: {count} events sent in {:.1?}: {accepted} accepted, {} duplicate",
        started.elapsed(),
        count - accepted
    );
    Ok(())
}
