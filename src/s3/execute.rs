//! Runs an authenticated request: the access check made before the handler, then the handler, with
//! a panic costing the request a 500. The S3 listener and the console both come through here, so
//! the console's requests meet the same checks and the same handlers as a signed S3 request.

use crate::access::decision::Notes;
use crate::app::state::App;
use crate::auth::users::User;
use crate::auth::Auth;
use crate::http::body::{Body, RequestBody};
use crate::http::peer::Peer;
use crate::s3::authz::Need;
use crate::s3::context::Ctx;
use crate::s3::handlers;
use crate::s3::router::{self, Query, Route, Scope};
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::{AccessSettings, BucketName, ObjectKey};
use futures_util::FutureExt;
use http::request::Parts;
use http::Response;
use std::sync::Arc;

/// A routed request and who sent it.
pub struct Authenticated {
    pub route: Route,
    pub parts: Parts,
    pub query: Query,
    pub auth: Auth,
    pub body: RequestBody,
}

/// `decisions` collects what each access decision was, where the caller will read them.
pub async fn execute(
    app: Arc<App>,
    request: Authenticated,
    request_id: &str,
    peer: Peer,
    decisions: &Notes,
) -> S3Result<Response<Body>> {
    let Authenticated { route, parts, query, auth, body } = request;
    let on_panic = app.clone();
    let result = async {
        let bucket = route.bucket.as_deref().map(BucketName::parse).transpose()?;
        let key = route.key.as_deref().map(ObjectKey::parse).transpose()?;
        let mut ctx = Ctx {
            app: app.clone(),
            request_id: request_id.to_owned(),
            op: route.op,
            user: auth.user,
            proof: auth.proof,
            peer,
            decisions: decisions.clone(),
            parts,
            query,
            bucket,
            bucket_record: None,
            access: AccessSettings::default(),
            key,
            payload: auth.payload,
            body: Some(body),
        };
        admit(&mut ctx)?;
        #[cfg(debug_assertions)]
        panic_for_tests(ctx.key.as_ref());
        handlers::run(route.op, ctx).await
    };
    // A bug in a handler costs its request a 500, never the connection (the panic hook logged it).
    std::panic::AssertUnwindSafe(result).catch_unwind().await.unwrap_or_else(|_| {
        on_panic.metrics.panicked();
        Err(S3Error::new(Code::InternalError))
    })
}

/// Test builds only: a request for the key `FIRN_DEBUG_PANIC_KEY` names panics in its handler, so
/// that tests can show a panic is answered.
#[cfg(debug_assertions)]
fn panic_for_tests(key: Option<&ObjectKey>) {
    static KEY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let chosen = KEY.get_or_init(|| std::env::var("FIRN_DEBUG_PANIC_KEY").ok());
    if chosen.is_some() && chosen.as_deref() == key.map(ObjectKey::as_str) {
        panic!("FIRN_DEBUG_PANIC_KEY asked for a panic");
    }
}

/// The access check made before the handler runs: all of it for bucket-wide operations, the
/// bucket's existence where the object's own ACL decides (`Ctx::load_object`) or each key does.
fn admit(ctx: &mut Ctx) -> S3Result<()> {
    let access = ctx.op.access();
    let signed_in = ctx.user.is_some();
    let need = match access.scope {
        Scope::Public | Scope::InForm => return Ok(()),
        Scope::Admin if ctx.user.as_deref().is_some_and(User::is_root) => return Ok(()),
        Scope::Authenticated if signed_in => return Ok(()),
        Scope::Admin | Scope::Authenticated => return Err(S3Error::new(Code::AccessDenied)),
        Scope::Owner => Some(Need::Owner),
        Scope::Bucket(p) | Scope::ObjectInBucket(p) => Some(Need::Bucket(p)),
        Scope::Object(_) | Scope::EachKey(_) => None,
    };
    let Some(bucket) = ctx.bucket.clone() else {
        return if signed_in { Ok(()) } else { Err(S3Error::new(Code::AccessDenied)) };
    };
    let (record, settings) = match need {
        Some(need) => {
            let key = match access.scope {
                Scope::ObjectInBucket(_) => ctx.key.as_ref().map(|k| k.as_str().to_owned()),
                _ => None,
            };
            // Tagging requests are decided with the target version's tags as
            // `s3:ExistingObjectTag` (none when there is no such version: the handler says so).
            let existing = match (&need, ctx.op) {
                (Need::Bucket(_), router::Op::PutObjectTagging | router::Op::DeleteObjectTagging) => {
                    let engine = &ctx.app.engine;
                    match (ctx.key.as_ref(), ctx.version()) {
                        (Some(k), Some(v)) => engine.object_version(&bucket, k, v).ok(),
                        (Some(k), None) => engine.object(&bucket, k).ok(),
                        _ => None,
                    }
                }
                _ => None,
            };
            let need = match (&existing, need) {
                (Some(o), Need::Bucket(p)) => Need::BucketFor(p, o),
                (_, need) => need,
            };
            ctx.authorize(&bucket, key.as_deref(), ctx.action(), need)?
        }
        None => (ctx.app.engine.bucket(&bucket)?, ctx.app.engine.bucket_access(&bucket)?),
    };
    ctx.check_expected_owner("x-amz-expected-bucket-owner", &record)?;
    ctx.bucket_record = Some(record);
    ctx.access = settings;
    Ok(())
}
