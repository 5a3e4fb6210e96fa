//! Get/Put Bucket ACL and Get/Put Object ACL (the latter with `versionId`). A Put takes a canned
//! `x-amz-acl`, `x-amz-grant-*` headers, or an `AccessControlPolicy` document: exactly one of them.

use crate::access::decision;
use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::documents::acl;
use crate::s3::respond::{empty, with_version, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::model::acl::Acl;
use http::{Response, StatusCode};

/// The new ACL of a Put*Acl request for a resource owned by `owner`.
async fn requested(ctx: &mut Ctx, owner: &str, bucket_owner: &str) -> S3Result<Acl> {
    let from_headers = acl::from_headers(&ctx.parts.headers, &ctx.app.users, owner, bucket_owner)?;
    match (from_headers, ctx.has_body()) {
        (Some(_), true) => Err(S3Error::msg(Code::UnexpectedContent, "This request does not support content")),
        (Some(a), false) => Ok(a),
        (None, true) => {
            let doc = ctx.xml_body().await.map_err(|e| match e.code {
                Code::MalformedXML => S3Error::new(Code::MalformedACLError),
                _ => e,
            })?;
            acl::from_document(&doc, &ctx.app.users, owner)
        }
        (None, false) => Err(S3Error::msg(Code::MissingSecurityHeader, "Your request was missing a required header")
            .detail("MissingHeaderName", "x-amz-acl")),
    }
}

fn bucket_record(ctx: &Ctx) -> &firn_storage::BucketRecord {
    ctx.bucket_record.as_ref().expect("the access check loads the bucket")
}

/// With ACLs off (BucketOwnerEnforced), every ACL reads as the bucket owner's full control.
fn shown(ctx: &Ctx, stored: impl FnOnce() -> S3Result<Acl>) -> S3Result<Acl> {
    if ctx.acls_disabled() {
        return Ok(Acl::private(&bucket_record(ctx).owner));
    }
    stored()
}

pub async fn get_bucket(ctx: Ctx) -> S3Result<Response<Body>> {
    let acl = shown(&ctx, || Ok(ctx.app.engine.bucket_acl(bucket_record(&ctx))?))?;
    Ok(xml_response(StatusCode::OK, acl::to_document(&acl, &ctx.app.users)))
}

pub async fn put_bucket(mut ctx: Ctx) -> S3Result<Response<Body>> {
    decision::acl_writes_allowed(&ctx.access)?;
    let owner = bucket_record(&ctx).owner.clone();
    let acl = requested(&mut ctx, &owner, &owner).await?;
    decision::admit_acl(&ctx.access, &owner, &acl)?;
    blocking(|| ctx.app.engine.set_bucket_acl(ctx.bucket(), &acl))?;
    Ok(empty(StatusCode::OK))
}

pub async fn get_object(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = ctx.load_requested()?;
    let acl = shown(&ctx, || Ok(ctx.app.engine.version_acl(ctx.bucket(), &rec)?))?;
    let resp =
        with_version(Response::builder().header(http::header::CONTENT_TYPE, "application/xml"), &ctx, &rec.version_id);
    Ok(resp.body(Body::full(acl::to_document(&acl, &ctx.app.users))).expect("valid response"))
}

pub async fn put_object(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = ctx.load_requested()?;
    decision::acl_writes_allowed(&ctx.access)?;
    let bucket_owner = bucket_record(&ctx).owner.clone();
    let owner = &rec.meta.owner;
    let acl = requested(&mut ctx, owner, &bucket_owner).await?;
    decision::admit_acl(&ctx.access, &bucket_owner, &acl)?;
    blocking(|| ctx.app.engine.set_version_acl(ctx.bucket(), &rec, &acl))?;
    Ok(with_version(Response::builder(), &ctx, &rec.version_id).body(Body::Empty).expect("valid response"))
}
