//! The bucket list (what each stores on each tier, its settings as badges), creating a bucket
//! (with versioning and Object Lock if asked) and deleting one.

use crate::console::call::{Caller, Outcome};
use crate::console::form::Form;
use crate::console::layout::{csrf, here, q, size, when};
use crate::console::signed::Signed;
use crate::http::body::Body;
use bytes::Bytes;
use firn_storage::BucketName;
use http::{Method, Response};
use maud::html;

struct Row {
    name: String,
    created: String,
    owner: String,
    usage: firn_storage::BucketUsage,
    versioning: String,
    lock: bool,
    website: bool,
    public: bool,
}

async fn row(s: &Signed<'_>, caller: &Caller<'_>, name: &str, created: &str) -> Row {
    let app = &s.console.app;
    let parsed = BucketName::parse(name).ok();
    let record = parsed.as_ref().and_then(|b| app.engine.bucket(b).ok());
    let usage = parsed.as_ref().map(|b| app.engine.usage(b)).unwrap_or_default();
    let owner = record.map(|r| app.users.display_name(&r.owner)).unwrap_or_default();
    let get = |sub: &'static str| async move { caller.xml(Method::GET, name, None, &[(sub, "")]).await };
    let versioning = get("versioning").await.ok().and_then(|d| d.child_text("Status").map(str::to_owned));
    let lock = get("object-lock").await.is_ok_and(|d| d.child_text("ObjectLockEnabled") == Some("Enabled"));
    let website = get("website").await.is_ok();
    let public = get("policyStatus").await.is_ok_and(|d| d.child_text("IsPublic") == Some("true"));
    Row {
        name: name.into(),
        created: when(created),
        owner,
        usage,
        versioning: versioning.unwrap_or_default(),
        lock,
        website,
        public,
    }
}

pub async fn list(s: &Signed<'_>) -> Response<Body> {
    let caller = s.caller();
    let doc = match caller.xml(Method::GET, "", None, &[]).await {
        Ok(d) => d,
        Err(f) => return s.failed("Buckets", &[here("Buckets")], &f),
    };
    let mut rows = Vec::new();
    for b in doc.child("Buckets").into_iter().flat_map(|b| b.children_named("Bucket")) {
        let name = b.child_text("Name").unwrap_or_default();
        rows.push(row(s, &caller, name, b.child_text("CreationDate").unwrap_or_default()).await);
    }
    let who = s.who();
    let body = html! {
        div.titlebar {
            h1 { "Buckets" }
            details.create {
                summary.button.primary { "Create bucket" }
                form.card method="post" action="/buckets" {
                    (csrf(&who))
                    label for="bucket-name" { "Bucket name" }
                    input id="bucket-name" name="name" required minlength="3" maxlength="63"
                        pattern="[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]" autocapitalize="off" spellcheck="false"
                        aria-describedby="bucket-name-help";
                    p.help id="bucket-name-help" { "3 to 63 lowercase letters, digits, dots and hyphens." }
                    label.check { input type="checkbox" name="versioning"; " Keep every version (versioning)" }
                    label.check {
                        input type="checkbox" name="object_lock";
                        " Object Lock (write once, read many; turns versioning on, cannot be turned off)"
                    }
                    button.primary type="submit" { "Create" }
                }
            }
        }
        @if rows.is_empty() {
            p.empty { "You have no buckets yet. Create one to start uploading." }
        } @else {
            div.tablewrap {
                table.list {
                    caption.visually-hidden { "Your buckets" }
                    thead { tr {
                        th scope="col" { "Name" }
                        th.wide scope="col" { "Owner" }
                        th.num scope="col" { "Hot" }
                        th.num scope="col" { "Archive" }
                        th.wide scope="col" { "Settings" }
                        th.wide scope="col" { "Created" }
                        th scope="col" { span.visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for r in &rows {
                            @let hot = (r.usage.objects - r.usage.archived_objects, r.usage.bytes - r.usage.archived_bytes);
                            tr {
                                th scope="row" { a href={ "/browse/" (q(&r.name)) } { (r.name) } }
                                td.wide { (r.owner) }
                                td.num { (hot.0) " objects" br; span.muted { (size(hot.1)) } }
                                td.num { (r.usage.archived_objects) " objects" br; span.muted { (size(r.usage.archived_bytes)) } }
                                td.wide { div.badges {
                                    @if !r.versioning.is_empty() { span.badge { "Versioning " (r.versioning.to_lowercase()) } }
                                    @if r.lock { span.badge.lock { "Object Lock" } }
                                    @if r.website { span.badge { "Website" } }
                                    @if r.public { span.badge.public { "Public" } }
                                } }
                                td.wide { (r.created) }
                                td {
                                    form method="post" action="/buckets/delete"
                                        data-confirm={ "Delete the bucket " (r.name) "? Only an empty bucket can be deleted." } {
                                        (csrf(&who))
                                        input type="hidden" name="name" value=(r.name);
                                        button.danger.small type="submit" aria-label={ "Delete bucket " (r.name) } { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    s.page("Buckets", &[here("Buckets")], body)
}

pub async fn create(s: &Signed<'_>, form: &Form) -> Response<Body> {
    let name = form.text("name").trim();
    let caller = s.caller();
    let lock = form.checked("object_lock");
    let outcome: Outcome<String> = async {
        let headers: &[(&str, &str)] = if lock { &[("x-amz-bucket-object-lock-enabled", "true")] } else { &[] };
        caller.send(Method::PUT, name, None, &[], headers, Bytes::new()).await?;
        if form.checked("versioning") && !lock {
            let doc = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
            caller
                .send(Method::PUT, name, None, &[("versioning", "")], &[], Bytes::from_static(doc.as_bytes()))
                .await?;
        }
        Ok(format!("Bucket {name} created."))
    }
    .await;
    s.then("/buckets", outcome)
}

pub async fn delete(s: &Signed<'_>, form: &Form) -> Response<Body> {
    let name = form.text("name");
    let outcome = s.caller().send(Method::DELETE, name, None, &[], &[], Bytes::new()).await;
    s.then("/buckets", outcome.map(|_| format!("Bucket {name} deleted.")))
}
