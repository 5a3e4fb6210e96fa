//! Put/Get/Delete Bucket CORS, the preflight (OPTIONS) a browser sends before a cross-origin
//! request, and the headers an actual cross-origin request gets. The rules themselves are
//! `crate::s3::documents::cors`; a bucket without rules falls back to `cors.allowed_origins`.

use crate::app::state::App;
use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::documents::cors;
use crate::s3::respond::{empty, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::{BucketName, CorsRule};
use http::{Response, StatusCode};

/// S3's limit on a CORS configuration document.
const MAX_DOCUMENT: usize = 64 << 10;

pub async fn put(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let cfg = cors::from_document(&ctx.xml_body_within(MAX_DOCUMENT).await?)?;
    blocking(|| ctx.app.engine.set_cors(ctx.bucket(), Some(&cfg)))?;
    Ok(empty(StatusCode::OK))
}

pub async fn get(ctx: Ctx) -> S3Result<Response<Body>> {
    let cfg = ctx.app.engine.cors(ctx.bucket())?.ok_or_else(|| S3Error::new(Code::NoSuchCORSConfiguration))?;
    Ok(xml_response(StatusCode::OK, cors::to_document(&cfg)))
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    blocking(|| ctx.app.engine.set_cors(ctx.bucket(), None))?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// The rules that answer for `bucket`: its own, else the server-wide fallback, else none.
fn rules(app: &App, bucket: &BucketName) -> S3Result<Option<Vec<CorsRule>>> {
    let own = app.engine.cors(bucket)?.map(|c| c.rules);
    Ok(own.or_else(|| cors::fallback_rule(&app.config.cors.allowed_origins).map(|r| vec![r])))
}

/// The CORS headers of an actual request from `origin` to `bucket`; none when no rule allows it.
pub fn actual_headers(app: &App, bucket: &str, origin: &str, method: &str) -> Vec<(&'static str, String)> {
    let Ok(Some(rules)) = BucketName::parse(bucket).map_err(S3Error::from).and_then(|b| rules(app, &b)) else {
        return Vec::new();
    };
    cors::matching(&rules, origin, method, &[]).map_or_else(Vec::new, |r| cors::response_headers(r, origin))
}

pub async fn preflight(ctx: Ctx) -> S3Result<Response<Body>> {
    let origin = ctx
        .header("origin")
        .ok_or_else(|| S3Error::msg(Code::BadRequest, "Insufficient information. Origin request header needed."))?;
    let method = ctx.header("access-control-request-method").ok_or_else(|| {
        S3Error::msg(Code::BadRequest, "Insufficient information. Access-Control-Request-Method request header needed.")
    })?;
    let headers = cors::requested_headers(ctx.header("access-control-request-headers"));
    ctx.app.engine.bucket(ctx.bucket())?;
    let Some(rules) = rules(&ctx.app, ctx.bucket())? else {
        return Err(S3Error::msg(
            Code::AccessForbidden,
            "CORSResponse: This CORS request is not allowed. CORS is not enabled for this bucket.",
        ));
    };
    let rule = cors::matching(&rules, origin, method, &headers).ok_or_else(|| {
        S3Error::msg(
            Code::AccessForbidden,
            "CORSResponse: This CORS request is not allowed. This is usually because the evaluation of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        )
    })?;
    let mut b = Response::builder().status(StatusCode::OK);
    for (name, value) in cors::preflight_headers(rule, origin, &headers) {
        b = b.header(name, value);
    }
    Ok(b.body(Body::Empty).expect("valid response"))
}
