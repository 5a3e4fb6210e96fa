//! GetObjectAttributes: ETag, checksum, parts, storage class and size without the body.

use crate::http::body::Body;
use crate::s3::context::Ctx;
use crate::s3::respond::with_version;
use crate::wire::checksum::{self, Algorithm};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::http_date;
use crate::wire::xml::XmlWriter;
use http::{Response, StatusCode};

const ATTRIBUTES: &[&str] = &["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

pub async fn get(ctx: Ctx) -> S3Result<Response<Body>> {
    // The list may come as one comma-separated value or as several header lines.
    let wanted: Vec<&str> = ctx
        .parts
        .headers
        .get_all("x-amz-object-attributes")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    if wanted.is_empty() || wanted.iter().any(|a| !ATTRIBUTES.contains(a)) {
        return Err(S3Error::msg(Code::InvalidArgument, "Invalid attribute name specified.")
            .detail("ArgumentName", "x-amz-object-attributes"));
    }
    let number = |name: &'static str, default: usize| -> S3Result<usize> {
        ctx.header(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                S3Error::msg(Code::InvalidArgument, format!("Invalid {name}")).detail("ArgumentName", name)
            })
        })
    };
    let max_parts = number("x-amz-max-parts", 1000)?.min(1000);
    let marker = number("x-amz-part-number-marker", 0)?;
    let rec = ctx.load_requested()?;
    let mut w = XmlWriter::new("GetObjectAttributesResponse");
    if wanted.contains(&"ETag") {
        w.elem("ETag", &rec.etag);
    }
    let stored = rec.checksum.as_ref().and_then(|c| Some((Algorithm::from_name(&c.0)?, checksum::stored_headers(c)?)));
    if let (true, Some((alg, (_, value, kind)))) = (wanted.contains(&"Checksum"), stored) {
        w.open("Checksum").elem(alg.xml_element(), value).elem("ChecksumType", kind).close();
    }
    if wanted.contains(&"ObjectParts") && !rec.parts.is_empty() {
        let page: Vec<_> = rec.parts.iter().enumerate().skip(marker).take(max_parts).collect();
        let next = page.last().map_or(marker, |(i, _)| i + 1);
        w.open("ObjectParts")
            // TotalPartsCount travels as <PartsCount>.
            .elem("PartsCount", rec.parts.len().to_string())
            .elem("PartNumberMarker", marker.to_string())
            .elem("NextPartNumberMarker", next.to_string())
            .elem("MaxParts", max_parts.to_string())
            .elem("IsTruncated", (next < rec.parts.len()).to_string());
        for (i, p) in page {
            w.open("Part").elem("PartNumber", (i + 1).to_string()).elem("Size", p.size.to_string());
            if let (Some((alg, _)), Some(c)) = (stored, &p.checksum) {
                w.elem(alg.xml_element(), c);
            }
            w.close();
        }
        w.close();
    }
    if wanted.contains(&"StorageClass") {
        w.elem("StorageClass", rec.meta.storage_class.as_str());
    }
    if wanted.contains(&"ObjectSize") {
        w.elem("ObjectSize", rec.size.to_string());
    }
    let resp = Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .header(http::header::LAST_MODIFIED, http_date(rec.last_modified_ms));
    Ok(with_version(resp, &ctx, &rec.version_id).body(Body::full(w.finish())).expect("valid response"))
}
