//! The console's responses: pages, redirects, JSON, and the headers every one of them carries (a
//! Content-Security-Policy that admits only the console's own files, no framing, no sniffing, no
//! caching of anything with data in it).

use crate::http::body::Body;
use http::{header, HeaderValue, Response, StatusCode};
use maud::Markup;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn html(status: StatusCode, page: Markup) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::full(page.into_string()))
        .expect("valid response")
}

/// 303 to `to` (a path of the console), with cookies to set.
pub fn redirect(to: &str, cookies: &[String]) -> Response<Body> {
    let mut b = Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to);
    for c in cookies {
        b = b.header(header::SET_COOKIE, c);
    }
    b.body(Body::Empty).expect("valid response")
}

pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::full(value.to_string()))
        .expect("valid response")
}

/// What the S3 door answers with is the users' own content (an uploaded HTML page, say): it runs
/// nothing, in a sandbox of no origin. Inline styles and data: images only, for the browser's own
/// XML viewer.
const CONTENT_CSP: &str =
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// What a response holds, for its headers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// The console's own stylesheet, script and icon: may be cached.
    Asset,
    /// A page or data of the console.
    Page,
    /// Stored content, through the S3 door.
    Content,
}

/// The headers every console response carries. Static files may be cached; nothing else is.
pub fn harden(mut resp: Response<Body>, holds: Holds) -> Response<Body> {
    let h = resp.headers_mut();
    let csp = if holds == Holds::Content { CONTENT_CSP } else { CSP };
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    if holds != Holds::Asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::SERVER, HeaderValue::from_static("Firn"));
    resp
}
