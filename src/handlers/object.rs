//! PutObject, GetObject, HeadObject, DeleteObject, and the header handling they share with CopyObject.

use super::{blocking, with_expiration, with_version, Ctx};
use crate::body::Body;
use crate::checksum;
use crate::conditions::{http_date, parse_range, Conditions, Outcome};
use crate::error::{Code, S3Error, S3Result};
use crate::payload::Ingest;
use bytes::{Bytes, BytesMut};
use firn_storage::{ContentHeaders, Engine, ObjectMeta, ObjectRecord, StagedBlob, WriteCondition};
use http::{response::Builder, Response, StatusCode};
use std::io::Read;

/// Storage classes S3 defines. All are stored on the hot tier until the archive tier exists.
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "OUTPOSTS",
    "SNOW",
    "EXPRESS_ONEZONE",
];

/// Objects up to this size are read in one go; larger ones stream in chunks of `limits.io_buffer_kib`.
const INLINE_READ: u64 = 256 << 10;

pub fn storage_class(ctx: &Ctx) -> S3Result<String> {
    ctx.header("x-amz-storage-class").map_or(Ok("STANDARD".into()), check_storage_class)
}

pub fn check_storage_class(class: &str) -> S3Result<String> {
    if STORAGE_CLASSES.contains(&class) {
        Ok(class.to_owned())
    } else {
        Err(S3Error::new(Code::InvalidStorageClass))
    }
}

/// Content headers and `x-amz-meta-*` of a PUT (or a copy with the REPLACE directive).
pub fn metadata_from_headers(ctx: &Ctx) -> S3Result<(ContentHeaders, Vec<(String, String)>)> {
    let get = |n: &str| ctx.header(n).map(str::to_owned);
    let headers = ContentHeaders {
        content_type: get("content-type"),
        content_encoding: get("content-encoding")
            .map(|e| e.split(',').map(str::trim).filter(|p| *p != "aws-chunked").collect::<Vec<_>>().join(", "))
            .filter(|e| !e.is_empty()),
        content_disposition: get("content-disposition"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
    };
    let mut meta = Vec::new();
    let mut size = 0;
    for (name, value) in &ctx.parts.headers {
        if let Some(n) = name.as_str().strip_prefix("x-amz-meta-") {
            // Stored decoded: S3 takes non-ASCII values as RFC 2047 words (or as raw UTF-8).
            let v = crate::rfc2047::decode(&String::from_utf8_lossy(value.as_bytes()));
            size += n.len() + v.len();
            meta.push((n.to_owned(), v));
        }
    }
    if size > ctx.app.config.limits.max_user_metadata {
        return Err(S3Error::new(Code::MetadataTooLarge)
            .detail("MaxSizeAllowed", ctx.app.config.limits.max_user_metadata.to_string()));
    }
    meta.sort();
    Ok((headers, meta))
}

/// `If-Match` and `If-None-Match` of a write: an ETag, or `*`.
pub fn write_condition(ctx: &Ctx) -> WriteCondition {
    let etag = |name: &str| ctx.header(name).map(|m| m.trim().trim_matches('"').to_owned());
    WriteCondition { if_match: etag("if-match"), if_none_match: etag("if-none-match") }
}

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
        tags: super::tagging::from_header(ctx.header("x-amz-tagging"))?,
        storage_class: storage_class(ctx)?,
        website_redirect: ctx.header("x-amz-website-redirect-location").map(str::to_owned),
        acl,
        lock: super::lock::requested(ctx, ctx.app.engine.now_ms())?,
    })
}

pub fn require_length(ctx: &Ctx) -> S3Result<()> {
    if ctx.header("content-length").is_none() && ctx.header("x-amz-decoded-content-length").is_none() {
        return Err(S3Error::new(Code::MissingContentLength));
    }
    Ok(())
}

/// Adds the headers that show a stored checksum.
pub fn with_checksum(b: Builder, stored: Option<&(String, String)>) -> Builder {
    match stored.and_then(checksum::stored_headers) {
        Some((header, value, kind)) => b.header(header, value).header("x-amz-checksum-type", kind),
        None => b,
    }
}

pub async fn put(mut ctx: Ctx) -> S3Result<Response<Body>> {
    require_length(&ctx)?;
    let new = new_object(&ctx)?;
    let cond = write_condition(&ctx);
    let ingest = ctx.ingest(ctx.app.config.limits.max_object_size)?;
    let (staged, checksum) = receive(&ctx.app.engine, ingest, ctx.app.config.limits.io_buffer_kib << 10).await?;
    let rec = blocking(|| ctx.app.engine.put_object(ctx.bucket(), ctx.key(), staged, new, checksum, &cond))?;
    let resp = Response::builder().status(StatusCode::OK).header(http::header::ETAG, format!("\"{}\"", rec.etag));
    let resp = with_expiration(super::with_new_version(resp, &ctx, &rec.version_id), &ctx, &rec);
    Ok(with_checksum(resp, rec.checksum.as_ref()).body(Body::Empty).expect("valid response"))
}

/// The headers that describe a stored object, shared by GET, HEAD and 304 responses.
fn object_headers(b: Builder, ctx: &Ctx, rec: &ObjectRecord) -> Builder {
    let mut b = with_version(b, ctx, &rec.version_id)
        .header(http::header::ETAG, format!("\"{}\"", rec.etag))
        .header(http::header::LAST_MODIFIED, http_date(rec.last_modified_ms));
    if ctx.version().is_none() {
        b = with_expiration(b, ctx, rec);
    }
    b = super::lock::headers(b, ctx, rec);
    let meta = &rec.meta;
    if meta.storage_class != "STANDARD" {
        b = b.header("x-amz-storage-class", &meta.storage_class);
    }
    if firn_storage::needs_restore(&meta.storage_class) {
        if let Ok(Some(restore)) = ctx.app.engine.restore_status(ctx.bucket(), rec) {
            b = b.header("x-amz-restore", super::restore::header(&restore));
        }
    }
    if let Some(r) = &meta.website_redirect {
        b = b.header("x-amz-website-redirect-location", r);
    }
    for (k, v) in &meta.user_meta {
        b = b.header(format!("x-amz-meta-{k}"), crate::rfc2047::encode(v).as_ref());
    }
    if !meta.tags.is_empty() {
        b = b.header("x-amz-tagging-count", meta.tags.len());
    }
    b
}

/// Content headers as stored, each replaced by its `response-*` override when one is given.
fn content_headers(mut b: Builder, rec: &ObjectRecord, ctx: &Ctx) -> S3Result<Builder> {
    let h = &rec.meta.headers;
    let fields: [(&str, &str, Option<&String>); 6] = [
        ("content-type", "response-content-type", h.content_type.as_ref()),
        ("content-encoding", "response-content-encoding", h.content_encoding.as_ref()),
        ("content-disposition", "response-content-disposition", h.content_disposition.as_ref()),
        ("content-language", "response-content-language", h.content_language.as_ref()),
        ("cache-control", "response-cache-control", h.cache_control.as_ref()),
        ("expires", "response-expires", h.expires.as_ref()),
    ];
    for (name, param, stored) in fields {
        match (ctx.query.get(param), stored) {
            (Some(v), _) => b = b.header(name, header_value(param, v)?),
            (None, Some(v)) => b = b.header(name, v),
            (None, None) if name == "content-type" => b = b.header(name, "binary/octet-stream"),
            _ => {}
        }
    }
    Ok(b)
}

/// A client-given value that is to become a response header; anything that cannot be one
/// (control characters, line breaks) is refused rather than breaking the response.
pub fn header_value(name: &str, value: &str) -> S3Result<http::HeaderValue> {
    http::HeaderValue::from_str(value).map_err(|_| {
        S3Error::msg(Code::InvalidArgument, format!("{name} is not a valid header value"))
            .detail("ArgumentName", name.to_owned())
    })
}

pub async fn get(ctx: Ctx, head_only: bool) -> S3Result<Response<Body>> {
    super::reading(|| get_once(&ctx, head_only)).await
}

async fn get_once(ctx: &Ctx, head_only: bool) -> S3Result<Response<Body>> {
    if ctx.user.is_none() && ctx.query.0.iter().any(|(k, _)| k.starts_with("response-")) {
        return Err(S3Error::msg(
            Code::InvalidRequest,
            "Request specific response headers cannot be used for anonymous GET requests.",
        ));
    }
    let engine = &ctx.app.engine;
    let rec = ctx.load_requested()?;
    if let Outcome::NotModified =
        Conditions::from_headers(&ctx.parts.headers, "").evaluate(&rec.etag, rec.last_modified_ms)?
    {
        let b = object_headers(Response::builder().status(StatusCode::NOT_MODIFIED), ctx, &rec);
        return Ok(b.body(Body::Empty).expect("valid response"));
    }
    let mut b = object_headers(Response::builder(), ctx, &rec);
    let checksum_mode = ctx.header("x-amz-checksum-mode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    let range = match ctx.query.get("partNumber") {
        Some(n) => {
            if ctx.header("range").is_some() {
                return Err(S3Error::msg(
                    Code::InvalidRequest,
                    "Cannot specify both Range header and partNumber query parameter",
                ));
            }
            if !rec.parts.is_empty() {
                b = b.header("x-amz-mp-parts-count", rec.parts.len());
            }
            let range = part_range(&rec, n)?;
            if checksum_mode {
                // A part's own checksum, as S3 shows it for a part read by number.
                b = with_part_checksum(b, &rec, n);
            }
            Some(range)
        }
        None => parse_range(ctx.header("range"), rec.size)?,
    };
    let (start, end) = range.unwrap_or((0, rec.size));
    b = content_headers(b, &rec, ctx)?
        .header(http::header::ACCEPT_RANGES, "bytes")
        .header(http::header::CONTENT_LENGTH, end - start);
    if range.is_some() {
        b = b
            .status(StatusCode::PARTIAL_CONTENT)
            .header(http::header::CONTENT_RANGE, format!("bytes {}-{}/{}", start, end.max(1) - 1, rec.size));
    } else if checksum_mode {
        // Never on a byte range: the checksum covers the whole object and clients would report a mismatch.
        b = with_checksum(b, rec.checksum.as_ref());
    }
    if head_only {
        return Ok(b.body(Body::Empty).expect("valid response"));
    }
    let mut reader = engine.reader(ctx.bucket(), &rec, start, end)?;
    let len = end - start;
    let body = if len <= INLINE_READ {
        let mut data = Vec::with_capacity(len as usize);
        blocking(|| reader.read_to_end(&mut data))?;
        Body::full(data)
    } else {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let chunk_len = ctx.app.config.limits.io_buffer_kib << 10;
        tokio::task::spawn_blocking(move || loop {
            let mut chunk = vec![0u8; chunk_len];
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    chunk.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "object read failed mid-stream");
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        });
        Body::Stream { rx, len }
    };
    Ok(b.body(body).expect("valid response"))
}

/// Adds the stored checksum of part `n` (valid, 1-based): the part's value under the object's
/// algorithm, with the object's checksum type. An object from a single PUT is its own part 1.
fn with_part_checksum(b: Builder, rec: &ObjectRecord, n: &str) -> Builder {
    let Some((header, whole, kind)) = rec.checksum.as_ref().and_then(checksum::stored_headers) else { return b };
    let value = if rec.parts.is_empty() {
        Some(whole)
    } else {
        n.parse::<usize>().ok().and_then(|n| rec.parts.get(n.checked_sub(1)?)).and_then(|p| p.checksum.as_deref())
    };
    match value {
        Some(v) => b.header(header, v).header("x-amz-checksum-type", kind),
        None => b,
    }
}

/// Byte range of part `n` (1-based). An object from a single PUT is one part.
fn part_range(rec: &ObjectRecord, n: &str) -> S3Result<(u64, u64)> {
    let n: usize =
        n.parse().ok().filter(|n| (1..=firn_storage::MAX_PART_NUMBER as usize).contains(n)).ok_or_else(|| {
            S3Error::msg(Code::InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
                .detail("ArgumentName", "partNumber")
        })?;
    if rec.parts.is_empty() {
        return if n == 1 { Ok((0, rec.size)) } else { Err(S3Error::new(Code::InvalidPartNumber)) };
    }
    let part = rec.parts.get(n - 1).ok_or_else(|| S3Error::new(Code::InvalidPartNumber))?;
    let start: u64 = rec.parts[..n - 1].iter().map(|p| p.size).sum();
    Ok((start, start + part.size))
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    let mut cond = crate::conditions::delete_condition(
        ctx.header("if-match"),
        ctx.header("x-amz-if-match-last-modified-time"),
        ctx.header("x-amz-if-match-size"),
    )?;
    cond.bypass_governance = ctx.version().is_some() && super::lock::bypass(&ctx, ctx.key().as_str());
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
