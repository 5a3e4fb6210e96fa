//! ListObjects (v1) and ListObjectsV2.

use crate::auth::sigv4::uri_encode;
use crate::http::body::Body;
use crate::s3::context::Ctx;
use crate::s3::request;
use crate::s3::respond::{self, owner_element, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::iso_date;
use crate::wire::xml::XmlWriter;
use base64::Engine as _;
use firn_storage::{ListPage, ListQuery, ObjectRecord, VersionQuery};
use http::{Response, StatusCode};

const MAX_KEYS: usize = 1000;

struct Common {
    prefix: String,
    delimiter: Option<String>,
    max_keys: usize,
    url_encode: bool,
}

fn common(ctx: &Ctx) -> S3Result<Common> {
    let max_keys = match ctx.query.get("max-keys") {
        None => MAX_KEYS,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                S3Error::msg(Code::InvalidArgument, "Provided max-keys not an integer or within integer range")
                    .detail("ArgumentName", "max-keys")
            })?
            .min(MAX_KEYS as i64) as usize,
    };
    let url_encode = match ctx.query.get("encoding-type") {
        None => false,
        Some(e) if e.eq_ignore_ascii_case("url") => true,
        Some(_) => {
            return Err(S3Error::msg(Code::InvalidArgument, "Invalid Encoding Method specified in Request")
                .detail("ArgumentName", "encoding-type"))
        }
    };
    Ok(Common {
        prefix: ctx.query.get("prefix").unwrap_or("").to_owned(),
        delimiter: ctx.query.get("delimiter").filter(|d| !d.is_empty()).map(str::to_owned),
        max_keys,
        url_encode,
    })
}

impl Common {
    fn enc(&self, s: &str) -> String {
        if self.url_encode {
            uri_encode(s, true)
        } else {
            s.to_owned()
        }
    }

    fn page(&self, ctx: &Ctx, after: Option<String>) -> S3Result<ListPage> {
        let q = ListQuery {
            prefix: self.prefix.clone(),
            delimiter: self.delimiter.clone(),
            after,
            max_keys: self.max_keys,
        };
        Ok(ctx.app.engine.list_objects(ctx.bucket(), &q)?)
    }

    fn head(&self, w: &mut XmlWriter, ctx: &Ctx) {
        w.elem("Name", ctx.bucket().as_str()).elem("Prefix", self.enc(&self.prefix));
        if let Some(d) = &self.delimiter {
            w.elem("Delimiter", self.enc(d));
        }
        w.elem("MaxKeys", self.max_keys.to_string());
        if self.url_encode {
            w.elem("EncodingType", "url");
        }
    }

    fn entries(&self, w: &mut XmlWriter, ctx: &Ctx, page: &ListPage, owner: bool) -> S3Result<()> {
        let restore = request::listing_wants_status(ctx);
        for o in &page.objects {
            self.object(w, ctx, o, owner, restore)?;
        }
        for p in &page.common_prefixes {
            w.open("CommonPrefixes").elem("Prefix", self.enc(p)).close();
        }
        Ok(())
    }

    fn object(&self, w: &mut XmlWriter, ctx: &Ctx, o: &ObjectRecord, owner: bool, restore: bool) -> S3Result<()> {
        w.open("Contents")
            .elem("Key", self.enc(&o.key))
            .elem("LastModified", iso_date(o.last_modified_ms))
            .elem("ETag", format!("\"{}\"", o.etag));
        if let Some(stored) = &o.checksum {
            if let Some((_, _, kind)) = crate::wire::checksum::stored_headers(stored) {
                w.elem("ChecksumAlgorithm", &stored.0).elem("ChecksumType", kind);
            }
        }
        w.elem("Size", o.size.to_string()).elem("StorageClass", o.meta.storage_class.as_str());
        if owner {
            owner_element(w, ctx, "Owner", &o.meta.owner);
        }
        if restore {
            respond::status_element(w, ctx, o)?;
        }
        w.close();
        Ok(())
    }
}

pub async fn list_v1(ctx: Ctx) -> S3Result<Response<Body>> {
    let c = common(&ctx)?;
    let marker = ctx.query.get("marker").unwrap_or("").to_owned();
    let page = c.page(&ctx, Some(marker.clone()).filter(|m| !m.is_empty()))?;
    let mut w = XmlWriter::new("ListBucketResult");
    c.head(&mut w, &ctx);
    w.elem("Marker", c.enc(&marker)).elem("IsTruncated", page.is_truncated.to_string());
    if page.is_truncated && c.delimiter.is_some() {
        w.opt("NextMarker", page.last.as_deref().map(|l| c.enc(l)));
    }
    c.entries(&mut w, &ctx, &page, true)?;
    Ok(xml_response(StatusCode::OK, w.finish()))
}

fn encode_token(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

fn decode_token(token: &str) -> S3Result<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            S3Error::msg(Code::InvalidArgument, "The continuation token provided is incorrect")
                .detail("ArgumentName", "continuation-token")
        })
}

pub async fn list_v2(ctx: Ctx) -> S3Result<Response<Body>> {
    let c = common(&ctx)?;
    let token = ctx.query.get("continuation-token");
    let start_after = ctx.query.get("start-after").filter(|s| !s.is_empty());
    let after = match token {
        Some(t) => Some(decode_token(t)?),
        None => start_after.map(str::to_owned),
    };
    let page = c.page(&ctx, after)?;
    let owner = ctx.query.get("fetch-owner") == Some("true");
    let mut w = XmlWriter::new("ListBucketResult");
    c.head(&mut w, &ctx);
    w.elem("KeyCount", (page.objects.len() + page.common_prefixes.len()).to_string())
        .elem("IsTruncated", page.is_truncated.to_string());
    if let Some(t) = token {
        w.elem("ContinuationToken", t);
    }
    if page.is_truncated {
        w.opt("NextContinuationToken", page.last.as_deref().map(encode_token));
    }
    if let Some(s) = start_after {
        w.elem("StartAfter", c.enc(s));
    }
    c.entries(&mut w, &ctx, &page, owner)?;
    Ok(xml_response(StatusCode::OK, w.finish()))
}

pub async fn list_versions(ctx: Ctx) -> S3Result<Response<Body>> {
    let c = common(&ctx)?;
    let key_marker = ctx.query.get("key-marker").filter(|m| !m.is_empty()).map(str::to_owned);
    let version_id_marker = ctx.query.get("version-id-marker").filter(|m| !m.is_empty()).map(str::to_owned);
    if version_id_marker.is_some() && key_marker.is_none() {
        return Err(S3Error::msg(
            Code::InvalidArgument,
            "A version-id marker cannot be specified without a key marker.",
        )
        .detail("ArgumentName", "version-id-marker"));
    }
    let q = VersionQuery {
        prefix: c.prefix.clone(),
        delimiter: c.delimiter.clone(),
        key_marker: key_marker.clone(),
        version_id_marker: version_id_marker.clone(),
        max_keys: c.max_keys,
    };
    let page = ctx.app.engine.list_versions(ctx.bucket(), &q)?;
    let mut w = XmlWriter::new("ListVersionsResult");
    c.head(&mut w, &ctx);
    w.elem("KeyMarker", c.enc(key_marker.as_deref().unwrap_or("")))
        .elem("VersionIdMarker", version_id_marker.as_deref().unwrap_or(""))
        .elem("IsTruncated", page.is_truncated.to_string());
    w.opt("NextKeyMarker", page.next_key_marker.as_deref().map(|k| c.enc(k)));
    w.opt("NextVersionIdMarker", page.next_version_id_marker.as_deref());
    for entry in &page.entries {
        let o = &entry.record;
        w.open(if o.delete_marker { "DeleteMarker" } else { "Version" })
            .elem("Key", c.enc(&o.key))
            .elem("VersionId", &o.version_id)
            .elem("IsLatest", entry.is_latest.to_string())
            .elem("LastModified", iso_date(o.last_modified_ms));
        if !o.delete_marker {
            w.elem("ETag", format!("\"{}\"", o.etag))
                .elem("Size", o.size.to_string())
                .elem("StorageClass", o.meta.storage_class.as_str());
        }
        owner_element(&mut w, &ctx, "Owner", &o.meta.owner);
        if !o.delete_marker && request::listing_wants_status(&ctx) {
            respond::status_element(&mut w, &ctx, o)?;
        }
        w.close();
    }
    for p in &page.common_prefixes {
        w.open("CommonPrefixes").elem("Prefix", c.enc(p)).close();
    }
    Ok(xml_response(StatusCode::OK, w.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        assert_eq!(decode_token(&encode_token("a/é?")).unwrap(), "a/é?");
        assert_eq!(decode_token("!!").unwrap_err().code, Code::InvalidArgument);
    }
}
