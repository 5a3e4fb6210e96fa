//! The archive tier, root's page: its segments and their live and dead bytes with a Compact
//! action, the restore jobs running (tier, started, time left) and the transitions the rules have
//! scheduled. The figures come from the admin API's archive report, as `firn admin archive` shows.

use crate::admin::{Reply, Request};
use crate::console::form::Form;
use crate::console::layout::{csrf, here, size, when_ms};
use crate::console::signed::Signed;
use crate::http::body::Body;
use http::Response;
use maud::html;

/// `3 h 05 min`, `4 min 10 s`, `now`.
pub fn time_left(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        0 => "due now".into(),
        1..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

fn not_root(s: &Signed) -> Option<Response<Body>> {
    s.root_only("Archive", "The archive tier's page shows the whole server: only root sees it.")
}

pub async fn show(s: &Signed<'_>) -> Response<Body> {
    if let Some(r) = not_root(s) {
        return r;
    }
    let report = match s.caller().admin(&Request::Archive).await {
        Ok(Reply::Archive { archive }) => archive,
        Ok(_) => Default::default(),
        Err(f) => return s.failed("Archive", &[here("Archive")], &f),
    };
    let now = chrono::Utc::now().timestamp_millis();
    let dead = report.on_disk.saturating_sub(report.live);
    let ratio = if report.live > 0 { report.logical as f64 / report.live as f64 } else { 0.0 };
    let who = s.who();
    let body = html! {
        h1 { "Archive tier" }
        div.cards.tiles {
            section.card.tile { h2 { "Archived" } p.figure id="archived-logical" { (size(report.logical as i64)) } p.muted { (report.versions) " versions" } }
            section.card.tile {
                h2 { "On disk" }
                p.figure { (size(report.on_disk as i64)) }
                p.muted { (report.segments) " segments; " (size(report.live as i64)) " live, " (size(dead as i64)) " dead" }
                @if ratio > 0.0 { p.muted { (format!("{ratio:.1}")) "× compression" } }
            }
            section.card.tile {
                h2 { "Compact" }
                p.muted { "Rewrite segments whose dead share is at least:" }
                form.inline method="post" action="/archive/compact" {
                    (csrf(&who))
                    label for="min-dead" class="visually-hidden" { "Dead share" }
                    select id="min-dead" name="min_dead" {
                        option value="0.1" { "10%" } option value="0.25" { "25%" } option value="0.5" selected { "50%" }
                    }
                    button type="submit" { "Compact now" }
                }
            }
            section.card.tile { h2 { "Restored copies" } p.figure { (report.restored_copies) } p.muted { "on the hot tier until they expire" } }
        }
        section.card aria-labelledby="jobs-title" {
            h2 id="jobs-title" { "Restores running" }
            @if report.restore_jobs.is_empty() { p.muted { "None." } } @else {
                div.tablewrap { table.list id="restore-jobs" {
                    thead { tr { th scope="col" { "Object" } th scope="col" { "Tier" } th.wide scope="col" { "Started" } th scope="col" { "Ready in" } } }
                    tbody { @for j in &report.restore_jobs { tr {
                        th scope="row" { (j.object) }
                        td { (j.tier) }
                        td.wide { (when_ms(j.requested_ms)) }
                        td { (time_left(j.due_ms - now)) }
                    } } }
                } }
            }
        }
        section.card aria-labelledby="transitions-title" {
            h2 id="transitions-title" { "Transitions scheduled" }
            @if report.pending_transitions.is_empty() { p.muted { "None: no lifecycle rule moves anything to the archive soon." } } @else {
                div.tablewrap { table.list id="transitions" {
                    thead { tr { th scope="col" { "Object" } th.wide scope="col" { "Version" } th scope="col" { "To" } th scope="col" { "When" } } }
                    tbody { @for (what, version, class, due) in report.pending_transitions.iter().take(200) { tr {
                        th scope="row" { (what) }
                        td.wide.mono { (version) }
                        td { span.class { (class) } }
                        td { (when_ms(*due)) }
                    } } }
                } }
            }
        }
    };
    s.page("Archive tier", &[here("Archive")], body)
}

pub async fn compact(s: &Signed<'_>, form: &Form) -> Response<Body> {
    if let Some(r) = not_root(s) {
        return r;
    }
    let min_dead = form.text("min_dead").parse::<f64>().ok().filter(|d| (0.0..=1.0).contains(d)).unwrap_or(0.5);
    let outcome = match s.caller().admin(&Request::ArchiveCompact { min_dead }).await {
        Ok(Reply::Compacted { report }) => Ok(format!(
            "Compacted {} segments: {} versions moved, {} freed.",
            report.segments,
            report.moved_versions,
            size(report.freed_bytes as i64)
        )),
        Ok(_) => Ok("Compacted.".into()),
        Err(f) => Err(f),
    };
    s.then("/archive", outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_left() {
        let table =
            [(-5, "due now"), (0, "due now"), (42_000, "42 s"), (250_000, "4 min 10 s"), (11_100_000, "3 h 05 min")];
        for (ms, want) in table {
            assert_eq!(time_left(ms), want);
        }
    }
}
