//! Raw HTTP requests with hand-made signatures, for what the SDK will not send: wrong keys,
//! skewed clocks, tampered payloads, expired URLs, SigV2.

use super::harness::{ACCESS_KEY, SECRET_KEY};
use chrono::{DateTime, Utc};
use firn::auth::{sigv2, sigv4};

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    /// The `<Code>` of an error document.
    pub fn code(&self) -> &str {
        self.body.split("<Code>").nth(1).and_then(|r| r.split("</Code>").next()).unwrap_or("")
    }
}

pub async fn send(method: &str, url: &str, headers: &[(String, String)], body: Vec<u8>) -> Reply {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), url).body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    Reply { status, headers, body }
}

/// A request to sign with SigV4 in the Authorization header.
pub struct V4 {
    pub method: &'static str,
    pub host: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub payload_hash: String,
    pub access_key: String,
    pub secret_key: String,
    pub now: DateTime<Utc>,
    pub region: String,
}

impl V4 {
    pub fn new(method: &'static str, host: &str, path: &str, query: &str, body: &[u8]) -> V4 {
        V4 {
            method,
            host: host.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            payload_hash: sigv4::sha256_hex(body),
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            now: Utc::now(),
            region: "us-east-1".into(),
        }
    }

    /// The headers to send, including Authorization; also returns the seed signature.
    pub fn sign(&self) -> (Vec<(String, String)>, String) {
        let amz_date = self.now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = &amz_date[..8];
        let mut headers = self.headers.clone();
        headers.push(("host".into(), self.host.clone()));
        headers.push(("x-amz-date".into(), amz_date.clone()));
        headers.push(("x-amz-content-sha256".into(), self.payload_hash.clone()));
        headers.sort();
        let canonical: String =
            headers.iter().map(|(k, v)| format!("{k}:{}\n", sigv4::canonical_header_value(v))).collect();
        let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        let signed = signed.join(";");
        let creq = sigv4::canonical_request(
            self.method,
            &sigv4::canonical_uri(&self.path),
            &sigv4::canonical_query(&self.query, None),
            &canonical,
            &signed,
            &self.payload_hash,
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let key = sigv4::signing_key(&self.secret_key, date, &self.region, "s3");
        let sig = sigv4::signature(&key, &sigv4::string_to_sign(&amz_date, &scope, &creq));
        headers.push((
            "authorization".into(),
            format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}", self.access_key),
        ));
        headers.retain(|(k, _)| k != "host");
        (headers, sig)
    }

    pub fn url(&self) -> String {
        let q = if self.query.is_empty() { String::new() } else { format!("?{}", self.query) };
        format!("http://{}{}{q}", self.host, self.path)
    }

    pub async fn send(&self, body: Vec<u8>) -> Reply {
        let (headers, _) = self.sign();
        send(self.method, &self.url(), &headers, body).await
    }
}

/// A SigV4 presigned GET URL signed at `now`, valid for `expires` seconds.
pub fn presign_v4(host: &str, path: &str, now: DateTime<Utc>, expires: i64) -> String {
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = &amz_date[..8];
    let scope = format!("{date}/us-east-1/s3/aws4_request");
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={amz_date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host",
        sigv4::uri_encode(&format!("{ACCESS_KEY}/{scope}"), false)
    );
    let creq = sigv4::canonical_request(
        "GET",
        &sigv4::canonical_uri(path),
        &sigv4::canonical_query(&query, None),
        &format!("host:{host}\n"),
        "host",
        "UNSIGNED-PAYLOAD",
    );
    let key = sigv4::signing_key(SECRET_KEY, date, "us-east-1", "s3");
    let sig = sigv4::signature(&key, &sigv4::string_to_sign(&amz_date, &scope, &creq));
    format!("http://{host}{path}?{query}&X-Amz-Signature={sig}")
}

/// A SigV2 presigned GET URL expiring at `expires` (Unix seconds).
pub fn presign_v2(host: &str, path: &str, expires: i64) -> String {
    let sts = sigv2::string_to_sign("GET", "", "", &expires.to_string(), "", path);
    let sig = sigv2::signature(SECRET_KEY, &sts);
    format!(
        "http://{host}{path}?AWSAccessKeyId={ACCESS_KEY}&Expires={expires}&Signature={}",
        sigv4::uri_encode(&sig, false)
    )
}

/// SigV2 Authorization header for a request without body headers.
pub fn v2_headers(method: &str, path: &str, now: DateTime<Utc>) -> Vec<(String, String)> {
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let sts = sigv2::string_to_sign(method, "", "", &date, "", path);
    vec![
        ("date".into(), date),
        ("authorization".into(), format!("AWS {ACCESS_KEY}:{}", sigv2::signature(SECRET_KEY, &sts))),
    ]
}

/// Starts a signed PUT of a `len`-byte body to `path` over a raw connection, sending only the
/// head: the caller sends as much of the body as it likes.
pub fn start_put(addr: &str, path: &str, len: usize) -> std::net::TcpStream {
    use std::io::Write;
    let mut req = V4::new("PUT", addr, path, "", b"");
    req.payload_hash = "UNSIGNED-PAYLOAD".into();
    let (headers, _) = req.sign();
    let mut head = format!("PUT {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {len}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    conn.write_all(head.as_bytes()).unwrap();
    conn
}
