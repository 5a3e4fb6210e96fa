//! Persisted records. Every record is stored as one format byte followed by its bincode body, so a
//! later format can be introduced and old records still decode.

use crate::base::error::{EngineError, Result};
use crate::base::storage_class::StorageClass;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

const FORMAT_V1: u8 = 1;

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![FORMAT_V1];
    // Serializing plain structs into a Vec cannot fail.
    bincode::serialize_into(&mut out, value).expect("record serialization");
    out
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    match bytes.split_first() {
        Some((&FORMAT_V1, body)) => {
            bincode::deserialize(body).map_err(|e| EngineError::Corrupt(format!("record decode: {e}")))
        }
        Some((v, _)) => Err(EngineError::Corrupt(format!("unknown record format {v}"))),
        None => Err(EngineError::Corrupt("empty record".into())),
    }
}

/// A bucket's versioning state. Once versioned, a bucket never returns to `Unversioned`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum Versioning {
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BucketRecord {
    pub name: String,
    /// Canonical id of the owner.
    pub owner: String,
    pub region: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    pub versioning: Versioning,
}

/// The standard content headers S3 stores and returns as they were sent.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
}

/// What a version says about itself besides its bytes; given by the PUT (or upload) that made it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ObjectMeta {
    /// Canonical id of the owner.
    pub owner: String,
    pub headers: ContentHeaders,
    /// `x-amz-meta-*` pairs, names lower-cased, without the prefix.
    pub user_meta: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub storage_class: StorageClass,
    pub website_redirect: Option<String>,
    /// The ACL a write asks for. Never part of the record: the commit stores it in the `acls`
    /// tree (see `model::acl`), so it is None in every record read back.
    #[serde(skip)]
    pub acl: Option<crate::model::acl::Acl>,
    /// The Object Lock a write asks for; like `acl`, never part of the record: the commit stores
    /// it in the `locks` tree.
    #[serde(skip)]
    pub lock: Option<crate::model::object_lock::VersionLock>,
}

/// A run of bytes of one blob file, with the CRC32C of exactly those bytes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Extent {
    pub blob: u128,
    pub offset: u64,
    pub len: u64,
    pub crc32c: u32,
    /// The bytes live in the metadata store (small blobs), not in a file.
    pub inline: bool,
}

/// One version of an object (or a delete marker).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ObjectRecord {
    pub key: String,
    /// "null" for versions written while the bucket was unversioned or suspended.
    pub version_id: String,
    /// Commit order across the store; newer versions have larger numbers.
    pub seq: u64,
    pub delete_marker: bool,
    pub size: u64,
    /// The ETag without quotes.
    pub etag: String,
    pub last_modified_ms: i64,
    pub meta: ObjectMeta,
    /// Additional checksum: (algorithm name such as "CRC32", base64 value).
    pub checksum: Option<(String, String)>,
    pub extents: Vec<Extent>,
    /// The parts of an object made by a multipart upload, in order; empty for a single PUT.
    pub parts: Vec<ObjectPart>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ObjectPart {
    pub size: u64,
    /// The part's additional checksum (base64), when the upload had an algorithm.
    pub checksum: Option<String>,
}

/// An multipart upload in progress: what the completed object will carry besides its bytes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UploadRecord {
    pub key: String,
    pub upload_id: String,
    pub initiated_ms: i64,
    pub meta: ObjectMeta,
    /// Algorithm name (e.g. "CRC32") and type ("COMPOSITE" or "FULL_OBJECT") chosen at creation.
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PartRecord {
    pub number: u32,
    pub size: u64,
    /// Hex MD5 of the part, without quotes.
    pub etag: String,
    pub last_modified_ms: i64,
    pub extent: Extent,
    /// (algorithm name, base64 value) when the part was sent with a checksum.
    pub checksum: Option<(String, String)>,
}

/// A restore of an archived version: the job while it runs, then the restored copy until it expires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestoreRecord {
    /// Expedited, Standard or Bulk.
    pub tier: String,
    pub days: u32,
    pub requested_ms: i64,
    /// When the job completes.
    pub due_ms: i64,
    /// Set once the copy is on the hot tier.
    pub completed_ms: Option<i64>,
    /// When the restored copy goes (completion + days, rounded up to midnight).
    pub expiry_ms: Option<i64>,
    /// The restored copy.
    pub extents: Vec<Extent>,
}

/// A restore event for `archive.notify_url`, waiting in a durable queue until delivered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `ObjectRestore:Post`, `ObjectRestore:Completed` or `ObjectRestore:Delete`.
    pub event: String,
    pub bucket: String,
    pub key: String,
    pub version_id: String,
    pub size: u64,
    pub etag: String,
    pub storage_class: StorageClass,
    /// When the restored copy expires (Completed).
    pub expiry_ms: Option<i64>,
    pub time_ms: i64,
    pub attempts: u32,
    pub next_attempt_ms: i64,
}

/// Lower-case hex, as ETags and canonical ids are written.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ObjectRecord {
    pub(crate) fn blob_ids(&self) -> impl Iterator<Item = u128> + '_ {
        self.extents.iter().map(|e| e.blob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_format_byte() {
        let b = BucketRecord {
            name: "b".into(),
            owner: "o".into(),
            region: "r".into(),
            created_ms: 7,
            versioning: Versioning::Enabled,
        };
        let bytes = encode(&b);
        assert_eq!(bytes[0], FORMAT_V1);
        assert_eq!(decode::<BucketRecord>(&bytes).unwrap(), b);
        assert!(decode::<BucketRecord>(&[9, 1, 2]).is_err());
        assert!(decode::<BucketRecord>(&[]).is_err());
    }
}
