//! RestoreObject: the `RestoreRequest` document, and the `x-amz-restore` header that tells how a
//! restore stands. The jobs themselves are the engine's (`tiering::restore` there).

use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::documents::restore::parse;
use crate::s3::respond::empty;
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::RestoreOutcome;
use http::{Response, StatusCode};

pub async fn restore(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let req = parse(&ctx.xml_body().await?)?;
    let rec = ctx.load_object(ctx.bucket(), ctx.key(), ctx.version(), None)?;
    if !rec.meta.storage_class.needs_restore() {
        return Err(S3Error::new(Code::InvalidObjectState).detail("StorageClass", rec.meta.storage_class.to_string()));
    }
    let days = match req.days {
        Some(d) if (1..=i64::from(u32::MAX)).contains(&d) => d as u32,
        Some(_) => {
            return Err(S3Error::msg(Code::InvalidArgument, "Days must be at least 1").detail("ArgumentName", "Days"))
        }
        None => {
            return Err(S3Error::msg(Code::InvalidArgument, "Days is required to restore an archived object")
                .detail("ArgumentName", "Days"))
        }
    };
    let outcome = blocking(|| ctx.app.engine.restore_object(ctx.bucket(), &rec, days, &req.tier))?;
    Ok(empty(match outcome {
        RestoreOutcome::Started | RestoreOutcome::Upgraded => StatusCode::ACCEPTED,
        RestoreOutcome::Extended => StatusCode::OK,
    }))
}
