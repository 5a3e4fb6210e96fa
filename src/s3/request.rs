//! Requests in: what the headers (or form fields) of a request ask for, read and checked once for
//! every operation that takes them: metadata, storage class, conditions, Object Lock, tags,
//! encryption.

use crate::s3::authz::Need;
use crate::s3::context::Ctx;
use crate::s3::documents::object_lock::{no_lock_on_bucket, parse_date};
use crate::wire::checksum::Algorithm;
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::{ContentHeaders, LockMode, ObjectLockConfig, Retention, StorageClass, VersionLock, WriteCondition};

/// A request header or form field that asks for server-side encryption (SSE-S3, SSE-KMS or
/// SSE-C, for the object or a copy's source), if one is present. Firn has no encryption at rest
/// yet, and a request asking for it must not be stored in the clear as if it had been honoured.
/// Names come lower-cased (header names, and form fields as `form` reads them).
pub fn encryption_asked<'a>(mut names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names.find(|n| {
        n.starts_with("x-amz-server-side-encryption") || n.starts_with("x-amz-copy-source-server-side-encryption")
    })
}

/// The answer to a request that asks for encryption (see `encryption_asked`): 501, naming it.
pub fn encryption_not_implemented(name: &str) -> S3Error {
    S3Error::msg(Code::NotImplemented, format!("{name}: server-side encryption is not implemented"))
        .detail("Header", name.to_owned())
}

/// The class a write asks for (`x-amz-storage-class`; STANDARD without one).
pub fn storage_class(ctx: &Ctx) -> S3Result<StorageClass> {
    ctx.header("x-amz-storage-class").map_or(Ok(StorageClass::Standard), check_storage_class)
}

/// Any class S3 defines; the archive classes go to the archive tier, the others stay hot.
pub fn check_storage_class(class: &str) -> S3Result<StorageClass> {
    StorageClass::parse(class).ok_or_else(|| S3Error::new(Code::InvalidStorageClass))
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
            let v = crate::wire::rfc2047::decode(&String::from_utf8_lossy(value.as_bytes()));
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

pub fn require_length(ctx: &Ctx) -> S3Result<()> {
    if ctx.header("content-length").is_none() && ctx.header("x-amz-decoded-content-length").is_none() {
        return Err(S3Error::new(Code::MissingContentLength));
    }
    Ok(())
}

/// A client-given value that is to become a response header; anything that cannot be one
/// (control characters, line breaks) is refused rather than breaking the response.
pub fn header_value(name: &str, value: &str) -> S3Result<http::HeaderValue> {
    http::HeaderValue::from_str(value).map_err(|_| {
        S3Error::msg(Code::InvalidArgument, format!("{name} is not a valid header value"))
            .detail("ArgumentName", name.to_owned())
    })
}

/// The lock a write asks for: its `x-amz-object-lock-*` headers, else the bucket's default
/// retention. None on buckets without Object Lock (where the headers are refused).
pub fn requested(ctx: &Ctx, now_ms: i64) -> S3Result<Option<VersionLock>> {
    let asked = LOCK_FIELDS.iter().any(|f| ctx.header(f).is_some());
    // A body that sets a lock must come with its integrity checked (copies and uploads' creations
    // carry no body).
    if asked && ctx.op == crate::s3::router::Op::PutObject {
        require_integrity(ctx)?;
    }
    from_fields(ctx.access.object_lock, now_ms, |name| ctx.header(name))
}

const LOCK_FIELDS: [&str; 3] =
    ["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"];

/// The lock that `x-amz-object-lock-*` values (headers, or a POST form's fields) ask for on a
/// bucket with `config`, else its default retention.
pub fn from_fields<'a>(
    config: Option<ObjectLockConfig>,
    now_ms: i64,
    field: impl Fn(&str) -> Option<&'a str>,
) -> S3Result<Option<VersionLock>> {
    let [mode, until, hold] = LOCK_FIELDS.map(&field);
    let asked = mode.is_some() || until.is_some() || hold.is_some();
    let Some(config) = config else {
        return if asked { Err(no_lock_on_bucket()) } else { Ok(None) };
    };
    let invalid = |m: &str| S3Error::msg(Code::InvalidArgument, m);
    let retention = match (mode, until) {
        (None, None) => config.default_retention.map(|d| d.from(now_ms)),
        (Some(m), Some(u)) => {
            let mode = LockMode::parse(m).ok_or_else(|| invalid("Unknown wormMode directive."))?;
            let until_ms = parse_date(u).ok_or_else(|| invalid("The retain until date is not valid."))?;
            if until_ms <= now_ms {
                return Err(invalid("The retain until date must be in the future!"));
            }
            Some(Retention { mode, until_ms })
        }
        _ => {
            return Err(invalid("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"))
        }
    };
    let legal_hold = match hold {
        None | Some("OFF") => false,
        Some("ON") => true,
        Some(_) => return Err(invalid("Legal Hold must be either of 'ON' or 'OFF'")),
    };
    Ok(Some(VersionLock { retention, legal_hold, hold_set: hold.is_some() }))
}

/// Whether the request may bypass GOVERNANCE retention: it asks to, and may
/// (`s3:BypassGovernanceRetention`, the bucket owner's unless a policy says otherwise).
pub fn bypass(ctx: &Ctx, key: &str) -> bool {
    let asked = ctx.header("x-amz-bypass-governance-retention").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    asked && ctx.authorize(ctx.bucket(), Some(key), "s3:BypassGovernanceRetention", Need::Owner).is_ok()
}

/// AWS requires a Content-MD5 or a checksum on requests that set Object Lock; either will do.
pub fn require_integrity(ctx: &Ctx) -> S3Result<()> {
    let present = ctx.header("content-md5").is_some()
        || ctx.header("x-amz-trailer").is_some()
        || ctx.header("x-amz-sdk-checksum-algorithm").is_some()
        || Algorithm::ALL.iter().any(|a| ctx.header(a.header()).is_some());
    if present {
        Ok(())
    } else {
        Err(S3Error::msg(
            Code::InvalidRequest,
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
        ))
    }
}

/// Whether a listing asked for `RestoreStatus` (`x-amz-optional-object-attributes`).
pub fn listing_wants_status(ctx: &Ctx) -> bool {
    ctx.header("x-amz-optional-object-attributes").is_some_and(|v| v.split(',').any(|a| a.trim() == "RestoreStatus"))
}
