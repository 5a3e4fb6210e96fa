//! Objects: versioned writes (`objects`) and deletes (`delete`, `removal`, `null_version`) under
//! the per-key mutex, their preconditions, a version's tags and Object Lock state, multipart
//! uploads, listings, reads of both tiers and the scrub that checks every stored byte. Uses the
//! stores, `bucket` (whose schedule each write feeds) and `identity`.

pub(crate) mod delete;
pub(crate) mod key_mutex;
pub(crate) mod list;
pub(crate) mod multipart;
pub(crate) mod null_version;
pub(crate) mod objects;
pub(crate) mod preconditions;
pub(crate) mod reader;
pub(crate) mod removal;
pub(crate) mod scrub;
pub(crate) mod version_settings;
pub(crate) mod versions;
