//! The one access decision, as AWS makes it: an explicit Deny in the bucket policy wins; else an
//! Allow from the policy or from an ACL grants; else the request is denied. Block Public Access
//! and Object Ownership are inputs: IgnorePublicAcls drops public grants, RestrictPublicBuckets
//! keeps a public policy's grants from anyone but the bucket owner, BucketOwnerEnforced turns ACLs
//! off. A pure function of its inputs; `App::authorize` gathers them for a request.

use crate::access::policy::{Effect, Facts, Policy, Requester};
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::model::acl::{Acl, Grantee, Permission};
use firn_storage::{AccessSettings, ObjectOwnership, PublicAccessBlock};
use std::fmt;

/// What is asked: who, which `s3:` action, on which resource ARN, with the condition keys.
pub struct Request<'a> {
    pub who: Option<Requester<'a>>,
    pub action: &'a str,
    pub resource: &'a str,
    pub facts: &'a Facts,
}

/// The bucket's side: its owner and its access settings.
pub struct Bucket<'a> {
    pub owner: &'a str,
    pub policy: Option<&'a Policy>,
    pub block: PublicAccessBlock,
    pub ownership: ObjectOwnership,
}

/// What may grant the action besides the policy.
pub enum Fallback<'a> {
    /// Only the bucket's owner: bucket configuration.
    Owner,
    /// An ACL: the bucket's, or an object version's (then `object_owner` is that version's owner).
    Acl { acl: &'a Acl, permission: Permission, object_owner: Option<&'a str> },
}

/// What decided, for the access log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    Statement {
        label: String,
        effect: Effect,
    },
    Acl {
        grantee: String,
        permission: &'static str,
    },
    BucketOwner,
    /// Nothing allows it.
    Implicit,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Statement { label, effect } => write!(f, "policy statement {label} ({effect:?})"),
            Reason::Acl { grantee, permission } => write!(f, "acl grant {permission} to {grantee}"),
            Reason::BucketOwner => f.write_str("bucket owner"),
            Reason::Implicit => f.write_str("no statement or grant allows it"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
}

/// A decision made for a request, kept for the access log and the console's explanations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Noted {
    pub action: String,
    pub decision: Decision,
}

/// A request's decisions, in the order made; None where nobody will read them.
pub type Notes = Option<std::sync::Arc<std::sync::Mutex<Vec<Noted>>>>;

impl fmt::Display for Noted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.decision.allowed { "allowed" } else { "denied" };
        write!(f, "{} {verdict}: {}", self.action, self.decision.reason)
    }
}

/// The ACL that counts: none but the owner's when ACLs are disabled, no public grants when they
/// are ignored.
pub fn effective_acl(acl: &Acl, bucket: &Bucket) -> Acl {
    if bucket.ownership == ObjectOwnership::BucketOwnerEnforced {
        return Acl::private(bucket.owner);
    }
    if bucket.block.ignore_public_acls {
        return acl.without_public();
    }
    acl.clone()
}

fn grantee_name(g: &Grantee) -> String {
    match g {
        Grantee::User(id) => id.clone(),
        Grantee::AllUsers => "AllUsers".into(),
        Grantee::AuthenticatedUsers => "AuthenticatedUsers".into(),
        Grantee::LogDelivery => "LogDelivery".into(),
    }
}

pub fn decide(req: &Request, bucket: &Bucket, fallback: &Fallback) -> Decision {
    let who_id = req.who.map(|w| w.canonical_id);
    let is_owner = who_id == Some(bucket.owner);
    let statement = |policy: &Policy, i: usize, allowed: bool| Decision {
        allowed,
        reason: Reason::Statement {
            label: policy.statements[i].label(i),
            effect: if allowed { Effect::Allow } else { Effect::Deny },
        },
    };
    if let Some(policy) = bucket.policy {
        let (deny, allow) = policy.evaluate(req.who.as_ref(), req.action, req.resource, req.facts);
        if let Some(i) = deny {
            return statement(policy, i, false);
        }
        // A public policy grants nothing outside the owner's account under RestrictPublicBuckets,
        // and (ACLs on) a bucket's policy covers only objects its owner owns.
        let restricted = bucket.block.restrict_public_buckets && policy.public && !is_owner;
        let foreign_object = match fallback {
            Fallback::Acl { object_owner: Some(o), .. } => {
                *o != bucket.owner && bucket.ownership != ObjectOwnership::BucketOwnerEnforced
            }
            _ => false,
        };
        if let Some(i) = allow.filter(|_| !restricted && !foreign_object) {
            return statement(policy, i, true);
        }
    }
    match fallback {
        Fallback::Owner if is_owner => Decision { allowed: true, reason: Reason::BucketOwner },
        Fallback::Acl { acl, permission, .. } => match effective_acl(acl, bucket).granted_by(who_id, *permission) {
            Some(g) => Decision {
                allowed: true,
                reason: Reason::Acl { grantee: grantee_name(&g), permission: permission.as_str() },
            },
            None => Decision { allowed: false, reason: Reason::Implicit },
        },
        Fallback::Owner => Decision { allowed: false, reason: Reason::Implicit },
    }
}

fn acls_not_supported() -> S3Error {
    S3Error::msg(Code::AccessControlListNotSupported, "The bucket does not allow ACLs")
}

fn public_acl_blocked() -> S3Error {
    S3Error::msg(Code::AccessDenied, "Access Denied: the bucket's Block Public Access settings refuse public ACLs")
}

/// Who owns an object a request writes, and the ACL it gets: under BucketOwnerEnforced the bucket
/// owner, with no ACL but `bucket-owner-full-control` accepted; under BucketOwnerPreferred the
/// bucket owner when the writer hands it full control; otherwise the writer, with the ACL asked for
/// (unless BlockPublicAcls refuses it).
pub fn new_object_owner(
    settings: &AccessSettings,
    bucket_owner: &str,
    writer: &str,
    canned: Option<&str>,
    acl: Option<Acl>,
) -> S3Result<(String, Option<Acl>)> {
    let to_bucket_owner = canned.map(str::trim) == Some("bucket-owner-full-control");
    match settings.object_ownership() {
        ObjectOwnership::BucketOwnerEnforced if acl.is_none() || to_bucket_owner => Ok((bucket_owner.to_owned(), None)),
        ObjectOwnership::BucketOwnerEnforced => Err(acls_not_supported()),
        ObjectOwnership::BucketOwnerPreferred if to_bucket_owner => Ok((bucket_owner.to_owned(), None)),
        _ => {
            if settings.block().block_public_acls && acl.as_ref().is_some_and(Acl::is_public) {
                return Err(public_acl_blocked());
            }
            Ok((writer.to_owned(), acl))
        }
    }
}

/// Put*Acl under BucketOwnerEnforced: refused whatever the ACL (even `private`), as S3 does; ACLs
/// are off there, and only writes without one (or with `bucket-owner-full-control`) go through.
pub fn acl_writes_allowed(settings: &AccessSettings) -> S3Result<()> {
    match settings.object_ownership() {
        ObjectOwnership::BucketOwnerEnforced => Err(acls_not_supported()),
        _ => Ok(()),
    }
}

/// Refuses an ACL that Put*Acl would set where the bucket does not take it: anything but the
/// bucket owner's own full control when ACLs are off, a public one under BlockPublicAcls.
pub fn admit_acl(settings: &AccessSettings, bucket_owner: &str, acl: &Acl) -> S3Result<()> {
    let owner_only = acl.grants.iter().all(|g| g.grantee == Grantee::User(bucket_owner.to_owned()));
    if settings.object_ownership() == ObjectOwnership::BucketOwnerEnforced && !owner_only {
        return Err(acls_not_supported());
    }
    if settings.block().block_public_acls && acl.is_public() {
        return Err(public_acl_blocked());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
