//! Access control lists on buckets and object versions, as S3 has them: grants of READ, WRITE,
//! READ_ACP, WRITE_ACP or FULL_CONTROL to users (by canonical id) or to the predefined groups.
//! Evaluation is a pure function of the list, the owner and who asks.
//!
//! Stored in the `acls` tree apart from the records they govern, so records keep their format:
//! `b` bucket → the bucket's ACL, `o` version key → a version's, `u` upload key → the ACL the
//! completed object will get. No entry means the canned `private`: the owner has FULL_CONTROL.

use crate::engine::{abort, tx_err};
use crate::error::{EngineError, Result};
use crate::names::BucketName;
use crate::record::{self, BucketRecord, ObjectRecord};
use crate::{keys, Engine};
use serde::{Deserialize, Serialize};
use sled::Transactional;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// A user, by canonical id.
    User(String),
    /// `http://acs.amazonaws.com/groups/global/AllUsers`: anyone, signed or not.
    AllUsers,
    /// `http://acs.amazonaws.com/groups/global/AuthenticatedUsers`: any signed request.
    AuthenticatedUsers,
    /// `http://acs.amazonaws.com/groups/s3/LogDelivery`.
    LogDelivery,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    FullControl,
    Read,
    Write,
    ReadAcp,
    WriteAcp,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::FullControl => "FULL_CONTROL",
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Some(match s {
            "FULL_CONTROL" => Permission::FullControl,
            "READ" => Permission::Read,
            "WRITE" => Permission::Write,
            "READ_ACP" => Permission::ReadAcp,
            "WRITE_ACP" => Permission::WriteAcp,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// At most this many grants in one ACL (S3's limit).
pub const MAX_GRANTS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    /// Canonical id of the owner: of the bucket, or of the object version (its writer).
    pub owner: String,
    pub grants: Vec<Grant>,
}

impl Acl {
    /// The canned `private`: the owner alone, with FULL_CONTROL.
    pub fn private(owner: &str) -> Acl {
        Acl { owner: owner.to_owned(), grants: vec![Grant::user(owner, Permission::FullControl)] }
    }

    /// A canned ACL by its `x-amz-acl` name. `bucket_owner` matters for the `bucket-owner-*` ones,
    /// which on a bucket mean the same as `private`.
    pub fn canned(name: &str, owner: &str, bucket_owner: &str) -> Option<Acl> {
        let mut acl = Acl::private(owner);
        let extra: &[(Grantee, Permission)] = match name {
            "private" | "aws-exec-read" => &[],
            "public-read" => &[(Grantee::AllUsers, Permission::Read)],
            "public-read-write" => &[(Grantee::AllUsers, Permission::Read), (Grantee::AllUsers, Permission::Write)],
            "authenticated-read" => &[(Grantee::AuthenticatedUsers, Permission::Read)],
            "log-delivery-write" => {
                &[(Grantee::LogDelivery, Permission::Write), (Grantee::LogDelivery, Permission::ReadAcp)]
            }
            "bucket-owner-read" | "bucket-owner-full-control" => {
                if bucket_owner != owner {
                    let p = if name == "bucket-owner-read" { Permission::Read } else { Permission::FullControl };
                    acl.grants.push(Grant::user(bucket_owner, p));
                }
                &[]
            }
            _ => return None,
        };
        acl.grants.extend(extra.iter().map(|(g, p)| Grant { grantee: g.clone(), permission: *p }));
        Some(acl)
    }

    /// Whether `who` (a canonical id, None for an anonymous request) holds `perm`. The owner
    /// always may read and change the ACL itself, whatever the grants say (as in S3).
    pub fn allows(&self, who: Option<&str>, perm: Permission) -> bool {
        if who == Some(self.owner.as_str()) && matches!(perm, Permission::ReadAcp | Permission::WriteAcp) {
            return true;
        }
        self.grants.iter().any(|g| {
            let matches = match &g.grantee {
                Grantee::User(id) => who == Some(id.as_str()),
                Grantee::AllUsers => true,
                Grantee::AuthenticatedUsers => who.is_some(),
                Grantee::LogDelivery => false,
            };
            matches && (g.permission == perm || g.permission == Permission::FullControl)
        })
    }
}

impl Grant {
    pub fn user(id: &str, permission: Permission) -> Grant {
        Grant { grantee: Grantee::User(id.to_owned()), permission }
    }
}

impl Engine {
    /// The bucket's ACL (`private` to its owner unless set otherwise).
    pub fn bucket_acl(&self, bucket: &BucketRecord) -> Result<Acl> {
        match self.acls.get(keys::acl_bucket_key(&bucket.name))? {
            Some(v) => record::decode(&v),
            None => Ok(Acl::private(&bucket.owner)),
        }
    }

    pub fn set_bucket_acl(&self, bucket: &BucketName, acl: &Acl) -> Result<()> {
        self.bucket(bucket)?;
        self.acls.insert(keys::acl_bucket_key(bucket.as_str()), record::encode(acl))?;
        self.sync()
    }

    /// One version's ACL (`private` to its writer unless set otherwise).
    pub fn version_acl(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Acl> {
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        match self.acls.get(keys::acl_version_key(&vkey))? {
            Some(v) => record::decode(&v),
            None => Ok(Acl::private(&rec.meta.owner)),
        }
    }

    /// Replaces one version's ACL; NoSuchVersion if the version went away meanwhile.
    pub fn set_version_acl(&self, bucket: &BucketName, rec: &ObjectRecord, acl: &Acl) -> Result<()> {
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        let encoded = record::encode(acl);
        (&self.versions, &self.acls)
            .transaction(|(v, ac)| {
                if v.get(&vkey)?.is_none() {
                    return abort(EngineError::NoSuchVersion);
                }
                ac.insert(keys::acl_version_key(&vkey), encoded.as_slice())?;
                Ok(())
            })
            .map_err(tx_err)?;
        self.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls_grant_what_s3_says() {
        let public = Acl::canned("public-read", "o", "o").unwrap();
        assert!(public.allows(None, Permission::Read));
        assert!(!public.allows(None, Permission::Write));
        assert!(public.allows(Some("o"), Permission::Write), "the owner keeps FULL_CONTROL");
        let auth = Acl::canned("authenticated-read", "o", "o").unwrap();
        assert!(!auth.allows(None, Permission::Read));
        assert!(auth.allows(Some("x"), Permission::Read));
        let rw = Acl::canned("public-read-write", "o", "o").unwrap();
        assert!(rw.allows(None, Permission::Write));
        let bo = Acl::canned("bucket-owner-full-control", "writer", "bo").unwrap();
        assert!(bo.allows(Some("bo"), Permission::WriteAcp));
        assert!(!Acl::canned("bucket-owner-read", "writer", "bo").unwrap().allows(Some("bo"), Permission::Write));
        assert!(Acl::canned("nope", "o", "o").is_none());
    }

    #[test]
    fn acls_are_stored_with_versions_and_uploads_and_go_with_them() {
        use crate::{EngineConfig, ObjectKey, ObjectMeta, WriteCondition};
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(&EngineConfig::new(dir.path())).unwrap();
        let b = BucketName::parse("bkt").unwrap();
        let brec = e.create_bucket(&b, "me", "r").unwrap();
        assert_eq!(e.bucket_acl(&brec).unwrap(), Acl::private("me"));
        let public = Acl::canned("public-read", "me", "me").unwrap();
        e.set_bucket_acl(&b, &public).unwrap();
        assert_eq!(e.bucket_acl(&brec).unwrap(), public);

        let k = ObjectKey::parse("k").unwrap();
        let put = |acl: Option<Acl>| {
            let mut w = e.new_blob().unwrap();
            w.write(b"data").unwrap();
            let meta = ObjectMeta { owner: "me".into(), acl, ..Default::default() };
            e.put_object(&b, &k, w.finish().unwrap(), meta, None, &WriteCondition::default()).unwrap()
        };
        let v1 = put(Some(public.clone()));
        assert_eq!(v1.meta.acl, None, "the record does not carry it");
        assert_eq!(e.version_acl(&b, &v1).unwrap(), public);
        assert_eq!(e.acls.len(), 2);
        let v2 = put(None);
        assert_eq!(e.version_acl(&b, &v2).unwrap(), Acl::private("me"));
        assert_eq!(e.acls.len(), 1, "the overwritten version's ACL went with it");
        e.set_version_acl(&b, &v2, &public).unwrap();
        assert!(matches!(e.set_version_acl(&b, &v1, &public), Err(EngineError::NoSuchVersion)));

        let up = e
            .create_upload(
                &b,
                &k,
                ObjectMeta { owner: "me".into(), acl: Some(public.clone()), ..Default::default() },
                None,
            )
            .unwrap();
        let done = e.complete_upload(&b, &k, &up, &[], None, &WriteCondition::default()).unwrap();
        assert_eq!(e.version_acl(&b, &done).unwrap(), public, "the upload's ACL passes to the object");
        let up2 =
            e.create_upload(&b, &k, ObjectMeta { acl: Some(public.clone()), ..Default::default() }, None).unwrap();
        e.abort_upload(&b, &k, &up2.upload_id).unwrap();
        assert_eq!(e.acls.len(), 2, "the bucket's and the completed object's");
        e.delete_object(&b, &k, None, "me").unwrap();
        assert_eq!(e.acls.len(), 1, "only the bucket's ACL is left");
        drop(e);
        let e = Engine::open(&EngineConfig::new(dir.path())).unwrap();
        assert_eq!(e.acls.len(), 1);
    }

    #[test]
    fn owner_may_always_manage_the_acl() {
        let acl = Acl { owner: "o".into(), grants: vec![] };
        assert!(acl.allows(Some("o"), Permission::ReadAcp));
        assert!(acl.allows(Some("o"), Permission::WriteAcp));
        assert!(!acl.allows(Some("o"), Permission::Read));
        assert!(!acl.allows(Some("x"), Permission::ReadAcp));
    }
}
