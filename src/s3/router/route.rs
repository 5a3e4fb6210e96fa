//! Turns method, host, path and query into an operation. Only the URL and method decide; headers
//! are consulted only for CopyObject.

use super::op::Op;
use super::query::Query;
use crate::wire::error::{Code, S3Error, S3Result};
use http::Method;

#[derive(Debug)]
pub struct Route {
    pub op: Op,
    /// Bucket and key as sent (not yet validated).
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// True when the bucket came from the Host header.
    pub virtual_host: bool,
}

/// Query words that select an S3 sub-resource. One we do not serve is NotImplemented, never
/// mistaken for a plain object or bucket request.
const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metadataConfiguration",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "partNumber",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "session",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versioning",
    "versionId",
    "versions",
    "website",
];

/// The answer to an `Unsupported` request: which of its sub-resources Firn does not serve.
pub fn not_served(q: &Query, object: bool) -> S3Error {
    let sub = q.0.iter().map(|(k, _)| k.as_str()).find(|k| SUBRESOURCES.contains(k) && !QUALIFIERS.contains(k));
    let on = if object { "object" } else { "bucket" };
    S3Error::msg(Code::NotImplemented, format!("The {on} sub-resource '{}' is not implemented", sub.unwrap_or("?")))
}

/// Sub-resource words that only qualify a plain object GET or HEAD.
const QUALIFIERS: [&str; 2] = ["versionId", "partNumber"];

/// The Host header's name, without a `:port`.
fn without_port(host: &str) -> &str {
    host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
}

/// Splits host and path into bucket and key: `bucket.<domain>` first, else the first path segment.
fn locate(
    host: Option<&str>,
    domain: Option<&str>,
    raw_path: &str,
) -> S3Result<(Option<String>, Option<String>, bool)> {
    // Keys are UTF-8: a path that decodes to anything else, or to a NUL, is refused.
    let invalid = || S3Error::msg(Code::InvalidURI, "Couldn't parse the specified URI.");
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8().map_err(|_| invalid())?;
    if path.contains('\0') {
        return Err(invalid());
    }
    let path = path.into_owned();
    let host = host.map(without_port);
    if let (Some(host), Some(domain)) = (host, domain) {
        if let Some(bucket) = host.strip_suffix(domain).and_then(|b| b.strip_suffix('.')) {
            let key = path.strip_prefix('/').unwrap_or(&path);
            return Ok((Some(bucket.to_owned()), (!key.is_empty()).then(|| key.to_owned()), true));
        }
    }
    let rest = path.strip_prefix('/').unwrap_or(&path);
    if rest.is_empty() {
        return Ok((None, None, false));
    }
    match rest.split_once('/') {
        Some((b, k)) => Ok((Some(b.to_owned()), (!k.is_empty()).then(|| k.to_owned()), false)),
        None => Ok((Some(rest.to_owned()), None, false)),
    }
}

/// A request on the website endpoint: `bucket.<website_domain>`, or a host that names a website
/// bucket itself (`site_named`: a site on its own domain, its DNS pointed at Firn); GET or HEAD,
/// any query ignored, or a CORS preflight. None when the host is not a website host.
pub fn website_route(
    method: &Method,
    host: Option<&str>,
    website_domain: Option<&str>,
    raw_path: &str,
    site_named: &dyn Fn(&str) -> bool,
) -> Option<S3Result<Route>> {
    let host = without_port(host?);
    let under_domain = website_domain.filter(|d| !d.is_empty()).and_then(|d| host.strip_suffix(d)?.strip_suffix('.'));
    let bucket = match under_domain {
        Some(b) => b.to_owned(),
        None if host.contains('.') && host.parse::<std::net::IpAddr>().is_err() && site_named(host) => host.to_owned(),
        None => return None,
    };
    Some(locate(None, None, &format!("/{bucket}{raw_path}")).and_then(|(bucket, key, _)| {
        let op = match *method {
            Method::GET => Op::WebsiteGet,
            Method::HEAD => Op::WebsiteHead,
            Method::OPTIONS => Op::CorsPreflight,
            _ => return Err(S3Error::new(Code::MethodNotAllowed)),
        };
        Ok(Route { op, bucket, key, virtual_host: true })
    }))
}

pub fn route(
    method: &Method,
    host: Option<&str>,
    domain: Option<&str>,
    raw_path: &str,
    q: &Query,
    copy_source: bool,
) -> S3Result<Route> {
    let (bucket, key, virtual_host) = locate(host, domain, raw_path)?;
    let sub = q.0.iter().map(|(k, _)| k.as_str()).find(|k| SUBRESOURCES.contains(k));
    if bucket.as_deref() == Some("-") && !virtual_host {
        let op = match (method.clone(), key.as_deref()) {
            (Method::GET, Some("metrics")) => Op::Metrics,
            (Method::GET, Some("health/live")) => Op::HealthLive,
            (Method::GET, Some("health/ready")) => Op::HealthReady,
            (Method::POST, Some("admin")) => Op::Admin,
            _ => return Err(S3Error::new(Code::NoSuchBucket)),
        };
        return Ok(Route { op, bucket: None, key: None, virtual_host });
    }
    let op = match (&bucket, &key) {
        (Some(_), _) if *method == Method::OPTIONS => Op::CorsPreflight,
        (None, _) => match *method {
            Method::GET => Op::ListBuckets,
            _ => return Err(S3Error::new(Code::MethodNotAllowed)),
        },
        (Some(_), None) => match (method.clone(), sub) {
            (Method::GET, None) if q.get("list-type") == Some("2") => Op::ListObjectsV2,
            (Method::GET, None) => Op::ListObjects,
            (Method::GET, Some("location")) => Op::GetBucketLocation,
            (Method::GET, Some("versioning")) => Op::GetBucketVersioning,
            (Method::PUT, Some("versioning")) => Op::PutBucketVersioning,
            (Method::GET, Some("versions")) => Op::ListObjectVersions,
            (Method::PUT, None) => Op::CreateBucket,
            (Method::HEAD, None) => Op::HeadBucket,
            (Method::DELETE, None) => Op::DeleteBucket,
            (Method::POST, Some("delete")) => Op::DeleteObjects,
            (Method::POST, None) => Op::PostObject,
            (Method::GET, Some("uploads")) => Op::ListMultipartUploads,
            (Method::GET, Some("acl")) => Op::GetBucketAcl,
            (Method::PUT, Some("acl")) => Op::PutBucketAcl,
            (Method::GET, Some("website")) => Op::GetBucketWebsite,
            (Method::PUT, Some("website")) => Op::PutBucketWebsite,
            (Method::DELETE, Some("website")) => Op::DeleteBucketWebsite,
            (Method::GET, Some("lifecycle")) => Op::GetBucketLifecycleConfiguration,
            (Method::PUT, Some("lifecycle")) => Op::PutBucketLifecycleConfiguration,
            (Method::DELETE, Some("lifecycle")) => Op::DeleteBucketLifecycle,
            (Method::GET, Some("policy")) => Op::GetBucketPolicy,
            (Method::PUT, Some("policy")) => Op::PutBucketPolicy,
            (Method::DELETE, Some("policy")) => Op::DeleteBucketPolicy,
            (Method::GET, Some("policyStatus")) => Op::GetBucketPolicyStatus,
            (Method::GET, Some("publicAccessBlock")) => Op::GetPublicAccessBlock,
            (Method::PUT, Some("publicAccessBlock")) => Op::PutPublicAccessBlock,
            (Method::DELETE, Some("publicAccessBlock")) => Op::DeletePublicAccessBlock,
            (Method::GET, Some("ownershipControls")) => Op::GetBucketOwnershipControls,
            (Method::PUT, Some("ownershipControls")) => Op::PutBucketOwnershipControls,
            (Method::DELETE, Some("ownershipControls")) => Op::DeleteBucketOwnershipControls,
            (Method::GET, Some("cors")) => Op::GetBucketCors,
            (Method::PUT, Some("cors")) => Op::PutBucketCors,
            (Method::DELETE, Some("cors")) => Op::DeleteBucketCors,
            (Method::GET, Some("tagging")) => Op::GetBucketTagging,
            (Method::PUT, Some("tagging")) => Op::PutBucketTagging,
            (Method::DELETE, Some("tagging")) => Op::DeleteBucketTagging,
            (Method::GET, Some("object-lock")) => Op::GetObjectLockConfiguration,
            (Method::PUT, Some("object-lock")) => Op::PutObjectLockConfiguration,
            (_, Some(_)) => Op::Unsupported,
            _ => return Err(S3Error::new(Code::MethodNotAllowed)),
        },
        (Some(_), Some(_)) => {
            // versionId and partNumber qualify a plain GET/HEAD; other sub-resources route below.
            let sub = q.0.iter().map(|(k, _)| k.as_str()).find(|k| SUBRESOURCES.contains(k) && !QUALIFIERS.contains(k));
            match (method.clone(), sub) {
                (Method::POST, Some("uploads")) => Op::CreateMultipartUpload,
                (Method::PUT, Some("uploadId")) if copy_source => Op::UploadPartCopy,
                (Method::PUT, Some("uploadId")) => Op::UploadPart,
                (Method::POST, Some("uploadId")) => Op::CompleteMultipartUpload,
                (Method::POST, Some("restore")) => Op::RestoreObject,
                (Method::DELETE, Some("uploadId")) => Op::AbortMultipartUpload,
                (Method::GET, Some("uploadId")) => Op::ListParts,
                (Method::GET, Some("attributes")) => Op::GetObjectAttributes,
                (Method::PUT, None) if copy_source && q.has("partNumber") => {
                    return Err(S3Error::msg(Code::InvalidRequest, "partNumber requires uploadId"))
                }
                (Method::PUT, None) if copy_source => Op::CopyObject,
                (Method::PUT, None) => Op::PutObject,
                (Method::GET, None) => Op::GetObject,
                (Method::HEAD, None) => Op::HeadObject,
                (Method::DELETE, None) => Op::DeleteObject,
                (Method::GET, Some("tagging")) => Op::GetObjectTagging,
                (Method::PUT, Some("tagging")) => Op::PutObjectTagging,
                (Method::DELETE, Some("tagging")) => Op::DeleteObjectTagging,
                (Method::GET, Some("acl")) => Op::GetObjectAcl,
                (Method::PUT, Some("acl")) => Op::PutObjectAcl,
                (Method::GET, Some("retention")) => Op::GetObjectRetention,
                (Method::PUT, Some("retention")) => Op::PutObjectRetention,
                (Method::GET, Some("legal-hold")) => Op::GetObjectLegalHold,
                (Method::PUT, Some("legal-hold")) => Op::PutObjectLegalHold,
                (_, Some(_)) => Op::Unsupported,
                _ => return Err(S3Error::new(Code::MethodNotAllowed)),
            }
        }
    };
    Ok(Route { op, bucket, key, virtual_host })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: Method, host: &str, path_and_query: &str) -> S3Result<Route> {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        route(&method, Some(host), Some("s3.test"), path, &Query::parse(Some(query)), false)
    }

    #[test]
    fn table() {
        type Case<'a> = (Method, &'a str, &'a str, Op, Option<&'a str>, Option<&'a str>);
        let cases: &[Case] = &[
            (Method::GET, "localhost:9000", "/", Op::ListBuckets, None, None),
            (Method::PUT, "localhost", "/b", Op::CreateBucket, Some("b"), None),
            (Method::PUT, "localhost", "/b/", Op::CreateBucket, Some("b"), None),
            (Method::HEAD, "localhost", "/b", Op::HeadBucket, Some("b"), None),
            (Method::DELETE, "localhost", "/b", Op::DeleteBucket, Some("b"), None),
            (Method::GET, "localhost", "/b?location", Op::GetBucketLocation, Some("b"), None),
            (Method::GET, "localhost", "/b?versioning", Op::GetBucketVersioning, Some("b"), None),
            (Method::PUT, "localhost", "/b?versioning", Op::PutBucketVersioning, Some("b"), None),
            (Method::GET, "localhost", "/b?versions&prefix=a", Op::ListObjectVersions, Some("b"), None),
            (Method::GET, "localhost", "/b?prefix=x", Op::ListObjects, Some("b"), None),
            (Method::GET, "localhost", "/b?list-type=2", Op::ListObjectsV2, Some("b"), None),
            (Method::POST, "localhost", "/b?delete", Op::DeleteObjects, Some("b"), None),
            (Method::POST, "localhost", "/b", Op::PostObject, Some("b"), None),
            (Method::PUT, "localhost", "/b/a/b%20c", Op::PutObject, Some("b"), Some("a/b c")),
            (Method::GET, "localhost", "/b/k?versionId=null", Op::GetObject, Some("b"), Some("k")),
            (Method::HEAD, "localhost", "/b/k", Op::HeadObject, Some("b"), Some("k")),
            (Method::DELETE, "localhost", "/b/k", Op::DeleteObject, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b/k?tagging", Op::GetObjectTagging, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b?acl", Op::GetBucketAcl, Some("b"), None),
            (Method::PUT, "localhost", "/b?acl", Op::PutBucketAcl, Some("b"), None),
            (Method::PUT, "localhost", "/b?website", Op::PutBucketWebsite, Some("b"), None),
            (Method::GET, "localhost", "/b?website", Op::GetBucketWebsite, Some("b"), None),
            (Method::DELETE, "localhost", "/b?website", Op::DeleteBucketWebsite, Some("b"), None),
            (Method::PUT, "localhost", "/b?lifecycle", Op::PutBucketLifecycleConfiguration, Some("b"), None),
            (Method::GET, "localhost", "/b?lifecycle=", Op::GetBucketLifecycleConfiguration, Some("b"), None),
            (Method::DELETE, "localhost", "/b?lifecycle", Op::DeleteBucketLifecycle, Some("b"), None),
            (Method::PUT, "localhost", "/b?policy", Op::PutBucketPolicy, Some("b"), None),
            (Method::GET, "localhost", "/b?policy", Op::GetBucketPolicy, Some("b"), None),
            (Method::DELETE, "localhost", "/b?policy", Op::DeleteBucketPolicy, Some("b"), None),
            (Method::GET, "localhost", "/b?policyStatus", Op::GetBucketPolicyStatus, Some("b"), None),
            (Method::PUT, "localhost", "/b?publicAccessBlock", Op::PutPublicAccessBlock, Some("b"), None),
            (Method::GET, "localhost", "/b?publicAccessBlock", Op::GetPublicAccessBlock, Some("b"), None),
            (Method::DELETE, "localhost", "/b?publicAccessBlock", Op::DeletePublicAccessBlock, Some("b"), None),
            (Method::PUT, "localhost", "/b?ownershipControls", Op::PutBucketOwnershipControls, Some("b"), None),
            (Method::GET, "localhost", "/b?ownershipControls", Op::GetBucketOwnershipControls, Some("b"), None),
            (Method::DELETE, "localhost", "/b?ownershipControls", Op::DeleteBucketOwnershipControls, Some("b"), None),
            (Method::PUT, "localhost", "/b?cors", Op::PutBucketCors, Some("b"), None),
            (Method::GET, "localhost", "/b?cors", Op::GetBucketCors, Some("b"), None),
            (Method::DELETE, "localhost", "/b?cors", Op::DeleteBucketCors, Some("b"), None),
            (Method::OPTIONS, "localhost", "/b", Op::CorsPreflight, Some("b"), None),
            (Method::GET, "localhost", "/b?tagging", Op::GetBucketTagging, Some("b"), None),
            (Method::PUT, "localhost", "/b?object-lock", Op::PutObjectLockConfiguration, Some("b"), None),
            (Method::GET, "localhost", "/b/k?retention&versionId=v", Op::GetObjectRetention, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b/k?legal-hold", Op::PutObjectLegalHold, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b?tagging", Op::PutBucketTagging, Some("b"), None),
            (Method::DELETE, "localhost", "/b?tagging", Op::DeleteBucketTagging, Some("b"), None),
            (Method::OPTIONS, "localhost", "/b/k?uploads", Op::CorsPreflight, Some("b"), Some("k")),
            (Method::OPTIONS, "b.s3.test", "/dir/k", Op::CorsPreflight, Some("b"), Some("dir/k")),
            (Method::POST, "localhost", "/b/k?restore", Op::RestoreObject, Some("b"), Some("k")),
            (Method::POST, "localhost", "/b/k?restore&versionId=v", Op::RestoreObject, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b/k?acl&versionId=x", Op::GetObjectAcl, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b/k?acl", Op::PutObjectAcl, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b/k?tagging", Op::PutObjectTagging, Some("b"), Some("k")),
            (Method::DELETE, "localhost", "/b/k?tagging", Op::DeleteObjectTagging, Some("b"), Some("k")),
            (Method::POST, "localhost", "/b/k?uploads", Op::CreateMultipartUpload, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b/k?partNumber=1&uploadId=x", Op::UploadPart, Some("b"), Some("k")),
            (Method::POST, "localhost", "/b/k?uploadId=x", Op::CompleteMultipartUpload, Some("b"), Some("k")),
            (Method::DELETE, "localhost", "/b/k?uploadId=x", Op::AbortMultipartUpload, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b/k?uploadId=x", Op::ListParts, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b?uploads", Op::ListMultipartUploads, Some("b"), None),
            (Method::GET, "localhost", "/b/k?attributes", Op::GetObjectAttributes, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b/k?partNumber=2", Op::GetObject, Some("b"), Some("k")),
            (Method::GET, "b.s3.test:9000", "/", Op::ListObjects, Some("b"), None),
            (Method::GET, "b.s3.test", "/dir/k", Op::GetObject, Some("b"), Some("dir/k")),
            (Method::PUT, "my.bucket.s3.test", "/k", Op::PutObject, Some("my.bucket"), Some("k")),
            (Method::GET, "localhost", "/b//double", Op::GetObject, Some("b"), Some("/double")),
            (Method::GET, "localhost", "/-/metrics", Op::Metrics, None, None),
            (Method::GET, "localhost", "/-/health/live", Op::HealthLive, None, None),
            (Method::GET, "localhost", "/-/health/ready", Op::HealthReady, None, None),
            (Method::POST, "localhost", "/-/admin", Op::Admin, None, None),
            (Method::GET, "bkt.s3.test", "/-/metrics", Op::GetObject, Some("bkt"), Some("-/metrics")),
        ];
        for (m, host, path, op, bucket, key) in cases {
            let got = r(m.clone(), host, path).unwrap_or_else(|e| panic!("{m} {host}{path}: {e:?}"));
            assert_eq!((got.op, got.bucket.as_deref(), got.key.as_deref()), (*op, *bucket, *key), "{m} {host}{path}");
        }
    }

    #[test]
    fn website_hosts() {
        let sites = |h: &str| h == "www.example.org";
        let w = |m: Method, host: &str, path: &str| website_route(&m, Some(host), Some("web.test"), path, &sites);
        let r = w(Method::GET, "site.web.test:9000", "/a/b.html").unwrap().unwrap();
        assert_eq!((r.op, r.bucket.as_deref(), r.key.as_deref()), (Op::WebsiteGet, Some("site"), Some("a/b.html")));
        let r = w(Method::HEAD, "site.web.test", "/").unwrap().unwrap();
        assert_eq!((r.op, r.key), (Op::WebsiteHead, None));
        assert_eq!(w(Method::PUT, "site.web.test", "/k").unwrap().unwrap_err().code, Code::MethodNotAllowed);
        assert!(w(Method::GET, "site.s3.test", "/k").is_none());
        assert!(w(Method::GET, "web.test", "/k").is_none());
        assert!(website_route(&Method::GET, Some("site.web.test"), None, "/k", &sites).is_none());
        let r = w(Method::GET, "www.example.org:8080", "/a.html").unwrap().unwrap();
        assert_eq!(
            (r.op, r.bucket.as_deref(), r.key.as_deref()),
            (Op::WebsiteGet, Some("www.example.org"), Some("a.html"))
        );
        assert_eq!(w(Method::OPTIONS, "site.web.test", "/k").unwrap().unwrap().op, Op::CorsPreflight);
        assert!(w(Method::GET, "other.example.org", "/k").is_none(), "no website bucket of that name");
        assert!(w(Method::GET, "127.0.0.1:9000", "/k").is_none());
        assert!(w(Method::GET, "localhost:9000", "/k").is_none());
    }

    #[test]
    fn copy_needs_the_header() {
        let q = Query::default();
        assert_eq!(route(&Method::PUT, None, None, "/b/k", &q, true).unwrap().op, Op::CopyObject);
    }

    #[test]
    fn unserved_subresources_are_not_implemented() {
        for (m, p, object) in [
            (Method::PUT, "/b/k?torrent", true),
            (Method::GET, "/b?logging", false),
            (Method::GET, "/b/k?restore", true),
        ] {
            let (path, query) = p.split_once('?').unwrap();
            assert_eq!(r(m, "localhost", p).unwrap().op, Op::Unsupported, "{p}");
            let e = not_served(&Query::parse(Some(query)), object);
            assert_eq!(e.code, Code::NotImplemented);
            assert!(e.message.contains(&format!("sub-resource '{query}'")), "{path}: {}", e.message);
        }
        assert_eq!(r(Method::POST, "localhost", "/b/k").unwrap_err().code, Code::MethodNotAllowed);
        assert_eq!(r(Method::GET, "localhost", "/b/k%00x").unwrap_err().code, Code::InvalidURI);
        assert_eq!(r(Method::GET, "localhost", "/b/k%FF%FEx").unwrap_err().code, Code::InvalidURI);
    }
}
