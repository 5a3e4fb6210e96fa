//! Access control lists on buckets and object versions, as S3 has them: grants of READ, WRITE,
//! READ_ACP, WRITE_ACP or FULL_CONTROL to users (by canonical id) or to the predefined groups.
//! Evaluation is a pure function of the list, the owner and who asks.
//!
//! Where they are stored: `identity::acls`.

use serde::{Deserialize, Serialize};

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

/// The canonical id S3 gives anonymous requests: the owner of what they write.
pub const ANONYMOUS_ID: &str = "65a011a29cdf8ec533ec3d1ccaae921c";

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

    /// Whether `who` (a canonical id, None for an anonymous request) holds `perm`.
    pub fn allows(&self, who: Option<&str>, perm: Permission) -> bool {
        self.granted_by(who, perm).is_some()
    }

    /// The grantee through whom `who` (None: anonymous, who acts as [`ANONYMOUS_ID`]) holds
    /// `perm`, if anyone. The owner always may read and change the ACL itself, whatever the
    /// grants say (as in S3).
    pub fn granted_by(&self, who: Option<&str>, perm: Permission) -> Option<Grantee> {
        let id = who.unwrap_or(ANONYMOUS_ID);
        if id == self.owner && matches!(perm, Permission::ReadAcp | Permission::WriteAcp) {
            return Some(Grantee::User(id.to_owned()));
        }
        self.grants
            .iter()
            .find(|g| {
                let matches = match &g.grantee {
                    Grantee::User(u) => u == id,
                    Grantee::AllUsers => true,
                    Grantee::AuthenticatedUsers => who.is_some(),
                    Grantee::LogDelivery => false,
                };
                matches && (g.permission == perm || g.permission == Permission::FullControl)
            })
            .map(|g| g.grantee.clone())
    }

    /// Whether it grants anything to everyone or to every signed-in user (S3's "public" ACL).
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| matches!(g.grantee, Grantee::AllUsers | Grantee::AuthenticatedUsers))
    }

    /// The list without its public grants (what IgnorePublicAcls evaluates).
    pub fn without_public(&self) -> Acl {
        let grants = self
            .grants
            .iter()
            .filter(|g| !matches!(g.grantee, Grantee::AllUsers | Grantee::AuthenticatedUsers))
            .cloned()
            .collect();
        Acl { owner: self.owner.clone(), grants }
    }
}

impl Grant {
    pub fn user(id: &str, permission: Permission) -> Grant {
        Grant { grantee: Grantee::User(id.to_owned()), permission }
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
    fn owner_may_always_manage_the_acl() {
        let acl = Acl { owner: "o".into(), grants: vec![] };
        assert!(acl.allows(Some("o"), Permission::ReadAcp));
        assert!(acl.allows(Some("o"), Permission::WriteAcp));
        assert!(!acl.allows(Some("o"), Permission::Read));
        assert!(!acl.allows(Some("x"), Permission::ReadAcp));
    }
}
