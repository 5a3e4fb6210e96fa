//! Line charts drawn on the server as SVG: no script, no library. A chart scales with its box; its
//! text is sized to stay legible on a phone. Colours come from the stylesheet (`.s0` … `.s4`).

use maud::{html, Markup};

/// What a chart's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    PerSecond,
    BytesPerSecond,
    Bytes,
    Millis,
    Count,
}

pub struct Series {
    pub label: &'static str,
    /// (seconds since the epoch, value), in time order.
    pub points: Vec<(i64, f64)>,
}

const W: f64 = 600.0;
const H: f64 = 230.0;
const LEFT: f64 = 104.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

/// The smallest of 1, 2, 5 × 10ⁿ at or above `v` (1 for nothing).
pub fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let base = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * base).find(|c| *c >= v * 0.999_999).unwrap_or(10.0 * base)
}

/// The top of a chart's axis: a round figure in the unit the axis shows (bytes in powers of 1024).
pub fn axis_top(v: f64, unit: Unit) -> f64 {
    match unit {
        Unit::Bytes | Unit::BytesPerSecond if v >= 1024.0 => {
            let scale = 1024f64.powf(v.log(1024.0).floor());
            // 1, 2, 5 … 500, then the next unit up rather than "1000 KiB".
            let n = nice_ceiling(v / scale);
            if n >= 1000.0 {
                1024.0 * scale
            } else {
                n * scale
            }
        }
        _ => nice_ceiling(v),
    }
}

/// A value as the axis shows it.
pub fn label(v: f64, unit: Unit) -> String {
    let scaled = |v: f64, units: &[&str], step: f64| {
        let mut v = v;
        let mut i = 0;
        while v.abs() >= step && i < units.len() - 1 {
            v /= step;
            i += 1;
        }
        let digits = if v.fract() == 0.0 || v >= 100.0 { 0 } else { 2 };
        let n = format!("{v:.digits$}");
        let n = if n.contains('.') { n.trim_end_matches('0').trim_end_matches('.') } else { &n };
        format!("{n} {}", units[i])
    };
    match unit {
        Unit::PerSecond => scaled(v, &["/s", "k/s", "M/s"], 1000.0),
        Unit::Count => scaled(v, &["", "k", "M", "G"], 1000.0).trim_end().to_owned(),
        Unit::BytesPerSecond => scaled(v, &["B/s", "KiB/s", "MiB/s", "GiB/s"], 1024.0),
        Unit::Bytes => scaled(v, &["B", "KiB", "MiB", "GiB", "TiB", "PiB"], 1024.0),
        Unit::Millis => {
            if v >= 1000.0 {
                scaled(v / 1000.0, &["s"], f64::INFINITY)
            } else {
                scaled(v, &["ms"], f64::INFINITY)
            }
        }
    }
}

fn clock(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(String::new, |t| t.format("%H:%M").to_string())
}

/// A chart of `series` from `from` to `to` (seconds since the epoch), titled `title`.
pub fn line_chart(id: &str, title: &str, unit: Unit, from: i64, to: i64, series: &[Series]) -> Markup {
    let top = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0, f64::max);
    let max = axis_top(top, unit);
    let span = (to - from).max(1) as f64;
    let x = |t: i64| LEFT + (t - from) as f64 / span * (W - LEFT - RIGHT);
    let y = |v: f64| TOP + (1.0 - v / max) * (H - TOP - BOTTOM);
    let path = |s: &Series| {
        s.points
            .iter()
            .filter(|(t, _)| (from..=to).contains(t))
            .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let ticks: Vec<i64> = (0..=4).map(|i| from + (to - from) * i / 4).collect();
    let summary = format!("{title}: up to {}", label(top, unit));
    html! {
        figure.chart id=(id) {
            figcaption { (title) }
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(summary) preserveAspectRatio="xMidYMid meet" {
                title { (summary) }
                @for i in 0..=2 {
                    @let v = max * i as f64 / 2.0;
                    line.grid x1=(LEFT) x2=(W - RIGHT) y1=(y(v)) y2=(y(v)) {}
                    text.axis x=(LEFT - 6.0) y=(y(v) + 4.0) text-anchor="end" { (label(v, unit)) }
                }
                @for (i, t) in ticks.iter().enumerate() {
                    @let anchor = match i { 0 => "start", 4 => "end", _ => "middle" };
                    text.axis x=(x(*t)) y=(H - 8.0) text-anchor=(anchor) { (clock(*t)) }
                }
                @for (i, s) in series.iter().enumerate() {
                    polyline class={ "line s" (i % 5) } points=(path(s)) data-series=(s.label) data-points=(s.points.len()) {}
                    // A lone point draws no line: a dot shows it.
                    @if let [(t, v)] = s.points.as_slice() {
                        circle class={ "dot s" (i % 5) } cx=(format!("{:.1}", x(*t))) cy=(format!("{:.1}", y(*v))) r="4" {}
                    }
                }
            }
            @if series.len() > 1 {
                ul.legend {
                    @for (i, s) in series.iter().enumerate() {
                        li { span class={ "swatch s" (i % 5) } aria-hidden="true" {} (s.label) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings() {
        let table = [(0.0, 1.0), (0.3, 0.5), (1.0, 1.0), (1.2, 2.0), (3.0, 5.0), (7.0, 10.0), (1234.0, 2000.0)];
        for (v, want) in table {
            assert!((nice_ceiling(v) - want).abs() < 1e-9, "{v} -> {}", nice_ceiling(v));
        }
    }

    #[test]
    fn byte_axes_end_on_round_binary_figures() {
        assert_eq!(axis_top(1_000_000.0, Unit::BytesPerSecond), 1024.0 * 1024.0);
        assert_eq!(axis_top(300.0 * 1024.0, Unit::Bytes), 500.0 * 1024.0);
        assert_eq!(axis_top(300.0, Unit::PerSecond), 500.0);
    }

    #[test]
    fn labels() {
        let table = [
            (0.0, Unit::PerSecond, "0 /s"),
            (2500.0, Unit::PerSecond, "2.5 k/s"),
            (0.25, Unit::PerSecond, "0.25 /s"),
            (0.5, Unit::PerSecond, "0.5 /s"),
            (1536.0, Unit::Bytes, "1.5 KiB"),
            (5.0 * 1024.0 * 1024.0, Unit::BytesPerSecond, "5 MiB/s"),
            (250.0, Unit::Millis, "250 ms"),
            (2500.0, Unit::Millis, "2.5 s"),
            (2000.0, Unit::Count, "2 k"),
        ];
        for (v, unit, want) in table {
            assert_eq!(label(v, unit), want);
        }
    }

    #[test]
    fn draws_each_series_within_its_box() {
        let s = Series { label: "reads", points: vec![(0, 0.0), (60, 5.0), (120, 2.0)] };
        let svg = line_chart("c", "Requests", Unit::PerSecond, 0, 120, &[s]).into_string();
        assert!(svg.contains(r#"points="104.0,196.0 346.0,14.0 588.0,123.2""#), "{svg}");
        assert!(svg.contains("Requests: up to 5 /s"));
    }
}
