//! Firn's storage engine: buckets, object versions, the hot tier and the archive tier, lifecycle.
//!
//! It knows nothing of HTTP. The daemon streams bodies into a [`BlobWriter`], verifies what it
//! must, and commits the staged blob with [`Engine::put_object`], which makes it durable before
//! returning.
//!
//! Layers, from the bottom up; a module uses only its own layer and those below, and no two
//! modules use each other (`tools/layers` checks both in the test command):
//! 1. `base/`: names, key encodings, the clock, the error type.
//! 2. `model/`: records and the documents they hold, with the pure decisions on them.
//! 3. The stores: `meta/` (the metadata store trait, its sled, memory and PostgreSQL backends,
//!    group commit, leases) and `blob/` (hot files, archive segments, the garbage queue).
//! 4. `bucket/` (registry, documents, usage, the lifecycle schedule) and `identity/` (users, ACLs).
//! 5. `object/`: versioned writes and deletes, multipart uploads, listings, reads, scrub.
//! 6. `tiering/`: the lifecycle worker, transitions, restores, archive compaction.
//! 7. `engine/`: the facade the daemon uses; it only hands calls to the capabilities.

mod base;
mod blob;
mod bucket;
mod engine;
mod identity;
pub mod meta;
pub mod model;
mod object;
mod tiering;

pub use base::clock::Clock;
pub use base::error::{EngineError, Result};
pub use base::names::{BucketName, ObjectKey, MAX_KEY_LEN};
pub use base::storage_class::StorageClass;
pub use blob::hot::{BlobWriter, StagedBlob, INLINE_MAX, SHARED_SETTLE};
pub use bucket::usage::BucketUsage;
pub use engine::{Engine, EngineConfig, EngineStats, Queues};
pub use identity::users::{account_id, canonical_id, AccessKey, UserDirectory, UserRecord, MAX_KEYS_PER_USER};
pub use meta::Backend;
pub use model::acl::{Acl, Grant, Grantee};
pub use model::bucket_settings::{AccessSettings, ObjectOwnership, PublicAccessBlock};
pub use model::cors::{CorsConfig, CorsRule};
pub use model::lifecycle::LifecycleConfig;
pub use model::object_lock::{DefaultRetention, LockMode, ObjectLockConfig, Retention, VersionLock};
pub use model::record::{
    BucketRecord, ContentHeaders, Extent, Notification, ObjectMeta, ObjectPart, ObjectRecord, PartRecord,
    RestoreRecord, UploadRecord, Versioning,
};
pub use object::delete::DeleteOutcome;
pub use object::list::{ListPage, ListQuery};
pub use object::multipart::{CompletedPart, UploadListQuery, UploadPage, MAX_PART_NUMBER, MIN_PART_SIZE};
pub use object::preconditions::{DeleteCondition, WriteCondition};
pub use object::reader::ObjectReader;
pub use object::scrub::{Damage, ScrubReport};
pub use object::versions::{VersionEntry, VersionPage, VersionQuery};
pub use tiering::compaction::CompactReport;
pub use tiering::report::{ArchiveReport, RestoreJob};
pub use tiering::restore::RestoreOutcome;
pub use tiering::worker::{PassReport, RunStats};
