//! The frame every page shares: head, top bar, breadcrumbs, the one-time message, and helpers the
//! pages format with. Everything interpolated is escaped by the template engine: keys, metadata and
//! tags show as text whatever they hold.

use crate::auth::sigv4::uri_encode;
use crate::console::session::Flash;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The signed-in user, as pages show them, and the CSRF token their forms carry.
pub struct Who<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
    /// Root sees the server-wide pages.
    pub root: bool,
}

/// One step of the breadcrumbs: its label and, unless it is the current page, its link.
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

pub fn crumb(label: impl Into<String>, href: impl Into<String>) -> Crumb {
    Crumb { label: label.into(), href: Some(href.into()) }
}

pub fn here(label: impl Into<String>) -> Crumb {
    Crumb { label: label.into(), href: None }
}

pub fn page(title: &str, who: Option<&Who>, crumbs: &[Crumb], flash: Option<&Flash>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · Firn" }
                link rel="stylesheet" href="/assets/console.css";
                link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
                script src="/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/buckets" { span.logo aria-hidden="true" { "❄" } " Firn" }
                    @if let Some(who) = who {
                        nav.sections aria-label="Sections" {
                            a href="/buckets" { "Buckets" }
                            @if who.root { a href="/overview" { "Overview" } a href="/archive" { "Archive" } a href="/users" { "Users" } }
                            a href="/keys" { "Your keys" }
                        }
                        nav.user aria-label="Account" {
                            span.whoami { "Signed in as " strong { (who.name) } }
                            form method="post" action="/signout" {
                                input type="hidden" name="csrf" value=(who.csrf);
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" {
                    @if !crumbs.is_empty() {
                        nav.crumbs aria-label="Breadcrumbs" {
                            ol {
                                @for c in crumbs {
                                    li {
                                        @match &c.href {
                                            Some(h) => a href=(h) { (c.label) },
                                            None => span aria-current="page" { (c.label) },
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @match flash {
                        Some(Flash::Done(m)) => p.flash.done role="status" { (m) },
                        Some(Flash::Failed(m)) => p.flash.failed role="alert" { (m) },
                        None => {},
                    }
                    (body)
                }
            }
        }
    }
}

/// A folder's or a file's icon: drawn here, so no font or image file is needed.
pub fn icon(folder: bool) -> Markup {
    const FOLDER: &str = r#"<svg class="icon" viewBox="0 0 16 16" aria-hidden="true"><path d="M1.5 3.5h4l1.5 1.5h7.5v8h-13z" fill="currentColor" opacity=".85"/></svg>"#;
    const FILE: &str = r#"<svg class="icon" viewBox="0 0 16 16" aria-hidden="true"><path d="M3.5 1.5h6l3 3v10h-9z" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M9.5 1.5v3h3" fill="none" stroke="currentColor" stroke-width="1.3"/></svg>"#;
    PreEscaped(if folder { FOLDER } else { FILE }.to_owned())
}

/// A tag editor's table: the tags, then two empty rows to add to; `label` names the fields for
/// screen readers ("Tag 1 key"). The form reads them back with `Form::tags`.
pub fn tag_table(tags: &[(String, String)], label: &str) -> Markup {
    html! {
        table.tags {
            thead { tr { th scope="col" { "Key" } th scope="col" { "Value" } } }
            tbody {
                @for (i, (k, v)) in tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain([("", ""), ("", "")]).enumerate() {
                    tr {
                        td { input name="tag_key" value=(k) aria-label={ (label) " " (i + 1) " key" } maxlength="128"; }
                        td { input name="tag_value" value=(v) aria-label={ (label) " " (i + 1) " value" } maxlength="256"; }
                    }
                }
            }
        }
    }
}

/// The hidden field every state-changing form carries.
pub fn csrf(who: &Who) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.csrf); }
}

/// A query-string value.
pub fn q(v: &str) -> String {
    uri_encode(v, false)
}

/// Bytes as people read them: 1.5 MiB.
pub fn size(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes.max(0) as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// An S3 timestamp (`2026-12-07T10:00:00.000Z`) as `2026-12-07 10:00 UTC`.
pub fn when(iso: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(iso) {
        Ok(t) => t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => iso.to_owned(),
    }
}

pub fn when_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times() {
        let table = [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (40 << 20, "40.0 MiB"), (1 << 40, "1.0 TiB")];
        for (bytes, want) in table {
            assert_eq!(size(bytes), want);
        }
        assert_eq!(when("2026-12-07T10:00:00.000Z"), "2026-12-07 10:00 UTC");
        assert_eq!(when("nonsense"), "nonsense");
    }

    #[test]
    fn text_is_escaped() {
        let page = page("<t>", None, &[here("<img src=x onerror=alert(1)>")], None, html! {});
        let s = page.into_string();
        assert!(s.contains("&lt;img src=x onerror=alert(1)&gt;") && !s.contains("<img"), "{s}");
    }
}
