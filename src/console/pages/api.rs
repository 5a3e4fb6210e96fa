//! The console's S3 door, `/api/s3/…`: S3 requests from the page's scripts (uploads, part by part)
//! and its download links, run as the signed-in user. Whatever reaches it is an S3 request like
//! any other, minus the signature: the session stands in for it. Errors are S3's XML with an
//! `<Explanation>` sentence for the page to show.

use crate::console::signed::Signed;
use crate::http::body::{request_body, Body};
use crate::s3::respond;
use http::request::Parts;
use http::Response;
use hyper::body::Incoming;

/// Headers that belong to the browser's session, not to the S3 request.
const DROPPED: [&str; 8] = [
    "cookie",
    "authorization",
    "x-firn-csrf",
    "origin",
    "referer",
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-security-token",
];

pub async fn s3(s: &Signed<'_>, mut parts: Parts, body: Incoming) -> Response<Body> {
    let path = parts.uri.path().strip_prefix("/api/s3").filter(|p| p.starts_with('/')).unwrap_or("/").to_owned();
    let uri = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let is_head = parts.method == http::Method::HEAD;
    for name in DROPPED {
        parts.headers.remove(name);
    }
    let uri = match uri.parse() {
        Ok(u) => u,
        Err(_) => {
            let e = crate::wire::error::S3Error::new(crate::wire::error::Code::InvalidURI);
            return respond::error(&e, &path, &s.console.app.next_request_id(), is_head);
        }
    };
    parts.uri = uri;
    match s.caller().run(parts, request_body(body)).await {
        Ok(resp) => resp,
        Err(f) => {
            let e = f.error.detail("Explanation", f.sentence);
            respond::error(&e, &path, &s.console.app.next_request_id(), is_head)
        }
    }
}
