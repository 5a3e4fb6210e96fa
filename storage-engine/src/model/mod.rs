//! What is stored, as values: object, version, upload and bucket records and the documents they
//! hold (ACLs, Object Lock settings, bucket access settings, website, CORS and lifecycle
//! configurations, with the pure decisions on them). Uses only `base`.

pub mod acl;
pub mod bucket_settings;
pub mod cors;
pub mod lifecycle;
pub mod object_lock;
pub(crate) mod record;
pub mod website;
