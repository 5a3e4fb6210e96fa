//! Responses out: XML bodies, empty answers, and the headers several operations send (version
//! ids, checksums, expiration, Object Lock, restore status).

use crate::http::body::Body;
use crate::s3::context::Ctx;
use crate::wire::checksum;
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::http_date;
use crate::wire::xml::XmlWriter;
use firn_storage::model::object_lock::iso;
use firn_storage::{ObjectRecord, RestoreRecord};
use http::response::Builder;
use http::{Response, StatusCode};

pub fn xml_response(status: StatusCode, doc: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(Body::full(doc))
        .expect("valid response")
}

/// Adds `x-amz-version-id` to the answer of a write that made `version_id`: only where versioning
/// is enabled (a write to a suspended bucket makes the `null` version, which S3 does not name).
pub fn with_new_version(b: http::response::Builder, ctx: &Ctx, version_id: &str) -> http::response::Builder {
    if version_id == "null" {
        b
    } else {
        with_version(b, ctx, version_id)
    }
}

/// Adds `x-amz-version-id` for objects of versioned buckets.
pub fn with_version(b: http::response::Builder, ctx: &Ctx, version_id: &str) -> http::response::Builder {
    if ctx.versioned() {
        b.header("x-amz-version-id", version_id)
    } else {
        b
    }
}

/// Adds `x-amz-expiration` when a lifecycle rule will expire `rec`, the current version. A failure
/// to work it out leaves the header off rather than failing a request that succeeded.
pub fn with_expiration(b: http::response::Builder, ctx: &Ctx, rec: &ObjectRecord) -> http::response::Builder {
    match expiration_header(ctx, rec) {
        Ok(Some(v)) => b.header("x-amz-expiration", v),
        _ => b,
    }
}

pub fn empty(status: StatusCode) -> Response<Body> {
    Response::builder().status(status).body(Body::Empty).expect("valid response")
}

/// Adds the headers that show a stored checksum.
pub fn with_checksum(b: Builder, stored: Option<&(String, String)>) -> Builder {
    match stored.and_then(checksum::stored_headers) {
        Some((header, value, kind)) => b.header(header, value).header("x-amz-checksum-type", kind),
        None => b,
    }
}

/// `x-amz-object-lock-*` on GET and HEAD of a version that has a lock.
pub fn lock_headers(mut b: Builder, ctx: &Ctx, rec: &ObjectRecord) -> Builder {
    if ctx.access.object_lock.is_none() {
        return b;
    }
    let Ok(lock) = ctx.app.engine.version_lock(ctx.bucket(), rec) else { return b };
    if let Some(r) = lock.retention {
        b = b
            .header("x-amz-object-lock-mode", r.mode.as_str())
            .header("x-amz-object-lock-retain-until-date", iso(r.until_ms));
    }
    if lock.legal_hold {
        b = b.header("x-amz-object-lock-legal-hold", "ON");
    }
    b
}

/// `ongoing-request="true"` while the job runs; then `ongoing-request="false", expiry-date="…"`.
pub fn restore_header(r: &RestoreRecord) -> String {
    match (r.completed_ms, r.expiry_ms) {
        (Some(_), Some(expiry)) => format!("ongoing-request=\"false\", expiry-date=\"{}\"", http_date(expiry)),
        _ => "ongoing-request=\"true\"".to_owned(),
    }
}

/// `<RestoreStatus>` of a listed version that is being or has been restored.
pub fn status_element(
    w: &mut crate::wire::xml::XmlWriter,
    ctx: &Ctx,
    rec: &firn_storage::ObjectRecord,
) -> S3Result<()> {
    if !rec.meta.storage_class.needs_restore() {
        return Ok(());
    }
    if let Some(r) = ctx.app.engine.restore_status(ctx.bucket(), rec)? {
        w.open("RestoreStatus").elem("IsRestoreInProgress", r.completed_ms.is_none().to_string());
        w.opt("RestoreExpiryDate", r.expiry_ms.map(crate::wire::preconditions::iso_date)).close();
    }
    Ok(())
}

/// `<Owner>` (or `<Initiator>`): the canonical id and the user's name.
pub fn owner_element(w: &mut XmlWriter, ctx: &Ctx, tag: &'static str, id: &str) {
    w.open(tag).elem("ID", id).elem("DisplayName", ctx.app.users.display_name(id)).close();
}

/// `x-amz-expiration` for the current version `rec`, when a rule will expire it.
pub fn expiration_header(ctx: &Ctx, rec: &firn_storage::ObjectRecord) -> S3Result<Option<String>> {
    Ok(ctx.app.engine.expiration_of(ctx.bucket(), rec)?.map(|(at, rule)| {
        format!(
            "expiry-date=\"{}\", rule-id=\"{}\"",
            crate::wire::preconditions::http_date(at),
            rule.replace('"', "\\\"")
        )
    }))
}

/// `x-amz-abort-date` and `x-amz-abort-rule-id` for an upload, when a rule will abort it.
pub fn abort_headers(ctx: &Ctx, key: &str, initiated_ms: i64) -> S3Result<Option<(String, String)>> {
    Ok(ctx
        .app
        .engine
        .abort_date_of(ctx.bucket(), key, initiated_ms)?
        .map(|(at, rule)| (crate::wire::preconditions::http_date(at), rule)))
}

/// An S3 error as its XML document (no body for HEAD), with S3's headers for it.
pub fn error(e: &S3Error, resource: &str, request_id: &str, is_head: bool) -> Response<Body> {
    let mut builder = Response::builder().status(e.code.status());
    if e.code == Code::InvalidRange {
        if let Some((_, size)) = e.details.iter().find(|(n, _)| *n == "ActualObjectSize") {
            builder = builder.header(http::header::CONTENT_RANGE, format!("bytes */{size}"));
        }
    }
    for (name, value) in &e.headers {
        builder = builder.header(*name, value);
    }
    if is_head {
        return builder.body(Body::Empty).expect("valid response");
    }
    let mut w = XmlWriter::bare("Error");
    w.elem("Code", e.code.as_str()).elem("Message", &e.message);
    for (name, value) in &e.details {
        w.elem(name, value);
    }
    w.elem("Resource", resource).elem("RequestId", request_id);
    builder.header(http::header::CONTENT_TYPE, "application/xml").body(Body::full(w.finish())).expect("valid response")
}
