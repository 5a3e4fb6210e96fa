//! One module per family of S3 operations. Each handler takes the request context and returns a
//! response or an S3 error.

mod acl;
mod admin;
mod attributes;
pub mod authz;
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

use crate::app::App;
use crate::auth::{Payload, Proof};
use crate::body::Body;
use crate::error::{Code, S3Error, S3Result};
use crate::payload::Ingest;
use crate::router::{Op, Query};
use crate::users::User;
use firn_storage::acl::Permission as AclPermission;
use firn_storage::{AccessSettings, BucketName, BucketRecord, ObjectKey, ObjectRecord, Versioning};
use http::{request::Parts, Response, StatusCode};
use hyper::body::Incoming;
use std::sync::{Arc, Mutex};

/// Everything a handler gets: the app, who is asking and how, and the request.
pub struct Ctx {
    pub app: Arc<App>,
    pub request_id: String,
    pub op: Op,
    pub user: Option<Arc<User>>,
    pub proof: Proof,
    pub peer: crate::server::Peer,
    /// What each access decision of the request was and what made it, for the access log.
    pub decisions: Arc<Mutex<Vec<String>>>,
    pub parts: Parts,
    pub query: Query,
    pub bucket: Option<BucketName>,
    /// The bucket's record, loaded by the access check.
    pub bucket_record: Option<BucketRecord>,
    /// The bucket's access settings, where the access check loaded them (else the defaults).
    pub access: AccessSettings,
    pub key: Option<ObjectKey>,
    pub payload: Payload,
    pub body: Option<Incoming>,
}

impl Ctx {
    pub fn bucket(&self) -> &BucketName {
        self.bucket.as_ref().expect("router gives bucket operations a bucket")
    }

    pub fn key(&self) -> &ObjectKey {
        self.key.as_ref().expect("router gives object operations a key")
    }

    pub fn user(&self) -> &User {
        self.user.as_deref().expect("access check admits only authenticated users")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the request carries a body: a non-zero length, or one sent chunked without a length.
    pub fn has_body(&self) -> bool {
        self.header("content-length").is_some_and(|l| l != "0")
            || self.header("x-amz-decoded-content-length").is_some_and(|l| l != "0")
            || self.header("transfer-encoding").is_some()
    }

    /// The body as a verified stream, capped at `limit` bytes.
    pub fn ingest(&mut self, limit: u64) -> S3Result<Ingest> {
        let incoming = self.body.take().expect("body taken once");
        let idle = std::time::Duration::from_secs(self.app.config.limits.body_idle_timeout_secs);
        // A completion's checksum header is the whole object's, checked by its handler.
        let checksum_headers = self.op != Op::CompleteMultipartUpload;
        Ok(Ingest::new(incoming, &self.parts, &self.payload, limit, checksum_headers)?.with_idle_timeout(idle))
    }

    /// The whole body of a configuration request, capped by `max_xml_body`.
    pub async fn xml_body(&mut self) -> S3Result<crate::xml::Element> {
        self.xml_body_within(self.app.config.limits.max_xml_body).await
    }

    /// The same, capped by a document's own limit (S3's: a CORS configuration's 64 KB), or
    /// `max_xml_body` where that is lower: MaxMessageLengthExceeded past it.
    pub async fn xml_body_within(&mut self, max: usize) -> S3Result<crate::xml::Element> {
        let max = max.min(self.app.config.limits.max_xml_body);
        let too_long = |e: S3Error| match e.code {
            Code::EntityTooLarge => S3Error::new(Code::MaxMessageLengthExceeded),
            _ => e,
        };
        let bytes = self.ingest(max as u64).map_err(too_long)?.read_all(max).await.map_err(too_long)?;
        crate::xml::parse(&bytes)
    }

    /// The `versionId` query parameter.
    pub fn version(&self) -> Option<&str> {
        self.query.get("versionId")
    }

    /// True once versioning was ever enabled on the bucket: responses then carry `x-amz-version-id`.
    pub fn versioned(&self) -> bool {
        self.bucket_record.as_ref().is_some_and(|b| b.versioning != Versioning::Unversioned)
    }
}

pub fn xml_response(status: StatusCode, doc: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(Body::full(doc))
        .expect("valid response")
}

/// Adds `x-amz-version-id` to the answer of a write that made `version_id`: only where versioning
/// is enabled (a write to a suspended bucket makes the `null` version, which S3 does not name).
pub fn with_new_version(b: http::response::Builder, ctx: &Ctx, version_id: &str) -> http::response::Builder {
    if version_id == "null" {
        b
    } else {
        with_version(b, ctx, version_id)
    }
}

/// Adds `x-amz-version-id` for objects of versioned buckets.
pub fn with_version(b: http::response::Builder, ctx: &Ctx, version_id: &str) -> http::response::Builder {
    if ctx.versioned() {
        b.header("x-amz-version-id", version_id)
    } else {
        b
    }
}

/// Adds `x-amz-expiration` when a lifecycle rule will expire `rec`, the current version. A failure
/// to work it out leaves the header off rather than failing a request that succeeded.
pub fn with_expiration(b: http::response::Builder, ctx: &Ctx, rec: &ObjectRecord) -> http::response::Builder {
    match lifecycle::expiration_header(ctx, rec) {
        Ok(Some(v)) => b.header("x-amz-expiration", v),
        _ => b,
    }
}

pub fn empty(status: StatusCode) -> Response<Body> {
    Response::builder().status(status).body(Body::Empty).expect("valid response")
}

/// A request header or form field that asks for server-side encryption (SSE-S3, SSE-KMS or
/// SSE-C, for the object or a copy's source), if one is present. Firn has no encryption at rest
/// yet, and a request asking for it must not be stored in the clear as if it had been honoured.
/// Names come lower-cased (header names, and form fields as `form` reads them).
pub fn encryption_asked<'a>(mut names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names.find(|n| {
        n.starts_with("x-amz-server-side-encryption") || n.starts_with("x-amz-copy-source-server-side-encryption")
    })
}

/// The answer to a request that asks for encryption (see `encryption_asked`): 501, naming it.
pub fn encryption_not_implemented(name: &str) -> S3Error {
    S3Error::msg(Code::NotImplemented, format!("{name}: server-side encryption is not implemented"))
        .detail("Header", name.to_owned())
}

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

/// Runs a read again when the version it loaded was replaced before its bytes were opened (an
/// overwrite or a delete committed in between): it then answers with the newer version, or with
/// its absence. Each try's window is that short, so a few tries are plenty.
pub async fn reading<T, F: std::future::Future<Output = S3Result<T>>>(mut attempt: impl FnMut() -> F) -> S3Result<T> {
    let mut left = 4;
    loop {
        match attempt().await {
            Err(e) if e.is_superseded() && left > 0 => left -= 1,
            done => return done,
        }
    }
}

/// Runs blocking engine work (file I/O, fsync) without stalling the async workers.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
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
        Op::GetObject => object::get(ctx, false).await,
        Op::HeadObject => object::get(ctx, true).await,
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
        Op::Unsupported => Err(crate::router::not_served(&ctx.query, ctx.key.is_some())),
        Op::WebsiteGet => website_endpoint::serve(ctx, false).await,
        Op::WebsiteHead => website_endpoint::serve(ctx, true).await,
        Op::GetBucketAcl => acl::get_bucket(ctx).await,
        Op::PutBucketAcl => acl::put_bucket(ctx).await,
        Op::GetObjectAcl => acl::get_object(ctx).await,
        Op::PutObjectAcl => acl::put_object(ctx).await,
        Op::Metrics | Op::HealthLive | Op::HealthReady => Ok(service::endpoint(op, &ctx)),
    }
}
