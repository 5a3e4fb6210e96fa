//! Prometheus metrics: requests by operation and status, latency histograms, bytes in and out,
//! and the engine's stored totals, rendered in the text exposition format.

use crate::app::history::{self, History};
use firn_storage::EngineStats;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// A background worker's last run, for the console's overview.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerRun {
    pub name: &'static str,
    pub at_ms: i64,
    /// What the run did, in a few words.
    pub did: String,
    /// The last error it met, and when.
    pub last_error: Option<String>,
}

#[derive(Default)]
pub struct Metrics {
    /// Minute by minute, for the console's charts.
    pub history: History,
    workers: Mutex<BTreeMap<&'static str, WorkerRun>>,
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// Lifecycle actions taken, by kind, and hints that failed.
    lifecycle_actions: Mutex<BTreeMap<String, u64>>,
    lifecycle_errors: AtomicU64,
    /// Restore notifications delivered, and delivery attempts that failed.
    notifications_sent: AtomicU64,
    notifications_failed: AtomicU64,
    /// Requests whose handler panicked (answered 500).
    panics: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, operation: &'static str, status: u16, elapsed: Duration, bytes_in: u64, bytes_out: u64) {
        *self.requests.lock().unwrap_or_else(|p| p.into_inner()).entry((operation, status)).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = latency.entry(operation).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
        self.bytes_in.fetch_add(bytes_in, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes_out, Ordering::Relaxed);
        let now = chrono::Utc::now().timestamp();
        self.history.record(now, history::kind_of(operation), status, elapsed, bytes_in, bytes_out);
    }

    /// Metrics whose history is kept in `file` (and read back from it).
    pub fn with_history(file: std::path::PathBuf) -> Metrics {
        Metrics { history: History::open(Some(file), chrono::Utc::now().timestamp()), ..Metrics::default() }
    }

    /// Notes a background worker's run: what it did, or the error it met.
    pub fn worker_ran(&self, name: &'static str, outcome: Result<String, String>) {
        let at_ms = chrono::Utc::now().timestamp_millis();
        let mut workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        let w = workers.entry(name).or_insert(WorkerRun { name, at_ms, did: String::new(), last_error: None });
        w.at_ms = at_ms;
        match outcome {
            Ok(did) => w.did = did,
            Err(e) => w.last_error = Some(format!("{e} (at {})", crate::wire::preconditions::iso_date(at_ms))),
        }
    }

    /// Each worker's last run, by name.
    pub fn workers(&self) -> Vec<WorkerRun> {
        self.workers.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// Counts a request whose handler panicked.
    pub fn panicked(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts what a lifecycle pass did.
    pub fn lifecycle_pass(&self, report: &firn_storage::PassReport) {
        let mut actions = self.lifecycle_actions.lock().unwrap_or_else(|p| p.into_inner());
        for (kind, n) in &report.total.actions {
            *actions.entry(kind.clone()).or_default() += n;
        }
        self.lifecycle_errors.fetch_add(report.total.errors, Ordering::Relaxed);
    }

    /// Counts one notification delivery attempt.
    pub fn notification(&self, delivered: bool) {
        let counter = if delivered { &self.notifications_sent } else { &self.notifications_failed };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, stats: &EngineStats) -> String {
        let mut out = String::new();
        out.push_str("# HELP firn_requests_total S3 requests by operation and HTTP status.\n");
        out.push_str("# TYPE firn_requests_total counter\n");
        for ((op, status), n) in self.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "firn_requests_total{{operation=\"{op}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP firn_request_duration_seconds Time to answer a request, by operation.\n");
        out.push_str("# TYPE firn_request_duration_seconds histogram\n");
        for (op, h) in self.latency.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "firn_request_duration_seconds_bucket{{operation=\"{op}\",le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "firn_request_duration_seconds_bucket{{operation=\"{op}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "firn_request_duration_seconds_sum{{operation=\"{op}\"}} {}", h.sum);
            let _ = writeln!(out, "firn_request_duration_seconds_count{{operation=\"{op}\"}} {}", h.count);
        }
        let gauges: [(&str, &str, &str, String); 12] = [
            (
                "firn_handler_panics_total",
                "counter",
                "Requests whose handler panicked (each answered 500 InternalError).",
                self.panics.load(Ordering::Relaxed).to_string(),
            ),
            (
                "firn_bytes_received_total",
                "counter",
                "Request body bytes received.",
                self.bytes_in.load(Ordering::Relaxed).to_string(),
            ),
            (
                "firn_bytes_sent_total",
                "counter",
                "Response body bytes sent.",
                self.bytes_out.load(Ordering::Relaxed).to_string(),
            ),
            ("firn_buckets", "gauge", "Buckets.", stats.buckets.to_string()),
            (
                "firn_stored_objects{tier=\"hot\"}",
                "gauge",
                "Object versions stored, by tier.",
                stats.hot_versions.to_string(),
            ),
            ("firn_stored_objects{tier=\"archive\"}", "gauge", "", stats.archive_versions.to_string()),
            (
                "firn_stored_bytes{tier=\"hot\"}",
                "gauge",
                "Bytes of object versions stored, by tier.",
                stats.hot_bytes.to_string(),
            ),
            ("firn_stored_bytes{tier=\"archive\"}", "gauge", "", stats.archive_bytes.to_string()),
            ("firn_gc_queue", "gauge", "Blobs waiting to be deleted.", stats.gc_queue.to_string()),
            (
                "firn_archive_segments",
                "gauge",
                "Segment files of the archive tier.",
                stats.archive_segments.to_string(),
            ),
            (
                "firn_archive_bytes{kind=\"on_disk\"}",
                "gauge",
                "Bytes of the archive tier's segments: on disk, and of them live (the rest is dead space).",
                stats.archive_on_disk.to_string(),
            ),
            ("firn_archive_bytes{kind=\"live\"}", "gauge", "", stats.archive_live.to_string()),
        ];
        for (name, kind, help, value) in gauges {
            let base = name.split('{').next().unwrap_or(name);
            // An empty help: another sample of the family just above, whose HELP and TYPE stand.
            if !help.is_empty() {
                let _ = writeln!(out, "# HELP {base} {help}\n# TYPE {base} {kind}");
            }
            let _ = writeln!(out, "{name} {value}");
        }
        out.push_str("# HELP firn_lifecycle_actions_total Lifecycle actions taken, by kind.\n");
        out.push_str("# TYPE firn_lifecycle_actions_total counter\n");
        for (kind, n) in self.lifecycle_actions.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "firn_lifecycle_actions_total{{action=\"{kind}\"}} {n}");
        }
        let (sent, failed) =
            (self.notifications_sent.load(Ordering::Relaxed), self.notifications_failed.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "# HELP firn_restore_notifications_total Restore notifications, by outcome of the delivery attempt.\n# TYPE firn_restore_notifications_total counter\nfirn_restore_notifications_total{{outcome=\"delivered\"}} {sent}\nfirn_restore_notifications_total{{outcome=\"failed\"}} {failed}"
        );
        let errors = self.lifecycle_errors.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP firn_lifecycle_errors_total Lifecycle hints that failed (tried again later).\n# TYPE firn_lifecycle_errors_total counter\nfirn_lifecycle_errors_total {errors}"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("GetObject", 200, Duration::from_millis(3), 0, 100);
        m.observe("GetObject", 404, Duration::from_millis(30), 0, 50);
        let text = m.render(&EngineStats {
            buckets: 2,
            hot_versions: 5,
            hot_bytes: 500,
            archive_live: 7,
            ..Default::default()
        });
        assert!(text.contains("firn_archive_bytes{kind=\"live\"} 7"));
        assert!(text.contains("firn_requests_total{operation=\"GetObject\",status=\"200\"} 1"));
        assert!(text.contains("firn_request_duration_seconds_bucket{operation=\"GetObject\",le=\"0.005\"} 1"));
        assert!(text.contains("firn_request_duration_seconds_bucket{operation=\"GetObject\",le=\"0.05\"} 2"));
        assert!(text.contains("firn_request_duration_seconds_count{operation=\"GetObject\"} 2"));
        assert!(text.contains("firn_bytes_sent_total 150"));
        assert!(text.contains("firn_stored_objects{tier=\"hot\"} 5"));
        let mut report = firn_storage::PassReport::default();
        report.total.actions.insert("expire".into(), 3);
        m.lifecycle_pass(&report);
        m.lifecycle_pass(&report);
        let text = m.render(&EngineStats::default());
        assert!(text.contains("firn_lifecycle_actions_total{action=\"expire\"} 6"));
        assert!(text.contains("firn_lifecycle_errors_total 0"));
    }
}
