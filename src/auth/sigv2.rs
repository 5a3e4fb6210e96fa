//! SigV2 (HMAC-SHA1), which boto3's presigned URLs and older tools still produce.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Sub-resources that take part in the SigV2 canonical resource, in sorted order: the ones AWS's
/// SDKs sign (botocore's list). Newer sub-resources (`publicAccessBlock`, `ownershipControls`, ...)
/// are not signed by any SigV2 client, so they are left out.
const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// The canonical resources a request may have been signed with: `/bucket/key?sub&sub=v`, where
/// `bucket_prefix` is `/bucket` for virtual-hosted requests. A request on a bucket itself is
/// `/bucket/` by AWS's rules, whatever its addressing (what botocore signs, for a path-style
/// `/bucket` too); clients that sign the path as sent (`/bucket`) are accepted as well.
pub fn canonical_resources(bucket_prefix: &str, raw_path: &str, query: &[(String, String)]) -> Vec<String> {
    let path = format!("{bucket_prefix}{raw_path}");
    let rest = path.trim_start_matches('/');
    let bucket = rest.trim_end_matches('/');
    let paths = if !bucket.is_empty() && !bucket.contains('/') {
        vec![format!("/{bucket}/"), format!("/{bucket}")]
    } else {
        vec![path]
    };
    paths.into_iter().map(|p| with_subresources(p, query)).collect()
}

/// `path?sub&sub=v`: the query's sub-resources, sorted.
fn with_subresources(path: String, query: &[(String, String)]) -> String {
    let mut out = path;
    let mut subs: Vec<&(String, String)> = query.iter().filter(|(k, _)| SUBRESOURCES.contains(&k.as_str())).collect();
    subs.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (k, v)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// `x-amz-*` headers, lower-cased and sorted, one `name:value\n` each.
pub fn canonical_amz_headers(headers: &http::HeaderMap) -> String {
    let mut names: Vec<&str> = headers.keys().map(|k| k.as_str()).filter(|k| k.starts_with("x-amz-")).collect();
    names.sort();
    names.dedup();
    names
        .iter()
        .map(|n| {
            let vals: Vec<&str> = headers.get_all(*n).iter().filter_map(|v| v.to_str().ok()).map(str::trim).collect();
            format!("{n}:{}\n", vals.join(","))
        })
        .collect()
}

pub fn string_to_sign(
    method: &str,
    content_md5: &str,
    content_type: &str,
    date_or_expires: &str,
    amz_headers: &str,
    resource: &str,
) -> String {
    format!("{method}\n{content_md5}\n{content_type}\n{date_or_expires}\n{amz_headers}{resource}")
}

pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_rest_authentication_example() {
        // "Signing and authenticating REST requests" (SigV2): Object GET.
        let sts =
            string_to_sign("GET", "", "", "Tue, 27 Mar 2007 19:36:42 +0000", "", "/awsexamplebucket1/photos/puppy.jpg");
        assert_eq!(signature("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &sts), "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
    }

    #[test]
    fn resource_keeps_only_subresources_sorted() {
        let q =
            vec![("versionId".to_string(), "3".to_string()), ("acl".into(), "".into()), ("prefix".into(), "x".into())];
        assert_eq!(canonical_resources("", "/b/k", &q), ["/b/k?acl&versionId=3"]);
        assert_eq!(canonical_resources("/b", "/k", &[]), ["/b/k"]);
        assert_eq!(canonical_resources("", "/", &[]), ["/"]);
    }

    #[test]
    fn a_bucket_is_signed_with_its_trailing_slash() {
        let q = vec![("acl".to_string(), String::new()), ("encoding-type".into(), "url".into())];
        // botocore signs a path-style `/b` as `/b/`, as AWS's rule for a bucket resource says.
        assert_eq!(canonical_resources("", "/b", &q), ["/b/?acl", "/b?acl"]);
        assert_eq!(canonical_resources("", "/b/", &[]), ["/b/", "/b"]);
        assert_eq!(canonical_resources("/b", "/", &[("uploads".into(), String::new())]), ["/b/?uploads", "/b?uploads"]);
        let pab = [("publicAccessBlock".to_string(), String::new())];
        assert_eq!(canonical_resources("", "/b", &pab)[0], "/b/", "not a SigV2 sub-resource");
    }
}
