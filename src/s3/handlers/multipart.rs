//! Multipart uploads: create, upload part (and part copy), complete, abort, list parts and uploads.

use crate::http::body::Body;
use crate::s3::context::{self, blocking, Ctx};
use crate::s3::request::{require_length, write_condition};
use crate::s3::respond::{self, empty, owner_element, with_checksum, xml_response};
use crate::s3::write::{copy_range, new_object, receive, source_object};
use crate::wire::checksum::{self, Algorithm, Hasher};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::iso_date;
use crate::wire::xml::{Element, XmlWriter};
use firn_storage::{
    CompletedPart, EngineError, ObjectRecord, PartRecord, UploadListQuery, UploadRecord, MAX_PART_NUMBER,
};
use http::{Response, StatusCode};

const MAX_LISTED: usize = 1000;

/// `x-amz-checksum-algorithm` / `x-amz-checksum-type` of CreateMultipartUpload, with S3's defaults
/// and the combinations it refuses.
fn upload_checksum(ctx: &Ctx) -> S3Result<Option<(String, String)>> {
    let invalid = |m: &str| S3Error::msg(Code::InvalidRequest, m);
    let alg = match ctx.header("x-amz-checksum-algorithm") {
        None => None,
        Some(a) => Some(Algorithm::from_name(a).ok_or_else(|| invalid("Checksum algorithm provided is unsupported."))?),
    };
    let kind = ctx.header("x-amz-checksum-type").map(str::to_ascii_uppercase);
    let kind = match (alg, kind.as_deref()) {
        (None, None) => return Ok(None),
        (None, Some(_)) => {
            return Err(invalid(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            ))
        }
        (Some(Algorithm::Crc64Nvme), None | Some("FULL_OBJECT")) => "FULL_OBJECT",
        (Some(Algorithm::Crc64Nvme), Some(_)) => {
            return Err(invalid("The CRC64NVME algorithm supports only the FULL_OBJECT checksum type."))
        }
        (Some(Algorithm::Sha1 | Algorithm::Sha256), Some("FULL_OBJECT")) => {
            return Err(invalid("The FULL_OBJECT checksum type cannot be used with SHA algorithms."))
        }
        (Some(_), None | Some("COMPOSITE")) => "COMPOSITE",
        (Some(_), Some("FULL_OBJECT")) => "FULL_OBJECT",
        (Some(_), Some(_)) => return Err(invalid("Value for x-amz-checksum-type header is invalid.")),
    };
    Ok(alg.map(|a| (a.name().to_owned(), kind.to_owned())))
}

fn upload_algorithm(up: &UploadRecord) -> Option<Algorithm> {
    up.checksum_algorithm.as_deref().and_then(Algorithm::from_name)
}

fn part_number(ctx: &Ctx) -> S3Result<u32> {
    ctx.query.get("partNumber").and_then(|n| n.parse().ok()).filter(|n| (1..=MAX_PART_NUMBER).contains(n)).ok_or_else(
        || {
            S3Error::msg(Code::InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
                .detail("ArgumentName", "partNumber")
        },
    )
}

fn upload_id(ctx: &Ctx) -> &str {
    ctx.query.get("uploadId").unwrap_or("")
}

fn current_upload(ctx: &Ctx) -> S3Result<UploadRecord> {
    Ok(ctx.app.engine.upload(ctx.bucket(), ctx.key(), upload_id(ctx))?)
}

pub async fn create(ctx: Ctx) -> S3Result<Response<Body>> {
    let new = new_object(&ctx)?;
    let checksum = upload_checksum(&ctx)?;
    let up = blocking(|| ctx.app.engine.create_upload(ctx.bucket(), ctx.key(), new, checksum))?;
    let mut w = XmlWriter::new("InitiateMultipartUploadResult");
    w.elem("Bucket", ctx.bucket().as_str()).elem("Key", ctx.key().as_str()).elem("UploadId", &up.upload_id);
    let mut resp = Response::builder().status(StatusCode::OK).header(http::header::CONTENT_TYPE, "application/xml");
    if let (Some(a), Some(t)) = (&up.checksum_algorithm, &up.checksum_type) {
        resp = resp.header("x-amz-checksum-algorithm", a).header("x-amz-checksum-type", t);
    }
    resp = with_abort_date(resp, &ctx, &up);
    Ok(resp.body(Body::full(w.finish())).expect("valid response"))
}

/// `x-amz-abort-date` and `x-amz-abort-rule-id` when a lifecycle rule will abort the upload.
fn with_abort_date(b: http::response::Builder, ctx: &Ctx, up: &UploadRecord) -> http::response::Builder {
    match respond::abort_headers(ctx, &up.key, up.initiated_ms) {
        Ok(Some((date, rule))) => b.header("x-amz-abort-date", date).header("x-amz-abort-rule-id", rule),
        _ => b,
    }
}

/// A part of an upload with a checksum algorithm must carry a checksum of that algorithm.
fn check_part_checksum(up: &UploadRecord, checksum: &Option<(String, String)>) -> S3Result<()> {
    match (upload_algorithm(up), checksum) {
        (None, _) => Ok(()),
        (Some(a), Some((name, _))) if name == a.name() => Ok(()),
        (Some(a), _) => Err(S3Error::msg(
            Code::InvalidRequest,
            format!(
                "The upload was created using the {} checksum algorithm; each part must carry that checksum.",
                a.name()
            ),
        )),
    }
}

pub async fn upload_part(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let number = part_number(&ctx)?;
    require_length(&ctx)?;
    let up = current_upload(&ctx)?;
    let ingest = ctx.ingest(ctx.app.config.limits.max_object_size)?;
    let (staged, checksum) = receive(&ctx.app.engine, ingest, ctx.app.config.limits.io_buffer_kib << 10).await?;
    check_part_checksum(&up, &checksum)?;
    let part = blocking(|| ctx.app.engine.put_part(ctx.bucket(), ctx.key(), &up.upload_id, number, staged, checksum))?;
    let resp = Response::builder().status(StatusCode::OK).header(http::header::ETAG, format!("\"{}\"", part.etag));
    Ok(with_checksum(resp, part.checksum.as_ref()).body(Body::Empty).expect("valid response"))
}

/// `x-amz-copy-source-range: bytes=first-last`: InvalidArgument when it is not of that form,
/// InvalidRange (as S3) when it does not lie within the source.
fn copy_source_range(header: Option<&str>, size: u64) -> S3Result<(u64, u64)> {
    let Some(h) = header else { return Ok((0, size)) };
    let malformed = || {
        S3Error::msg(
            Code::InvalidArgument,
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        )
        .detail("ArgumentName", "x-amz-copy-source-range")
    };
    let (a, b) = h.trim().strip_prefix("bytes=").and_then(|r| r.split_once('-')).ok_or_else(malformed)?;
    let (first, last): (u64, u64) = (a.parse().map_err(|_| malformed())?, b.parse().map_err(|_| malformed())?);
    if first > last {
        return Err(malformed());
    }
    if last >= size {
        return Err(S3Error::new(Code::InvalidRange).detail("ActualObjectSize", size.to_string()));
    }
    Ok((first, last + 1))
}

pub async fn upload_part_copy(ctx: Ctx) -> S3Result<Response<Body>> {
    context::reading(|| upload_part_copy_once(&ctx)).await
}

async fn upload_part_copy_once(ctx: &Ctx) -> S3Result<Response<Body>> {
    let number = part_number(ctx)?;
    let up = current_upload(ctx)?;
    let source = source_object(ctx)?;
    let (src_bucket, src) = (source.bucket, source.record);
    let (start, end) = copy_source_range(ctx.header("x-amz-copy-source-range"), src.size)?;
    if end - start > ctx.app.config.limits.max_object_size {
        return Err(S3Error::new(Code::EntityTooLarge));
    }
    let engine = &ctx.app.engine;
    let part = blocking(|| -> S3Result<PartRecord> {
        let mut hasher = upload_algorithm(&up).map(Hasher::new);
        let staged = copy_range(engine, &src_bucket, &src, start, end, hasher.as_mut())?;
        let checksum = upload_algorithm(&up).zip(hasher).map(|(a, h)| (a.name().to_owned(), h.finish()));
        Ok(engine.put_part(ctx.bucket(), ctx.key(), &up.upload_id, number, staged, checksum)?)
    })?;
    let mut w = XmlWriter::new("CopyPartResult");
    w.elem("LastModified", iso_date(part.last_modified_ms)).elem("ETag", format!("\"{}\"", part.etag));
    if let Some((alg, value)) = &part.checksum {
        if let Some(a) = Algorithm::from_name(alg) {
            w.elem(a.xml_element(), value);
        }
    }
    Ok(xml_response(StatusCode::OK, w.finish()))
}

/// The parts named by a CompleteMultipartUpload document, with any checksums they claim.
fn requested_parts(doc: &Element, alg: Option<Algorithm>) -> S3Result<Vec<(CompletedPart, Option<String>)>> {
    let malformed = || S3Error::new(Code::MalformedXML);
    if doc.name != "CompleteMultipartUpload" {
        return Err(malformed());
    }
    let parts: Vec<_> = doc
        .children_named("Part")
        .map(|p| {
            let number = p.child_text("PartNumber").and_then(|n| n.trim().parse().ok()).ok_or_else(malformed)?;
            let etag = p.child_text("ETag").ok_or_else(malformed)?.trim().trim_matches('"').to_owned();
            let claimed = alg.and_then(|a| p.child_text(a.xml_element())).map(str::to_owned);
            Ok((CompletedPart { number, etag }, claimed))
        })
        .collect::<S3Result<_>>()?;
    if parts.is_empty() || parts.len() > MAX_PART_NUMBER as usize {
        return Err(malformed());
    }
    Ok(parts)
}

/// The object's checksum from its parts' checksums, per the upload's type.
fn object_checksum(up: &UploadRecord, parts: &[PartRecord]) -> S3Result<Option<(String, String)>> {
    let Some(alg) = upload_algorithm(up) else { return Ok(None) };
    let values: Vec<(&str, u64)> = parts
        .iter()
        .map(|p| match &p.checksum {
            Some((name, v)) if name == alg.name() => Ok((v.as_str(), p.size)),
            _ => Err(S3Error::new(Code::InvalidPart).detail("PartNumber", p.number.to_string())),
        })
        .collect::<S3Result<_>>()?;
    let value = if up.checksum_type.as_deref() == Some("FULL_OBJECT") {
        checksum::full_object(alg, &values)
    } else {
        checksum::composite(alg, &values.iter().map(|(v, _)| *v).collect::<Vec<_>>())
    };
    Ok(value.map(|v| (alg.name().to_owned(), v)))
}

/// A completion of an upload that is gone: S3 answers a retry of one that just completed with the
/// same result, as long as the object it made is there.
fn retried(ctx: &Ctx, gone: S3Error) -> S3Result<Response<Body>> {
    match ctx.app.engine.completed_upload(ctx.bucket(), ctx.key(), upload_id(ctx))? {
        Some(rec) => Ok(completed(ctx, &rec)),
        None => Err(gone),
    }
}

pub async fn complete(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let up = match current_upload(&ctx) {
        Err(e) if e.code == Code::NoSuchUpload => return retried(&ctx, e),
        up => up?,
    };
    let cond = write_condition(&ctx);
    let doc = ctx.xml_body().await?;
    let alg = upload_algorithm(&up);
    let requested = requested_parts(&doc, alg)?;
    let engine = &ctx.app.engine;
    let wanted: Vec<CompletedPart> = requested.iter().map(|(p, _)| p.clone()).collect();
    let parts = engine.check_completion(&up.upload_id, &wanted)?;
    for ((want, claimed), part) in requested.iter().zip(&parts) {
        if claimed.as_ref().is_some_and(|c| part.checksum.as_ref().is_none_or(|(_, v)| v != c)) {
            return Err(S3Error::new(Code::InvalidPart).detail("PartNumber", want.number.to_string()));
        }
    }
    let checksum = object_checksum(&up, &parts)?;
    if let (Some(a), Some((_, value))) = (alg, &checksum) {
        if let Some(claimed) = ctx.header(a.header()).map(str::trim) {
            // A composite value may be claimed with or without its `-N`.
            if claimed != value.split('-').next().unwrap_or(value) && claimed != value {
                return Err(S3Error::msg(
                    Code::BadDigest,
                    format!("The {} you specified did not match the calculated checksum.", a.name()),
                ));
            }
        }
    }
    match blocking(|| engine.complete_upload(ctx.bucket(), ctx.key(), &up, &parts, checksum, &cond)) {
        Ok(rec) => Ok(completed(&ctx, &rec)),
        // Another completion of the same upload won the race.
        Err(EngineError::NoSuchUpload) => retried(&ctx, S3Error::new(Code::NoSuchUpload)),
        Err(e) => Err(e.into()),
    }
}

/// The answer to a completion that made `rec`.
fn completed(ctx: &Ctx, rec: &ObjectRecord) -> Response<Body> {
    let host = ctx.header("host").unwrap_or("localhost");
    let mut w = XmlWriter::new("CompleteMultipartUploadResult");
    w.elem(
        "Location",
        format!("http://{host}/{}/{}", ctx.bucket(), crate::auth::sigv4::uri_encode(ctx.key().as_str(), true)),
    )
    .elem("Bucket", ctx.bucket().as_str())
    .elem("Key", ctx.key().as_str())
    .elem("ETag", format!("\"{}\"", rec.etag));
    if let Some(stored) = &rec.checksum {
        if let (Some(a), Some((_, value, kind))) = (Algorithm::from_name(&stored.0), checksum::stored_headers(stored)) {
            w.elem(a.xml_element(), value).elem("ChecksumType", kind);
        }
    }
    respond::with_expiration(respond::with_new_version(Response::builder(), ctx, &rec.version_id), ctx, rec)
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(Body::full(w.finish()))
        .expect("valid response")
}

pub async fn abort(ctx: Ctx) -> S3Result<Response<Body>> {
    blocking(|| ctx.app.engine.abort_upload(ctx.bucket(), ctx.key(), upload_id(&ctx)))?;
    Ok(empty(StatusCode::NO_CONTENT))
}

fn bounded(ctx: &Ctx, name: &'static str, default: usize) -> S3Result<usize> {
    match ctx.query.get(name) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map(|n| n.min(MAX_LISTED)).map_err(|_| {
            S3Error::msg(Code::InvalidArgument, format!("Provided {name} not an integer or within integer range"))
                .detail("ArgumentName", name)
        }),
    }
}

pub async fn list_parts(ctx: Ctx) -> S3Result<Response<Body>> {
    let up = current_upload(&ctx)?;
    let max = bounded(&ctx, "max-parts", MAX_LISTED)?;
    let marker = bounded(&ctx, "part-number-marker", 0)? as u32;
    let (parts, truncated) = ctx.app.engine.list_parts(&up.upload_id, marker, max)?;
    let mut w = XmlWriter::new("ListPartsResult");
    w.elem("Bucket", ctx.bucket().as_str()).elem("Key", ctx.key().as_str()).elem("UploadId", &up.upload_id);
    owner_element(&mut w, &ctx, "Initiator", &up.meta.owner);
    owner_element(&mut w, &ctx, "Owner", &up.meta.owner);
    w.elem("StorageClass", up.meta.storage_class.as_str())
        .elem("PartNumberMarker", marker.to_string())
        .elem("NextPartNumberMarker", parts.last().map_or(marker, |p| p.number).to_string())
        .elem("MaxParts", max.to_string())
        .elem("IsTruncated", truncated.to_string());
    if let (Some(a), Some(t)) = (&up.checksum_algorithm, &up.checksum_type) {
        w.elem("ChecksumAlgorithm", a).elem("ChecksumType", t);
    }
    for p in &parts {
        w.open("Part")
            .elem("PartNumber", p.number.to_string())
            .elem("LastModified", iso_date(p.last_modified_ms))
            .elem("ETag", format!("\"{}\"", p.etag))
            .elem("Size", p.size.to_string());
        if let Some(a) = p.checksum.as_ref().and_then(|(a, _)| Algorithm::from_name(a)) {
            w.elem(a.xml_element(), &p.checksum.as_ref().expect("checked").1);
        }
        w.close();
    }
    let resp = with_abort_date(Response::builder(), &ctx, &up)
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml");
    Ok(resp.body(Body::full(w.finish())).expect("valid response"))
}

pub async fn list_uploads(ctx: Ctx) -> S3Result<Response<Body>> {
    let max = bounded(&ctx, "max-uploads", MAX_LISTED)?;
    let url_encode = match ctx.query.get("encoding-type") {
        None => false,
        Some(e) if e.eq_ignore_ascii_case("url") => true,
        Some(_) => return Err(S3Error::msg(Code::InvalidArgument, "Invalid Encoding Method specified in Request")),
    };
    let enc = |s: &str| if url_encode { crate::auth::sigv4::uri_encode(s, true) } else { s.to_owned() };
    let key_marker = ctx.query.get("key-marker").filter(|m| !m.is_empty()).map(str::to_owned);
    let q = UploadListQuery {
        prefix: ctx.query.get("prefix").unwrap_or("").to_owned(),
        delimiter: ctx.query.get("delimiter").filter(|d| !d.is_empty()).map(str::to_owned),
        upload_id_marker: ctx.query.get("upload-id-marker").filter(|_| key_marker.is_some()).map(str::to_owned),
        key_marker,
        max_uploads: max,
    };
    let page = ctx.app.engine.list_uploads(ctx.bucket(), &q)?;
    let mut w = XmlWriter::new("ListMultipartUploadsResult");
    w.elem("Bucket", ctx.bucket().as_str())
        .elem("KeyMarker", enc(q.key_marker.as_deref().unwrap_or("")))
        .elem("UploadIdMarker", q.upload_id_marker.as_deref().unwrap_or(""));
    if page.is_truncated {
        // The page ends with whichever came last in key order: an upload or a common prefix.
        let last_upload = page.uploads.last().map(|u| (u.key.as_str(), u.upload_id.as_str()));
        let last_prefix = page.common_prefixes.last().map(|p| (p.as_str(), ""));
        let (key, id) = last_upload.max(last_prefix).unwrap_or(("", ""));
        w.elem("NextKeyMarker", enc(key)).elem("NextUploadIdMarker", id);
    }
    w.elem("Prefix", enc(&q.prefix));
    if let Some(d) = &q.delimiter {
        w.elem("Delimiter", enc(d));
    }
    w.elem("MaxUploads", max.to_string()).elem("IsTruncated", page.is_truncated.to_string());
    if url_encode {
        w.elem("EncodingType", "url");
    }
    for u in &page.uploads {
        w.open("Upload").elem("Key", enc(&u.key)).elem("UploadId", &u.upload_id);
        owner_element(&mut w, &ctx, "Initiator", &u.meta.owner);
        owner_element(&mut w, &ctx, "Owner", &u.meta.owner);
        w.elem("StorageClass", u.meta.storage_class.as_str()).elem("Initiated", iso_date(u.initiated_ms));
        w.opt("ChecksumAlgorithm", u.checksum_algorithm.as_deref());
        w.close();
    }
    for p in &page.common_prefixes {
        w.open("CommonPrefixes").elem("Prefix", enc(p)).close();
    }
    Ok(xml_response(StatusCode::OK, w.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_ranges() {
        assert_eq!(copy_source_range(Some("bytes=0-9"), 100).unwrap(), (0, 10));
        assert_eq!(copy_source_range(None, 100).unwrap(), (0, 100));
        for bad in ["bytes=5-4", "bytes=-5", "0-5", "bytes=a-b"] {
            assert_eq!(copy_source_range(Some(bad), 100).unwrap_err().code, Code::InvalidArgument, "{bad}");
        }
        assert_eq!(copy_source_range(Some("bytes=0-100"), 100).unwrap_err().code, Code::InvalidRange);
    }
}
