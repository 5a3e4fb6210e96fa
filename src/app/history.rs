//! The server's own history, a minute at a time for the last 24 hours: requests by kind, bytes in
//! and out, errors, the p99 latency and the bytes on each tier, for the console's charts. Small and
//! bounded (1,440 minutes, about 200 bytes each), written to a file beside the data each minute so
//! it survives a restart. Each process keeps its own: on several gateways, each shows what it served.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Minutes kept: 24 hours.
pub const MINUTES: usize = 1440;

/// What a request was, for the charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
    List,
    Delete,
    Other,
}

/// The kind of an S3 operation, by its name.
pub fn kind_of(operation: &str) -> Kind {
    match operation {
        "GetObject" | "HeadObject" | "WebsiteGet" | "WebsiteHead" | "GetObjectAttributes" => Kind::Read,
        "PutObject"
        | "CopyObject"
        | "PostObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "UploadPartCopy"
        | "CompleteMultipartUpload" => Kind::Write,
        "ListBuckets"
        | "ListObjects"
        | "ListObjectsV2"
        | "ListObjectVersions"
        | "ListMultipartUploads"
        | "ListParts" => Kind::List,
        "DeleteObject" | "DeleteObjects" | "AbortMultipartUpload" | "DeleteBucket" => Kind::Delete,
        _ => Kind::Other,
    }
}

/// Latency buckets: each √2 times the one before, from 0.125 ms to about 46 s.
const LATENCY_BUCKETS: usize = 38;

fn latency_bucket(elapsed: Duration) -> usize {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if ms <= 0.125 {
        return 0;
    }
    (((ms / 0.125).log2() * 2.0).ceil() as usize).min(LATENCY_BUCKETS - 1)
}

fn bucket_bound_ms(i: usize) -> f64 {
    0.125 * 2f64.powf(i as f64 / 2.0)
}

/// One minute of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Minute {
    /// The minute's start, in seconds since the Unix epoch.
    pub at: i64,
    pub reads: u64,
    pub writes: u64,
    pub lists: u64,
    pub deletes: u64,
    pub other: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Answers 4xx and 5xx.
    pub client_errors: u64,
    pub server_errors: u64,
    /// The 99th percentile of the minute's latencies (an upper bound within √2), in ms.
    pub p99_ms: f64,
    /// Bytes on each tier at the minute's end.
    pub hot_bytes: i64,
    pub archive_bytes: i64,
}

impl Minute {
    pub fn requests(&self) -> u64 {
        self.reads + self.writes + self.lists + self.deletes + self.other
    }
}

/// The minute being counted.
struct Current {
    minute: Minute,
    latencies: [u64; LATENCY_BUCKETS],
}

impl Current {
    fn new(at: i64, tiers: (i64, i64)) -> Current {
        Current {
            minute: Minute { at, hot_bytes: tiers.0, archive_bytes: tiers.1, ..Minute::default() },
            latencies: [0; LATENCY_BUCKETS],
        }
    }

    /// The minute as it stands, its p99 worked out.
    fn done(&self) -> Minute {
        let total: u64 = self.latencies.iter().sum();
        let mut m = self.minute;
        if total > 0 {
            let want = (total as f64 * 0.99).ceil() as u64;
            let mut seen = 0;
            for (i, n) in self.latencies.iter().enumerate() {
                seen += n;
                if seen >= want {
                    m.p99_ms = bucket_bound_ms(i);
                    break;
                }
            }
        }
        m
    }
}

struct State {
    past: VecDeque<Minute>,
    current: Current,
}

pub struct History {
    file: Option<PathBuf>,
    state: Mutex<State>,
}

fn minute_of(unix_secs: i64) -> i64 {
    unix_secs - unix_secs.rem_euclid(60)
}

impl Default for History {
    /// In memory only, from now.
    fn default() -> History {
        History::open(None, chrono::Utc::now().timestamp())
    }
}

impl History {
    /// A history kept in `file` (None: in memory only), read back from it if it is there.
    pub fn open(file: Option<PathBuf>, now_secs: i64) -> History {
        let mut past: VecDeque<Minute> = file
            .as_deref()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|bytes| serde_json::from_slice::<Vec<Minute>>(&bytes).ok())
            .unwrap_or_default()
            .into();
        let now = minute_of(now_secs);
        past.retain(|m| m.at > now - MINUTES as i64 * 60 && m.at < now);
        let tiers = past.back().map_or((0, 0), |m| (m.hot_bytes, m.archive_bytes));
        History { file, state: Mutex::new(State { past, current: Current::new(now, tiers) }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one request, answered at `now_secs`.
    pub fn record(&self, now_secs: i64, kind: Kind, status: u16, elapsed: Duration, bytes_in: u64, bytes_out: u64) {
        let mut s = self.state();
        roll(&mut s, now_secs);
        let m = &mut s.current.minute;
        match kind {
            Kind::Read => m.reads += 1,
            Kind::Write => m.writes += 1,
            Kind::List => m.lists += 1,
            Kind::Delete => m.deletes += 1,
            Kind::Other => m.other += 1,
        }
        m.bytes_in += bytes_in;
        m.bytes_out += bytes_out;
        match status {
            400..=499 => m.client_errors += 1,
            500..=599 => m.server_errors += 1,
            _ => {}
        }
        s.current.latencies[latency_bucket(elapsed)] += 1;
    }

    /// Notes the bytes on each tier, and closes the minute if it is over; returns whether one
    /// closed (then the history was written to its file).
    pub fn tick(&self, now_secs: i64, hot_bytes: i64, archive_bytes: i64) -> bool {
        let rolled = {
            let mut s = self.state();
            let before = s.current.minute.at;
            roll(&mut s, now_secs);
            s.current.minute.hot_bytes = hot_bytes;
            s.current.minute.archive_bytes = archive_bytes;
            s.current.minute.at != before
        };
        if rolled {
            if let Err(e) = self.save() {
                tracing::warn!(error = %e, "the console's history was not written");
            }
        }
        rolled
    }

    /// The minutes since `since_secs`, the current one included, oldest first.
    pub fn since(&self, since_secs: i64) -> Vec<Minute> {
        let s = self.state();
        let mut out: Vec<Minute> = s.past.iter().filter(|m| m.at >= since_secs).copied().collect();
        out.push(s.current.done());
        out
    }

    fn save(&self) -> std::io::Result<()> {
        let Some(file) = &self.file else { return Ok(()) };
        let bytes = {
            let s = self.state();
            serde_json::to_vec(&s.past.iter().collect::<Vec<_>>()).map_err(std::io::Error::other)?
        };
        write_atomically(file, &bytes)
    }
}

/// Closes the current minute and every empty one since, once `now_secs` is past it.
fn roll(s: &mut State, now_secs: i64) {
    let now = minute_of(now_secs);
    if now <= s.current.minute.at {
        return;
    }
    let done = s.current.done();
    let tiers = (done.hot_bytes, done.archive_bytes);
    s.past.push_back(done);
    // Minutes nobody asked anything in are there too, with nothing counted.
    let mut at = done.at + 60;
    while at < now && at > now - MINUTES as i64 * 60 {
        s.past.push_back(Minute { at, hot_bytes: tiers.0, archive_bytes: tiers.1, ..Minute::default() });
        at += 60;
    }
    while s.past.front().is_some_and(|m| m.at <= now - MINUTES as i64 * 60) || s.past.len() >= MINUTES {
        s.past.pop_front();
    }
    s.current = Current::new(now, tiers);
}

/// Writes `bytes` to `file` whole or not at all: a temporary file, synced, renamed over it.
fn write_atomically(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = file.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minute's start (1,800,000,000 is a multiple of 60).
    const T0: i64 = 1_800_000_000;

    #[test]
    fn kinds() {
        let table = [
            ("GetObject", Kind::Read),
            ("PutObject", Kind::Write),
            ("UploadPart", Kind::Write),
            ("ListObjectsV2", Kind::List),
            ("DeleteObjects", Kind::Delete),
            ("PutBucketPolicy", Kind::Other),
        ];
        for (op, kind) in table {
            assert_eq!(kind_of(op), kind, "{op}");
        }
    }

    #[test]
    fn latency_buckets_bound_what_they_hold() {
        for ms in [0.05, 0.125, 0.2, 1.0, 3.3, 100.0, 45_000.0] {
            let i = latency_bucket(Duration::from_secs_f64(ms / 1000.0));
            assert!(bucket_bound_ms(i) >= ms * 0.999, "{ms} ms in bucket {i}");
            assert!(i == 0 || bucket_bound_ms(i - 1) < ms, "{ms} ms: the bucket below holds it");
        }
    }

    #[test]
    fn minutes_roll_gaps_fill_and_the_day_is_kept() {
        let h = History::open(None, T0);
        h.record(T0 + 5, Kind::Read, 200, Duration::from_millis(2), 0, 100);
        h.record(T0 + 6, Kind::Write, 503, Duration::from_millis(900), 50, 0);
        assert!(!h.tick(T0 + 30, 10, 20));
        assert!(h.tick(T0 + 185, 11, 20), "three minutes on");
        let all = h.since(0);
        assert_eq!(all.len(), 4, "the first minute, two empty ones, the current one");
        let first = all[0];
        assert_eq!((first.reads, first.writes, first.bytes_out, first.server_errors), (1, 1, 100, 1));
        assert_eq!((first.hot_bytes, first.archive_bytes), (10, 20));
        assert!(first.p99_ms >= 900.0 && first.p99_ms < 1300.0, "{}", first.p99_ms);
        assert_eq!((all[1].requests(), all[1].at), (0, T0 + 60));
        assert_eq!(all[3].hot_bytes, 11);
        h.tick(T0 + 60 * 3000, 1, 1);
        assert!(h.since(0).len() <= MINUTES + 1, "never more than a day");
        assert!(h.since(0).iter().all(|m| m.at > T0 + 60 * 3000 - 86_400));
    }

    #[test]
    fn it_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("history.json");
        let h = History::open(Some(file.clone()), T0);
        h.record(T0 + 1, Kind::List, 200, Duration::from_millis(1), 0, 10);
        assert!(!h.tick(T0 + 30, 5, 6));
        assert!(h.tick(T0 + 61, 5, 6));
        let again = History::open(Some(file), T0 + 70);
        let back = again.since(0);
        assert_eq!((back[0].lists, back[0].bytes_out, back[0].hot_bytes), (1, 10, 5));
        assert_eq!(back.last().unwrap().hot_bytes, 5, "the tiers carry on until measured again");
    }
}
