//! Authentication failures and malformed requests, sent as raw HTTP.

use super::harness::{with_bucket, Server, ACCESS_KEY, SECRET_KEY};
use super::raw::{self, presign_v2, presign_v4, v2_headers, V4};
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{Duration, Utc};
use firn::auth::sigv4;
use std::time::Duration as StdDuration;

async fn setup() -> (Server, String) {
    let (server, s3) = with_bucket("auth").await;
    s3.put_object().bucket("auth").key("k").body(b"secret data".to_vec().into()).send().await.unwrap();
    let host = server.addr.clone();
    (server, host)
}

#[tokio::test(flavor = "multi_thread")]
async fn signature_failures() {
    let (_server, host) = setup().await;
    let ok = V4::new("GET", &host, "/auth/k", "", b"").send(Vec::new()).await;
    assert_eq!((ok.status, ok.body.as_str()), (200, "secret data"));
    assert!(ok.headers.contains_key("x-amz-request-id"));

    let anonymous = raw::send("GET", &format!("http://{host}/auth/k"), &[], Vec::new()).await;
    assert_eq!((anonymous.status, anonymous.code()), (403, "AccessDenied"));
    assert!(anonymous.body.contains("<RequestId>"));
    assert!(anonymous.body.contains("<Resource>/auth/k</Resource>"));

    let mut req = V4::new("GET", &host, "/auth/k", "", b"");
    req.access_key = "NOSUCHKEY".into();
    let r = req.send(Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "InvalidAccessKeyId"));

    let mut req = V4::new("GET", &host, "/auth/k", "", b"");
    req.secret_key = "wrong".into();
    let r = req.send(Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "SignatureDoesNotMatch"));

    let mut req = V4::new("GET", &host, "/auth/k", "", b"");
    req.now = Utc::now() - Duration::minutes(20);
    let r = req.send(Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "RequestTimeTooSkewed"));

    let mut req = V4::new("GET", &host, "/auth/k", "", b"");
    req.region = "eu-west-1".into();
    let r = req.send(Vec::new()).await;
    assert_eq!((r.status, r.code()), (400, "AuthorizationHeaderMalformed"));

    // A signed request whose query was altered after signing.
    let req = V4::new("GET", &host, "/auth", "prefix=a", b"");
    let (headers, _) = req.sign();
    let r = raw::send("GET", &format!("http://{host}/auth?prefix=b"), &headers, Vec::new()).await;
    assert_eq!(r.code(), "SignatureDoesNotMatch");

    // HEAD errors carry no body.
    let mut req = V4::new("HEAD", &host, "/auth/k", "", b"");
    req.secret_key = "wrong".into();
    let r = req.send(Vec::new()).await;
    assert_eq!((r.status, r.body.as_str()), (403, ""));
}

#[tokio::test(flavor = "multi_thread")]
async fn payload_integrity() {
    let (server, host) = setup().await;
    // Body differs from the signed SHA-256.
    let req = V4::new("PUT", &host, "/auth/tampered", "", b"original");
    let r = req.send(b"tampered".to_vec()).await;
    assert_eq!((r.status, r.code()), (400, "XAmzContentSHA256Mismatch"));

    let mut req = V4::new("PUT", &host, "/auth/md5", "", b"data");
    req.headers.push(("content-md5".into(), "1B2M2Y8AsgTpgAmY7PhCfg==".into())); // MD5 of ""
    let r = req.send(b"data".to_vec()).await;
    assert_eq!((r.status, r.code()), (400, "BadDigest"));

    let mut req = V4::new("PUT", &host, "/auth/md5", "", b"data");
    req.headers.push(("content-md5".into(), "not-base64".into()));
    let r = req.send(b"data".to_vec()).await;
    assert_eq!((r.status, r.code()), (400, "InvalidDigest"));

    let s3 = server.client();
    for key in ["tampered", "md5"] {
        assert!(s3.head_object().bucket("auth").key(key).send().await.is_err(), "{key} must not exist");
    }
}

/// A `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body with its chunks signed as a chain; with a
/// trailer, the `...-PAYLOAD-TRAILER` form with the trailer and its signature.
fn signed_chunked_body(req: &V4, seed: &str, chunks: &[&[u8]]) -> Vec<u8> {
    signed_chunked_body_with_trailer(req, seed, chunks, None)
}

fn signed_chunked_body_with_trailer(req: &V4, seed: &str, chunks: &[&[u8]], trailer: Option<(&str, &str)>) -> Vec<u8> {
    let amz_date = req.now.format("%Y%m%dT%H%M%SZ").to_string();
    let scope = format!("{}/us-east-1/s3/aws4_request", &amz_date[..8]);
    let key = sigv4::signing_key(&req.secret_key, &amz_date[..8], "us-east-1", "s3");
    let mut prev = seed.to_owned();
    let mut body = Vec::new();
    for chunk in chunks.iter().chain(std::iter::once(&&b""[..])) {
        let sig =
            sigv4::signature(&key, &sigv4::chunk_string_to_sign(&amz_date, &scope, &prev, &sigv4::sha256_hex(chunk)));
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        // The final chunk is followed by the trailer, if any, else by the closing CRLF.
        if !chunk.is_empty() || trailer.is_none() {
            body.extend_from_slice(b"\r\n");
        }
        prev = sig;
    }
    if let Some((name, value)) = trailer {
        let canonical = format!("{name}:{value}\n");
        let sts = sigv4::trailer_string_to_sign(&amz_date, &scope, &prev, &sigv4::sha256_hex(canonical.as_bytes()));
        let sig = sigv4::signature(&key, &sts);
        body.extend_from_slice(format!("{name}:{value}\r\nx-amz-trailer-signature:{sig}\r\n\r\n").as_bytes());
    }
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_streaming_upload() {
    let (server, host) = setup().await;
    let chunks: [&[u8]; 3] = [&[b'a'; 70_000], &[b'b'; 70_000], b"tail"];
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let make = |key: &str| {
        let mut req = V4::new("PUT", &host, &format!("/auth/{key}"), "", b"");
        req.payload_hash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into();
        req.headers.push(("content-encoding".into(), "aws-chunked".into()));
        req.headers.push(("x-amz-decoded-content-length".into(), total.to_string()));
        req
    };
    let req = make("streamed");
    let (headers, seed) = req.sign();
    let body = signed_chunked_body(&req, &seed, &chunks);
    let r = raw::send("PUT", &req.url(), &headers, body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = server.client().get_object().bucket("auth").key("streamed").send().await.unwrap();
    assert_eq!(got.content_encoding(), None, "aws-chunked is not stored as a content encoding");
    let data = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(data.len(), total);
    assert_eq!(&data[total - 4..], b"tail");

    // One flipped byte in the second chunk breaks its signature: nothing is stored.
    let req = make("broken");
    let (headers, seed) = req.sign();
    let mut body = signed_chunked_body(&req, &seed, &chunks);
    let pos = body.len() / 2;
    body[pos] ^= 1;
    let r = raw::send("PUT", &req.url(), &headers, body).await;
    assert_eq!((r.status, r.code()), (403, "SignatureDoesNotMatch"));
    assert!(server.client().head_object().bucket("auth").key("broken").send().await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn presigned_urls() {
    let (server, host) = setup().await;
    let s3 = server.client();
    let presigned = s3
        .get_object()
        .bucket("auth")
        .key("k")
        .presigned(PresigningConfig::expires_in(StdDuration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let r = raw::send("GET", presigned.uri(), &[], Vec::new()).await;
    assert_eq!((r.status, r.body.as_str()), (200, "secret data"));

    let put = s3
        .put_object()
        .bucket("auth")
        .key("via-presigned")
        .presigned(PresigningConfig::expires_in(StdDuration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let headers: Vec<(String, String)> = put.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let r = raw::send("PUT", put.uri(), &headers, b"uploaded".to_vec()).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = raw::send("GET", &presign_v4(&host, "/auth/k", Utc::now(), 60), &[], Vec::new()).await;
    assert_eq!(r.status, 200);
    let expired = presign_v4(&host, "/auth/k", Utc::now() - Duration::hours(2), 3600);
    let r = raw::send("GET", &expired, &[], Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    assert!(r.body.contains("Request has expired"));
    // An expiry out of range is malformed, with a message that names it.
    for (expires, says) in [(604_801, "less than a week"), (-5, "non-negative")] {
        let r = raw::send("GET", &presign_v4(&host, "/auth/k", Utc::now(), expires), &[], Vec::new()).await;
        assert_eq!((r.status, r.code()), (400, "AuthorizationQueryParametersError"), "X-Amz-Expires={expires}");
        assert!(r.body.contains(says), "{expires}: {}", r.body);
    }
    let r =
        raw::send("GET", &presign_v4(&host, "/auth/k", Utc::now() - Duration::seconds(2), 0), &[], Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"), "a zero-second URL is expired");
    assert!(r.body.contains("Request has expired"), "{}", r.body);
    let mut tampered = presign_v4(&host, "/auth/k", Utc::now(), 60);
    tampered = tampered.replace("/auth/k", "/auth/via-presigned");
    let r = raw::send("GET", &tampered, &[], Vec::new()).await;
    assert_eq!(r.code(), "SignatureDoesNotMatch");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigv2_header_and_query() {
    let (_server, host) = setup().await;
    let r =
        raw::send("GET", &format!("http://{host}/auth/k"), &v2_headers("GET", "/auth/k", Utc::now()), Vec::new()).await;
    assert_eq!((r.status, r.body.as_str()), (200, "secret data"));
    let r = raw::send(
        "GET",
        &format!("http://{host}/auth/k"),
        &v2_headers("GET", "/auth/k", Utc::now() - Duration::minutes(30)),
        Vec::new(),
    )
    .await;
    assert_eq!(r.code(), "RequestTimeTooSkewed");
    let url = presign_v2(&host, "/auth/k", Utc::now().timestamp() + 60);
    let r = raw::send("GET", &url, &[], Vec::new()).await;
    assert_eq!((r.status, r.body.as_str()), (200, "secret data"));
    let url = presign_v2(&host, "/auth/k", Utc::now().timestamp() - 1);
    let r = raw::send("GET", &url, &[], Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    let bad = format!("http://{host}/auth/k?AWSAccessKeyId={ACCESS_KEY}&Expires=9999999999&Signature=AAAA");
    let r = raw::send("GET", &bad, &[], Vec::new()).await;
    assert_eq!(r.code(), "SignatureDoesNotMatch");
}

/// boto3 and aws CLI v1 sign a path-style bucket request (`GET /bucket?acl`) as `/bucket/?acl`:
/// every bucket-level SigV2 request failed while object requests worked.
#[tokio::test(flavor = "multi_thread")]
async fn sigv2_bucket_requests_as_botocore_signs_them() {
    let (_server, host) = setup().await;
    for (url_path, signed) in [
        ("/auth?acl", "/auth/?acl"),
        ("/auth?list-type=2&encoding-type=url", "/auth/"),
        ("/auth?versioning", "/auth/?versioning"),
        ("/auth?uploads", "/auth/?uploads"),
        ("/auth?acl", "/auth?acl"),
        ("/auth/?location", "/auth/?location"),
    ] {
        let r =
            raw::send("GET", &format!("http://{host}{url_path}"), &v2_headers("GET", signed, Utc::now()), Vec::new())
                .await;
        assert_eq!(r.status, 200, "{url_path} signed as {signed}: {}", r.body);
    }
    let r = raw::send("GET", &format!("http://{host}/auth?acl"), &v2_headers("GET", "/auth/", Utc::now()), Vec::new())
        .await;
    assert_eq!(r.code(), "SignatureDoesNotMatch", "the sub-resource is signed");
    // A presigned bucket URL as boto3 makes it.
    let expires = Utc::now().timestamp() + 60;
    let sig = firn::auth::sigv2::signature(
        SECRET_KEY,
        &firn::auth::sigv2::string_to_sign("GET", "", "", &expires.to_string(), "", "/auth/?acl"),
    );
    let url = format!(
        "http://{host}/auth?acl&AWSAccessKeyId={ACCESS_KEY}&Expires={expires}&Signature={}",
        sigv4::uri_encode(&sig, false)
    );
    let r = raw::send("GET", &url, &[], Vec::new()).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The date is checked before the signature: a stale or missing one is the answer even when the
/// signature is wrong too.
#[tokio::test(flavor = "multi_thread")]
async fn sigv2_dates_are_checked_first() {
    let (_server, host) = setup().await;
    let url = format!("http://{host}/auth/k");
    let stale = (Utc::now() - Duration::minutes(30)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let bad_sig = ("authorization".to_string(), format!("AWS {ACCESS_KEY}:AAAA"));
    let r = raw::send("GET", &url, &[("date".into(), stale), bad_sig.clone()], Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "RequestTimeTooSkewed"));
    let r = raw::send("GET", &url, std::slice::from_ref(&bad_sig), Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    let r = raw::send("GET", &url, &[("date".into(), "yesterday".into()), bad_sig], Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    let expired = format!("{url}?AWSAccessKeyId={ACCESS_KEY}&Expires=1000&Signature=AAAA");
    let r = raw::send("GET", &expired, &[], Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    assert!(r.body.contains("Request has expired"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests() {
    let (_server, host) = setup().await;
    let body = b"<Delete><Object><Key>k</Key></Object>".to_vec();
    let mut req = V4::new("POST", &host, "/auth", "delete=", &body);
    req.headers.push(("content-md5".into(), base64_md5(&body)));
    let r = req.send(body).await;
    assert_eq!((r.status, r.code()), (400, "MalformedXML"));

    let body = b"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\">]><Delete><Object><Key>&a;</Key></Object></Delete>".to_vec();
    let mut req = V4::new("POST", &host, "/auth", "delete=", &body);
    req.headers.push(("content-md5".into(), base64_md5(&body)));
    assert_eq!(req.send(body).await.code(), "MalformedXML");

    let many: String = (0..1001).map(|i| format!("<Object><Key>k{i}</Key></Object>")).collect();
    let body = format!("<Delete>{many}</Delete>").into_bytes();
    let mut req = V4::new("POST", &host, "/auth", "delete=", &body);
    req.headers.push(("content-md5".into(), base64_md5(&body)));
    assert_eq!(req.send(body).await.code(), "MalformedXML");

    let r = V4::new("PUT", &host, "/auth/k", "torrent=", b"").send(Vec::new()).await;
    assert_eq!((r.status, r.code()), (501, "NotImplemented"));
    // Unsigned, the same request is refused first: authentication comes before NotImplemented.
    for url in [format!("http://{host}/auth/k?torrent"), format!("http://{host}/auth?logging")] {
        let r = raw::send("GET", &url, &[], Vec::new()).await;
        assert_eq!((r.status, r.code()), (403, "AccessDenied"), "{url}");
    }
    let r = V4::new("GET", &host, "/auth", "logging=", b"").send(Vec::new()).await;
    assert_eq!((r.status, r.code()), (501, "NotImplemented"));
    assert!(r.body.contains("bucket sub-resource &apos;logging&apos;"), "{}", r.body);
    let r = V4::new("POST", &host, "/auth/k", "", b"").send(Vec::new()).await;
    assert_eq!((r.status, r.code()), (405, "MethodNotAllowed"));

    let mut req = V4::new("PUT", &host, "/auth/k", "", b"");
    req.payload_hash = "bogus".into();
    assert_eq!(req.send(Vec::new()).await.code(), "InvalidArgument");
}

#[tokio::test(flavor = "multi_thread")]
async fn size_limit_is_enforced() {
    let server = Server::start_with(&[("FIRN_MAX_OBJECT_SIZE", "1000"), ("FIRN_MAX_XML_BODY", "1000")]);
    let s3 = server.client();
    s3.create_bucket().bucket("small").send().await.unwrap();
    s3.put_object().bucket("small").key("ok").body(vec![0u8; 1000].into()).send().await.unwrap();
    let err = s3.put_object().bucket("small").key("big").body(vec![0u8; 1001].into()).send().await.unwrap_err();
    assert_eq!(super::harness::code(&err), "EntityTooLarge");
    let big = vec![b'x'; 2000];
    let r = V4::new("PUT", &server.addr, "/small/ok", "tagging=", &big).send(big).await;
    assert_eq!((r.status, r.code()), (400, "MaxMessageLengthExceeded"));
}

fn base64_md5(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

fn crc32_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(data).to_be_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn trailing_checksums_signed_and_unsigned() {
    let (server, host) = setup().await;
    let data = vec![b'z'; 100_000];
    let good = crc32_b64(&data);
    let bad = crc32_b64(b"something else");
    let s3 = server.client();

    // STREAMING-UNSIGNED-PAYLOAD-TRAILER: plain chunks, then the checksum trailer.
    for (key, crc, want) in [("unsigned-ok", &good, 200), ("unsigned-bad", &bad, 400)] {
        let mut req = V4::new("PUT", &host, &format!("/auth/{key}"), "", b"");
        req.payload_hash = "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into();
        req.headers.push(("content-encoding".into(), "aws-chunked".into()));
        req.headers.push(("x-amz-decoded-content-length".into(), data.len().to_string()));
        req.headers.push(("x-amz-trailer".into(), "x-amz-checksum-crc32".into()));
        let mut body = format!("{:x}\r\n", 60_000).into_bytes();
        body.extend_from_slice(&data[..60_000]);
        body.extend_from_slice(format!("\r\n{:x}\r\n", 40_000).as_bytes());
        body.extend_from_slice(&data[60_000..]);
        body.extend_from_slice(format!("\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").as_bytes());
        let r = req.send(body).await;
        assert_eq!(r.status, want, "{key}: {}", r.body);
        if want != 200 {
            assert_eq!(r.code(), "BadDigest");
        }
    }

    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: signed chunks and a signed trailer.
    let make = |key: &str| {
        let mut req = V4::new("PUT", &host, &format!("/auth/{key}"), "", b"");
        req.payload_hash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER".into();
        req.headers.push(("content-encoding".into(), "aws-chunked".into()));
        req.headers.push(("x-amz-decoded-content-length".into(), data.len().to_string()));
        req.headers.push(("x-amz-trailer".into(), "x-amz-checksum-crc32".into()));
        req
    };
    let chunks: [&[u8]; 2] = [&data[..65_536], &data[65_536..]];
    let req = make("signed-ok");
    let (headers, seed) = req.sign();
    let body = signed_chunked_body_with_trailer(&req, &seed, &chunks, Some(("x-amz-checksum-crc32", &good)));
    let r = raw::send("PUT", &req.url(), &headers, body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let head = s3
        .head_object()
        .bucket("auth")
        .key("signed-ok")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc32(), Some(good.as_str()));

    let req = make("signed-bad-sum");
    let (headers, seed) = req.sign();
    let body = signed_chunked_body_with_trailer(&req, &seed, &chunks, Some(("x-amz-checksum-crc32", &bad)));
    let r = raw::send("PUT", &req.url(), &headers, body).await;
    assert_eq!((r.status, r.code()), (400, "BadDigest"));

    let req = make("signed-bad-sig");
    let (headers, seed) = req.sign();
    let body = signed_chunked_body_with_trailer(&req, &seed, &chunks, Some(("x-amz-checksum-crc32", &good)));
    let text = String::from_utf8_lossy(&body).into_owned();
    let tampered = text.replace(&format!("x-amz-checksum-crc32:{good}"), &format!("x-amz-checksum-crc32:{bad}"));
    let r = raw::send("PUT", &req.url(), &headers, tampered.into_bytes()).await;
    assert_eq!((r.status, r.code()), (403, "SignatureDoesNotMatch"));

    // A body cut short stores nothing either.
    let req = make("truncated");
    let (headers, seed) = req.sign();
    let body = signed_chunked_body_with_trailer(&req, &seed, &chunks, Some(("x-amz-checksum-crc32", &good)));
    let mut short = body[..body.len() / 2].to_vec();
    short.truncate(body.len() / 2);
    let mut cut = headers.clone();
    cut.push(("content-length".into(), short.len().to_string()));
    let r = raw::send("PUT", &req.url(), &headers, short).await;
    assert_eq!(r.status, 400, "{}", r.body);

    for key in ["unsigned-bad", "signed-bad-sum", "signed-bad-sig", "truncated"] {
        assert!(s3.head_object().bucket("auth").key(key).send().await.is_err(), "{key} must not exist");
    }
    assert!(s3.head_object().bucket("auth").key("unsigned-ok").send().await.is_ok());
}

/// A PUT sent with `Transfer-Encoding: chunked` and `x-amz-decoded-content-length` but no
/// Content-Length (what SDKs do for a body of unknown length) is accepted, as by S3.
#[tokio::test(flavor = "multi_thread")]
async fn chunked_transfer_without_content_length() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (server, host) = setup().await;
    let data = b"streamed without a length";
    let cases: [(&str, &str, Vec<u8>); 2] = [
        ("plain", "UNSIGNED-PAYLOAD", data.to_vec()),
        ("aws-chunked", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", {
            let mut b = format!("{:x}\r\n", data.len()).into_bytes();
            b.extend_from_slice(data);
            b.extend_from_slice(format!("\r\n0\r\nx-amz-checksum-crc32:{}\r\n\r\n", crc32_b64(data)).as_bytes());
            b
        }),
    ];
    for (name, payload, body) in cases {
        let mut req = V4::new("PUT", &host, &format!("/auth/{name}"), "", b"");
        req.payload_hash = payload.into();
        req.headers.push(("x-amz-decoded-content-length".into(), data.len().to_string()));
        if name == "aws-chunked" {
            req.headers.push(("content-encoding".into(), "aws-chunked".into()));
            req.headers.push(("x-amz-trailer".into(), "x-amz-checksum-crc32".into()));
        }
        let (headers, _) = req.sign();
        let mut head =
            format!("PUT /auth/{name} HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n");
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut wire = head.into_bytes();
        // The HTTP chunks: the body in two pieces.
        let (a, b) = body.split_at(body.len() / 2);
        for piece in [a, b] {
            wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            wire.extend_from_slice(piece);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        let mut sock = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
        sock.write_all(&wire).await.unwrap();
        let mut answer = String::new();
        sock.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{name}: {answer}");
        let got = server.client().get_object().bucket("auth").key(name).send().await.unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), data, "{name}");
    }
}

/// A SigV2 request signed with the `Date` it carries, whatever that says.
fn v2_dated(method: &str, path: &str, date: &str) -> Vec<(String, String)> {
    let sts = firn::auth::sigv2::string_to_sign(method, "", "", date, "", path);
    vec![
        ("date".into(), date.to_owned()),
        ("authorization".into(), format!("AWS {ACCESS_KEY}:{}", firn::auth::sigv2::signature(SECRET_KEY, &sts))),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn sigv2_dates_with_a_wrong_weekday_or_far_off_are_too_skewed_and_before_1970_denied() {
    let (_server, host) = setup().await;
    let url = format!("http://{host}/auth/k");
    // Today under another weekday's name is still today.
    let today = Utc::now();
    let wrong_day = (today + Duration::days(1)).format("%a").to_string();
    let date = format!("{wrong_day}, {}", today.format("%d %b %Y %H:%M:%S GMT"));
    let r = raw::send("GET", &url, &v2_dated("GET", "/auth/k", &date), Vec::new()).await;
    assert_eq!((r.status, r.body.as_str()), (200, "secret data"), "{date}");
    for date in ["Mon, 01 Jan 2030 00:00:00 GMT", "Mon, 31 Dec 9999 23:59:59 GMT", "Thu, 01 Jan 2015 00:00:00 GMT"] {
        let r = raw::send("GET", &url, &v2_dated("GET", "/auth/k", date), Vec::new()).await;
        assert_eq!((r.status, r.code()), (403, "RequestTimeTooSkewed"), "{date}");
    }
    let r = raw::send("GET", &url, &v2_dated("GET", "/auth/k", "Wed, 31 Dec 1969 23:59:59 GMT"), Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
}

/// The presigned PUT its holder tampers with, and header-signed requests alike: an `x-amz-*`
/// header outside the signature is refused, and nothing is stored.
#[tokio::test(flavor = "multi_thread")]
async fn unsigned_amz_headers_are_refused_and_nothing_is_stored() {
    let (server, host) = setup().await;
    let s3 = server.client();
    let put = s3
        .put_object()
        .bucket("auth")
        .key("presigned")
        .presigned(PresigningConfig::expires_in(StdDuration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let signed: Vec<(String, String)> = put.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let added: [&[(&str, &str)]; 4] = [
        &[("x-amz-acl", "public-read")],
        &[("x-amz-website-redirect-location", "https://evil.example/")],
        &[("x-amz-meta-owner", "mallory"), ("x-amz-tagging", "a=b")],
        &[("x-amz-storage-class", "GLACIER")],
    ];
    for extra in added {
        let mut headers = signed.clone();
        headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let r = raw::send("PUT", put.uri(), &headers, b"tampered".to_vec()).await;
        assert_eq!((r.status, r.code()), (403, "AccessDenied"), "{extra:?}");
        assert!(r.body.contains("There were headers present in the request which were not signed"), "{}", r.body);
        let mut names: Vec<&str> = extra.iter().map(|(k, _)| *k).collect();
        names.sort();
        assert!(r.body.contains(&format!("<HeadersNotSigned>{}</HeadersNotSigned>", names.join(", "))), "{}", r.body);
    }
    let err = s3.head_object().bucket("auth").key("presigned").send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 404, "nothing stored");
    // The URL as it was made still works, and x-amz-content-sha256 may go unsigned.
    let mut headers = signed.clone();
    headers.push(("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
    let r = raw::send("PUT", put.uri(), &headers, b"as presigned".to_vec()).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Header-signed: the same header signed is fine, added after signing is refused.
    let mut req = V4::new("PUT", &host, "/auth/signed", "", b"body");
    req.headers.push(("x-amz-acl".into(), "public-read".into()));
    assert_eq!(req.send(b"body".to_vec()).await.status, 200);
    let req = V4::new("PUT", &host, "/auth/unsigned", "", b"body");
    let (mut headers, _) = req.sign();
    headers.push(("x-amz-acl".into(), "public-read".into()));
    let r = raw::send("PUT", &req.url(), &headers, b"body".to_vec()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    assert!(r.body.contains("<HeadersNotSigned>x-amz-acl</HeadersNotSigned>"), "{}", r.body);
    let anonymous = raw::send("GET", &format!("http://{host}/auth/unsigned"), &[], Vec::new()).await;
    assert_eq!(anonymous.status, 403);
    let err = s3.head_object().bucket("auth").key("unsigned").send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 404, "nothing stored");
}
