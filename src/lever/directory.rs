//! [`Directory`]: one account's stages and archive reasons, cached, so that handlers can
//! turn the ids in webhooks into names and hire/non-hire decisions without a request each;
//! and the postings read so far, cached by id for the same time.

use super::{ArchiveReason, LeverClient, LeverError, Posting, Stage};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// A miss refreshes at most this often, so an id that really does not exist (or a name
/// that is misspelled in the config) cannot turn every lookup into a request.
const MISS_REFRESH_INTERVAL: Duration = Duration::from_secs(5);

/// A per-account cache of stages and archive reasons. Cheap to clone (clones share the
/// cache); build one per [`LeverClient`].
///
/// A lookup reloads the whole list when it is older than `ttl`, and on a miss (a stage
/// created since the last load), but at most once per call and not more than once per
/// 5 s on repeated misses. Concurrent lookups wait for one reload. A failed reload
/// returns its error and keeps the old list.
#[derive(Clone)]
pub struct Directory {
    inner: Arc<Inner>,
}

struct Inner {
    client: LeverClient,
    ttl: Duration,
    miss_refresh_interval: Duration,
    stages: Mutex<Table<Stage>>,
    archive_reasons: Mutex<Table<ArchiveReason>>,
    /// Postings by id, with when each was read.
    postings: Mutex<HashMap<String, (Instant, Posting)>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("account", &self.inner.client.account())
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// A cache that reloads lists older than `ttl`. Nothing is fetched until the first
    /// lookup.
    pub fn new(client: LeverClient, ttl: Duration) -> Self {
        Self::with_miss_refresh_interval(client, ttl, MISS_REFRESH_INTERVAL)
    }

    fn with_miss_refresh_interval(client: LeverClient, ttl: Duration, interval: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                ttl,
                miss_refresh_interval: interval,
                stages: Mutex::new(Table::default()),
                archive_reasons: Mutex::new(Table::default()),
                postings: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The stage with this id.
    pub async fn stage(&self, id: &str) -> Result<Option<Stage>, LeverError> {
        self.find_stage(|s| s.id == id).await
    }

    /// The stage with this name, ignoring case and surrounding spaces.
    pub async fn stage_by_name(&self, name: &str) -> Result<Option<Stage>, LeverError> {
        let wanted = name.trim().to_lowercase();
        self.find_stage(|s| {
            s.text
                .as_deref()
                .is_some_and(|t| t.trim().to_lowercase() == wanted)
        })
        .await
    }

    /// The archive reason with this id (its `type` says whether it is a hire).
    pub async fn archive_reason(&self, id: &str) -> Result<Option<ArchiveReason>, LeverError> {
        let inner = &self.inner;
        let mut table = inner.archive_reasons.lock().await;
        table
            .find(
                self.policy(),
                || inner.client.archive_reasons(),
                |r| r.id == id,
            )
            .await
    }

    /// The posting with this id, read once per `ttl` (errors are not cached: a posting
    /// that is gone or hidden is asked about again next time).
    pub async fn posting(&self, id: &str) -> Result<Posting, LeverError> {
        let inner = &self.inner;
        if let Some((at, posting)) = inner.postings.lock().await.get(id) {
            if at.elapsed() < inner.ttl {
                return Ok(posting.clone());
            }
        }
        let posting = inner.client.posting(id).await?;
        let mut postings = inner.postings.lock().await;
        postings.retain(|_, (at, _)| at.elapsed() < inner.ttl);
        postings.insert(id.to_owned(), (Instant::now(), posting.clone()));
        Ok(posting)
    }

    async fn find_stage(
        &self,
        matches: impl Fn(&Stage) -> bool,
    ) -> Result<Option<Stage>, LeverError> {
        let inner = &self.inner;
        let mut table = inner.stages.lock().await;
        table
            .find(self.policy(), || inner.client.stages(), matches)
            .await
    }

    fn policy(&self) -> Policy {
        Policy {
            ttl: self.inner.ttl,
            miss_refresh_interval: self.inner.miss_refresh_interval,
        }
    }
}

#[derive(Clone, Copy)]
struct Policy {
    ttl: Duration,
    miss_refresh_interval: Duration,
}

/// One cached list and when it was loaded.
struct Table<T> {
    items: Vec<T>,
    loaded_at: Option<Instant>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            loaded_at: None,
        }
    }
}

impl<T: Clone> Table<T> {
    async fn find<F, Fut>(
        &mut self,
        policy: Policy,
        load: F,
        matches: impl Fn(&T) -> bool,
    ) -> Result<Option<T>, LeverError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<T>, LeverError>>,
    {
        let age = self.loaded_at.map(|at| at.elapsed());
        if let Some(age) = age.filter(|age| *age < policy.ttl) {
            if let Some(found) = self.items.iter().find(|t| matches(t)) {
                return Ok(Some(found.clone()));
            }
            if age < policy.miss_refresh_interval {
                return Ok(None);
            }
        }
        self.items = load().await?;
        self.loaded_at = Some(Instant::now());
        Ok(self.items.iter().find(|t| matches(t)).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lever::tests::mock::{api_key_client, Mock, Reply};
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A mock whose `/stages` grows by one stage per load, so a reload is visible.
    async fn growing_stages() -> (Mock, Arc<AtomicUsize>) {
        let loads = Arc::new(AtomicUsize::new(0));
        let counter = loads.clone();
        let mock = Mock::start(move |seen| {
            if seen.path.ends_with("/stages") {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let stages: Vec<_> = (1..=n)
                    .map(|i| json!({ "id": format!("s{i}"), "text": format!("Stage {i}") }))
                    .collect();
                Reply::json(200, json!({ "data": stages }))
            } else {
                Reply::json(
                    200,
                    json!({ "data": [
                    { "id": "hired", "text": "Hired", "status": "active", "type": "hired" }
                ] }),
                )
            }
        })
        .await;
        (mock, loads)
    }

    #[tokio::test]
    async fn hits_are_cached_and_a_miss_reloads_at_most_once_per_interval() {
        let (mock, loads) = growing_stages().await;
        let client = api_key_client(&mock);
        let directory = Directory::with_miss_refresh_interval(
            client,
            Duration::from_secs(60),
            Duration::from_millis(200),
        );
        assert_eq!(directory.stage("s1").await.unwrap().unwrap().id, "s1");
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert!(directory.stage("s1").await.unwrap().is_some());
        // Just loaded: a miss does not reload yet.
        assert!(directory.stage("s2").await.unwrap().is_none());
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        // Now it reloads once, and finds the stage created in between.
        assert_eq!(directory.stage("s2").await.unwrap().unwrap().id, "s2");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        assert!(directory.stage("nope").await.unwrap().is_none());
        assert!(directory.stage("nope").await.unwrap().is_none());
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_expired_list_is_reloaded_even_on_a_hit() {
        let (mock, loads) = growing_stages().await;
        let directory = Directory::new(api_key_client(&mock), Duration::from_millis(100));
        assert!(directory.stage("s1").await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(directory.stage("s1").await.unwrap().is_some());
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn names_match_ignoring_case_and_spaces() {
        let (mock, _) = growing_stages().await;
        let directory = Directory::new(api_key_client(&mock), Duration::from_secs(60));
        let stage = directory
            .stage_by_name("  stage 1 ")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stage.id, "s1");
    }

    #[tokio::test]
    async fn archive_reasons_are_cached_separately_from_stages() {
        let (mock, loads) = growing_stages().await;
        let directory = Directory::new(api_key_client(&mock), Duration::from_secs(60));
        let reason = directory.archive_reason("hired").await.unwrap().unwrap();
        assert!(reason.is_hired());
        assert!(directory.archive_reason("hired").await.unwrap().is_some());
        assert_eq!(loads.load(Ordering::SeqCst), 0);
        assert_eq!(mock.count("/v1/archive_reasons"), 1);
    }

    #[tokio::test]
    async fn postings_are_read_once_per_ttl() {
        let mock = Mock::start(|seen| {
            let id = seen.path.rsplit('/').next().unwrap_or_default().to_owned();
            Reply::json(
                200,
                json!({ "data": { "id": id, "text": "Backend Engineer" } }),
            )
        })
        .await;
        let directory = Directory::new(api_key_client(&mock), Duration::from_millis(150));
        for _ in 0..3 {
            let posting = directory.posting("p1").await.unwrap();
            assert_eq!(posting.text.as_deref(), Some("Backend Engineer"));
        }
        directory.posting("p2").await.unwrap();
        assert_eq!(mock.count("/v1/postings/p1"), 1);
        tokio::time::sleep(Duration::from_millis(200)).await;
        directory.posting("p1").await.unwrap();
        assert_eq!(mock.count("/v1/postings/p1"), 2);
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_load() {
        let (mock, loads) = growing_stages().await;
        let directory = Directory::new(api_key_client(&mock), Duration::from_secs(60));
        let lookups = (0..8).map(|_| {
            let directory = directory.clone();
            async move { directory.stage("s1").await }
        });
        for found in futures_util::future::join_all(lookups).await {
            assert!(found.unwrap().is_some());
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }
}
