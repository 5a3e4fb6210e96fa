//! Firn's storage engine: buckets, object versions, the hot tier and (later) the archive tier.
//!
//! It knows nothing of HTTP. The daemon streams bodies into a [`BlobWriter`], verifies what it
//! must, and commits the staged blob with [`Engine::put_object`], which makes it durable before
//! returning.
//!
//! Layers, from the bottom up (no module uses one above it):
//! 1. `names`, `keys`, `record`, `acl`, `access`, `lock`, `website`, `cors`, `lifecycle`, `clock`, `error`: validated
//!    names, key encodings, versioned records, ACL documents, bucket access settings, website and CORS
//!    documents, lifecycle rules with their (pure) evaluation, the injectable clock.
//! 2. `meta` (the metadata store trait, its sled and memory backends, group commit, leases),
//!    `hot` (the hot tier's blob files) and `archive` (the archive tier's compressed segments, not
//!    yet wired to objects).
//! 3. Capabilities, each holding only the stores it needs: `buckets`, `gc`, `usage`, `schedule`
//!    (lifecycle configurations and the work queue), `versions`, `objects`, `list`, `multipart`,
//!    `acl_store`, `bucket_docs` (website, CORS and bucket tag documents), `users`, `reader`, `scrub`, `restore`,
//!    `compaction`.
//! 4. The workers, above the capabilities they drive: `lifecycle_worker`.
//! 5. `engine`: the facade the daemon uses.

pub mod access;
pub mod acl;
mod acl_store;
pub mod archive;
mod bucket_docs;
mod buckets;
mod clock;
mod compaction;
pub mod cors;
mod engine;
mod error;
mod gc;
pub(crate) mod hot;
mod keys;
pub mod lifecycle;
mod lifecycle_worker;
mod list;
pub mod lock;
pub mod meta;
mod multipart;
mod names;
mod objects;
mod reader;
mod record;
mod restore;
mod schedule;
mod scrub;
mod usage;
mod users;
mod versions;
pub mod website;

pub use access::{AccessSettings, ObjectOwnership, PublicAccessBlock};
pub use acl::{Acl, Grant, Grantee};
pub use clock::Clock;
pub use compaction::CompactReport;
pub use cors::{CorsConfig, CorsRule};
pub use engine::{ArchiveReport, Engine, EngineConfig, EngineStats, Queues};
pub use error::{EngineError, Result};
pub use hot::{BlobWriter, StagedBlob, INLINE_MAX, SHARED_SETTLE};
pub use lifecycle::LifecycleConfig;
pub use lifecycle_worker::{PassReport, RunStats};
pub use list::{ListPage, ListQuery};
pub use lock::{DefaultRetention, LockMode, ObjectLockConfig, Retention, VersionLock};
pub use meta::Backend;
pub use multipart::{CompletedPart, UploadListQuery, UploadPage, MAX_PART_NUMBER, MIN_PART_SIZE};
pub use names::{BucketName, ObjectKey, MAX_KEY_LEN};
pub use objects::{DeleteCondition, DeleteOutcome, WriteCondition};
pub use reader::ObjectReader;
pub use record::{
    archive_class, needs_restore, BucketRecord, ContentHeaders, Extent, Notification, ObjectMeta, ObjectPart,
    ObjectRecord, PartRecord, RestoreRecord, UploadRecord, Versioning,
};
pub use restore::RestoreOutcome;
pub use scrub::{Damage, ScrubReport};
pub use usage::BucketUsage;
pub use users::{account_id, canonical_id, AccessKey, UserDirectory, UserRecord, MAX_KEYS_PER_USER};
pub use versions::{VersionEntry, VersionPage, VersionQuery};
