//! The website endpoint: anonymous GET and HEAD on `bucket.<website_domain>`, with S3's website
//! semantics. `dir/` serves `dir/<index>`; `dir` redirects to `dir/` when that index exists; objects
//! must be public (a policy or an ACL lets anyone read them); `x-amz-website-redirect-location` redirects; routing
//! rules redirect by key prefix or by the error a request met; failures serve the error document
//! with the original status, or an HTML error page (rendered by the app).

use crate::auth::sigv4::uri_encode;
use crate::http::body::Body;
use crate::s3::authz::Need;
use crate::s3::context::Ctx;
use crate::s3::read;
use crate::s3::router::Query;
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::model::acl::Permission;
use firn_storage::model::website::{Redirect, WebsiteConfig};
use firn_storage::{BucketName, EngineError, ObjectKey, ObjectRecord};
use http::{Response, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

fn redirect(status: u16, location: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::LOCATION, location_value(location))
        .body(Body::Empty)
        .expect("valid response")
}

/// What cannot stand in a Location header as it is: control bytes and spaces (non-ASCII is always
/// encoded).
const LOCATION_UNSAFE: &AsciiSet = &CONTROLS.add(b' ');

/// `location` as a header value, what could not stand in one percent-encoded. Keys are encoded
/// before they get here; this keeps any other text from breaking the response.
fn location_value(location: &str) -> http::HeaderValue {
    let encoded = utf8_percent_encode(location, LOCATION_UNSAFE).to_string();
    http::HeaderValue::from_str(&encoded).expect("visible ASCII only")
}

/// Where a routing rule (or RedirectAllRequestsTo) sends a request for `key`.
fn rule_location(r: &Redirect, matched_prefix: &str, key: &str, host: &str) -> String {
    let new_key = match (&r.replace_key_with, &r.replace_key_prefix_with) {
        (Some(k), _) => k.clone(),
        (None, Some(p)) => format!("{p}{}", key.get(matched_prefix.len()..).unwrap_or("")),
        (None, None) => key.to_owned(),
    };
    let protocol = r.protocol.as_deref().unwrap_or("http");
    format!("{protocol}://{}/{}", r.host_name.as_deref().unwrap_or(host), uri_encode(&new_key, true))
}

/// The first routing rule for `key` (and, after a failure, for its status), as a redirect.
fn routed(cfg: &WebsiteConfig, key: &str, host: &str, error: Option<u16>) -> Option<Response<Body>> {
    let rule = cfg.routing_rules.iter().find(|r| {
        r.key_prefix_equals.as_deref().is_none_or(|p| key.starts_with(p)) && r.http_error_code_returned_equals == error
    })?;
    let prefix = rule.key_prefix_equals.as_deref().unwrap_or("");
    Some(redirect(rule.redirect.http_redirect_code.unwrap_or(301), &rule_location(&rule.redirect, prefix, key, host)))
}

/// A public, live object at `key`, or the S3 error a website visitor gets instead.
fn public_object(ctx: &Ctx, key: &str) -> S3Result<ObjectRecord> {
    let engine = &ctx.app.engine;
    let okey = ObjectKey::parse(key).map_err(|_| S3Error::new(Code::NoSuchKey))?;
    let rec = match engine.object(ctx.bucket(), &okey) {
        Ok(rec) if !rec.delete_marker => rec,
        Ok(_) | Err(EngineError::NoSuchKey) => return Err(S3Error::new(Code::NoSuchKey).detail("Key", key)),
        Err(e) => return Err(e.into()),
    };
    ctx.authorize(ctx.bucket(), Some(key), ctx.action(), Need::Object(Permission::Read, &rec))?;
    Ok(rec)
}

/// Whether `host` names a bucket with a website configuration: a site on its own domain.
pub fn is_site(app: &crate::app::state::App, host: &str) -> bool {
    BucketName::parse(host).is_ok_and(|b| matches!(app.engine.website(&b), Ok(Some(_))))
}

/// Serves `key` through the object GET path (ranges, conditions, content headers).
async fn serve_object(mut ctx: Ctx, key: &str, head: bool) -> S3Result<Response<Body>> {
    ctx.key = Some(ObjectKey::parse(key)?);
    ctx.query = Query::default();
    read::get(ctx, head).await
}

pub async fn serve(ctx: Ctx, head: bool) -> S3Result<Response<Body>> {
    let engine = &ctx.app.engine;
    engine.bucket(ctx.bucket())?;
    let cfg = engine.website(ctx.bucket())?.ok_or_else(|| S3Error::new(Code::NoSuchWebsiteConfiguration))?;
    let host = ctx.header("host").unwrap_or("").to_owned();
    let key = ctx.key.as_ref().map(|k| k.as_str().to_owned()).unwrap_or_default();
    if let Some(all) = &cfg.redirect_all {
        return Ok(redirect(301, &rule_location(all, "", &key, &host)));
    }
    if let Some(r) = routed(&cfg, &key, &host, None) {
        return Ok(r);
    }
    let index = cfg.index_suffix.as_deref().unwrap_or("index.html");
    let target = if key.is_empty() || key.ends_with('/') { format!("{key}{index}") } else { key.clone() };
    let failure = match public_object(&ctx, &target) {
        Ok(rec) => match &rec.meta.website_redirect {
            Some(location) => return Ok(redirect(301, location)),
            None => return serve_object(ctx, &target, head).await,
        },
        Err(e) if e.code == Code::NoSuchKey && !target.ends_with('/') => {
            // `dir` with a `dir/index.html`: send the browser to `dir/`, as S3 does.
            match public_object(&ctx, &format!("{target}/{index}")) {
                Ok(_) => return Ok(redirect(302, &format!("/{}/", uri_encode(&target, true)))),
                Err(_) => e,
            }
        }
        Err(e) => e,
    };
    let status = failure.code.status().as_u16();
    if let Some(r) = routed(&cfg, &key, &host, Some(status)) {
        return Ok(r);
    }
    if let Some(error_key) = cfg.error_key.as_deref().filter(|_| failure.code.status().is_client_error()) {
        if public_object(&ctx, error_key).is_ok() {
            let mut ctx = ctx;
            // The error document is served whole, whatever the request's range or conditions.
            for h in ["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"] {
                ctx.parts.headers.remove(h);
            }
            let mut resp = serve_object(ctx, error_key, head).await?;
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
            return Ok(resp);
        }
    }
    Err(failure)
}

/// S3's HTML error page for the website endpoint.
pub fn error_page(e: &S3Error, request_id: &str) -> String {
    let status = e.code.status();
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut items = format!("<li>Code: {}</li><li>Message: {}</li>", e.code.as_str(), esc(&e.message));
    for (name, value) in &e.details {
        items.push_str(&format!("<li>{name}: {}</li>", esc(value)));
    }
    format!(
        "<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n{items}<li>RequestId: {request_id}</li>\n</ul>\n<hr/>\n</body>\n</html>\n"
    )
}
