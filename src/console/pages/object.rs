//! One object: what it is (size, ETag, type, class, metadata, tags, Object Lock), its archive
//! state with a Restore action and a state that updates itself, its versions, and what can be
//! done with it (download, delete, share, bring an older version back).

use crate::auth::sigv4::{self, uri_encode, Presign};
use crate::console::call::{s3_path, Failure, Outcome};
use crate::console::form::Form;
use crate::console::layout::{csrf, here, q, size, tag_table, when, when_ms, Crumb, Who};
use crate::console::pages::browse;
use crate::console::respond;
use crate::console::signed::Signed;
use crate::http::body::Body;
use crate::s3::documents::tagging;
use crate::wire::error::Code;
use crate::wire::xml::Element;
use bytes::Bytes;
use firn_storage::{BucketName, ObjectKey, StorageClass};
use http::{HeaderMap, Method, Response, StatusCode};
use maud::{html, Markup};

/// Share links live at most seven days, as presigned URLs do in S3.
const SHARE_CHOICES: [(u64, &str); 4] =
    [(3600, "1 hour"), (86_400, "1 day"), (3 * 86_400, "3 days"), (7 * 86_400, "7 days")];

/// Where an object stands with the archive tier.
#[derive(Debug, PartialEq, Eq)]
pub struct ArchiveState {
    /// `hot`, `archived`, `restoring` or `restored`.
    pub state: &'static str,
    pub text: String,
    /// Its bytes can be read now.
    pub readable: bool,
}

/// The state of an object of `class` whose `x-amz-restore` header is `restore`; `ready` is when a
/// running restore completes.
pub fn archive_state(class: &str, restore: Option<&str>, ready: Option<String>) -> ArchiveState {
    let needs_restore = StorageClass::parse(class).is_some_and(|c| c.needs_restore());
    let expiry = restore.and_then(|r| r.split("expiry-date=\"").nth(1)).and_then(|r| r.split('"').next());
    match (needs_restore, restore, expiry) {
        (false, _, _) => ArchiveState { state: "hot", text: format!("Readable ({class})."), readable: true },
        (true, None, _) => ArchiveState {
            state: "archived",
            text: format!("In the archive tier ({class}): not restored. Restore it to read it."),
            readable: false,
        },
        (true, Some(_), None) => ArchiveState {
            state: "restoring",
            text: match ready {
                Some(at) => format!("Restoring: ready at about {at}."),
                None => "Restoring.".to_owned(),
            },
            readable: false,
        },
        (true, Some(_), Some(until)) => {
            ArchiveState { state: "restored", text: format!("Restored: readable until {until}."), readable: true }
        }
    }
}

fn header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The page's address.
fn url(bucket: &str, key: &str, version: Option<&str>) -> String {
    let mut u = format!("/object/{}?key={}", q(bucket), q(key));
    if let Some(v) = version {
        u.push_str(&format!("&versionId={}", q(v)));
    }
    u
}

/// The console's download link: its S3 door, streamed, saved as the key's last part.
fn download(bucket: &str, key: &str, version: Option<&str>) -> String {
    let name = key.rsplit('/').next().unwrap_or(key);
    let disposition = format!("attachment; filename*=UTF-8''{}", uri_encode(name, false));
    let mut u = format!("/api/s3{}?response-content-disposition={}", s3_path(bucket, Some(key)), q(&disposition));
    if let Some(v) = version {
        u.push_str(&format!("&versionId={}", q(v)));
    }
    u
}

fn crumbs(bucket: &str, key: &str) -> Vec<Crumb> {
    let folder = &key[..key.rfind('/').map_or(0, |i| i + 1)];
    let mut c = browse::crumbs(bucket, folder, true);
    c.push(here(&key[folder.len()..]));
    c
}

/// The state of a version as the page shows it, asking the engine when a running restore is due.
fn state_of(s: &Signed, bucket: &str, key: &str, version: Option<&str>, head: &HeaderMap) -> ArchiveState {
    let class = header(head, "x-amz-storage-class").unwrap_or("STANDARD");
    let restore = header(head, "x-amz-restore");
    let ready = restore.filter(|r| r.contains("\"true\"")).and_then(|_| {
        let engine = &s.console.app.engine;
        let (b, k) = (BucketName::parse(bucket).ok()?, ObjectKey::parse(key).ok()?);
        let rec = match version {
            Some(v) => engine.object_version(&b, &k, v).ok()?,
            None => engine.object(&b, &k).ok()?,
        };
        Some(when_ms(engine.restore_status(&b, &rec).ok()??.due_ms))
    });
    archive_state(class, restore, ready)
}

async fn head(s: &Signed<'_>, bucket: &str, key: &str, version: Option<&str>) -> Outcome<HeaderMap> {
    let query: Vec<(&str, &str)> = version.map(|v| ("versionId", v)).into_iter().collect();
    let resp = s.caller().send(Method::HEAD, bucket, Some(key), &query, &[], Bytes::new()).await?;
    Ok(resp.headers().clone())
}

pub async fn show(s: &Signed<'_>, bucket: &str, query: &Form, shared: Option<String>) -> Response<Body> {
    let key = query.text("key");
    let version = query.get("versionId").filter(|v| !v.is_empty());
    let crumbs = crumbs(bucket, key);
    let caller = s.caller();
    let head = head(s, bucket, key, version).await;
    // A key whose current version is a delete marker still has versions to show.
    let marker =
        matches!(&head, Err(f) if f.error.headers.iter().any(|(n, v)| *n == "x-amz-delete-marker" && v == "true"));
    let head = match head {
        Ok(h) => Some(h),
        Err(_) if marker => None,
        Err(f) => return s.failed(key, &crumbs, &f),
    };
    let vq: Vec<(&str, &str)> = version.map(|v| ("versionId", v)).into_iter().collect();
    let mut tq = vq.clone();
    tq.push(("tagging", ""));
    let tags: Vec<(String, String)> = match &head {
        Some(_) => caller
            .xml(Method::GET, bucket, Some(key), &tq)
            .await
            .ok()
            .and_then(|d| tagging::tag_set(&d, usize::MAX).ok())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let versions = caller
        .xml(Method::GET, bucket, None, &[("versions", ""), ("prefix", key), ("max-keys", "100")])
        .await
        .map(|d| versions(&d, key))
        .unwrap_or_default();
    let who = s.who();
    let body = html! {
        div.titlebar {
            h1.key { (key.rsplit('/').next().unwrap_or(key)) }
        }
        @if let Some(h) = &head {
            (details(s, &who, bucket, key, version, h, &tags, shared.as_deref()))
        } @else {
            p.flash.failed role="status" { "The current version of this key is a delete marker: the object looks deleted. Its older versions are below." }
        }
        @if versions.len() > 1 || versions.iter().any(|v| v.id != "null") {
            (versions_table(&who, bucket, key, version, &versions))
        }
    };
    s.page(key, &crumbs, body)
}

#[allow(clippy::too_many_arguments)]
fn details(
    s: &Signed,
    who: &Who,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    h: &HeaderMap,
    tags: &[(String, String)],
    shared: Option<&str>,
) -> Markup {
    let class = header(h, "x-amz-storage-class").unwrap_or("STANDARD");
    let state = state_of(s, bucket, key, version, h);
    let meta: Vec<(&str, &str)> =
        h.iter().filter_map(|(n, v)| Some((n.as_str().strip_prefix("x-amz-meta-")?, v.to_str().ok()?))).collect();
    let len: i64 = header(h, "content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let vid = header(h, "x-amz-version-id");
    let lock_mode = header(h, "x-amz-object-lock-mode");
    let hold = header(h, "x-amz-object-lock-legal-hold");
    let restorable = StorageClass::parse(class).is_some_and(|c| c.needs_restore());
    let deep = class == "DEEP_ARCHIVE";
    let hidden_fields = html! {
        (csrf(who))
        input type="hidden" name="key" value=(key);
        @if let Some(v) = version { input type="hidden" name="versionId" value=(v); }
    };
    let action = |what: &str| format!("/object/{}/{what}", q(bucket));
    html! {
        div.actions.objectbar {
            a.button.primary id="download" href=(download(bucket, key, version)) hidden[!state.readable] download { "Download" }
            form method="post" action=(action("delete"))
                data-confirm=(if version.is_some() { "Delete this version permanently? This cannot be undone." } else { "Delete this object? In a versioned bucket a delete marker hides it and its versions stay." }) {
                (hidden_fields)
                button.danger type="submit" { @if version.is_some() { "Delete this version" } @else { "Delete" } }
            }
        }
        div.cards {
        section.card aria-labelledby="props-title" {
            h2 id="props-title" { "Properties" }
            dl.props {
                dt { "Key" } dd.key { (key) }
                dt { "Size" } dd { (size(len)) " (" (len) " bytes)" }
                dt { "ETag" } dd.mono { (header(h, "etag").unwrap_or_default()) }
                dt { "Type" } dd { (header(h, "content-type").unwrap_or("—")) }
                dt { "Storage class" } dd { span.class { (class) } }
                dt { "Last modified" } dd { (header(h, "last-modified").unwrap_or_default()) }
                @if let Some(v) = vid { dt { "Version" } dd.mono { (v) } }
            }
        }
        section.card aria-labelledby="archive-title" {
            h2 id="archive-title" { "Archive tier" }
            p id="archive-state" data-state=(state.state)
                data-poll={ "/object/" (q(bucket)) "/state?key=" (q(key)) @if let Some(v) = version { "&versionId=" (q(v)) } } {
                (state.text)
            }
            // While a restore runs, another is refused (RestoreAlreadyInProgress): no form then.
            @if restorable && state.state != "restoring" {
                form.inline method="post" action=(action("restore")) id="restore-form" {
                    (hidden_fields)
                    label for="restore-days" { "Keep the copy for (days)" }
                    input id="restore-days" name="days" type="number" min="1" max="36500" value="1" required;
                    label for="restore-tier" { "Speed" }
                    select id="restore-tier" name="tier" {
                        @if !deep { option value="Expedited" { "Expedited (1–5 minutes)" } }
                        option value="Standard" selected { @if deep { "Standard (within 12 hours)" } @else { "Standard (3–5 hours)" } }
                        option value="Bulk" { @if deep { "Bulk (within 48 hours)" } @else { "Bulk (5–12 hours)" } }
                    }
                    button type="submit" { "Restore" }
                }
            }
        }
        section.card aria-labelledby="meta-title" {
            h2 id="meta-title" { "Metadata" }
            @if meta.is_empty() { p.muted { "No user metadata." } }
            @else {
                dl.props { @for (n, v) in &meta { dt { (n) } dd { (v) } } }
            }
        }
        section.card aria-labelledby="tags-title" {
            h2 id="tags-title" { "Tags" }
            form method="post" action=(action("tags")) id="tags-form" {
                (hidden_fields)
                (tag_table(tags, "Tag"))
                button type="submit" { "Save tags" }
            }
        }
        section.card aria-labelledby="lock-title" {
            h2 id="lock-title" { "Object Lock" }
            dl.props {
                dt { "Retention" }
                dd { @match lock_mode {
                    Some(m) => { (m) " until " (header(h, "x-amz-object-lock-retain-until-date").map(when).unwrap_or_default()) },
                    None => "None",
                } }
                dt { "Legal hold" } dd { (hold.unwrap_or("OFF")) }
            }
            @if hold.is_some() || lock_mode.is_some() {
                form.inline method="post" action=(action("legal-hold")) {
                    (hidden_fields)
                    input type="hidden" name="on" value=(if hold == Some("ON") { "OFF" } else { "ON" });
                    button type="submit" { @if hold == Some("ON") { "Release legal hold" } @else { "Place legal hold" } }
                }
            }
        }
        section.card aria-labelledby="share-title" {
            h2 id="share-title" { "Share" }
            form.inline method="post" action=(action("share")) {
                (hidden_fields)
                label for="share-expiry" { "Link works for" }
                select id="share-expiry" name="expires" {
                    @for (secs, label) in SHARE_CHOICES { option value=(secs) selected[secs == 86_400] { (label) } }
                }
                button type="submit" { "Make share link" }
            }
            @if let Some(link) = shared {
                div.shared {
                    label for="share-link" { "Anyone with this link can download this object until it expires:" }
                    input id="share-link" type="text" readonly value=(link);
                    button type="button" id="copy-share" data-copy="share-link" { "Copy" }
                    span id="copy-status" role="status" {}
                }
            }
        }
        }
    }
}

struct Version {
    id: String,
    latest: bool,
    marker: bool,
    modified: String,
    size: i64,
    class: String,
}

fn versions(d: &Element, key: &str) -> Vec<Version> {
    d.children
        .iter()
        .filter(|c| (c.name == "Version" || c.name == "DeleteMarker") && c.child_text("Key") == Some(key))
        .map(|c| Version {
            id: c.child_text("VersionId").unwrap_or("null").to_owned(),
            latest: c.child_text("IsLatest") == Some("true"),
            marker: c.name == "DeleteMarker",
            modified: when(c.child_text("LastModified").unwrap_or_default()),
            size: c.child_text("Size").and_then(|s| s.parse().ok()).unwrap_or(0),
            class: c.child_text("StorageClass").unwrap_or("STANDARD").to_owned(),
        })
        .collect()
}

fn versions_table(who: &Who, bucket: &str, key: &str, shown: Option<&str>, versions: &[Version]) -> Markup {
    html! {
        section.card aria-labelledby="versions-title" {
            h2 id="versions-title" { "Versions" }
            div.tablewrap {
                table.list id="versions" {
                    thead { tr {
                        th scope="col" { "Version" }
                        th.wide scope="col" { "Last modified" }
                        th.num scope="col" { "Size" }
                        th scope="col" { span.visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for v in versions {
                            tr.current[shown == Some(v.id.as_str())] {
                                th scope="row" {
                                    @if v.marker { span.badge { "Delete marker" } " " }
                                    @else { a.mono href=(url(bucket, key, Some(&v.id))) { (v.id) } " " }
                                    @if v.latest { span.badge.latest { "Current" } }
                                    @if !v.marker && v.class != "STANDARD" { " " span.class { (v.class) } }
                                }
                                td.wide { (v.modified) }
                                td.num { @if !v.marker { (size(v.size)) } }
                                td { div.rowactions {
                                    @if !v.marker && !v.latest {
                                        form method="post" action={ "/object/" (q(bucket)) "/promote" } {
                                            (csrf(who))
                                            input type="hidden" name="key" value=(key);
                                            input type="hidden" name="versionId" value=(v.id);
                                            button.small type="submit" { "Make current" }
                                        }
                                    }
                                    form method="post" action={ "/object/" (q(bucket)) "/delete" }
                                        data-confirm="Delete this version permanently? This cannot be undone." {
                                        (csrf(who))
                                        input type="hidden" name="key" value=(key);
                                        input type="hidden" name="versionId" value=(v.id);
                                        input type="hidden" name="back" value="object";
                                        button.small.danger type="submit" aria-label={ "Delete version " (v.id) } { "Delete" }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The archive state as JSON, for the page to follow a restore without reloading.
pub async fn state(s: &Signed<'_>, bucket: &str, query: &Form) -> Response<Body> {
    let key = query.text("key");
    let version = query.get("versionId").filter(|v| !v.is_empty());
    match head(s, bucket, key, version).await {
        Ok(h) => {
            let st = state_of(s, bucket, key, version, &h);
            respond::json(
                StatusCode::OK,
                &serde_json::json!({ "state": st.state, "text": st.text, "readable": st.readable }),
            )
        }
        Err(f) => respond::json(f.error.code.status(), &serde_json::json!({ "error": f.sentence })),
    }
}

fn days_text(days: u32) -> String {
    if days == 1 {
        "1 day".into()
    } else {
        format!("{days} days")
    }
}

fn invalid(sentence: &str) -> Failure {
    Failure::said(Code::InvalidArgument, sentence)
}

/// The actions of the object page, each then back to where it came from.
pub async fn act(s: &Signed<'_>, bucket: &str, what: &str, form: &Form) -> Response<Body> {
    let key = form.text("key");
    let version = form.get("versionId").filter(|v| !v.is_empty());
    let caller = s.caller();
    let vq: Vec<(&str, &str)> = version.map(|v| ("versionId", v)).into_iter().collect();
    let with = |sub: &'static str| {
        let mut q = vq.clone();
        q.push((sub, ""));
        q
    };
    let mut back = url(bucket, key, version);
    let outcome: Outcome<String> = match what {
        "tags" => {
            let tags = form.tags();
            if tags.is_empty() {
                caller.send(Method::DELETE, bucket, Some(key), &with("tagging"), &[], Bytes::new()).await.map(|_| ())
            } else {
                let doc = Bytes::from(tagging::to_document(&tags));
                caller.send(Method::PUT, bucket, Some(key), &with("tagging"), &[], doc).await.map(|_| ())
            }
            .map(|_| "Tags saved.".to_owned())
        }
        "delete" => {
            let r = caller.send(Method::DELETE, bucket, Some(key), &vq, &[], Bytes::new()).await;
            let folder = &key[..key.rfind('/').map_or(0, |i| i + 1)];
            // Back to the key's page while it has versions to show, else to its folder.
            let marker = |resp: &Response<Body>| resp.headers().contains_key("x-amz-delete-marker");
            back = match &r {
                Err(_) => back,
                Ok(_) if form.text("back") == "object" => url(bucket, key, None),
                Ok(resp) if version.is_none() && marker(resp) => url(bucket, key, None),
                Ok(_) => format!("/browse/{}?prefix={}", q(bucket), q(folder)),
            };
            r.map(|_| match version {
                Some(v) => format!("Version {v} deleted permanently."),
                None => format!("{key} deleted."),
            })
        }
        "restore" => {
            let days: u32 = form.text("days").parse().unwrap_or(0);
            let tier = form.text("tier");
            if days == 0 {
                Err(invalid("Days must be a whole number, 1 or more."))
            } else {
                let doc = format!(
                    "<RestoreRequest><Days>{days}</Days><GlacierJobParameters><Tier>{}</Tier></GlacierJobParameters></RestoreRequest>",
                    match tier {
                        "Expedited" | "Standard" | "Bulk" => tier,
                        _ => "Standard",
                    }
                );
                caller.send(Method::POST, bucket, Some(key), &with("restore"), &[], Bytes::from(doc)).await.map(|r| {
                    match r.status() {
                        StatusCode::OK => format!("The restored copy now stays {}.", days_text(days)),
                        _ => format!("Restore started ({tier}, for {}).", days_text(days)),
                    }
                })
            }
        }
        "promote" => {
            let Some(v) = version else { return s.then(&back, Err(invalid("Choose a version to bring back."))) };
            let source = format!("{}?versionId={}", s3_path(bucket, Some(key)), q(v));
            back = url(bucket, key, None);
            caller
                .send(Method::PUT, bucket, Some(key), &[], &[("x-amz-copy-source", &source)], Bytes::new())
                .await
                .map(|_| format!("Version {v} copied: it is the current version now."))
        }
        "legal-hold" => {
            let on = if form.text("on") == "ON" { "ON" } else { "OFF" };
            let doc = format!("<LegalHold><Status>{on}</Status></LegalHold>");
            caller
                .send(Method::PUT, bucket, Some(key), &with("legal-hold"), &[], Bytes::from(doc))
                .await
                .map(|_| format!("Legal hold {}.", if on == "ON" { "placed" } else { "released" }))
        }
        "share" => return share(s, bucket, form).await,
        _ => return respond::html(StatusCode::NOT_FOUND, maud::html! { "Not found" }),
    };
    s.then(&back, outcome)
}

/// A presigned GET of the object, made with the user's own keys, shown on the object's page.
async fn share(s: &Signed<'_>, bucket: &str, form: &Form) -> Response<Body> {
    let key = form.text("key");
    let version = form.get("versionId").filter(|v| !v.is_empty());
    let expires: u64 = form.text("expires").parse().unwrap_or(0);
    if !(1..=7 * 86_400).contains(&expires) {
        return s.then(&url(bucket, key, version), Err(invalid("A share link lasts at most 7 days.")));
    }
    // Only what the user may read is shared: the link would be refused anyway, but say so now.
    if let Err(f) = head(s, bucket, key, version).await {
        return s.then(&url(bucket, key, version), Err(f));
    }
    let config = &s.console.app.config;
    let base = match &config.console.s3_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let host = s.host.rsplit_once(':').map_or(s.host.as_str(), |(h, _)| h);
            format!("{}://{host}:{}", s.console.s3_scheme, s.console.s3_port)
        }
    };
    let host = base.split("://").nth(1).unwrap_or_default().split('/').next().unwrap_or_default().to_owned();
    let path = s3_path(bucket, Some(key));
    let query: Vec<(&str, &str)> = version.map(|v| ("versionId", v)).into_iter().collect();
    let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let p = Presign {
        access_key: &s.user.access_key,
        secret_key: &s.user.secret_key,
        region: &config.region,
        host: &host,
        path: &path,
        query: &query,
        amz_date: &amz_date,
        expires_secs: expires,
    };
    let link = format!("{base}{path}?{}", sigv4::presign_query(&p));
    let mut q = Form::default();
    q.0.push(("key".into(), key.into()));
    if let Some(v) = version {
        q.0.push(("versionId".into(), v.into()));
    }
    show(s, bucket, &q, Some(link)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_states() {
        let table = [
            ("STANDARD", None, None, "hot", true),
            ("GLACIER_IR", None, None, "hot", true),
            ("GLACIER", None, None, "archived", false),
            ("DEEP_ARCHIVE", Some("ongoing-request=\"true\""), Some("2026-12-08 10:00:00 UTC"), "restoring", false),
            (
                "GLACIER",
                Some("ongoing-request=\"false\", expiry-date=\"Wed, 09 Dec 2026 00:00:00 GMT\""),
                None,
                "restored",
                true,
            ),
        ];
        for (class, restore, ready, state, readable) in table {
            let s = archive_state(class, restore, ready.map(str::to_owned));
            assert_eq!((s.state, s.readable), (state, readable), "{class} {restore:?}");
        }
        let restored = archive_state(
            "GLACIER",
            Some("ongoing-request=\"false\", expiry-date=\"Wed, 09 Dec 2026 00:00:00 GMT\""),
            None,
        );
        assert_eq!(restored.text, "Restored: readable until Wed, 09 Dec 2026 00:00:00 GMT.");
        let restoring =
            archive_state("GLACIER", Some("ongoing-request=\"true\""), Some("2026-12-08 10:00:00 UTC".into()));
        assert_eq!(restoring.text, "Restoring: ready at about 2026-12-08 10:00:00 UTC.");
    }
}
