//! Tagging: Get/Put/DeleteObjectTagging, the `x-amz-tagging` header of PUT and copy, and a
//! bucket's own tags (Get/Put/DeleteBucketTagging).

use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::documents::tagging::{from_document, tag_set, to_document, MAX_BUCKET_TAGS};
use crate::s3::respond::{self, with_version};
use crate::wire::error::{Code, S3Error, S3Result};
use http::{Response, StatusCode};

pub async fn get(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = ctx.load_requested()?;
    let resp =
        with_version(Response::builder().header(http::header::CONTENT_TYPE, "application/xml"), &ctx, &rec.version_id);
    Ok(resp.body(Body::full(to_document(&rec.meta.tags))).expect("valid response"))
}

/// Replaces the tags of the current object or of the version asked for.
async fn replace(ctx: &Ctx, tags: Vec<(String, String)>, status: StatusCode) -> S3Result<Response<Body>> {
    // Writing tags takes WRITE on the bucket, as overwriting the object would.
    let rec = ctx.load_object(ctx.bucket(), ctx.key(), ctx.version(), None)?;
    blocking(|| ctx.app.engine.set_tags(ctx.bucket(), ctx.key(), &rec.version_id, tags))?;
    Ok(with_version(Response::builder().status(status), ctx, &rec.version_id)
        .body(Body::Empty)
        .expect("valid response"))
}

pub async fn get_bucket(ctx: Ctx) -> S3Result<Response<Body>> {
    let tags = ctx.app.engine.bucket_tags(ctx.bucket())?.ok_or_else(|| S3Error::new(Code::NoSuchTagSet))?;
    Ok(respond::xml_response(StatusCode::OK, to_document(&tags)))
}

pub async fn put_bucket(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let tags = tag_set(&ctx.xml_body().await?, MAX_BUCKET_TAGS)?;
    // An empty set leaves the bucket without tags, as deleting them does.
    blocking(|| ctx.app.engine.set_bucket_tags(ctx.bucket(), Some(&tags).filter(|t| !t.is_empty())))?;
    Ok(respond::empty(StatusCode::NO_CONTENT))
}

pub async fn delete_bucket(ctx: Ctx) -> S3Result<Response<Body>> {
    blocking(|| ctx.app.engine.set_bucket_tags(ctx.bucket(), None))?;
    Ok(respond::empty(StatusCode::NO_CONTENT))
}

pub async fn put(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let tags = from_document(&ctx.xml_body().await?)?;
    replace(&ctx, tags, StatusCode::OK).await
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    replace(&ctx, Vec::new(), StatusCode::NO_CONTENT).await
}
