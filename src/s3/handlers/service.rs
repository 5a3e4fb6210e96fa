//! The service's own endpoints under `/-/`: liveness, readiness and Prometheus metrics. Plain
//! text, open to anyone, and never about a bucket.

use crate::http::body::Body;
use crate::s3::context::Ctx;
use crate::s3::router::Op;
use http::Response;

pub fn endpoint(op: Op, ctx: &Ctx) -> Response<Body> {
    let (status, text) = match op {
        Op::Metrics => (200, ctx.app.metrics.render(&ctx.app.engine.stats())),
        Op::HealthReady if !ctx.app.engine.ready() => (503, "metadata store unavailable\n".to_owned()),
        _ => (200, "ok\n".to_owned()),
    };
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")
        .body(Body::full(text))
        .expect("valid response")
}
