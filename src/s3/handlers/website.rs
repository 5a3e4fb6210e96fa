//! Put/Get/Delete Bucket Website: the `WebsiteConfiguration` document, parsed into the engine's
//! `WebsiteConfig` and rendered back. Serving the site is `website_endpoint`.

use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::documents::website::{from_document, to_document};
use crate::s3::respond::{empty, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use http::{Response, StatusCode};

pub async fn put(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let cfg = from_document(&ctx.xml_body().await?)?;
    blocking(|| ctx.app.engine.set_website(ctx.bucket(), Some(&cfg)))?;
    Ok(empty(StatusCode::OK))
}

pub async fn get(ctx: Ctx) -> S3Result<Response<Body>> {
    let cfg = ctx.app.engine.website(ctx.bucket())?.ok_or_else(|| S3Error::new(Code::NoSuchWebsiteConfiguration))?;
    Ok(xml_response(StatusCode::OK, to_document(&cfg)))
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    blocking(|| ctx.app.engine.set_website(ctx.bucket(), None))?;
    Ok(empty(StatusCode::NO_CONTENT))
}
