//! How often one client may try to sign in to the dashboard: a token bucket (GCRA, via
//! `governor`) per client address, with a bound on how many addresses it remembers.
//!
//! Every attempt takes a permit before the token is compared, so while an address is
//! over the limit even the right token is refused: a guesser learns nothing from an
//! attempt it was not allowed to make. An IPv6 client is counted by its /64 (one host
//! commonly has the whole prefix). When more addresses are remembered than the bound,
//! new ones share a single bucket: a flood from many addresses costs bounded memory and
//! still gets only one bucket's worth of guesses.

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sign-in attempts one address may make at once; then one more every 12 s (5 a minute).
pub const ATTEMPTS_PER_MINUTE: u32 = 5;
/// The most addresses remembered; beyond that, new addresses share one bucket.
pub const MAX_CLIENTS: usize = 4_096;
/// Forgetting addresses whose bucket is full again is a scan of the whole map: at most
/// once a second, however fast attempts come.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Whose attempts share a bucket.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Client {
    /// An IPv4 address, or an IPv6 /64 prefix.
    Address(IpAddr),
    /// Every address not remembered on its own (the map was full, or the peer unknown).
    Shared,
}

/// An attempt refused because its client is over the limit.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("too many sign-in attempts from this address; try again in {} s", .retry_after.as_secs())]
pub struct Limited {
    /// When the next attempt will be allowed, in whole seconds (at least 1).
    pub retry_after: Duration,
}

/// Sign-in attempts per client address.
pub struct LoginLimiter {
    buckets: RateLimiter<Client, DefaultKeyedStateStore<Client>, DefaultClock>,
    max_clients: usize,
    sweep_every: Duration,
    last_sweep: Mutex<Instant>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        let per_minute = NonZeroU32::new(ATTEMPTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        Self::new(Quota::per_minute(per_minute), MAX_CLIENTS, SWEEP_EVERY)
    }
}

impl LoginLimiter {
    /// A limiter giving each address `quota`, remembering at most `max_clients` of them,
    /// and forgetting refilled ones at most every `sweep_every`.
    pub fn new(quota: Quota, max_clients: usize, sweep_every: Duration) -> Self {
        Self {
            buckets: RateLimiter::keyed(quota),
            max_clients,
            sweep_every,
            last_sweep: Mutex::new(Instant::now()),
        }
    }

    /// Takes one attempt for the client at `address` (`None` when the peer is unknown).
    pub fn attempt(&self, address: Option<IpAddr>) -> Result<(), Limited> {
        let mut client = address.map_or(Client::Shared, |ip| Client::Address(bucket_of(ip)));
        if self.buckets.len() >= self.max_clients {
            self.sweep();
            if self.buckets.len() >= self.max_clients {
                client = Client::Shared;
            }
        }
        self.buckets.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.buckets.clock().now());
            Limited {
                retry_after: Duration::from_secs(wait.as_secs() + 1),
            }
        })
    }

    /// How many buckets are kept (addresses, and the shared one once used).
    pub fn remembered(&self) -> usize {
        self.buckets.len()
    }

    /// Forgets the addresses whose bucket is full again, unless that was done lately.
    fn sweep(&self) {
        let mut last = self
            .last_sweep
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.elapsed() >= self.sweep_every {
            *last = Instant::now();
            self.buckets.retain_recent();
            self.buckets.shrink_to_fit();
        }
    }
}

/// The address an attempt counts against: IPv4 as is (also when mapped into IPv6), IPv6
/// by its /64.
fn bucket_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn v4(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    fn v6(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn five_attempts_pass_then_the_address_waits_up_to_twelve_seconds() {
        let limiter = LoginLimiter::default();
        for _ in 0..ATTEMPTS_PER_MINUTE {
            assert_eq!(limiter.attempt(v4(1)), Ok(()));
        }
        let limited = limiter.attempt(v4(1)).unwrap_err();
        assert!(
            (1..=12).contains(&limited.retry_after.as_secs()),
            "{limited:?}"
        );
        assert!(limiter.attempt(v4(1)).is_err(), "still limited");
        assert_eq!(limiter.attempt(v4(2)), Ok(()), "another address is not");
    }

    #[test]
    fn an_address_may_try_again_once_its_bucket_refills() {
        let quota = Quota::with_period(Duration::from_millis(20))
            .unwrap()
            .allow_burst(NonZeroU32::MIN);
        let limiter = LoginLimiter::new(quota, MAX_CLIENTS, SWEEP_EVERY);
        assert_eq!(limiter.attempt(v4(1)), Ok(()));
        assert!(limiter.attempt(v4(1)).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(limiter.attempt(v4(1)), Ok(()));
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64_prefix_and_a_mapped_ipv4_as_ipv4() {
        let limiter = LoginLimiter::default();
        for i in 0..ATTEMPTS_PER_MINUTE {
            assert_eq!(limiter.attempt(v6(&format!("2001:db8:1:2::{i:x}"))), Ok(()));
        }
        assert!(limiter.attempt(v6("2001:db8:1:2:ffff::9")).is_err());
        assert_eq!(limiter.attempt(v6("2001:db8:1:3::1")), Ok(()));
        for _ in 0..ATTEMPTS_PER_MINUTE {
            assert_eq!(limiter.attempt(v4(7)), Ok(()));
        }
        assert!(limiter.attempt(v6("::ffff:192.0.2.7")).is_err());
    }

    #[test]
    fn a_flood_from_many_addresses_is_remembered_in_bounded_memory_and_shares_a_bucket() {
        let limiter = LoginLimiter::new(
            Quota::per_minute(NonZeroU32::new(ATTEMPTS_PER_MINUTE).unwrap()),
            64,
            Duration::ZERO,
        );
        let allowed = (0..10_000u32)
            .map(|n| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)))
            .filter(|ip| limiter.attempt(Some(*ip)).is_ok())
            .count();
        assert!(limiter.remembered() <= 65, "{}", limiter.remembered());
        assert_eq!(allowed, 64 + ATTEMPTS_PER_MINUTE as usize);
    }

    #[test]
    fn refilled_addresses_are_forgotten_when_the_map_is_full() {
        let quota = Quota::with_period(Duration::from_millis(5))
            .unwrap()
            .allow_burst(NonZeroU32::MIN);
        let limiter = LoginLimiter::new(quota, 8, Duration::ZERO);
        for last in 0..8 {
            assert_eq!(limiter.attempt(v4(last)), Ok(()));
        }
        std::thread::sleep(Duration::from_millis(20));
        // With one attempt per bucket, all eight pass only if each got a bucket of its own.
        for last in 8..16 {
            assert_eq!(limiter.attempt(v4(last)), Ok(()), "192.0.2.{last}");
        }
        assert!(limiter.remembered() <= 9);
    }

    #[test]
    fn an_unknown_peer_counts_against_the_shared_bucket() {
        let limiter = LoginLimiter::default();
        for _ in 0..ATTEMPTS_PER_MINUTE {
            assert_eq!(limiter.attempt(None), Ok(()));
        }
        assert!(limiter.attempt(None).is_err());
    }
}
