//! A bucket's settings, each read and written with the S3 API's own calls (so each round-trips
//! with the aws CLI and the SDKs, and the access decision applies as it does there): versioning,
//! Object Lock's default retention, tags, the policy (a JSON editor), Block Public Access, Object
//! Ownership, CORS rules (XML), the website; and the quota, root's, through the admin API. A
//! document the API refuses comes back into its editor with the API's message beside it.

use crate::admin::{Reply, Request};
use crate::console::call::{Caller, Failure, Outcome};
use crate::console::form::Form;
use crate::console::layout::{crumb, csrf, here, q, size, tag_table, Who};
use crate::console::signed::Signed;
use crate::http::body::Body;
use crate::s3::documents::tagging;
use crate::wire::error::Code;
use crate::wire::xml::{Element, XmlWriter};
use bytes::Bytes;
use http::{Method, Response};
use maud::{html, Markup};

/// A document sent back to its editor: which editor, the text, and why it was refused.
pub struct Draft<'a> {
    pub what: &'a str,
    pub text: &'a str,
    pub problem: String,
}

async fn get(caller: &Caller<'_>, bucket: &str, sub: &'static str) -> Option<Element> {
    caller.xml(Method::GET, bucket, None, &[(sub, "")]).await.ok()
}

/// The raw body of a GET of `sub` (the policy is JSON).
async fn text(caller: &Caller<'_>, bucket: &str, sub: &'static str) -> Option<String> {
    use http_body_util::BodyExt;
    let resp = caller.send(Method::GET, bucket, None, &[(sub, "")], &[], Bytes::new()).await.ok()?;
    let bytes = resp.into_body().collect().await.ok()?.to_bytes();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn editor(who: &Who, bucket: &str, what: &str, label: &str, text: &str, draft: Option<&Draft>, rows: u32) -> Markup {
    let (text, problem) = match draft.filter(|d| d.what == what) {
        Some(d) => (d.text, Some(d.problem.as_str())),
        None => (text, None),
    };
    html! {
        form method="post" action={ "/settings/" (q(bucket)) "/" (what) } {
            (csrf(who))
            label for={ "doc-" (what) } { (label) }
            @if let Some(p) = problem { p.flash.failed role="alert" id={ "problem-" (what) } { (p) } }
            textarea.doc id={ "doc-" (what) } name="doc" rows=(rows) spellcheck="false" { (text) }
            div.actions {
                button type="submit" name="action" value="save" { "Save" }
                button.danger type="submit" name="action" value="delete" { "Remove" }
            }
        }
    }
}

pub async fn show(s: &Signed<'_>, bucket: &str, draft: Option<Draft<'_>>) -> Response<Body> {
    let caller = s.caller();
    let crumbs = [crumb("Buckets", "/buckets"), crumb(bucket, format!("/browse/{}", q(bucket))), here("Settings")];
    // The bucket must be there and this user allowed to see its settings at all.
    let versioning = match caller.xml(Method::GET, bucket, None, &[("versioning", "")]).await {
        Ok(d) => d.child_text("Status").unwrap_or("").to_owned(),
        Err(f) => return s.failed("Settings", &crumbs, &f),
    };
    let lock = get(&caller, bucket, "object-lock").await;
    let lock_on = lock.as_ref().is_some_and(|d| d.child_text("ObjectLockEnabled") == Some("Enabled"));
    let retention = lock.as_ref().and_then(|d| d.child("Rule")).and_then(|r| r.child("DefaultRetention"));
    let mode = retention.and_then(|r| r.child_text("Mode")).unwrap_or("").to_owned();
    let days = retention.and_then(|r| r.child_text("Days")).unwrap_or("").to_owned();
    let tags =
        get(&caller, bucket, "tagging").await.and_then(|d| tagging::tag_set(&d, usize::MAX).ok()).unwrap_or_default();
    let policy = text(&caller, bucket, "policy").await.filter(|p| p.trim_start().starts_with('{')).unwrap_or_default();
    let public = get(&caller, bucket, "policyStatus").await.is_some_and(|d| d.child_text("IsPublic") == Some("true"));
    let block = get(&caller, bucket, "publicAccessBlock").await;
    let blocked = |n: &str| block.as_ref().is_some_and(|b| b.child_text(n) == Some("true"));
    let ownership = get(&caller, bucket, "ownershipControls")
        .await
        .and_then(|d| d.child("Rule").and_then(|r| r.child_text("ObjectOwnership")).map(str::to_owned))
        .unwrap_or_default();
    let cors = text(&caller, bucket, "cors").await.filter(|c| c.contains("<CORSConfiguration")).unwrap_or_default();
    let website = get(&caller, bucket, "website").await;
    let index =
        website.as_ref().and_then(|w| w.child("IndexDocument")).and_then(|i| i.child_text("Suffix")).unwrap_or("");
    let error_doc =
        website.as_ref().and_then(|w| w.child("ErrorDocument")).and_then(|i| i.child_text("Key")).unwrap_or("");
    let redirect = website
        .as_ref()
        .and_then(|w| w.child("RedirectAllRequestsTo"))
        .and_then(|r| r.child_text("HostName"))
        .unwrap_or("");
    let site = (s.console.app.config.website_domain.as_ref())
        .map(|d| format!("{}://{bucket}.{d}:{}/", s.console.s3_scheme, s.console.s3_port));
    // Shown to whoever may see the bucket's settings; set by root alone.
    let engine = &s.console.app.engine;
    let quota = firn_storage::BucketName::parse(bucket).ok().and_then(|b| engine.quota(&b).ok().flatten());
    let who = s.who();
    let action = |what: &str| format!("/settings/{}/{what}", q(bucket));
    let body = html! {
        h1 { "Settings of " (bucket) }
        div.cards {
            section.card aria-labelledby="versioning-title" {
                h2 id="versioning-title" { "Versioning" }
                form.inline method="post" action=(action("versioning")) {
                    (csrf(&who))
                    label for="versioning" { "Keep every version" }
                    select id="versioning" name="status" {
                        @if versioning.is_empty() { option value="" selected { "Never enabled" } }
                        option value="Enabled" selected[versioning == "Enabled"] { "Enabled" }
                        option value="Suspended" selected[versioning == "Suspended"] { "Suspended" }
                    }
                    button type="submit" { "Save" }
                }
            }
            section.card aria-labelledby="lock-title" {
                h2 id="lock-title" { "Object Lock" }
                @if lock_on {
                    form.inline method="post" action=(action("object-lock")) {
                        (csrf(&who))
                        label for="lock-mode" { "Default retention" }
                        select id="lock-mode" name="mode" {
                            option value="" selected[mode.is_empty()] { "None" }
                            option value="GOVERNANCE" selected[mode == "GOVERNANCE"] { "GOVERNANCE" }
                            option value="COMPLIANCE" selected[mode == "COMPLIANCE"] { "COMPLIANCE" }
                        }
                        label for="lock-days" { "Days" }
                        input id="lock-days" name="days" type="number" min="1" value=(days);
                        button type="submit" { "Save" }
                    }
                } @else {
                    p.muted { "Off: Object Lock is chosen when a bucket is created." }
                }
            }
            section.card aria-labelledby="quota-title" {
                h2 id="quota-title" { "Quota" }
                p { "Now: " (quota.map_or("none".to_owned(), |q| size(q as i64))) }
                @if who.root {
                    form.inline method="post" action=(action("quota")) {
                        (csrf(&who))
                        label for="quota" { "Largest size (500MB, 20GiB, or none)" }
                        input id="quota" name="size" value=(quota.map_or("none".to_owned(), |q| q.to_string()));
                        button type="submit" { "Save" }
                    }
                } @else { p.muted { "Quotas are set by root." } }
            }
            section.card aria-labelledby="btags-title" {
                h2 id="btags-title" { "Tags" }
                form method="post" action=(action("tags")) {
                    (csrf(&who))
                    (tag_table(&tags, "Bucket tag"))
                    button type="submit" { "Save tags" }
                }
            }
            section.card aria-labelledby="bpa-title" {
                h2 id="bpa-title" { "Block Public Access" }
                form method="post" action=(action("public-access")) {
                    (csrf(&who))
                    @for (name, text) in [("BlockPublicAcls", "Refuse new public ACLs"), ("IgnorePublicAcls", "Ignore public ACLs"),
                                          ("BlockPublicPolicy", "Refuse public policies"), ("RestrictPublicBuckets", "Restrict public policies to this account")] {
                        label.check { input type="checkbox" name=(name) checked[blocked(name)]; " " (text) }
                    }
                    button type="submit" { "Save" }
                }
            }
            section.card aria-labelledby="ownership-title" {
                h2 id="ownership-title" { "Object Ownership" }
                form.inline method="post" action=(action("ownership")) {
                    (csrf(&who))
                    label for="ownership" { "Who owns uploaded objects" }
                    select id="ownership" name="ownership" {
                        @for o in ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"] {
                            option value=(o) selected[ownership == o] { (o) }
                        }
                    }
                    button type="submit" { "Save" }
                }
            }
            section.card aria-labelledby="website-title" {
                h2 id="website-title" { "Website" }
                form method="post" action=(action("website")) {
                    (csrf(&who))
                    label for="index" { "Index document" }
                    input id="index" name="index" value=(index) placeholder="index.html";
                    label for="error-doc" { "Error document" }
                    input id="error-doc" name="error" value=(error_doc) placeholder="error.html";
                    label for="redirect" { "Or send every request to host" }
                    input id="redirect" name="redirect" value=(redirect) placeholder="www.example.org";
                    div.actions {
                        button type="submit" name="action" value="save" { "Save" }
                        button.danger type="submit" name="action" value="delete" { "Turn off" }
                    }
                }
                @if website.is_some() { @if let Some(url) = &site { p { a id="site-link" href=(url) target="_blank" rel="noopener" { "Open the site" } } } }
            }
        }
        section.card aria-labelledby="policy-title" {
            h2 id="policy-title" { "Policy " @if public { span.badge.public { "Public" } } }
            (editor(&who, bucket, "policy", "Bucket policy (JSON)", &policy, draft.as_ref(), 14))
        }
        section.card aria-labelledby="cors-title" {
            h2 id="cors-title" { "CORS" }
            (editor(&who, bucket, "cors", "CORS configuration (XML)", &cors, draft.as_ref(), 10))
        }
    };
    s.page(&format!("Settings of {bucket}"), &crumbs, body)
}

fn invalid(sentence: String) -> Failure {
    Failure::said(Code::InvalidArgument, sentence)
}

/// Saves one setting, then back to the page (or, for a refused document, the page with it).
pub async fn save(s: &Signed<'_>, bucket: &str, what: &str, form: &Form) -> Response<Body> {
    let caller = s.caller();
    let back = format!("/settings/{}", q(bucket));
    let put = |sub: &'static str, doc: String| {
        let caller = &caller;
        async move { caller.send(Method::PUT, bucket, None, &[(sub, "")], &[], Bytes::from(doc)).await.map(|_| ()) }
    };
    let delete = |sub: &'static str| {
        let caller = &caller;
        async move { caller.send(Method::DELETE, bucket, None, &[(sub, "")], &[], Bytes::new()).await.map(|_| ()) }
    };
    let removing = form.text("action") == "delete";
    let outcome: Outcome<&str> = match what {
        "versioning" => {
            let status = form.text("status");
            if !matches!(status, "Enabled" | "Suspended") {
                Err(invalid("Choose Enabled or Suspended.".into()))
            } else {
                let mut w = XmlWriter::new("VersioningConfiguration");
                w.elem("Status", status);
                put("versioning", w.finish()).await.map(|_| "Versioning saved.")
            }
        }
        "object-lock" => {
            let mut w = XmlWriter::new("ObjectLockConfiguration");
            w.elem("ObjectLockEnabled", "Enabled");
            let mode = form.text("mode");
            if !mode.is_empty() {
                w.open("Rule")
                    .open("DefaultRetention")
                    .elem("Mode", mode)
                    .elem("Days", form.text("days"))
                    .close()
                    .close();
            }
            put("object-lock", w.finish()).await.map(|_| "Default retention saved.")
        }
        "quota" => match crate::admin::cli::parse_size(form.text("size")) {
            Ok(bytes) => match caller.admin(&Request::BucketQuota { bucket: bucket.into(), bytes }).await {
                Ok(Reply::Done { .. }) | Ok(_) => Ok("Quota saved."),
                Err(f) => Err(f),
            },
            Err(e) => Err(invalid(format!("{e}."))),
        },
        "tags" => {
            let tags = form.tags();
            if tags.is_empty() {
                delete("tagging").await.map(|_| "Tags removed.")
            } else {
                put("tagging", tagging::to_document(&tags)).await.map(|_| "Tags saved.")
            }
        }
        "public-access" => {
            let mut w = XmlWriter::new("PublicAccessBlockConfiguration");
            for n in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] {
                w.elem(n, if form.checked(n) { "true" } else { "false" });
            }
            put("publicAccessBlock", w.finish()).await.map(|_| "Block Public Access saved.")
        }
        "ownership" => {
            let mut w = XmlWriter::new("OwnershipControls");
            w.open("Rule").elem("ObjectOwnership", form.text("ownership")).close();
            put("ownershipControls", w.finish()).await.map(|_| "Object Ownership saved.")
        }
        "website" if removing => delete("website").await.map(|_| "Website turned off."),
        "website" => {
            let mut w = XmlWriter::new("WebsiteConfiguration");
            let redirect = form.text("redirect").trim();
            if redirect.is_empty() {
                w.open("IndexDocument").elem("Suffix", form.text("index").trim()).close();
                let error = form.text("error").trim();
                if !error.is_empty() {
                    w.open("ErrorDocument").elem("Key", error).close();
                }
            } else {
                w.open("RedirectAllRequestsTo").elem("HostName", redirect).close();
            }
            put("website", w.finish()).await.map(|_| "Website saved.")
        }
        "policy" | "cors" if removing => {
            let sub = if what == "policy" { "policy" } else { "cors" };
            delete(sub).await.map(|_| if what == "policy" { "Policy removed." } else { "CORS rules removed." })
        }
        "policy" | "cors" => {
            let sub = if what == "policy" { "policy" } else { "cors" };
            let doc = form.text("doc");
            match put(sub, doc.to_owned()).await {
                Ok(()) => Ok(if what == "policy" { "Policy saved." } else { "CORS rules saved." }),
                // The document goes back into its editor, with the API's reason beside it.
                Err(f) => return show(s, bucket, Some(Draft { what, text: doc, problem: f.sentence })).await,
            }
        }
        _ => Err(invalid("There is no such setting.".into())),
    };
    s.then(&back, outcome.map(str::to_owned))
}
