//! The console's S3 requests: made in-process as the signed-in user, through `s3::execute`, so
//! they meet the same access check and the same handlers as a signed request on the S3 listener.
//! A failure comes back with a sentence that explains it (`explain`).

use crate::auth::sigv4::uri_encode;
use crate::auth::users::User;
use crate::auth::{Auth, Payload, Proof};
use crate::console::explain;
use crate::console::state::Console;
use crate::http::body::{request_bytes, Body, RequestBody};
use crate::http::peer::Peer;
use crate::s3::execute::{self, Authenticated};
use crate::s3::router::{self, Query};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::Element;
use http::request::Parts;
use http::{Method, Request, Response};
use http_body_util::BodyExt;
use std::sync::Arc;

/// An S3 error and the sentence the console shows for it.
#[derive(Debug)]
pub struct Failure {
    pub error: S3Error,
    pub sentence: String,
}

impl Failure {
    /// An S3 error, with the sentence `explain` gives it.
    pub fn of(error: S3Error) -> Failure {
        Failure { sentence: explain::sentence(&error, &[]), error }
    }

    /// A refusal the console makes itself, in its own words.
    pub fn said(code: Code, sentence: impl Into<String>) -> Failure {
        Failure { sentence: sentence.into(), error: S3Error::new(code) }
    }
}

pub type Outcome<T> = Result<T, Failure>;

/// Whose requests, from where.
pub struct Caller<'a> {
    pub console: &'a Console,
    pub user: Arc<User>,
    pub peer: Peer,
}

/// A path-style path: `/bucket` or `/bucket/key`, encoded.
pub fn s3_path(bucket: &str, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("/{}/{}", uri_encode(bucket, false), uri_encode(k, true)),
        None => format!("/{}", uri_encode(bucket, false)),
    }
}

/// An encoded query string of these pairs.
pub fn query_string(query: &[(&str, &str)]) -> String {
    query
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Caller<'_> {
    /// Runs a request whose head is `parts` (path-style URI) and body `body`. It is counted in the
    /// metrics and written to the access log as any S3 request is, marked as the console's.
    pub async fn run(&self, parts: Parts, body: RequestBody) -> Outcome<Response<Body>> {
        let app = &self.console.app;
        let started = std::time::Instant::now();
        let notes: crate::access::decision::Notes = Some(Arc::default());
        let noted = || notes.as_ref().map(|n| n.lock().expect("not poisoned").clone()).unwrap_or_default();
        let query = Query::parse(parts.uri.query());
        let copy_source = parts.headers.contains_key("x-amz-copy-source");
        let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
        let route = router::route(&parts.method, None, None, parts.uri.path(), &query, copy_source);
        let op = route.as_ref().map_or("Unrouted", |r| r.op.name());
        let request_id = app.next_request_id();
        let result = match route {
            Ok(route) => {
                let auth = Auth { user: Some(self.user.clone()), payload: Payload::Unsigned, proof: Proof::default() };
                let request = Authenticated { route, parts, query, auth, body };
                execute::execute(app.clone(), request, &request_id, self.peer, &notes).await
            }
            Err(e) => Err(e),
        };
        let status = match &result {
            Ok(r) => r.status().as_u16(),
            Err(e) => e.code.status().as_u16(),
        };
        if let Err(e) = &result {
            if e.code.status().is_server_error() && e.code != Code::NotImplemented {
                tracing::warn!(request_id, code = e.code.as_str(), message = %e.message, "console request failed");
            }
        }
        let elapsed = started.elapsed();
        app.metrics.observe(op, status, elapsed, 0, 0);
        tracing::info!(
            target: "firn::access::decision",
            request_id,
            principal = self.user.name.as_str(),
            via = "console",
            method = %method,
            path,
            operation = op,
            status,
            access = noted().iter().map(|n| n.to_string()).collect::<Vec<_>>().join("; "),
            micros = elapsed.as_micros() as u64,
        );
        result.map_err(|e| Failure { sentence: explain::sentence(&e, &noted()), error: e })
    }

    /// A request made here: method, bucket, key, query, headers and body.
    pub async fn send(
        &self,
        method: Method,
        bucket: &str,
        key: Option<&str>,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: bytes::Bytes,
    ) -> Outcome<Response<Body>> {
        let mut uri = s3_path(bucket, key);
        if !query.is_empty() {
            uri = format!("{uri}?{}", query_string(query));
        }
        let mut req = Request::builder().method(method).uri(uri).header(http::header::CONTENT_LENGTH, body.len());
        if !body.is_empty() {
            // Object Lock and DeleteObjects requests need it; it costs nothing on the rest.
            use base64::Engine as _;
            use md5::Digest as _;
            let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&body));
            req = req.header("content-md5", md5);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let (parts, ()) = req.body(()).map_err(|_| self.invalid("not a valid request"))?.into_parts();
        self.run(parts, request_bytes(body)).await
    }

    /// A request that answers with an XML document: that document, parsed.
    pub async fn xml(
        &self,
        method: Method,
        bucket: &str,
        key: Option<&str>,
        query: &[(&str, &str)],
    ) -> Outcome<Element> {
        let resp = self.send(method, bucket, key, query, &[], bytes::Bytes::new()).await?;
        document(resp).await.map_err(Failure::of)
    }

    /// An admin operation (`POST /-/admin`): root's alone, as the S3 listener's admin API is.
    pub async fn admin(&self, req: &crate::admin::Request) -> Outcome<crate::admin::Reply> {
        let json = serde_json::to_vec(req).map_err(|_| self.invalid("not an admin request"))?;
        let headers = [("content-type", "application/json")];
        let resp = self.send(Method::POST, "-", Some("admin"), &[], &headers, bytes::Bytes::from(json)).await?;
        let body = resp.into_body().collect().await.map_err(|e| Failure::of(S3Error::internal(e)))?.to_bytes();
        serde_json::from_slice(&body).map_err(|e| Failure::of(S3Error::internal(e)))
    }

    fn invalid(&self, why: &str) -> Failure {
        Failure::of(S3Error::msg(Code::InvalidRequest, why))
    }
}

/// A response's XML body, parsed.
pub async fn document(resp: Response<Body>) -> S3Result<Element> {
    let bytes = resp.into_body().collect().await.map_err(S3Error::internal)?.to_bytes();
    crate::wire::xml::parse(&bytes)
}
