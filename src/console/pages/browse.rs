//! The object browser: one folder (keys up to the next `/`) a page at a time, by S3's continuation
//! token, so a bucket of millions of keys opens as fast as a small one; a filter narrows the
//! folder by name; uploads (by `console.js`, through the console's S3 door) and new folders.

use crate::console::call::Failure;
use crate::console::form::Form;
use crate::console::layout::{crumb, csrf, here, icon, q, size, when, Crumb};
use crate::console::signed::Signed;
use crate::http::body::Body;
use crate::wire::error::Code;
use bytes::Bytes;
use http::{Method, Response};
use maud::html;

/// Keys on one page.
const PAGE: &str = "200";

/// Breadcrumbs down to `prefix`: Buckets / bucket / each folder; the last one is the page itself
/// unless `link_last`.
pub fn crumbs(bucket: &str, prefix: &str, link_last: bool) -> Vec<Crumb> {
    let mut out = vec![crumb("Buckets", "/buckets")];
    let folders: Vec<&str> = prefix.split_inclusive('/').collect();
    let at = |p: &str| format!("/browse/{}?prefix={}", q(bucket), q(p));
    if folders.is_empty() && !link_last {
        out.push(here(bucket));
    } else {
        out.push(crumb(bucket, format!("/browse/{}", q(bucket))));
    }
    let mut so_far = String::new();
    for (i, f) in folders.iter().enumerate() {
        so_far.push_str(f);
        let label = f.trim_end_matches('/').to_owned();
        if i + 1 == folders.len() && !link_last {
            out.push(here(label));
        } else {
            out.push(crumb(label, at(&so_far)));
        }
    }
    out
}

pub async fn list(s: &Signed<'_>, bucket: &str, query: &Form) -> Response<Body> {
    let prefix = query.text("prefix");
    let filter = query.text("filter");
    let token = query.get("token").filter(|t| !t.is_empty());
    let crumbs = crumbs(bucket, prefix, false);
    let narrowed = format!("{prefix}{filter}");
    let mut params = vec![("list-type", "2"), ("delimiter", "/"), ("max-keys", PAGE), ("prefix", narrowed.as_str())];
    if let Some(t) = token {
        params.push(("continuation-token", t));
    }
    let started = std::time::Instant::now();
    let doc = match s.caller().xml(Method::GET, bucket, None, &params).await {
        Ok(d) => d,
        Err(f) => return s.failed(bucket, &crumbs, &f),
    };
    tracing::debug!(target: "firn::console", bucket, prefix, micros = started.elapsed().as_micros() as u64, "listed");
    let folders: Vec<&str> = doc.children_named("CommonPrefixes").filter_map(|c| c.child_text("Prefix")).collect();
    let objects: Vec<_> = doc.children_named("Contents").filter(|c| c.child_text("Key") != Some(prefix)).collect();
    let next = doc.child_text("NextContinuationToken").filter(|_| doc.child_text("IsTruncated") == Some("true"));
    let here_url = |extra: &str| {
        let mut u = format!("/browse/{}?prefix={}", q(bucket), q(prefix));
        if !filter.is_empty() {
            u.push_str(&format!("&filter={}", q(filter)));
        }
        u + extra
    };
    let who = s.who();
    let title = if prefix.is_empty() { bucket.to_owned() } else { format!("{bucket}/{prefix}") };
    let body = html! {
        div.titlebar {
            h1 { (bucket) @if !prefix.is_empty() { span.muted { " / " (prefix) } } }
            div.actions {
                a.button href={ "/settings/" (q(bucket)) } { "Settings" }
                a.button href={ "/buckets" } { "All buckets" }
            }
        }
        div.toolbar {
            form.filter method="get" action={ "/browse/" (q(bucket)) } role="search" {
                input type="hidden" name="prefix" value=(prefix);
                label for="filter" class="visually-hidden" { "Filter this folder by name" }
                input id="filter" name="filter" type="search" placeholder="Filter by name prefix" value=(filter)
                    autocapitalize="off" spellcheck="false";
                button type="submit" { "Filter" }
            }
            form.newfolder method="post" action={ "/browse/" (q(bucket)) "/folder" } {
                (csrf(&who))
                input type="hidden" name="prefix" value=(prefix);
                label for="folder-name" class="visually-hidden" { "New folder name" }
                input id="folder-name" name="name" placeholder="New folder name" required autocapitalize="off" spellcheck="false";
                button type="submit" { "Create folder" }
            }
        }
        section.upload id="upload" data-bucket=(bucket) data-prefix=(prefix) data-csrf=(who.csrf) aria-labelledby="upload-title" {
            h2 id="upload-title" { "Upload" }
            div.dropzone id="dropzone" {
                p { "Drop files or folders here, or choose them: " }
                label.button for="pick-files" { "Choose files" }
                input.visually-hidden id="pick-files" type="file" multiple;
                " "
                label.button for="pick-folder" { "Choose a folder" }
                input.visually-hidden id="pick-folder" type="file" webkitdirectory multiple;
            }
            div.uploads id="uploads" hidden {
                div.overall {
                    label for="overall-progress" { "All uploads" }
                    progress id="overall-progress" max="100" value="0" {}
                    span id="overall-text" {}
                }
                ol id="upload-list" {}
            }
        }
        div.tablewrap {
            table.list id="objects" {
                caption.visually-hidden { "Folders and objects in " (title) }
                thead { tr {
                    th scope="col" { "Name" }
                    th.num scope="col" { "Size" }
                    th.wide scope="col" { "Storage class" }
                    th.wide scope="col" { "Last modified" }
                } }
                tbody {
                    @if folders.is_empty() && objects.is_empty() {
                        tr { td colspan="4" .empty { @if filter.is_empty() { "This folder is empty." } @else { "Nothing here starts with that." } } }
                    }
                    @for f in &folders {
                        tr.folder {
                            th scope="row" {
                                a href={ "/browse/" (q(bucket)) "?prefix=" (q(f)) } {
                                    (icon(true)) (f.strip_prefix(prefix).unwrap_or(f))
                                }
                            }
                            td.num { "—" }
                            td.wide { "Folder" }
                            td.wide {}
                        }
                    }
                    @for o in &objects {
                        @let key = o.child_text("Key").unwrap_or_default();
                        @let class = o.child_text("StorageClass").unwrap_or("STANDARD");
                        tr.object {
                            th scope="row" {
                                a href={ "/object/" (q(bucket)) "?key=" (q(key)) } {
                                    (icon(false)) (key.strip_prefix(prefix).unwrap_or(key))
                                }
                            }
                            td.num { (size(o.child_text("Size").and_then(|v| v.parse().ok()).unwrap_or(0))) }
                            td.wide { span.class { (class) } }
                            td.wide { (when(o.child_text("LastModified").unwrap_or_default())) }
                        }
                    }
                }
            }
        }
        nav.pages aria-label="Pages" {
            @if token.is_some() { a.button href=(here_url("")) { "First page" } }
            @if let Some(n) = next { a.button.primary href=(here_url(&format!("&token={}", q(n)))) rel="next" { "Next page" } }
        }
    };
    s.page(&title, &crumbs, body)
}

/// A new folder: the zero-byte `name/` key S3 consoles make.
pub async fn new_folder(s: &Signed<'_>, bucket: &str, form: &Form) -> Response<Body> {
    let prefix = form.text("prefix");
    let name = form.text("name").trim().trim_matches('/');
    let back = format!("/browse/{}?prefix={}", q(bucket), q(prefix));
    if name.is_empty() {
        let f = Failure::said(Code::InvalidArgument, "A folder needs a name.");
        return s.then(&back, Err(f));
    }
    let key = format!("{prefix}{name}/");
    let outcome = s.caller().send(Method::PUT, bucket, Some(&key), &[], &[], Bytes::new()).await;
    s.then(&back, outcome.map(|_| format!("Folder {name} created.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breadcrumbs() {
        let labels = |c: Vec<Crumb>| c.into_iter().map(|c| (c.label, c.href.is_some())).collect::<Vec<_>>();
        assert_eq!(labels(crumbs("b", "", false)), [("Buckets".into(), true), ("b".into(), false)]);
        assert_eq!(
            labels(crumbs("b", "a/c d/", false)),
            [("Buckets".into(), true), ("b".into(), true), ("a".into(), true), ("c d".into(), false)]
        );
        let linked = crumbs("b", "a/", true);
        assert_eq!(linked[2].href.as_deref(), Some("/browse/b?prefix=a%2F"));
    }
}
