//! The read path: GetObject and HeadObject with their ranges, part numbers, conditions and
//! response-header overrides. The website endpoint serves its pages through it too.

use crate::http::body::Body;
use crate::s3::context::{self, blocking, Ctx};
use crate::s3::request::header_value;
use crate::s3::respond::{self, with_checksum, with_expiration, with_version};
use crate::wire::checksum;
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::{http_date, parse_range, Conditions, Outcome};
use bytes::Bytes;
use firn_storage::{ObjectRecord, StorageClass};
use http::{response::Builder, Response, StatusCode};
use std::io::Read;

/// Objects up to this size are read in one go; larger ones stream in chunks of `limits.io_buffer_kib`.
const INLINE_READ: u64 = 256 << 10;

/// The headers that describe a stored object, shared by GET, HEAD and 304 responses.
fn object_headers(b: Builder, ctx: &Ctx, rec: &ObjectRecord) -> Builder {
    let mut b = with_version(b, ctx, &rec.version_id)
        .header(http::header::ETAG, format!("\"{}\"", rec.etag))
        .header(http::header::LAST_MODIFIED, http_date(rec.last_modified_ms));
    if ctx.version().is_none() {
        b = with_expiration(b, ctx, rec);
    }
    b = respond::lock_headers(b, ctx, rec);
    let meta = &rec.meta;
    if meta.storage_class != StorageClass::Standard {
        b = b.header("x-amz-storage-class", meta.storage_class.as_str());
    }
    if meta.storage_class.needs_restore() {
        if let Ok(Some(restore)) = ctx.app.engine.restore_status(ctx.bucket(), rec) {
            b = b.header("x-amz-restore", respond::restore_header(&restore));
        }
    }
    if let Some(r) = &meta.website_redirect {
        b = b.header("x-amz-website-redirect-location", r);
    }
    for (k, v) in &meta.user_meta {
        b = b.header(format!("x-amz-meta-{k}"), crate::wire::rfc2047::encode(v).as_ref());
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

pub async fn get(ctx: Ctx, head_only: bool) -> S3Result<Response<Body>> {
    context::reading(|| get_once(&ctx, head_only)).await
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
