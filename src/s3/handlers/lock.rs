//! Object Lock on the wire: Put/GetObjectLockConfiguration, Put/GetObjectRetention,
//! Put/GetObjectLegalHold, the `x-amz-object-lock-*` headers of writes and reads, and the governance
//! bypass of deletes. The rules and their enforcement are the engine's (`firn_storage::model::object_lock`).

use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::documents::object_lock::{
    config_from_document, config_to_document, malformed, no_lock_on_bucket, parse_date,
};
use crate::s3::request::{bypass, require_integrity};
use crate::s3::respond::{empty, with_version, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::XmlWriter;
use firn_storage::model::object_lock::iso;
use firn_storage::{LockMode, ObjectRecord, Retention};
use http::{Response, StatusCode};

pub async fn put_config(mut ctx: Ctx) -> S3Result<Response<Body>> {
    require_integrity(&ctx)?;
    let config = config_from_document(&ctx.xml_body().await?)?;
    blocking(|| ctx.app.engine.set_object_lock(ctx.bucket(), config)).map_err(|e| match e {
        firn_storage::EngineError::InvalidBucketState => S3Error::msg(
            Code::InvalidBucketState,
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
        ),
        e => e.into(),
    })?;
    Ok(empty(StatusCode::OK))
}

pub async fn get_config(ctx: Ctx) -> S3Result<Response<Body>> {
    let config = ctx.access.object_lock.ok_or_else(|| S3Error::new(Code::ObjectLockConfigurationNotFoundError))?;
    Ok(xml_response(StatusCode::OK, config_to_document(&config)))
}

/// The request's version, on a bucket with Object Lock.
fn locked_version(ctx: &Ctx) -> S3Result<ObjectRecord> {
    if ctx.access.object_lock.is_none() {
        return Err(no_lock_on_bucket());
    }
    ctx.load_requested()
}

pub async fn put_retention(mut ctx: Ctx) -> S3Result<Response<Body>> {
    require_integrity(&ctx)?;
    let rec = locked_version(&ctx)?;
    let doc = ctx.xml_body().await?;
    if doc.name != "Retention" {
        return Err(malformed());
    }
    let retention = match (doc.child_text("Mode"), doc.child_text("RetainUntilDate")) {
        // An empty document removes the retention (GOVERNANCE, with a bypass).
        (None, None) => None,
        (Some(m), Some(u)) => {
            let mode = LockMode::parse(m.trim()).ok_or_else(malformed)?;
            let until_ms = parse_date(u).ok_or_else(malformed)?;
            if until_ms <= ctx.app.engine.now_ms() {
                return Err(S3Error::msg(Code::InvalidArgument, "The retain until date must be in the future!"));
            }
            Some(Retention { mode, until_ms })
        }
        _ => return Err(malformed()),
    };
    let bypass = bypass(&ctx, ctx.key().as_str());
    blocking(|| ctx.app.engine.set_retention(ctx.bucket(), &rec, retention, bypass))?;
    Ok(with_version(Response::builder(), &ctx, &rec.version_id).body(Body::Empty).expect("valid response"))
}

pub async fn get_retention(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = locked_version(&ctx)?;
    let lock = ctx.app.engine.version_lock(ctx.bucket(), &rec)?;
    let r = lock.retention.ok_or_else(|| S3Error::new(Code::NoSuchObjectLockConfiguration))?;
    let mut w = XmlWriter::new("Retention");
    w.elem("Mode", r.mode.as_str()).elem("RetainUntilDate", iso(r.until_ms));
    Ok(xml_response(StatusCode::OK, w.finish()))
}

pub async fn put_legal_hold(mut ctx: Ctx) -> S3Result<Response<Body>> {
    require_integrity(&ctx)?;
    let rec = locked_version(&ctx)?;
    let doc = ctx.xml_body().await?;
    let on = match (doc.name.as_str(), doc.child_text("Status").map(str::trim)) {
        ("LegalHold", Some("ON")) => true,
        ("LegalHold", Some("OFF")) => false,
        _ => return Err(malformed()),
    };
    blocking(|| ctx.app.engine.set_legal_hold(ctx.bucket(), &rec, on))?;
    Ok(with_version(Response::builder(), &ctx, &rec.version_id).body(Body::Empty).expect("valid response"))
}

pub async fn get_legal_hold(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = locked_version(&ctx)?;
    let lock = ctx.app.engine.version_lock(ctx.bucket(), &rec)?;
    if !lock.hold_set {
        return Err(S3Error::new(Code::NoSuchObjectLockConfiguration));
    }
    let mut w = XmlWriter::new("LegalHold");
    w.elem("Status", if lock.legal_hold { "ON" } else { "OFF" });
    Ok(xml_response(StatusCode::OK, w.finish()))
}
