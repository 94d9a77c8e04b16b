//! Login throttling: too many failed logins for one username or from one client address in
//! a window → refused until the oldest failure leaves the window. Kept in memory, per server
//! process (several servers each count on their own).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys remembered at once; beyond that the oldest windows are forgotten first.
const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Addr(IpAddr),
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, addr: IpAddr) -> [Key; 2] {
        [
            Key::User(username.to_owned()),
            Key::Addr(addr.to_canonical()),
        ]
    }

    /// `Some(wait)` when this username or address must wait before trying again.
    pub fn check(&self, username: &str, addr: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        Self::keys(username, addr)
            .iter()
            .filter_map(|key| {
                let times = map.get_mut(key)?;
                prune(times, now, self.window);
                (times.len() >= self.max_failures)
                    .then(|| {
                        times
                            .front()
                            .map(|first| self.window.saturating_sub(now - *first))
                    })
                    .flatten()
            })
            .max()
    }

    /// Records a failed login.
    pub fn failed(&self, username: &str, addr: IpAddr) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| {
                prune(times, now, self.window);
                !times.is_empty()
            });
        }
        for key in Self::keys(username, addr) {
            let times = map.entry(key).or_default();
            prune(times, now, self.window);
            times.push_back(now);
            while times.len() > self.max_failures {
                times.pop_front();
            }
        }
    }

    /// A successful login clears the username's failures (not the address's).
    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Key::User(username.to_owned()));
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn limits_by_username_and_by_address() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(limiter.check("alice", addr("10.0.0.1")), None);
            limiter.failed("alice", addr("10.0.0.1"));
        }
        let wait = limiter.check("alice", addr("10.0.0.9")).unwrap();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        assert!(
            limiter.check("bob", addr("10.0.0.1")).is_some(),
            "same address"
        );
        assert_eq!(limiter.check("bob", addr("10.0.0.2")), None);
        limiter.succeeded("alice");
        assert_eq!(limiter.check("alice", addr("10.0.0.3")), None);
    }

    #[test]
    fn failures_leave_the_window() {
        let limiter = LoginLimiter::new(2, Duration::from_millis(50));
        limiter.failed("alice", addr("10.0.0.1"));
        limiter.failed("alice", addr("10.0.0.1"));
        assert!(limiter.check("alice", addr("10.0.0.1")).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(limiter.check("alice", addr("10.0.0.1")), None);
    }
}
