//! CopyObject: a server-side copy of the source bytes under a new key, with the COPY or REPLACE
//! directives for metadata and tags, and the `x-amz-copy-source-if-*` conditions.

use crate::http::body::Body;
use crate::s3::context::{self, blocking, Ctx};
use crate::s3::request::{self, metadata_from_headers, storage_class};
use crate::s3::respond::{self, with_expiration};
use crate::s3::write::{copy_range, source_object, CopySource, MAX_COPY_SIZE};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::iso_date;
use crate::wire::xml::XmlWriter;
use firn_storage::ObjectMeta;
use http::Response;

fn directive(ctx: &Ctx, header: &str) -> S3Result<bool> {
    match ctx.header(header) {
        None | Some("COPY") => Ok(false),
        Some("REPLACE") => Ok(true),
        Some(_) => {
            Err(S3Error::msg(Code::InvalidArgument, format!("Unknown {header}"))
                .detail("ArgumentName", header.to_owned()))
        }
    }
}

pub async fn copy_object(ctx: Ctx) -> S3Result<Response<Body>> {
    context::reading(|| copy_object_once(&ctx)).await
}

async fn copy_object_once(ctx: &Ctx) -> S3Result<Response<Body>> {
    let CopySource { bucket: src_bucket, key: src_key, version: source_version, record: src } = source_object(ctx)?;
    let engine = &ctx.app.engine;
    let replace_meta = directive(ctx, "x-amz-metadata-directive")?;
    let replace_tags = directive(ctx, "x-amz-tagging-directive")?;
    let class = storage_class(ctx)?;
    let redirect = ctx.header("x-amz-website-redirect-location").map(str::to_owned);
    // Copying an older version onto its own key is how a version is restored, and is allowed.
    let same = src_bucket == *ctx.bucket() && src_key == *ctx.key() && source_version.is_none();
    if same && !replace_meta && ctx.header("x-amz-storage-class").is_none() && redirect.is_none() {
        return Err(S3Error::msg(
            Code::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    if src.size > MAX_COPY_SIZE {
        return Err(S3Error::msg(
            Code::InvalidRequest,
            format!("The specified copy source is larger than the maximum allowable size for a copy source: {MAX_COPY_SIZE}"),
        ));
    }
    let (headers, user_meta) =
        if replace_meta { metadata_from_headers(ctx)? } else { (src.meta.headers.clone(), src.meta.user_meta.clone()) };
    let tags = if replace_tags {
        crate::s3::documents::tagging::from_header(ctx.header("x-amz-tagging"))?
    } else {
        src.meta.tags.clone()
    };
    // S3 does not copy the source's ACL: the copy gets the one asked for, or private.
    let (owner, acl) = ctx.new_object_owner()?;
    let lock = request::requested(ctx, engine.now_ms())?;
    let new =
        ObjectMeta { owner, headers, user_meta, tags, storage_class: class, website_redirect: redirect, acl, lock };
    // A composite checksum describes parts; the copy is a single blob, so only a full-object one carries over.
    let checksum = src.checksum.clone().filter(|(_, v)| !v.contains('-'));
    let cond = request::write_condition(ctx);
    let rec = blocking(|| -> S3Result<_> {
        let staged = copy_range(engine, &src_bucket, &src, 0, src.size, None)?;
        Ok(engine.put_object(ctx.bucket(), ctx.key(), staged, new, checksum, &cond)?)
    })?;
    let mut w = XmlWriter::new("CopyObjectResult");
    w.elem("LastModified", iso_date(rec.last_modified_ms)).elem("ETag", format!("\"{}\"", rec.etag));
    let mut resp = with_expiration(respond::with_new_version(Response::builder(), ctx, &rec.version_id), ctx, &rec);
    if source_version.is_some() || src.version_id != "null" {
        resp = resp.header("x-amz-copy-source-version-id", &src.version_id);
    }
    Ok(resp.header(http::header::CONTENT_TYPE, "application/xml").body(Body::full(w.finish())).expect("valid response"))
}
