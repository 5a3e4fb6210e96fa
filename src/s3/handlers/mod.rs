//! One module per family of S3 operations, and `run`, which sends each operation to its handler.
//! A handler takes the request context and returns a response or an S3 error; what handlers share
//! is in `s3`'s own modules (`context`, `request`, `respond`, `read`, `write`, `authz`), never in
//! another handler.

mod acl;
mod admin;
mod attributes;
mod bucket;
mod copy;
pub mod cors;
mod delete_many;
pub mod lifecycle;
mod list;
pub mod lock;
mod multipart;
mod object;
mod policy;
mod post_object;
mod public_access;
pub mod restore;
mod service;
mod tagging;
mod website;
pub mod website_endpoint;

use crate::http::body::Body;
use crate::s3::context::Ctx;
use crate::s3::read;
use crate::s3::request::{encryption_asked, encryption_not_implemented};
use crate::s3::router::{self, Op};
use crate::wire::error::S3Result;
use firn_storage::model::acl::Permission as AclPermission;
use http::Response;

/// Refuses a request whose headers ask for server-side encryption, before anything is stored.
fn refuse_encryption(ctx: &Ctx) -> S3Result<()> {
    let asks = matches!(
        ctx.op,
        Op::PutObject
            | Op::CopyObject
            | Op::CreateMultipartUpload
            | Op::UploadPart
            | Op::UploadPartCopy
            | Op::CompleteMultipartUpload
            | Op::GetObject
            | Op::HeadObject
    );
    match encryption_asked(ctx.parts.headers.keys().map(|k| k.as_str())) {
        Some(name) if asks => Err(encryption_not_implemented(name)),
        _ => Ok(()),
    }
}

pub async fn run(op: Op, ctx: Ctx) -> S3Result<Response<Body>> {
    refuse_encryption(&ctx)?;
    match op {
        Op::ListBuckets => bucket::list_buckets(ctx).await,
        Op::CreateBucket => bucket::create(ctx).await,
        Op::HeadBucket => bucket::head(ctx).await,
        Op::DeleteBucket => bucket::delete(ctx).await,
        Op::GetBucketLocation => bucket::location(ctx).await,
        Op::GetBucketVersioning => bucket::versioning(ctx).await,
        Op::ListObjects => list::list_v1(ctx).await,
        Op::ListObjectsV2 => list::list_v2(ctx).await,
        Op::DeleteObjects => delete_many::delete_objects(ctx).await,
        Op::PutObject => object::put(ctx).await,
        Op::CopyObject => copy::copy_object(ctx).await,
        Op::GetObject => read::get(ctx, false).await,
        Op::HeadObject => read::get(ctx, true).await,
        Op::DeleteObject => object::delete(ctx).await,
        Op::GetObjectTagging => tagging::get(ctx).await,
        Op::PutObjectTagging => tagging::put(ctx).await,
        Op::DeleteObjectTagging => tagging::delete(ctx).await,
        Op::CreateMultipartUpload => multipart::create(ctx).await,
        Op::UploadPart => multipart::upload_part(ctx).await,
        Op::UploadPartCopy => multipart::upload_part_copy(ctx).await,
        Op::CompleteMultipartUpload => multipart::complete(ctx).await,
        Op::AbortMultipartUpload => multipart::abort(ctx).await,
        Op::ListParts => multipart::list_parts(ctx).await,
        Op::ListMultipartUploads => multipart::list_uploads(ctx).await,
        Op::GetObjectAttributes => attributes::get(ctx).await,
        Op::PutBucketVersioning => bucket::put_versioning(ctx).await,
        Op::ListObjectVersions => list::list_versions(ctx).await,
        Op::PostObject => post_object::post_object(ctx).await,
        Op::Admin => admin::admin(ctx).await,
        Op::GetBucketWebsite => website::get(ctx).await,
        Op::PutBucketWebsite => website::put(ctx).await,
        Op::DeleteBucketWebsite => website::delete(ctx).await,
        Op::GetBucketLifecycleConfiguration => lifecycle::get(ctx).await,
        Op::PutBucketLifecycleConfiguration => lifecycle::put(ctx).await,
        Op::DeleteBucketLifecycle => lifecycle::delete(ctx).await,
        Op::RestoreObject => restore::restore(ctx).await,
        Op::GetBucketPolicy => policy::get(ctx).await,
        Op::PutBucketPolicy => policy::put(ctx).await,
        Op::DeleteBucketPolicy => policy::delete(ctx).await,
        Op::GetBucketPolicyStatus => policy::status(ctx).await,
        Op::GetPublicAccessBlock => public_access::get_block(ctx).await,
        Op::PutPublicAccessBlock => public_access::put_block(ctx).await,
        Op::DeletePublicAccessBlock => public_access::delete_block(ctx).await,
        Op::GetBucketOwnershipControls => public_access::get_ownership(ctx).await,
        Op::PutBucketOwnershipControls => public_access::put_ownership(ctx).await,
        Op::DeleteBucketOwnershipControls => public_access::delete_ownership(ctx).await,
        Op::GetBucketCors => cors::get(ctx).await,
        Op::PutBucketCors => cors::put(ctx).await,
        Op::DeleteBucketCors => cors::delete(ctx).await,
        Op::CorsPreflight => cors::preflight(ctx).await,
        Op::GetBucketTagging => tagging::get_bucket(ctx).await,
        Op::PutBucketTagging => tagging::put_bucket(ctx).await,
        Op::DeleteBucketTagging => tagging::delete_bucket(ctx).await,
        Op::GetObjectLockConfiguration => lock::get_config(ctx).await,
        Op::PutObjectLockConfiguration => lock::put_config(ctx).await,
        Op::GetObjectRetention => lock::get_retention(ctx).await,
        Op::PutObjectRetention => lock::put_retention(ctx).await,
        Op::GetObjectLegalHold => lock::get_legal_hold(ctx).await,
        Op::PutObjectLegalHold => lock::put_legal_hold(ctx).await,
        Op::Unsupported => Err(router::not_served(&ctx.query, ctx.key.is_some())),
        Op::WebsiteGet => website_endpoint::serve(ctx, false).await,
        Op::WebsiteHead => website_endpoint::serve(ctx, true).await,
        Op::GetBucketAcl => acl::get_bucket(ctx).await,
        Op::PutBucketAcl => acl::put_bucket(ctx).await,
        Op::GetObjectAcl => acl::get_object(ctx).await,
        Op::PutObjectAcl => acl::put_object(ctx).await,
        Op::Metrics | Op::HealthLive | Op::HealthReady => Ok(service::endpoint(op, &ctx)),
    }
}
