//! SigV4 as pure functions: canonical request, string to sign, signing key, and the chunk and
//! trailer strings of streaming uploads. No I/O, no clock.

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// SHA-256 of the empty string, used in chunk strings to sign.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Everything but the unreserved characters of RFC 3986 is encoded.
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
const URI_ENCODE_PATH: &AsciiSet = &URI_ENCODE.remove(b'/');

pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let set = if keep_slash { URI_ENCODE_PATH } else { URI_ENCODE };
    utf8_percent_encode(s, set).to_string()
}

/// Percent-decodes without turning `+` into a space (S3 and SigV4 treat `+` literally).
pub fn uri_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The canonical URI of a raw request path: decoded, then encoded the one way SigV4 defines.
pub fn canonical_uri(raw_path: &str) -> String {
    uri_encode(&uri_decode(raw_path), true)
}

/// The canonical query string: each name and value encoded, sorted, optionally without one parameter.
pub fn canonical_query(raw_query: &str, skip: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&uri_decode(k), false), uri_encode(&uri_decode(v), false))
        })
        .filter(|(k, _)| Some(k.as_str()) != skip)
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Trims a header value and folds runs of spaces into one, as SigV4 requires.
pub fn canonical_header_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!("{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}")
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

pub fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(key, string_to_sign.as_bytes()))
}

/// String to sign of one chunk of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body.
pub fn chunk_string_to_sign(amz_date: &str, scope: &str, previous_signature: &str, chunk_sha256_hex: &str) -> String {
    format!("AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous_signature}\n{EMPTY_SHA256}\n{chunk_sha256_hex}")
}

/// String to sign of the trailer of a `...-PAYLOAD-TRAILER` body.
pub fn trailer_string_to_sign(
    amz_date: &str,
    scope: &str,
    previous_signature: &str,
    trailer_sha256_hex: &str,
) -> String {
    format!("AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{previous_signature}\n{trailer_sha256_hex}")
}

/// What a presigned GET URL is made of.
pub struct Presign<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
    /// The `Host` the URL will be sent with.
    pub host: &'a str,
    /// The path as sent: already URI-encoded.
    pub path: &'a str,
    /// Extra query parameters, raw (`versionId`).
    pub query: &'a [(&'a str, &'a str)],
    /// `yyyymmddThhmmssZ`.
    pub amz_date: &'a str,
    pub expires_secs: u64,
}

/// The query string of a presigned GET (query-string SigV4, host the only signed header).
pub fn presign_query(p: &Presign) -> String {
    let date = &p.amz_date[..8];
    let scope = format!("{date}/{}/s3/aws4_request", p.region);
    let mut query = format!(
        "X-Amz-Algorithm={ALGORITHM}&X-Amz-Credential={}&X-Amz-Date={}&X-Amz-Expires={}&X-Amz-SignedHeaders=host",
        uri_encode(&format!("{}/{scope}", p.access_key), false),
        p.amz_date,
        p.expires_secs
    );
    for (k, v) in p.query {
        query.push_str(&format!("&{}={}", uri_encode(k, false), uri_encode(v, false)));
    }
    let creq = canonical_request(
        "GET",
        &canonical_uri(p.path),
        &canonical_query(&query, None),
        &format!("host:{}\n", p.host),
        "host",
        "UNSIGNED-PAYLOAD",
    );
    let key = signing_key(p.secret_key, date, p.region, "s3");
    format!("{query}&X-Amz-Signature={}", signature(&key, &string_to_sign(p.amz_date, &scope, &creq)))
}

/// Compares two signatures in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The GET Object example of AWS's "Signature Calculations for the Authorization Header" page.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn aws_get_object_example() {
        let headers = "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n";
        let creq = canonical_request(
            "GET",
            &canonical_uri("/test.txt"),
            &canonical_query("", None),
            headers,
            "host;range;x-amz-content-sha256;x-amz-date",
            EMPTY_SHA256,
        );
        let sts = string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", &creq);
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        assert_eq!(signature(&key, &sts), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    }

    #[test]
    fn aws_presigned_example() {
        let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        let creq = canonical_request(
            "GET",
            &canonical_uri("/test.txt"),
            &canonical_query(query, Some("X-Amz-Signature")),
            "host:examplebucket.s3.amazonaws.com\n",
            "host",
            "UNSIGNED-PAYLOAD",
        );
        let sts = string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", &creq);
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        assert_eq!(signature(&key, &sts), "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    }

    #[test]
    fn presigning_gives_aws_example_signature() {
        let p = Presign {
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: SECRET,
            region: "us-east-1",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            query: &[],
            amz_date: "20130524T000000Z",
            expires_secs: 86400,
        };
        let q = presign_query(&p);
        assert!(q.starts_with("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524"));
        assert!(q.ends_with("&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"));
    }

    #[test]
    fn aws_chunked_example_first_chunk() {
        // "Signature Calculations ... Transferring Payload in Multiple Chunks": 64 KiB of 'a'.
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
        let chunk = vec![b'a'; 65536];
        let sts =
            chunk_string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", seed, &sha256_hex(&chunk));
        assert_eq!(signature(&key, &sts), "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
    }

    #[test]
    fn encoding_rules() {
        assert_eq!(uri_encode("a b+c/~é", true), "a%20b%2Bc/~%C3%A9");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(canonical_query("b=2&a=1&c", None), "a=1&b=2&c=");
        assert_eq!(canonical_query("prefix=a%2Fb&list-type=2", None), "list-type=2&prefix=a%2Fb");
        assert_eq!(canonical_header_value("  a   b  c "), "a b c");
    }
}
