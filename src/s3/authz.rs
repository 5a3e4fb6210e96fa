//! The access checks of a request: each gathers the inputs of the one decision (`access::decision`) —
//! the bucket's owner, policy, Block Public Access and ownership, the ACL that may grant the
//! right, the request's condition keys — and notes what decided for the access log.

use crate::access::decision::{self, Bucket, Fallback, Request};
use crate::access::policy::{Facts, Requester};
use crate::s3::context::Ctx;
use crate::s3::router::{Op, Scope};
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::model::acl::{Acl, Permission as AclPermission, ANONYMOUS_ID};
use firn_storage::{AccessSettings, BucketName, BucketRecord, EngineError, ObjectKey, ObjectOwnership, ObjectRecord};

/// What may grant an action besides the bucket policy.
pub enum Need<'a> {
    /// The bucket's owner alone: configuration.
    Owner,
    /// The bucket's ACL.
    Bucket(AclPermission),
    /// The bucket's ACL, for a request on an existing version whose tags policies may name
    /// (`s3:ExistingObjectTag`): PutObjectTagging and DeleteObjectTagging.
    BucketFor(AclPermission, &'a ObjectRecord),
    /// An object version's ACL.
    Object(AclPermission, &'a ObjectRecord),
}

/// Request headers whose values are `s3:` condition keys of the same name.
const HEADER_KEYS: [&str; 13] = [
    "x-amz-acl",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-content-sha256",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-storage-class",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-website-redirect-location",
];

impl Ctx {
    /// The canonical id this request acts as: the user's, or S3's anonymous id.
    pub fn owner_id(&self) -> &str {
        self.user.as_deref().map_or(ANONYMOUS_ID, |u| u.canonical_id.as_str())
    }

    fn requester(&self) -> Option<Requester<'_>> {
        self.user.as_deref().map(|u| Requester { name: &u.name, canonical_id: &u.canonical_id, account: &u.account_id })
    }

    /// The request's condition keys. `object`: the version acted on, for `s3:ExistingObjectTag`.
    fn facts(&self, object: Option<&ObjectRecord>) -> Facts {
        let mut f = Facts::default();
        let now = chrono::Utc::now();
        f.set("aws:CurrentTime", now.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        f.set("aws:EpochTime", now.timestamp().to_string());
        f.set("aws:SourceIp", self.peer.ip.to_string());
        f.set("aws:SecureTransport", if self.peer.secure { "true" } else { "false" });
        match self.user.as_deref() {
            Some(u) => {
                f.set("aws:username", &u.name);
                f.set("aws:userid", &u.canonical_id);
                f.set("aws:PrincipalAccount", &u.account_id);
                f.set("aws:PrincipalArn", format!("arn:aws:iam::{}:user/{}", u.account_id, u.name));
                f.set("aws:PrincipalType", "User");
            }
            None => {
                f.set("aws:userid", "anonymous");
                f.set("aws:PrincipalType", "Anonymous");
            }
        }
        if let Some(kind) = self.proof.kind.as_str() {
            f.set("s3:authType", kind);
        }
        if let Some(v) = self.proof.version {
            f.set("s3:signatureversion", v);
        }
        if let Some(at) = self.proof.signed_at {
            f.set("s3:signatureAge", (now - at).num_milliseconds().max(0).to_string());
        }
        for (header, key) in [("referer", "aws:Referer"), ("user-agent", "aws:UserAgent")] {
            if let Some(v) = self.header(header) {
                f.set(key, v);
            }
        }
        for h in HEADER_KEYS {
            if let Some(v) = self.header(h) {
                f.set(&format!("s3:{h}"), v);
            }
        }
        for (param, key) in [("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")] {
            if let Some(v) = self.query.get(param) {
                f.set(key, v);
            }
        }
        // A listing without a prefix lists from the root: s3:prefix is "" (AWS's home-folder
        // policies allow `""` for exactly that).
        let listing = matches!(self.op, Op::ListObjects | Op::ListObjectsV2 | Op::ListObjectVersions);
        if listing && self.query.get("prefix").is_none() {
            f.set("s3:prefix", "");
        }
        if let Some(v) = self.version() {
            f.set("s3:VersionId", v);
        }
        if let Ok(tags) = crate::s3::documents::tagging::from_header(self.header("x-amz-tagging")) {
            if !tags.is_empty() {
                f.set_many("s3:RequestObjectTagKeys", tags.iter().map(|(k, _)| k.clone()).collect());
            }
            for (k, v) in tags {
                f.set(&format!("s3:RequestObjectTag/{k}"), v);
            }
        }
        for (k, v) in object.map_or(&[][..], |o| &o.meta.tags) {
            f.set(&format!("s3:ExistingObjectTag/{k}"), v.clone());
        }
        f
    }

    /// Decides whether this request may do `action` on `bucket` (or `key` in it). Returns the
    /// bucket's record and access settings when it may; AccessDenied when it may not.
    pub fn authorize(
        &self,
        bucket: &BucketName,
        key: Option<&str>,
        action: &str,
        need: Need,
    ) -> S3Result<(BucketRecord, AccessSettings)> {
        let engine = &self.app.engine;
        // The request's own bucket was loaded before the handler ran; others are read now.
        let (rec, settings) = match &self.bucket_record {
            Some(rec) if rec.name == bucket.as_str() => (rec.clone(), self.access.clone()),
            _ => (engine.bucket(bucket)?, engine.bucket_access(bucket)?),
        };
        let policy = settings.policy.as_deref().map(|text| self.app.policy(bucket, text)).transpose()?;
        let facts = match (&policy, &need) {
            (None, _) => Facts::default(),
            (Some(_), Need::Object(_, o) | Need::BucketFor(_, o)) => self.facts(Some(o)),
            (Some(_), _) => self.facts(None),
        };
        let acl;
        let fallback = match need {
            Need::Owner => Fallback::Owner,
            Need::Bucket(permission) | Need::BucketFor(permission, _) => {
                acl = engine.bucket_acl(&rec)?;
                Fallback::Acl { acl: &acl, permission, object_owner: None }
            }
            Need::Object(permission, object) => {
                acl = engine.version_acl(bucket, object)?;
                Fallback::Acl { acl: &acl, permission, object_owner: Some(&object.meta.owner) }
            }
        };
        let resource = match key {
            Some(k) => format!("arn:aws:s3:::{bucket}/{k}"),
            None => format!("arn:aws:s3:::{bucket}"),
        };
        let request = Request { who: self.requester(), action, resource: &resource, facts: &facts };
        let on = Bucket {
            owner: &rec.owner,
            policy: policy.as_deref(),
            block: settings.block(),
            ownership: settings.object_ownership(),
        };
        let decision = decision::decide(&request, &on, &fallback);
        if let Some(notes) = &self.decisions {
            let noted = decision::Noted { action: action.to_owned(), decision: decision.clone() };
            notes.lock().expect("not poisoned").push(noted);
        }
        if decision.allowed {
            Ok((rec, settings))
        } else {
            Err(S3Error::new(Code::AccessDenied))
        }
    }

    /// The `s3:` action this request's operation is in policies, by whether it names a version.
    pub fn action(&self) -> &'static str {
        self.op.action(self.version().is_some())
    }

    /// The request's own object (or the version asked for), checked as its operation needs.
    pub fn load_requested(&self) -> S3Result<ObjectRecord> {
        let need = match self.op.access().scope {
            Scope::Object(p) => Some((self.action(), p)),
            _ => None,
        };
        self.load_object(self.bucket(), self.key(), self.version(), need)
    }

    /// The object (or the version asked for) as GET sees it: a delete marker is a 404 when it is
    /// the latest version, and a 405 when asked for by id. `need`: the action and the right the
    /// version's ACL would grant it, checked here (None where the request was decided already).
    pub fn load_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        version: Option<&str>,
        need: Option<(&str, AclPermission)>,
    ) -> S3Result<ObjectRecord> {
        let engine = &self.app.engine;
        let found = match version {
            Some(v) => engine.object_version(bucket, key, v),
            None => engine.object(bucket, key),
        };
        // Only those who may list the bucket learn that a key is absent or deleted (as in S3).
        let may_list =
            || self.authorize(bucket, None, Op::ListObjects.action(false), Need::Bucket(AclPermission::Read)).is_ok();
        let rec = match found {
            Ok(rec) => rec,
            Err(e @ (EngineError::NoSuchKey | EngineError::NoSuchVersion)) if need.is_some() => {
                engine.bucket(bucket)?;
                return Err(if may_list() { e.into() } else { S3Error::new(Code::AccessDenied) });
            }
            Err(e) => return Err(e.into()),
        };
        if !rec.delete_marker {
            if let Some((action, p)) = need {
                self.authorize(bucket, Some(key.as_str()), action, Need::Object(p, &rec))?;
            }
            return Ok(rec);
        }
        if need.is_some() && !may_list() {
            return Err(S3Error::new(Code::AccessDenied));
        }
        let err = match version {
            Some(_) => S3Error::new(Code::MethodNotAllowed)
                .header("last-modified", crate::wire::preconditions::http_date(rec.last_modified_ms))
                .header("allow", "DELETE"),
            None => S3Error::new(Code::NoSuchKey),
        };
        Err(err.header("x-amz-delete-marker", "true").header("x-amz-version-id", rec.version_id))
    }

    /// The ACL the request's `x-amz-acl` / `x-amz-grant-*` headers ask for, for a resource
    /// `owner` will own.
    pub fn requested_acl(&self, owner: &str) -> S3Result<Option<Acl>> {
        let bucket_owner = self.bucket_record.as_ref().map_or(owner, |b| &b.owner);
        crate::s3::documents::acl::from_headers(&self.parts.headers, &self.app.users, owner, bucket_owner)
    }

    /// The owner and ACL of an object this request writes, as the bucket's Object Ownership has
    /// it: refuses the ACLs the bucket does not take.
    pub fn new_object_owner(&self) -> S3Result<(String, Option<Acl>)> {
        let writer = self.owner_id();
        let requested = self.requested_acl(writer)?;
        let bucket_owner = self.bucket_record.as_ref().map_or(writer, |b| &b.owner);
        decision::new_object_owner(&self.access, bucket_owner, writer, self.header("x-amz-acl"), requested)
    }

    /// `x-amz-expected-bucket-owner` (or `x-amz-source-expected-bucket-owner` for a copy's
    /// source): the account id the caller believes owns `bucket`; any other owner is a 403.
    pub fn check_expected_owner(&self, header: &str, bucket: &BucketRecord) -> S3Result<()> {
        match self.header(header) {
            Some(expected) if expected != firn_storage::account_id(&bucket.owner) => {
                Err(S3Error::msg(Code::AccessDenied, "Access Denied: the bucket is not owned by the expected owner"))
            }
            _ => Ok(()),
        }
    }

    /// Whether ACLs are off in the bucket (BucketOwnerEnforced).
    pub fn acls_disabled(&self) -> bool {
        self.access.object_ownership() == ObjectOwnership::BucketOwnerEnforced
    }
}
