//! CopyObject: a server-side copy of the source bytes under a new key, with the COPY or REPLACE
//! directives for metadata and tags, and the `x-amz-copy-source-if-*` conditions.

use super::object::{metadata_from_headers, storage_class};
use super::{blocking, with_expiration, AclPermission, Ctx};
use crate::auth::sigv4::uri_decode;
use crate::body::Body;
use crate::conditions::{iso_date, Conditions, Outcome};
use crate::error::{Code, S3Error, S3Result};
use crate::router::Op;
use crate::xml::XmlWriter;
use firn_storage::{BucketName, ObjectKey, ObjectMeta, ObjectRecord};
use http::Response;
use std::io::Read;

/// Largest object CopyObject copies (S3: 5 GiB; larger ones need UploadPartCopy).
const MAX_COPY_SIZE: u64 = 5 << 30;

fn bad_source() -> S3Error {
    S3Error::msg(Code::InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
        .detail("ArgumentName", "x-amz-copy-source")
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=id]`, URL-encoded.
pub fn parse_copy_source(raw: &str) -> S3Result<(BucketName, ObjectKey, Option<String>)> {
    let (path, version) = match raw.split_once("?versionId=") {
        Some((p, v)) => (p, Some(uri_decode(v))),
        None => (raw, None),
    };
    let path = uri_decode(path);
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = path.split_once('/').ok_or_else(bad_source)?;
    if key.is_empty() {
        return Err(bad_source());
    }
    Ok((BucketName::parse(bucket)?, ObjectKey::parse(key)?, version))
}

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

/// The source of a CopyObject or UploadPartCopy.
pub struct CopySource {
    pub bucket: BucketName,
    pub key: ObjectKey,
    /// The version named in `x-amz-copy-source`, if any.
    pub version: Option<String>,
    pub record: ObjectRecord,
}

/// The source of a CopyObject or UploadPartCopy: located, access-checked, its conditions met.
pub fn source_object(ctx: &Ctx) -> S3Result<CopySource> {
    let (src_bucket, src_key, version) = parse_copy_source(ctx.header("x-amz-copy-source").unwrap_or(""))?;
    // Reading the source version is what a copy needs of it; a delete marker is refused as GET refuses it.
    let action = Op::GetObject.action(version.is_some());
    let src = ctx.load_object(&src_bucket, &src_key, version.as_deref(), Some((action, AclPermission::Read)))?;
    if ctx.header("x-amz-source-expected-bucket-owner").is_some() {
        ctx.check_expected_owner("x-amz-source-expected-bucket-owner", &ctx.app.engine.bucket(&src_bucket)?)?;
    }
    match Conditions::from_headers(&ctx.parts.headers, "x-amz-copy-source-").evaluate(&src.etag, src.last_modified_ms) {
        Ok(Outcome::Proceed) => Ok(CopySource { bucket: src_bucket, key: src_key, version, record: src }),
        // For a copy, every failed condition is a 412.
        Ok(Outcome::NotModified) | Err(_) => Err(S3Error::new(Code::PreconditionFailed)),
    }
}

/// Copies bytes `start..end` of `src` into a new staged blob, feeding `hasher` on the way.
pub fn copy_range(
    engine: &firn_storage::Engine,
    src_bucket: &BucketName,
    src: &ObjectRecord,
    start: u64,
    end: u64,
    mut hasher: Option<&mut crate::checksum::Hasher>,
) -> S3Result<firn_storage::StagedBlob> {
    // An archived source without a restored copy cannot be copied, as in S3.
    let mut reader = engine.reader(src_bucket, src, start, end).map_err(|e| match e {
        firn_storage::EngineError::InvalidObjectState(class) => {
            S3Error::msg(Code::InvalidObjectState, "Operation is not valid for the source object's storage class")
                .detail("StorageClass", class)
        }
        e => e.into(),
    })?;
    let mut writer = engine.new_blob()?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&buf[..n]);
        }
        writer.write(&buf[..n])?;
    }
    Ok(writer.finish()?)
}

pub async fn copy_object(ctx: Ctx) -> S3Result<Response<Body>> {
    super::reading(|| copy_object_once(&ctx)).await
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
    let tags =
        if replace_tags { super::tagging::from_header(ctx.header("x-amz-tagging"))? } else { src.meta.tags.clone() };
    // S3 does not copy the source's ACL: the copy gets the one asked for, or private.
    let (owner, acl) = ctx.new_object_owner()?;
    let lock = super::lock::requested(ctx, engine.now_ms())?;
    let new =
        ObjectMeta { owner, headers, user_meta, tags, storage_class: class, website_redirect: redirect, acl, lock };
    // A composite checksum describes parts; the copy is a single blob, so only a full-object one carries over.
    let checksum = src.checksum.clone().filter(|(_, v)| !v.contains('-'));
    let cond = super::object::write_condition(ctx);
    let rec = blocking(|| -> S3Result<_> {
        let staged = copy_range(engine, &src_bucket, &src, 0, src.size, None)?;
        Ok(engine.put_object(ctx.bucket(), ctx.key(), staged, new, checksum, &cond)?)
    })?;
    let mut w = XmlWriter::new("CopyObjectResult");
    w.elem("LastModified", iso_date(rec.last_modified_ms)).elem("ETag", format!("\"{}\"", rec.etag));
    let mut resp = with_expiration(super::with_new_version(Response::builder(), ctx, &rec.version_id), ctx, &rec);
    if source_version.is_some() || src.version_id != "null" {
        resp = resp.header("x-amz-copy-source-version-id", &src.version_id);
    }
    Ok(resp.header(http::header::CONTENT_TYPE, "application/xml").body(Body::full(w.finish())).expect("valid response"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_forms() {
        let (b, k, v) = parse_copy_source("/bkt/a%20b/c?versionId=null").unwrap();
        assert_eq!((b.as_str(), k.as_str(), v.as_deref()), ("bkt", "a b/c", Some("null")));
        let (b, k, v) = parse_copy_source("bkt/k").unwrap();
        assert_eq!((b.as_str(), k.as_str(), v), ("bkt", "k", None));
        assert!(parse_copy_source("bkt").is_err());
        assert!(parse_copy_source("bkt/").is_err());
    }
}
