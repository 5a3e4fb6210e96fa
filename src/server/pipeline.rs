//! The request pipeline: route, authenticate, check access, run the handler, render errors.

use crate::access::decision::Notes;
use crate::app::state::App;
use crate::auth::users::User;
use crate::auth::{self, AuthInput};
use crate::http::body::{request_body, Body};
use crate::http::peer::Peer;
use crate::s3::execute::{self, Authenticated};
use crate::s3::handlers::{self};
use crate::s3::respond;
use crate::s3::router::{self, Query};
use crate::wire::error::{Code, S3Error, S3Result};
use http::{HeaderValue, Request, Response};
use hyper::body::Incoming;
use std::sync::Arc;
use std::time::Instant;

pub async fn handle(app: Arc<App>, req: Request<Incoming>, peer: Peer) -> Response<Body> {
    let started = Instant::now();
    let request_id = app.next_request_id();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let is_head = method == http::Method::HEAD;
    let bytes_in = req
        .headers()
        .get("x-amz-decoded-content-length")
        .or_else(|| req.headers().get(http::header::CONTENT_LENGTH))
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().host().map(str::to_owned));
    let origin = req.headers().get(http::header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
    // Routed once here: website errors are HTML pages, so the answer is needed after dispatch too.
    let site_named = |h: &str| handlers::website_endpoint::is_site(&app, h);
    let website_route =
        router::website_route(&method, host.as_deref(), app.config.website_domain.as_deref(), &path, &site_named);
    let website = website_route.is_some();
    // Only worth writing down when the access log is on.
    let decisions: Notes = tracing::enabled!(target: "firn::access::decision", tracing::Level::INFO).then(Arc::default);
    let Dispatched { op, bucket, user, result } =
        dispatch(app.clone(), req, host.as_deref(), website_route, &request_id, peer, &decisions).await;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            if e.code.status().is_server_error() && e.code != Code::NotImplemented {
                tracing::warn!(request_id, code = e.code.as_str(), message = %e.message, "request failed");
            }
            if website {
                website_error_response(&e, &request_id, is_head)
            } else {
                respond::error(&e, &path, &request_id, is_head)
            }
        }
    };
    // A browser's request gets its bucket's CORS headers, on errors too, so the page can read them.
    if let (Some(origin), Some(bucket)) = (&origin, &bucket) {
        if op != Some(router::Op::CorsPreflight) {
            for (name, value) in handlers::cors::actual_headers(&app, bucket, origin, method.as_str()) {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    resp.headers_mut().insert(name, v);
                }
            }
        }
    }
    let h = resp.headers_mut();
    h.insert("x-amz-request-id", HeaderValue::from_str(&request_id).expect("hex id"));
    h.insert("x-amz-id-2", HeaderValue::from_str(&request_id).expect("hex id"));
    h.insert(http::header::SERVER, HeaderValue::from_static("Firn"));
    let elapsed = started.elapsed();
    let bytes_out = http_body::Body::size_hint(resp.body()).exact().unwrap_or(0);
    app.metrics.observe(op.map_or("Unrouted", |o| o.name()), resp.status().as_u16(), elapsed, bytes_in, bytes_out);
    tracing::info!(
        target: "firn::access::decision",
        request_id,
        principal = user.as_deref().map_or("anonymous", |u| u.name.as_str()),
        method = %method,
        path,
        operation = op.map_or("-", |o| o.name()),
        status = resp.status().as_u16(),
        access = decisions.as_ref().map_or(String::new(), |d| {
            d.lock().expect("not poisoned").iter().map(|n| n.to_string()).collect::<Vec<_>>().join("; ")
        }),
        bytes_in,
        bytes_out,
        micros = elapsed.as_micros() as u64,
    );
    resp
}

/// What became of a request: its operation and bucket once routed, who sent it once known.
struct Dispatched {
    op: Option<router::Op>,
    bucket: Option<String>,
    user: Option<Arc<User>>,
    result: S3Result<Response<Body>>,
}

/// `website`: the request's website-endpoint route, if its host is a website host.
async fn dispatch(
    app: Arc<App>,
    req: Request<Incoming>,
    host: Option<&str>,
    website: Option<S3Result<router::Route>>,
    request_id: &str,
    peer: Peer,
    decisions: &Notes,
) -> Dispatched {
    let (parts, incoming) = req.into_parts();
    let query = Query::parse(parts.uri.query());
    let copy_source = parts.headers.contains_key("x-amz-copy-source");
    let route = website.unwrap_or_else(|| {
        router::route(&parts.method, host, app.config.domain.as_deref(), parts.uri.path(), &query, copy_source)
    });
    let route = match route {
        Ok(r) => r,
        Err(e) => return Dispatched { op: None, bucket: None, user: None, result: Err(e) },
    };
    let (op, bucket) = (Some(route.op), route.bucket.clone());
    let input = AuthInput {
        users: &app.users,
        region: &app.config.region,
        now: chrono::Utc::now(),
        vhost_bucket: route.bucket.as_deref().filter(|_| route.virtual_host),
        query: &query.0,
    };
    // The website endpoint is anonymous by design: credentials there are ignored, as in S3. So are
    // a preflight's: it carries the query of the presigned request it precedes, never its signature.
    let anonymous = route.op.is_website() || route.op == router::Op::CorsPreflight;
    let auth = if anonymous { Ok(auth::Auth::anonymous()) } else { auth::authenticate(&parts, &input) };
    let auth = match auth {
        Ok(a) => a,
        Err(e) => return Dispatched { op, bucket, user: None, result: Err(e) },
    };
    let user = auth.user.clone();
    let request = Authenticated { route, parts, query, auth, body: request_body(incoming) };
    let result = execute::execute(app, request, request_id, peer, decisions).await;
    Dispatched { op, bucket, user, result }
}

/// An error on the website endpoint: S3's HTML page (no body for HEAD).
fn website_error_response(e: &S3Error, request_id: &str, is_head: bool) -> Response<Body> {
    let builder =
        Response::builder().status(e.code.status()).header(http::header::CONTENT_TYPE, "text/html; charset=utf-8");
    let body = if is_head { Body::Empty } else { Body::full(handlers::website_endpoint::error_page(e, request_id)) };
    builder.body(body).expect("valid response")
}
