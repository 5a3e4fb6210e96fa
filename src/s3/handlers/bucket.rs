//! Bucket operations: create, head, delete, list, location, versioning state.

use crate::access::decision;
use crate::http::body::Body;
use crate::s3::context::{blocking, Ctx};
use crate::s3::respond::{empty, xml_response};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::iso_date;
use crate::wire::xml::XmlWriter;
use firn_storage::{AccessSettings, ObjectOwnership, PublicAccessBlock, Versioning};
use http::{Response, StatusCode};

/// ListBuckets, with the optional `prefix`, `max-buckets` and `continuation-token` paging.
pub async fn list_buckets(ctx: Ctx) -> S3Result<Response<Body>> {
    let user = ctx.user();
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let max = match ctx.query.get("max-buckets") {
        None => usize::MAX,
        Some(m) => m.parse().ok().filter(|m| (1..=10_000).contains(m)).ok_or_else(|| {
            S3Error::msg(Code::InvalidArgument, "max-buckets must be an integer between 1 and 10000")
                .detail("ArgumentName", "max-buckets")
        })?,
    };
    let after = ctx.query.get("continuation-token").unwrap_or("");
    let mine: Vec<_> = ctx
        .app
        .engine
        .list_buckets()?
        .into_iter()
        .filter(|b| b.owner == user.canonical_id && b.name.starts_with(prefix) && b.name.as_str() > after)
        .collect();
    let mut w = XmlWriter::new("ListAllMyBucketsResult");
    w.open("Owner").elem("ID", &user.canonical_id).elem("DisplayName", &user.name).close();
    w.open("Buckets");
    for b in mine.iter().take(max) {
        w.open("Bucket")
            .elem("Name", &b.name)
            .elem("CreationDate", iso_date(b.created_ms))
            .elem("BucketRegion", &b.region)
            .close();
    }
    w.close();
    if mine.len() > max {
        w.elem("ContinuationToken", &mine[max - 1].name);
    }
    if !prefix.is_empty() {
        w.elem("Prefix", prefix);
    }
    Ok(xml_response(StatusCode::OK, w.finish()))
}

pub async fn create(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let region = ctx.app.config.region.clone();
    if ctx.has_body() {
        let doc = ctx.xml_body().await?;
        if doc.name != "CreateBucketConfiguration" {
            return Err(S3Error::new(Code::MalformedXML));
        }
        if let Some(loc) = doc.child_text("LocationConstraint") {
            if loc != region && !(loc.is_empty() && region == "us-east-1") {
                return Err(S3Error::msg(
                    Code::IllegalLocationConstraintException,
                    format!("The {loc} location constraint is incompatible for the region specific endpoint this request was sent to."),
                ));
            }
        }
    }
    let (engine, bucket, owner) = (&ctx.app.engine, ctx.bucket(), ctx.user().canonical_id.clone());
    let ownership = match ctx.header("x-amz-object-ownership") {
        None => None,
        Some(v) => Some(ObjectOwnership::parse(v).ok_or_else(|| {
            S3Error::msg(Code::InvalidArgument, format!("Invalid x-amz-object-ownership header: {v}"))
                .detail("ArgumentName", "x-amz-object-ownership")
        })?),
    };
    let block = ctx.app.config.access.block_public_access_default.then_some(PublicAccessBlock::ALL);
    let lock = match ctx.header("x-amz-bucket-object-lock-enabled").map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => None,
        Some("true") => Some(firn_storage::ObjectLockConfig::default()),
        Some(_) => {
            return Err(S3Error::msg(Code::InvalidArgument, "x-amz-bucket-object-lock-enabled must be true or false"))
        }
    };
    let settings = AccessSettings { ownership, public_access_block: block, object_lock: lock, ..Default::default() };
    let acl = ctx.requested_acl(&owner)?;
    if let Some(acl) = &acl {
        decision::admit_acl(&settings, &owner, acl).map_err(|e| match e.code {
            Code::AccessControlListNotSupported => S3Error::new(Code::InvalidBucketAclWithObjectOwnership),
            _ => e,
        })?;
    }
    match blocking(|| engine.create_bucket_with(bucket, &owner, &region, acl.as_ref(), &settings)) {
        // S3's us-east-1 answers a repeated create of one's own bucket with 200 (elsewhere, 409).
        Err(firn_storage::EngineError::BucketAlreadyOwnedByYou) if region == "us-east-1" => {}
        created => {
            created?;
        }
    }
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(http::header::LOCATION, format!("/{bucket}"))
        .body(Body::Empty)
        .expect("valid response"))
}

pub async fn head(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = ctx.app.engine.bucket(ctx.bucket())?;
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("x-amz-bucket-region", rec.region)
        .body(Body::Empty)
        .expect("valid response"))
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    blocking(|| ctx.app.engine.delete_bucket(ctx.bucket()))?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn location(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = ctx.app.engine.bucket(ctx.bucket())?;
    let mut w = XmlWriter::new("LocationConstraint");
    // us-east-1 is reported as an empty constraint, as Amazon S3 does.
    if rec.region != "us-east-1" {
        w.text(&rec.region);
    }
    Ok(xml_response(StatusCode::OK, w.finish()))
}

/// A bucket that was never versioned answers with an empty configuration, as in S3.
pub async fn versioning(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = ctx.app.engine.bucket(ctx.bucket())?;
    let mut w = XmlWriter::new("VersioningConfiguration");
    match rec.versioning {
        Versioning::Unversioned => {}
        Versioning::Enabled => {
            w.elem("Status", "Enabled");
        }
        Versioning::Suspended => {
            w.elem("Status", "Suspended");
        }
    }
    Ok(xml_response(StatusCode::OK, w.finish()))
}

/// Enables or suspends versioning. MFA delete is not supported and is refused, never ignored.
pub async fn put_versioning(mut ctx: Ctx) -> S3Result<Response<Body>> {
    if ctx.header("x-amz-mfa").is_some() {
        return Err(S3Error::msg(Code::NotImplemented, "MFA delete is not supported by Firn"));
    }
    let doc = ctx.xml_body().await?;
    if doc.name != "VersioningConfiguration" {
        return Err(S3Error::new(Code::MalformedXML));
    }
    match doc.child_text("MfaDelete") {
        None | Some("Disabled") => {}
        Some("Enabled") => return Err(S3Error::msg(Code::NotImplemented, "MFA delete is not supported by Firn")),
        Some(_) => return Err(S3Error::new(Code::MalformedXML)),
    }
    let state = match doc.child_text("Status") {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        _ => return Err(S3Error::new(Code::MalformedXML)),
    };
    blocking(|| ctx.app.engine.set_versioning(ctx.bucket(), state))?;
    Ok(empty(StatusCode::OK))
}
