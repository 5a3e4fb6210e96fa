//! The named keyspaces of the metadata store, and what each holds.

/// The keyspaces. Their names are the sled trees of the on-disk format: renaming one loses data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Keyspace {
    /// bucket name → BucketRecord
    Buckets,
    /// The current version of each live key: bucket 0x00 key → ObjectRecord. Plain GETs and
    /// listings read only this; keys whose latest version is a delete marker are absent.
    Objects,
    /// Every version and delete marker: bucket 0x00 key 0x00 !seq → ObjectRecord, newest first.
    Versions,
    /// Where each key's "null" version is, when it is not the current record (a null delete
    /// marker, or a null version with newer ones above it): bucket 0x00 key → seq.
    Nulls,
    /// Every blob file some record refers to: blob id → the key that registered it. Presence is
    /// what keeps a file: files not in here are orphans. (Inline blobs register themselves in
    /// `Inline`; entries here for inline blobs come from earlier builds and go with their blob.)
    Blobs,
    /// Blobs made unreachable by a commit, deleted after it: blob id → ().
    Gc,
    /// Small blobs kept in the metadata store: blob id → bytes.
    Inline,
    /// Multipart uploads in progress: bucket 0x00 key 0x00 upload-id → UploadRecord.
    Uploads,
    /// Their parts: upload-id 0x00 part-number → PartRecord.
    Parts,
    /// ACLs that are not the default `private` (see `model::acl`).
    Acls,
    /// bucket name → WebsiteConfig
    Websites,
    /// bucket name → byte quota (u64, big-endian)
    Quotas,
    /// canonical id → UserRecord
    Users,
    /// user name → canonical id
    UserNames,
    /// access key → canonical id
    AccessKeys,
    /// unit of background work → Lease
    Leases,
    /// bucket name → LifecycleConfig
    Lifecycles,
    /// Lifecycle work by due time: due (ms, big-endian) kind payload → value (see `bucket::schedule`).
    LifecycleQueue,
    /// bucket name (or "" for the whole pass) → the lifecycle worker's last run there
    LifecycleStats,
    /// version key → ArchiveRef: where an archived version's bytes are in the archive tier
    Archived,
    /// version key → RestoreRecord: a restore job, then the restored copy on the hot tier
    Restores,
    /// segment id (big-endian u64) → live bytes in it (the rest of its size is dead space)
    ArchiveSegments,
    /// Restore notifications waiting to be delivered: id (big-endian u64) → Notification
    Notifications,
    /// bucket name → AccessSettings (policy, Block Public Access, ownership controls)
    BucketAccess,
    /// bucket name → CorsConfig
    Cors,
    /// bucket name → its tag set: Vec<(String, String)>
    BucketTags,
    /// Recently completed multipart uploads, so that a retried completion gets the same answer:
    /// upload key → the version's seq (big-endian u64). Forgotten a lifecycle day later.
    CompletedUploads,
    /// Object Lock of versions and of uploads' future objects, by the acls tree's keys (`o`
    /// version key, `u` upload key) → VersionLock. Written and removed with what it locks.
    Locks,
}

impl Keyspace {
    pub const ALL: [Keyspace; 28] = [
        Keyspace::Buckets,
        Keyspace::Objects,
        Keyspace::Versions,
        Keyspace::Nulls,
        Keyspace::Blobs,
        Keyspace::Gc,
        Keyspace::Inline,
        Keyspace::Uploads,
        Keyspace::Parts,
        Keyspace::Acls,
        Keyspace::Websites,
        Keyspace::Quotas,
        Keyspace::Users,
        Keyspace::UserNames,
        Keyspace::AccessKeys,
        Keyspace::Leases,
        Keyspace::Lifecycles,
        Keyspace::LifecycleQueue,
        Keyspace::LifecycleStats,
        Keyspace::Archived,
        Keyspace::Restores,
        Keyspace::ArchiveSegments,
        Keyspace::Notifications,
        Keyspace::BucketAccess,
        Keyspace::Cors,
        Keyspace::BucketTags,
        Keyspace::CompletedUploads,
        Keyspace::Locks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Keyspace::Buckets => "buckets",
            Keyspace::Objects => "objects",
            Keyspace::Versions => "versions",
            Keyspace::Nulls => "nulls",
            Keyspace::Blobs => "blobs",
            Keyspace::Gc => "gc",
            Keyspace::Inline => "inline",
            Keyspace::Uploads => "uploads",
            Keyspace::Parts => "parts",
            Keyspace::Acls => "acls",
            Keyspace::Websites => "websites",
            Keyspace::Quotas => "quotas",
            Keyspace::Users => "users",
            Keyspace::UserNames => "user_names",
            Keyspace::AccessKeys => "access_keys",
            Keyspace::Leases => "leases",
            Keyspace::Lifecycles => "lifecycles",
            Keyspace::LifecycleQueue => "lifecycle_queue",
            Keyspace::LifecycleStats => "lifecycle_stats",
            Keyspace::Archived => "archived",
            Keyspace::Restores => "restores",
            Keyspace::ArchiveSegments => "archive_segments",
            Keyspace::Notifications => "notifications",
            Keyspace::BucketAccess => "bucket_access",
            Keyspace::Cors => "cors",
            Keyspace::BucketTags => "bucket_tags",
            Keyspace::CompletedUploads => "completed_uploads",
            Keyspace::Locks => "locks",
        }
    }

    /// Position in [`Keyspace::ALL`], for backends that keep one handle per keyspace.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}
