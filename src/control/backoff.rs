//! Exponential backoff with jitter for services whose replicas keep failing.
//!
//! The n-th failure in a row holds the service back for `initial * 2^(n-1)`, capped at
//! `max`, less a random part of up to [`JITTER`] of it so that services failing
//! together do not retry together. Each delay is more than the one before until the
//! cap (the smallest next delay is 2 x (1 - JITTER) = 1.6 times the largest previous
//! one). The count resets once the service has been ready for `reset_after`.
//!
//! The arithmetic is pure: the caller passes the clock and the random number, so tests
//! pin every bound.

use std::time::{Duration, Instant};

/// The share of a delay that jitter may take off.
pub const JITTER: f64 = 0.2;

/// How long to hold a failing service back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffPolicy {
    /// The delay after the first failure.
    pub initial: Duration,
    /// No delay is longer.
    pub max: Duration,
    /// A service ready this long is forgiven its failures.
    pub reset_after: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            reset_after: Duration::from_secs(10),
        }
    }
}

impl BackoffPolicy {
    /// The delay after `failures` failures in a row (1 for the first); `unit` in [0, 1)
    /// picks where in the jitter band it falls.
    pub fn delay(&self, failures: u32, unit: f64) -> Duration {
        let doublings = failures.saturating_sub(1).min(64) as i32;
        let full = (self.initial.as_secs_f64() * 2f64.powi(doublings)).min(self.max.as_secs_f64());
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Duration::from_secs_f64(full * (1.0 - JITTER * unit))
    }
}

/// Where one service stands: how often it failed in a row and when it may be touched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backoff {
    pub failures: u32,
    /// The service is left alone until then.
    pub next_attempt: Option<Instant>,
    /// The last failure, for `ps`, the API and the `backoff` event.
    pub reason: String,
    /// Since when every replica has been ready, while failures are counted.
    ready_since: Option<Instant>,
}

impl Backoff {
    /// Count a failure at `now`; returns the delay before the next attempt.
    pub fn failed(
        &mut self,
        policy: &BackoffPolicy,
        now: Instant,
        reason: String,
        unit: f64,
    ) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let delay = policy.delay(self.failures, unit);
        self.next_attempt = Some(now + delay);
        self.reason = reason;
        self.ready_since = None;
        delay
    }

    /// Whether the service must be left alone at `now`.
    pub fn holds(&self, now: Instant) -> bool {
        self.next_attempt.is_some_and(|at| at > now)
    }

    /// The service was seen with every replica ready (`true`) or not; returns true when
    /// this resets a failure count.
    pub fn observed(&mut self, policy: &BackoffPolicy, now: Instant, all_ready: bool) -> bool {
        if self.failures == 0 {
            return false;
        }
        if !all_ready {
            self.ready_since = None;
            return false;
        }
        let since = *self.ready_since.get_or_insert(now);
        if now.duration_since(since) >= policy.reset_after {
            *self = Backoff::default();
            return true;
        }
        false
    }
}

/// A random number in [0, 1) from the operating system; 0.5 if it has none to give.
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BackoffPolicy {
        BackoffPolicy::default()
    }

    #[test]
    fn delays_double_from_the_initial_one_until_the_cap() {
        let delays: Vec<Duration> = (1..=9).map(|n| policy().delay(n, 0.0)).collect();
        let expected: Vec<Duration> = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
            .into_iter()
            .map(Duration::from_millis)
            .collect();
        assert_eq!(delays, expected);
        assert_eq!(policy().delay(u32::MAX, 0.0), Duration::from_secs(30));
        assert_eq!(policy().delay(40, 0.99), policy().delay(80, 0.99));
    }

    #[test]
    fn each_delay_is_longer_than_the_last_whatever_the_jitter_until_the_cap() {
        for n in 1..7 {
            let longest_now = policy().delay(n, 0.0);
            let shortest_next = policy().delay(n + 1, 0.999_999);
            assert!(
                shortest_next > longest_now,
                "failure {n}: {longest_now:?} then {shortest_next:?}"
            );
        }
    }

    #[test]
    fn jitter_takes_at_most_its_share_and_spreads_delays() {
        for n in [1, 3, 12] {
            let full = policy().delay(n, 0.0);
            for unit in [0.0, 0.25, 0.5, 0.999, 1.0, -3.0, f64::NAN] {
                let delay = policy().delay(n, unit);
                assert!(delay <= full, "{delay:?} > {full:?}");
                assert!(
                    delay >= full.mul_f64(1.0 - JITTER),
                    "{delay:?} below the band of {full:?}"
                );
            }
        }
        assert_ne!(policy().delay(2, 0.1), policy().delay(2, 0.9));
        let units: Vec<f64> = (0..100).map(|_| random_unit()).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(
            units.iter().any(|u| *u != units[0]),
            "the operating system's random numbers vary"
        );
    }

    #[test]
    fn a_service_is_held_until_its_next_attempt_and_forgiven_after_staying_ready() {
        let policy = policy();
        let start = Instant::now();
        let mut backoff = Backoff::default();
        let first = backoff.failed(&policy, start, "exited".to_string(), 0.0);
        assert_eq!(first, Duration::from_millis(500));
        assert!(backoff.holds(start + Duration::from_millis(499)));
        assert!(!backoff.holds(start + Duration::from_millis(500)));
        let second = backoff.failed(&policy, start, "exited".to_string(), 0.0);
        assert_eq!(second, Duration::from_secs(1));
        assert_eq!(backoff.failures, 2);

        // Ready, but not long enough; then a moment not ready starts the wait over.
        let t = start + Duration::from_secs(2);
        assert!(!backoff.observed(&policy, t, true));
        assert!(!backoff.observed(&policy, t + Duration::from_secs(9), true));
        assert!(!backoff.observed(&policy, t + Duration::from_secs(9), false));
        assert!(!backoff.observed(&policy, t + Duration::from_secs(10), true));
        assert_eq!(backoff.failures, 2);
        assert!(backoff.observed(&policy, t + Duration::from_secs(20), true));
        assert_eq!(backoff, Backoff::default());
        assert_eq!(
            backoff.failed(&policy, t, "again".to_string(), 0.0),
            Duration::from_millis(500),
            "after a reset the first delay is short again"
        );
    }
}
