//! The operator's overview, root's alone: what each tier holds (the archive's logical and on-disk
//! bytes, and so what compression saves), per bucket and in total; free space; the server itself;
//! the background workers and their queues; and charts of the last hour or day from the server's
//! own history.

use crate::app::history::Minute;
use crate::console::chart::{line_chart, Series, Unit};
use crate::console::layout::{here, q, size};
use crate::console::signed::Signed;
use crate::http::body::Body;
use firn_storage::BucketName;
use http::Response;
use maud::{html, Markup};
use std::path::Path;

/// Free and total bytes of the filesystem holding `path`.
fn space(path: &Path) -> Option<(u64, u64)> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some((s.f_bavail * s.f_frsize, s.f_blocks * s.f_frsize))
}

/// Minutes summed into points of `step` seconds, each value per second where `rate`.
fn points(minutes: &[Minute], step: i64, value: impl Fn(&Minute) -> f64, rate: bool) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64, u32)> = Vec::new();
    for m in minutes {
        let at = m.at - m.at.rem_euclid(step);
        match out.last_mut() {
            Some(last) if last.0 == at => {
                last.1 += value(m);
                last.2 += 1;
            }
            _ => out.push((at, value(m), 1)),
        }
    }
    out.into_iter().map(|(at, v, n)| (at, if rate { v / (n as f64 * 60.0) } else { v / n as f64 })).collect()
}

/// The worst of a step's minutes, for latencies.
fn peaks(minutes: &[Minute], step: i64, value: impl Fn(&Minute) -> f64) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = Vec::new();
    for m in minutes {
        let at = m.at - m.at.rem_euclid(step);
        match out.last_mut() {
            Some(last) if last.0 == at => last.1 = last.1.max(value(m)),
            _ => out.push((at, value(m))),
        }
    }
    out
}

fn charts(minutes: &[Minute], day: bool, now: i64) -> Markup {
    let (from, step) = if day { (now - 86_400, 600) } else { (now - 3600, 60) };
    let minutes: Vec<Minute> = minutes.iter().filter(|m| m.at >= from).copied().collect();
    let m = &minutes;
    let series = |label, f: fn(&Minute) -> f64| Series { label, points: points(m, step, f, true) };
    html! {
        div.charts {
            (line_chart("chart-requests", "Requests per second", Unit::PerSecond, from, now, &[
                series("reads", |m| m.reads as f64),
                series("writes", |m| m.writes as f64),
                series("lists", |m| m.lists as f64),
                series("deletes", |m| m.deletes as f64),
                series("other", |m| m.other as f64),
            ]))
            (line_chart("chart-bytes", "Bytes in and out per second", Unit::BytesPerSecond, from, now, &[
                series("in", |m| m.bytes_in as f64),
                series("out", |m| m.bytes_out as f64),
            ]))
            (line_chart("chart-errors", "Errors per second", Unit::PerSecond, from, now, &[
                series("4xx", |m| m.client_errors as f64),
                series("5xx", |m| m.server_errors as f64),
            ]))
            (line_chart("chart-latency", "p99 latency", Unit::Millis, from, now, &[
                Series { label: "p99", points: peaks(m, step, |m| m.p99_ms) },
            ]))
            (line_chart("chart-tiers", "Bytes on each tier", Unit::Bytes, from, now, &[
                Series { label: "hot", points: points(m, step, |m| m.hot_bytes as f64, false) },
                Series { label: "archive", points: points(m, step, |m| m.archive_bytes as f64, false) },
            ]))
        }
    }
}

pub async fn show(s: &Signed<'_>, day: bool) -> Response<Body> {
    let why = "The overview shows the whole server: only root sees it. Your buckets are under Buckets.";
    if let Some(refused) = s.root_only("Overview", why) {
        return refused;
    }
    let app = &s.console.app;
    let engine = &app.engine;
    let stats = engine.stats();
    let queues = engine.queues().ok();
    let now = chrono::Utc::now().timestamp();
    let minutes = app.metrics.history.since(now - 86_400);
    let buckets = engine.list_buckets().unwrap_or_default();
    let data_dir = &app.config.data_dir;
    let archive_dir = app.config.archive.dir.clone().unwrap_or_else(|| data_dir.join("archive"));
    let ratio = if stats.archive_on_disk > 0 { stats.archive_bytes as f64 / stats.archive_on_disk as f64 } else { 0.0 };
    let uptime = s.console.started.elapsed().as_secs();
    let workers = app.metrics.workers();
    let body = html! {
        div.titlebar {
            h1 { "Overview" }
            nav.segmented aria-label="Time range" {
                a.button.primary[!day] href="/overview" aria-current=[(!day).then_some("page")] { "Last hour" }
                a.button.primary[day] href="/overview?range=day" aria-current=[day.then_some("page")] { "Last 24 hours" }
            }
        }
        div.cards.tiles {
            section.card.tile {
                h2 { "Hot tier" }
                p.figure id="hot-bytes" { (size(stats.hot_bytes)) }
                p.muted { (stats.hot_versions) " versions" }
            }
            section.card.tile {
                h2 { "Archive tier" }
                p.figure id="archive-bytes" { (size(stats.archive_bytes)) }
                p.muted {
                    (stats.archive_versions) " versions; " (size(stats.archive_on_disk as i64)) " on disk"
                    @if ratio > 0.0 { " (" (format!("{ratio:.1}")) "× compression)" }
                }
            }
            section.card.tile {
                h2 { "Free space" }
                @for (label, path) in [("Data", data_dir.as_path()), ("Archive", archive_dir.as_path())] {
                    @if let Some((free, total)) = space(path) {
                        p { strong { (label) } ": " (size(free as i64)) " free of " (size(total as i64)) }
                    }
                }
            }
            section.card.tile {
                h2 { "Server" }
                p { "Firn " (env!("CARGO_PKG_VERSION")) ", up " (uptime / 3600) " h " ((uptime % 3600) / 60) " min" }
                p.muted { "Metadata: " (format!("{:?}", app.config.metadata.backend).to_lowercase())
                    @if app.config.tls.enabled() { "; HTTPS" } @else { "; plain HTTP" } }
            }
        }
        section.card aria-labelledby="charts-title" {
            h2 id="charts-title" { "This server, " @if day { "the last 24 hours" } @else { "the last hour" } }
            (charts(&minutes, day, now))
            @if engine.shared() { p.muted { "Several gateways share this namespace: the charts are this gateway's alone; the tier figures are the namespace's as this gateway counts them." } }
        }
        section.card aria-labelledby="workers-title" {
            h2 id="workers-title" { "Background work" }
            div.tablewrap {
                table.list id="workers" {
                    thead { tr { th scope="col" { "Worker" } th scope="col" { "Last run" } th.wide scope="col" { "What it did" } th scope="col" { "Last error" } } }
                    tbody {
                        @for w in &workers {
                            tr {
                                th scope="row" { (w.name) }
                                td { (crate::console::layout::when_ms(w.at_ms)) }
                                td.wide { (w.did) }
                                td { @match &w.last_error { Some(e) => span.failed { (e) }, None => span.muted { "none" } } }
                            }
                        }
                        @if workers.is_empty() { tr { td colspan="4" .empty { "No background work has run yet." } } }
                    }
                }
            }
            @if let Some(qs) = &queues {
                p { "Queues: " (qs.lifecycle) " lifecycle hints, " (qs.gc) " files to delete, " (qs.uploads) " multipart uploads in progress." }
            }
        }
        section.card aria-labelledby="per-bucket-title" {
            h2 id="per-bucket-title" { "Per bucket" }
            div.tablewrap {
                table.list id="per-bucket" {
                    thead { tr {
                        th scope="col" { "Bucket" }
                        th.num scope="col" { "Hot" }
                        th.num scope="col" { "Archive" }
                    } }
                    tbody {
                        @for b in &buckets {
                            @let u = BucketName::parse(&b.name).map(|n| engine.usage(&n)).unwrap_or_default();
                            tr {
                                th scope="row" { a href={ "/browse/" (q(&b.name)) } { (b.name) } }
                                td.num { (size(u.bytes - u.archived_bytes)) br; span.muted { (u.objects - u.archived_objects) " versions" } }
                                td.num { (size(u.archived_bytes)) br; span.muted { (u.archived_objects) " versions" } }
                            }
                        }
                    }
                }
            }
        }
    };
    s.page("Overview", &[here("Overview")], body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(at: i64, reads: u64, p99: f64) -> Minute {
        Minute { at, reads, p99_ms: p99, ..Minute::default() }
    }

    #[test]
    fn minutes_become_points() {
        let ms = [minute(600, 60, 1.0), minute(660, 120, 9.0), minute(1200, 0, 2.0)];
        assert_eq!(points(&ms, 60, |m| m.reads as f64, true), [(600, 1.0), (660, 2.0), (1200, 0.0)]);
        assert_eq!(points(&ms, 600, |m| m.reads as f64, true), [(600, 1.5), (1200, 0.0)], "a rate over the step");
        assert_eq!(peaks(&ms, 600, |m| m.p99_ms), [(600, 9.0), (1200, 2.0)], "the worst minute of the step");
    }
}
