//! `POST /-/admin`: the admin operations for a running server, root only. The body is one JSON
//! [`Request`](crate::admin::Request); the answer is its JSON [`Reply`](crate::admin::Reply).

use crate::admin::{self, Request};
use crate::http::body::Body;
use crate::s3::context::Ctx;
use crate::wire::error::{Code, S3Error, S3Result};
use http::Response;

/// Admin requests are small; anything larger is not one.
const MAX_REQUEST: usize = 64 << 10;

pub async fn admin(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let body = ctx.ingest(MAX_REQUEST as u64)?.read_all(MAX_REQUEST).await?;
    let req: Request = serde_json::from_slice(&body)
        .map_err(|e| S3Error::msg(Code::InvalidInput, format!("not an admin request: {e}")))?;
    let app = ctx.app.clone();
    // Scrub reads every object: run it off the request workers.
    let reply = tokio::task::spawn_blocking(move || admin::execute(&app.engine, &app.users, &req, &mut |_, _| {}))
        .await
        .map_err(S3Error::internal)??;
    let json = serde_json::to_vec(&reply).map_err(S3Error::internal)?;
    Ok(Response::builder()
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::full(json))
        .expect("valid response"))
}
