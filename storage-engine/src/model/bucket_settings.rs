//! A bucket's access settings besides its ACL: the bucket policy (kept as the JSON text its owner
//! sent; the daemon parses and evaluates it), Block Public Access and Object Ownership. Stored
//! together per bucket in the `BucketAccess` keyspace, so one read gives every input of an access
//! decision but the ACLs.

use serde::{Deserialize, Serialize};

/// S3's `PublicAccessBlockConfiguration`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four on: what `access.block_public_access_default` gives new buckets.
    pub const ALL: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
}

/// S3's Object Ownership setting (`OwnershipControls`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectOwnership {
    /// Whoever writes an object owns it (S3's behaviour before ownership controls).
    #[default]
    ObjectWriter,
    /// Objects written with the `bucket-owner-full-control` ACL belong to the bucket owner.
    BucketOwnerPreferred,
    /// ACLs are disabled: the bucket owner owns every object and policies alone grant access.
    BucketOwnerEnforced,
}

impl ObjectOwnership {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectOwnership::ObjectWriter => "ObjectWriter",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
        }
    }

    pub fn parse(s: &str) -> Option<ObjectOwnership> {
        [ObjectOwnership::ObjectWriter, ObjectOwnership::BucketOwnerPreferred, ObjectOwnership::BucketOwnerEnforced]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// Everything but the ACL that decides who may do what in a bucket. `None`: not configured (the
/// GET calls answer 404, and the defaults apply).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSettings {
    pub policy: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    pub ownership: Option<ObjectOwnership>,
    /// Object Lock: once set, for good (its default retention may change).
    pub object_lock: Option<crate::model::object_lock::ObjectLockConfig>,
}

impl AccessSettings {
    /// The ownership mode in force: ObjectWriter when none was set.
    pub fn object_ownership(&self) -> ObjectOwnership {
        self.ownership.unwrap_or_default()
    }

    /// The Block Public Access flags in force: all off when none were set.
    pub fn block(&self) -> PublicAccessBlock {
        self.public_access_block.unwrap_or_default()
    }
}
