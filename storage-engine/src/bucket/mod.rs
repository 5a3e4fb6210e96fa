//! Buckets: the registry (creation, versioning, Object Lock and access settings, deletion), the
//! documents kept per bucket (website, CORS, tags), usage counters with quotas, and the lifecycle
//! schedule (each bucket's rules and the queue of keys by when they are next due), which writes
//! feed in their own transaction. Uses `base`, `model` and `meta`.

pub(crate) mod documents;
pub(crate) mod registry;
pub(crate) mod schedule;
pub(crate) mod usage;
