//! Failed sign-ins slow down whoever makes them: after a few failures from one address or for one
//! access key, each further attempt must wait, twice as long each time, before it is even checked.
//! A success clears the record. Records are forgotten after a quiet quarter of an hour.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before waiting starts.
const FREE: u32 = 3;
const LONGEST: Duration = Duration::from_secs(300);
const FORGET: Duration = Duration::from_secs(900);
/// Records kept at most: a flood of addresses evicts the oldest, never grows memory without end.
const MAX_RECORDS: usize = 100_000;

/// How long an attempt must wait after `failures` failures in a row: nothing for the first few,
/// then 2 s, 4 s, 8 s … up to five minutes.
pub fn wait_after(failures: u32) -> Duration {
    if failures < FREE {
        return Duration::ZERO;
    }
    Duration::from_secs(1u64 << (failures - FREE + 1).min(20)).min(LONGEST)
}

struct Record {
    failures: u32,
    last: Instant,
}

#[derive(Default)]
pub struct Throttle {
    records: Mutex<HashMap<String, Record>>,
}

fn names(ip: IpAddr, key: &str) -> [String; 2] {
    [format!("ip {ip}"), format!("key {key}")]
}

impl Throttle {
    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<String, Record>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How much longer an attempt from `ip` for `key` must wait; None when it may go ahead.
    pub fn wait(&self, ip: IpAddr, key: &str, now: Instant) -> Option<Duration> {
        let records = self.records();
        names(ip, key)
            .iter()
            .filter_map(|n| records.get(n))
            .filter_map(|r| (r.last + wait_after(r.failures)).checked_duration_since(now))
            .filter(|d| !d.is_zero())
            .max()
    }

    pub fn failed(&self, ip: IpAddr, key: &str, now: Instant) {
        let mut records = self.records();
        if records.len() >= MAX_RECORDS {
            records.retain(|_, r| now.duration_since(r.last) < FORGET);
            if records.len() >= MAX_RECORDS {
                records.clear();
            }
        }
        for n in names(ip, key) {
            let r = records.entry(n).or_insert(Record { failures: 0, last: now });
            if now.duration_since(r.last) >= FORGET {
                r.failures = 0;
            }
            r.failures += 1;
            r.last = now;
        }
    }

    pub fn succeeded(&self, ip: IpAddr, key: &str) {
        let mut records = self.records();
        for n in names(ip, key) {
            records.remove(&n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_failures() {
        let table =
            [(0, 0), (1, 0), (2, 0), (3, 2), (4, 4), (5, 8), (8, 64), (9, 128), (10, 256), (11, 300), (40, 300)];
        for (failures, secs) in table {
            assert_eq!(wait_after(failures), Duration::from_secs(secs), "{failures} failures");
        }
    }

    #[test]
    fn by_address_and_by_key() {
        let t = Throttle::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.wait(a, "AK", now), None);
            t.failed(a, "AK", now);
        }
        assert_eq!(t.wait(a, "AK", now), Some(Duration::from_secs(2)));
        assert_eq!(t.wait(a, "OTHER", now), Some(Duration::from_secs(2)), "the address waits for any key");
        assert_eq!(t.wait(b, "AK", now), Some(Duration::from_secs(2)), "the key waits from any address");
        assert_eq!(t.wait(b, "OTHER", now), None);
        assert_eq!(t.wait(a, "AK", now + Duration::from_secs(2)), None, "until the wait is over");
        t.succeeded(a, "AK");
        assert_eq!(t.wait(a, "AK", now), None);
    }
}
