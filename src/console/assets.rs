//! The console's stylesheet, script and icon, compiled into the binary: no build step, no
//! third-party code.

use crate::http::body::Body;
use http::{header, Response, StatusCode};

const FILES: [(&str, &str, &str); 3] = [
    ("console.css", "text/css; charset=utf-8", include_str!("assets/console.css")),
    ("console.js", "text/javascript; charset=utf-8", include_str!("assets/console.js")),
    ("favicon.svg", "image/svg+xml", include_str!("assets/favicon.svg")),
];

pub fn serve(name: &str) -> Response<Body> {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, text)) => Response::builder()
            .header(header::CONTENT_TYPE, *kind)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::full(*text))
            .expect("valid response"),
        None => Response::builder().status(StatusCode::NOT_FOUND).body(Body::Empty).expect("valid response"),
    }
}
