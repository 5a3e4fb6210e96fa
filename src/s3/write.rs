//! The write path the object operations share: receiving a body into a staged blob, the new
//! version's metadata, and copying from a source object (CopyObject, UploadPartCopy).

use crate::auth::sigv4::uri_decode;
use crate::http::payload::Ingest;
use crate::s3::context::{blocking, Ctx};
use crate::s3::request::{self, metadata_from_headers, storage_class};
use crate::s3::router::Op;
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::{Conditions, Outcome};
use bytes::{Bytes, BytesMut};
use firn_storage::model::acl::Permission as AclPermission;
use firn_storage::{BucketName, Engine, ObjectKey, ObjectMeta, ObjectRecord, StagedBlob};
use std::io::Read;

/// Streams a verified body into a staged blob: one pass feeds the decoders, hashers and the file.
/// On any failure the partial blob is dropped, and with it its file.
/// `buffer` is the bytes gathered per write (`limits.io_buffer_kib`).
pub async fn receive(
    engine: &Engine,
    mut ingest: Ingest,
    buffer: usize,
) -> S3Result<(StagedBlob, Option<(String, String)>)> {
    let mut writer = engine.new_blob()?;
    let expected = ingest.expected_len().unwrap_or(0);
    let staged = if expected <= buffer as u64 {
        // Small bodies: gathered in memory (most are stored inline, without a file).
        let mut buf = BytesMut::with_capacity(expected as usize);
        while let Some(data) = ingest.next().await? {
            buf.extend_from_slice(&data);
        }
        let stage = || {
            writer.write(&buf)?;
            writer.finish()
        };
        // A body stored inline never touches the disk here: no need to leave the async worker.
        if buf.len() <= firn_storage::INLINE_MAX {
            stage()?
        } else {
            blocking(stage)?
        }
    } else {
        // Large bodies: a blocking thread hashes and writes while this task keeps receiving, so
        // the network, the hashing and the disk overlap. The buffers hyper received are passed on
        // as they are, `buffer` bytes at a time, and a few buffers are in flight at most.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Bytes>>(2);
        let sink = tokio::task::spawn_blocking(move || -> S3Result<StagedBlob> {
            while let Some(chunks) = rx.blocking_recv() {
                writer.write_chunks(&chunks)?;
            }
            Ok(writer.finish()?)
        });
        let (mut batch, mut batched) = (Vec::new(), 0);
        let received: S3Result<()> = async {
            while let Some(data) = ingest.next().await? {
                batched += data.len();
                batch.push(data);
                // A trickle of tiny buffers is bounded by count as well (and by IOV_MAX per write).
                if batched >= buffer || batch.len() >= 1024 {
                    batched = 0;
                    if tx.send(std::mem::take(&mut batch)).await.is_err() {
                        break; // the writer failed; its error is reported below
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(batch).await;
            }
            Ok(())
        }
        .await;
        drop(tx);
        let staged = sink.await.map_err(S3Error::internal)?;
        // A receive error wins; the staged blob, if any, is dropped and its file removed.
        received?;
        staged?
    };
    let md5 = ingest.content_md5();
    let checksum = ingest.finish()?;
    if md5.is_some_and(|m| m != staged.md5()) {
        return Err(S3Error::new(Code::BadDigest));
    }
    Ok((staged, checksum))
}

/// What a PUT or CreateMultipartUpload says about the object besides its bytes.
pub fn new_object(ctx: &Ctx) -> S3Result<ObjectMeta> {
    let (headers, user_meta) = metadata_from_headers(ctx)?;
    let (owner, acl) = ctx.new_object_owner()?;
    Ok(ObjectMeta {
        owner,
        headers,
        user_meta,
        tags: crate::s3::documents::tagging::from_header(ctx.header("x-amz-tagging"))?,
        storage_class: storage_class(ctx)?,
        website_redirect: ctx.header("x-amz-website-redirect-location").map(str::to_owned),
        acl,
        lock: request::requested(ctx, ctx.app.engine.now_ms())?,
    })
}

/// Largest object CopyObject copies (S3: 5 GiB; larger ones need UploadPartCopy).
pub const MAX_COPY_SIZE: u64 = 5 << 30;

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
    mut hasher: Option<&mut crate::wire::checksum::Hasher>,
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
