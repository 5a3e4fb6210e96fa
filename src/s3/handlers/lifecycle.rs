//! Put/Get/Delete Bucket Lifecycle: the `LifecycleConfiguration` document, validated as Amazon S3
//! validates it, turned into the engine's rules and rendered back as it was given (with the IDs
//! generated for rules that had none).

use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::documents::lifecycle::{from_document, invalid, to_document};
use crate::s3::respond::{empty, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use http::{Response, StatusCode};

const MIN_SIZE_HEADER: &str = "x-amz-transition-default-minimum-object-size";
const MIN_SIZE_VALUES: [&str; 2] = ["all_storage_classes_128K", "varies_by_storage_class"];
fn min_size_header(value: Option<&str>) -> &str {
    value.unwrap_or(MIN_SIZE_VALUES[0])
}

pub async fn put(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let min_size = ctx.header(MIN_SIZE_HEADER).map(str::to_owned);
    if let Some(v) = &min_size {
        if !MIN_SIZE_VALUES.contains(&v.as_str()) {
            return Err(invalid(format!("{MIN_SIZE_HEADER} must be one of {}", MIN_SIZE_VALUES.join(", ")))
                .detail("ArgumentName", MIN_SIZE_HEADER));
        }
    }
    let mut cfg = from_document(&ctx.xml_body().await?)?;
    cfg.transition_default_minimum_object_size = min_size;
    blocking(|| ctx.app.engine.set_lifecycle(ctx.bucket(), Some(&cfg)))?;
    let resp = Response::builder()
        .status(StatusCode::OK)
        .header(MIN_SIZE_HEADER, min_size_header(cfg.transition_default_minimum_object_size.as_deref()));
    Ok(resp.body(Body::Empty).expect("valid response"))
}

pub async fn get(ctx: Ctx) -> S3Result<Response<Body>> {
    let cfg =
        ctx.app.engine.lifecycle(ctx.bucket())?.ok_or_else(|| S3Error::new(Code::NoSuchLifecycleConfiguration))?;
    let mut resp = xml_response(StatusCode::OK, to_document(&cfg));
    let header = min_size_header(cfg.transition_default_minimum_object_size.as_deref());
    resp.headers_mut().insert(MIN_SIZE_HEADER, header.parse().expect("one of two literals"));
    Ok(resp)
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    blocking(|| ctx.app.engine.set_lifecycle(ctx.bucket(), None))?;
    Ok(empty(StatusCode::NO_CONTENT))
}
