//! The documents S3 reads and writes as XML (or JSON): ACLs, CORS, lifecycle, Object Lock,
//! website and tagging configurations, each parsed, validated and rendered in one place.

pub mod acl;
pub mod cors;
pub mod lifecycle;
pub mod object_lock;
pub mod restore;
pub mod tagging;
pub mod website;
