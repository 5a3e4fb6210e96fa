//! The documents S3 reads and writes as XML (or JSON): ACLs, CORS, lifecycle, Object Lock,
//! website, restore and tagging documents, each parsed, validated and rendered in one place. Uses
//! `wire`, `auth` (users, for ACL grantees) and `access` (CORS methods); never the request
//! context: a handler hands them what they read.

pub mod acl;
pub mod cors;
pub mod lifecycle;
pub mod object_lock;
pub mod restore;
pub mod tagging;
pub mod website;
