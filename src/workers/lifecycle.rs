//! Background work: the lifecycle worker's loop. It sleeps `lifecycle.interval`, then runs passes
//! under the lifecycle lease until nothing is due, each pass a bounded unit of work, and stops
//! between two passes when told to. Blocking engine work runs off the async threads.

use crate::app::state::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Hints one pass handles at most.
const PASS_BUDGET: usize = 1000;

/// How often gateways sharing a data directory sweep it for abandoned blobs.
const ORPHAN_SWEEP: Duration = Duration::from_secs(3600);

/// Starts the lifecycle loop; it ends once `stop` turns true, giving up its lease.
pub fn spawn_lifecycle(app: Arc<App>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let interval = app.config.lifecycle.interval();
    // The lease outlives a few passes' worth of sleep, so a live holder keeps it and a dead one
    // hands over within seconds to minutes.
    let lease_ms = (interval * 4).max(Duration::from_secs(10)).as_millis() as i64;
    tokio::spawn(async move {
        let mut swept = std::time::Instant::now();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => break,
            }
            loop {
                let engine_app = app.clone();
                let pass =
                    tokio::task::spawn_blocking(move || engine_app.engine.run_lifecycle(PASS_BUDGET, lease_ms)).await;
                let more = match pass {
                    Ok(Ok(Some(report))) => {
                        app.metrics.lifecycle_pass(&report);
                        app.metrics.worker_ran("lifecycle", Ok(pass_summary(&report)));
                        if !report.total.actions.is_empty() || report.total.errors > 0 {
                            tracing::info!(
                                examined = report.total.examined,
                                actions = ?report.total.actions,
                                errors = report.total.errors,
                                "lifecycle pass"
                            );
                        }
                        report.more
                    }
                    // Another gateway holds the lease and does the work.
                    Ok(Ok(None)) => false,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "lifecycle pass failed");
                        app.metrics.worker_ran("lifecycle", Err(e.to_string()));
                        false
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "lifecycle pass panicked");
                        false
                    }
                };
                if !more || *stop.borrow() {
                    break;
                }
            }
            // Segments that have filled up and are mostly dead are rewritten (the open ones are
            // left to fill; `firn admin archive compact` takes them too).
            let engine_app = app.clone();
            let compacted =
                tokio::task::spawn_blocking(move || engine_app.engine.compact_archive(0.5, false, lease_ms)).await;
            match compacted {
                Ok(Ok(Some(r))) => {
                    if r.segments > 0 {
                        tracing::info!(
                            segments = r.segments,
                            moved = r.moved_versions,
                            freed = r.freed_bytes,
                            "archive compaction"
                        );
                    }
                    let did = format!("{} segments rewritten, {} bytes freed", r.segments, r.freed_bytes);
                    app.metrics.worker_ran("archive compaction", Ok(did));
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "archive compaction failed");
                    app.metrics.worker_ran("archive compaction", Err(e.to_string()));
                }
                _ => {}
            }
            // Gateways sharing a data directory: one that died mid-upload leaves a file behind,
            // which no start-up of its own will sweep. One gateway looks, hourly.
            if app.engine.shared() && swept.elapsed() >= ORPHAN_SWEEP {
                swept = std::time::Instant::now();
                let engine_app = app.clone();
                match tokio::task::spawn_blocking(move || engine_app.engine.sweep_orphans(lease_ms)).await {
                    Ok(Ok(Some(n))) if n > 0 => tracing::info!(orphans = n, "removed blobs no metadata refers to"),
                    Ok(Err(e)) => tracing::warn!(error = %e, "orphan sweep failed"),
                    _ => {}
                }
            }
        }
        let engine_app = app.clone();
        let _ = tokio::task::spawn_blocking(move || engine_app.engine.stop_lifecycle()).await;
    })
}

/// What a pass did, in a few words: `examined 12; expire 3, transition 1; 0 errors`.
fn pass_summary(report: &firn_storage::PassReport) -> String {
    let t = &report.total;
    let actions: Vec<String> = t.actions.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    let actions = if actions.is_empty() { "nothing due".to_owned() } else { actions.join(", ") };
    format!("examined {}; {actions}; {} errors", t.examined, t.errors)
}
