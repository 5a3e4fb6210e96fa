//! PutObject, GetObject, HeadObject, DeleteObject, and the header handling they share with CopyObject.

use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::request::{self, require_length, write_condition};
use crate::s3::respond::{self, with_checksum, with_expiration};
use crate::s3::write::{new_object, receive};
use crate::wire::error::S3Result;
use http::{Response, StatusCode};

pub async fn put(mut ctx: Ctx) -> S3Result<Response<Body>> {
    require_length(&ctx)?;
    let new = new_object(&ctx)?;
    let cond = write_condition(&ctx);
    let ingest = ctx.ingest(ctx.app.config.limits.max_object_size)?;
    let (staged, checksum) = receive(&ctx.app.engine, ingest, ctx.app.config.limits.io_buffer_kib << 10).await?;
    let rec = blocking(|| ctx.app.engine.put_object(ctx.bucket(), ctx.key(), staged, new, checksum, &cond))?;
    let resp = Response::builder().status(StatusCode::OK).header(http::header::ETAG, format!("\"{}\"", rec.etag));
    let resp = with_expiration(respond::with_new_version(resp, &ctx, &rec.version_id), &ctx, &rec);
    Ok(with_checksum(resp, rec.checksum.as_ref()).body(Body::Empty).expect("valid response"))
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    let mut cond = crate::wire::preconditions::delete_condition(
        ctx.header("if-match"),
        ctx.header("x-amz-if-match-last-modified-time"),
        ctx.header("x-amz-if-match-size"),
    )?;
    cond.bypass_governance = ctx.version().is_some() && request::bypass(&ctx, ctx.key().as_str());
    let engine = &ctx.app.engine;
    let out = blocking(|| engine.delete_object_if(ctx.bucket(), ctx.key(), ctx.version(), ctx.owner_id(), &cond))?;
    let mut b = Response::builder().status(StatusCode::NO_CONTENT);
    // A bucket that never had versioning names no versions, even for `?versionId=null`.
    if let Some(v) = out.version_id.as_deref().filter(|_| ctx.versioned()) {
        b = b.header("x-amz-version-id", v);
    }
    if out.delete_marker {
        b = b.header("x-amz-delete-marker", "true");
    }
    Ok(b.body(Body::Empty).expect("valid response"))
}
