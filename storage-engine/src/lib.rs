//! Firn's storage engine: buckets, object versions, the hot tier and (later) the archive tier.
//!
//! It knows nothing of HTTP. The daemon streams bodies into a [`BlobWriter`], verifies what it
//! must, and commits the staged blob with [`Engine::put_object`], which makes it durable before
//! returning.

pub mod acl;
mod engine;
mod error;
pub(crate) mod hot;
mod keys;
mod list;
mod multipart;
mod names;
mod objects;
mod record;
mod scrub;
mod users;
mod versions;
pub mod website;

pub use acl::{Acl, Grant, Grantee};
pub use engine::{BucketUsage, Engine, EngineConfig, EngineStats, Queues, WriteCondition};
pub use error::{EngineError, Result};
pub use hot::{BlobWriter, ObjectReader, StagedBlob};
pub use list::{ListPage, ListQuery};
pub use multipart::{CompletedPart, UploadListQuery, UploadPage, MAX_PART_NUMBER, MIN_PART_SIZE};
pub use names::{BucketName, ObjectKey, MAX_KEY_LEN};
pub use objects::DeleteOutcome;
pub use record::{
    BucketRecord, ContentHeaders, Extent, ObjectMeta, ObjectPart, ObjectRecord, PartRecord, UploadRecord, Versioning,
};
pub use scrub::{Damage, ScrubReport};
pub use users::{canonical_id, AccessKey, UserDirectory, UserRecord, MAX_KEYS_PER_USER};
pub use versions::{VersionEntry, VersionPage, VersionQuery};
