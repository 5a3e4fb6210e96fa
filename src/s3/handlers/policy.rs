//! Put/Get/Delete Bucket Policy and GetBucketPolicyStatus. A policy is refused whole, with a
//! MalformedPolicy naming the problem, unless it parses, fits S3's size limit and passes `check`
//! against its bucket and this server's users; under BlockPublicPolicy a public one is denied.

use crate::access::policy::{Policy, PolicyError, Principal, MAX_POLICY_BYTES};
use crate::auth::users::Users;
use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::respond::{empty, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::XmlWriter;
use firn_storage::{account_id, canonical_id};
use http::{Response, StatusCode};

fn malformed(e: PolicyError) -> S3Error {
    S3Error::msg(Code::MalformedPolicy, e.0)
}

/// Whether a principal names a user (or a user's account) of this server.
fn known(users: &Users, p: &Principal) -> bool {
    match p {
        Principal::Any | Principal::Service(_) => true,
        Principal::Canonical(id) => users.exists(id),
        Principal::User { account, name } => {
            let id = canonical_id(name);
            users.exists(&id) && account.as_deref().is_none_or(|a| a == account_id(&id))
        }
        Principal::Account(a) => {
            let root = std::iter::once(users.root().canonical_id.clone());
            let listed = users.directory().list().unwrap_or_default().into_iter().map(|u| u.canonical_id);
            root.chain(listed).any(|id| account_id(&id) == *a)
        }
    }
}

pub async fn put(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let max = ctx.app.config.limits.max_xml_body;
    let too_large = || S3Error::msg(Code::MalformedPolicy, "Policy exceeds the maximum allowed document size.");
    let bytes = ctx.ingest(max as u64)?.read_all(max).await.map_err(|e| match e.code {
        Code::EntityTooLarge => too_large(),
        _ => e,
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        S3Error::msg(Code::MalformedPolicy, "Policies must be valid JSON and the first byte must be '{'")
    })?;
    let policy = Policy::parse(text).map_err(malformed)?;
    // S3 counts the document without insignificant whitespace.
    let compact = serde_json::from_str::<serde_json::Value>(text).map(|v| v.to_string().len()).unwrap_or(text.len());
    if compact > MAX_POLICY_BYTES {
        return Err(too_large());
    }
    policy.check(ctx.bucket().as_str(), &|p| known(&ctx.app.users, p)).map_err(malformed)?;
    let refused = blocking(|| {
        ctx.app.engine.update_bucket_access(ctx.bucket(), |settings| {
            if policy.public && settings.block().block_public_policy {
                return Err(S3Error::msg(
                    Code::AccessDenied,
                    "Access Denied: the bucket's Block Public Access settings refuse public policies",
                ));
            }
            settings.policy = Some(text.to_owned());
            Ok(())
        })
    })?;
    refused?;
    Ok(empty(StatusCode::NO_CONTENT))
}

fn stored(ctx: &Ctx) -> S3Result<String> {
    ctx.access.policy.clone().ok_or_else(|| S3Error::new(Code::NoSuchBucketPolicy))
}

pub async fn get(ctx: Ctx) -> S3Result<Response<Body>> {
    let text = stored(&ctx)?;
    Ok(Response::builder()
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::full(text))
        .expect("valid response"))
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    blocking(|| {
        ctx.app.engine.update_bucket_access(ctx.bucket(), |s| {
            s.policy = None;
            Ok::<(), ()>(())
        })
    })?
    .expect("never refused");
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn status(ctx: Ctx) -> S3Result<Response<Body>> {
    let policy = ctx.app.policy(ctx.bucket(), &stored(&ctx)?)?;
    let mut w = XmlWriter::new("PolicyStatus");
    w.elem("IsPublic", policy.public.to_string());
    Ok(xml_response(StatusCode::OK, w.finish()))
}
