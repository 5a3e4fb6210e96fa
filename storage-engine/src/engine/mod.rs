//! The engine: the facade the daemon uses. It opens the stores and wires the capabilities to them
//! (`open`), then hands each call to the capability it belongs to; calls on the archive tier and
//! the lifecycle are in `tiering`, the operator's in `operating`. Uses every layer below.

use crate::base::error::Result;
use crate::base::names::{BucketName, ObjectKey};
use crate::blob::archive::ArchiveStore;
use crate::blob::gc::Gc;
use crate::blob::hot::{BlobWriter, HotTier, StagedBlob};
use crate::bucket::documents::BucketDocs;
use crate::bucket::registry::Buckets;
use crate::bucket::schedule::Schedule;
use crate::bucket::usage::{BucketUsage, Usage};
use crate::identity::acls::Acls;
use crate::identity::users::UserDirectory;
use crate::meta::Meta;
use crate::model::acl::Acl;
use crate::model::bucket_settings::AccessSettings;
use crate::model::cors::CorsConfig;
use crate::model::object_lock::{ObjectLockConfig, Retention, VersionLock};
use crate::model::record::{BucketRecord, ObjectMeta, ObjectRecord, PartRecord, UploadRecord, Versioning};
use crate::model::website::WebsiteConfig;
use crate::object::delete::DeleteOutcome;
use crate::object::list::{ListPage, ListQuery, Listing};
use crate::object::multipart::{CompletedPart, UploadListQuery, UploadPage, Uploads};
use crate::object::objects::Objects;
use crate::object::preconditions::{DeleteCondition, WriteCondition};
use crate::object::reader::ObjectReader;
use crate::object::versions::{VersionPage, VersionQuery, Versions};
use crate::tiering::notifications::Notifications;
use crate::tiering::restore::Restores;
use crate::tiering::worker::LifecycleWorker;

mod config;
mod holder;
mod open;
mod operating;
mod tiering;

pub use config::{EngineConfig, EngineStats, Queues};

/// The lease the lifecycle worker holds while it runs.
const LIFECYCLE_WORK: &str = "lifecycle";

pub struct Engine {
    meta: Meta,
    /// Who this node is when it holds a lease on background work (see `node_id`).
    holder: String,
    hot: HotTier,
    buckets: Buckets,
    versions: Versions,
    objects: Objects,
    listing: Listing,
    uploads: Uploads,
    acls: Acls,
    websites: BucketDocs<WebsiteConfig>,
    cors: BucketDocs<CorsConfig>,
    bucket_tags: BucketDocs<Vec<(String, String)>>,
    users: UserDirectory,
    usage: Usage,
    gc: Gc,
    schedule: Schedule,
    lifecycle: LifecycleWorker,
    archive: ArchiveStore,
    restores: Restores,
    notifications: Notifications,
}

impl Engine {
    /// Where versions' bytes are read from.
    fn stores(&self) -> crate::object::reader::Stores<'_> {
        crate::object::reader::Stores { meta: &self.meta, hot: &self.hot, archive: &self.archive, pins: self.gc.pins() }
    }

    /// The engine's clock, in milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.meta.now_ms()
    }

    /// False when the metadata store keeps nothing across a restart (`memory`).
    pub fn durable(&self) -> bool {
        self.meta.durable()
    }

    /// True when other gateways may share the metadata and the data directory (`postgres`).
    pub fn shared(&self) -> bool {
        self.meta.shared()
    }

    /// Removes blob files no record refers to and nobody has written to for an hour (a gateway
    /// that died mid-upload leaves them), if this process holds (or takes) the background-work
    /// lease; None while another holds it. Each gateway sweeps at start too; this is for the ones
    /// that run for months.
    pub fn sweep_orphans(&self, lease_ms: i64) -> Result<Option<usize>> {
        if !self.claim(LIFECYCLE_WORK, self.meta.now_ms(), lease_ms)? {
            return Ok(None);
        }
        self.gc.sweep_orphans().map(Some)
    }

    // ---- buckets ----

    pub fn create_bucket(&self, name: &BucketName, owner: &str, region: &str) -> Result<BucketRecord> {
        self.buckets.create(name, owner, region, None, &AccessSettings::default())
    }

    /// Creates a bucket with its first ACL and access settings, all in one commit.
    pub fn create_bucket_with(
        &self,
        name: &BucketName,
        owner: &str,
        region: &str,
        acl: Option<&Acl>,
        access: &AccessSettings,
    ) -> Result<BucketRecord> {
        self.buckets.create(name, owner, region, acl, access)
    }

    /// Turns Object Lock on for a bucket with versioning enabled, or changes its default
    /// retention (InvalidBucketState without versioning enabled).
    pub fn set_object_lock(&self, name: &BucketName, config: ObjectLockConfig) -> Result<()> {
        self.buckets.set_object_lock(name, config)
    }

    /// One version's Object Lock (the default, unlocked, when it has none).
    pub fn version_lock(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<VersionLock> {
        self.objects.version_lock(bucket, rec)
    }

    /// Sets (or with None removes) a version's retention, as Object Lock allows: extended always,
    /// shortened or removed only from GOVERNANCE with `bypass` (ObjectLocked otherwise).
    pub fn set_retention(
        &self,
        bucket: &BucketName,
        rec: &ObjectRecord,
        retention: Option<Retention>,
        bypass: bool,
    ) -> Result<()> {
        self.objects.set_retention(bucket, rec, retention, bypass)
    }

    /// Puts a legal hold on a version, or lifts it.
    pub fn set_legal_hold(&self, bucket: &BucketName, rec: &ObjectRecord, on: bool) -> Result<()> {
        self.objects.set_legal_hold(bucket, rec, on)
    }

    /// The bucket's policy, Block Public Access and Object Ownership settings.
    pub fn bucket_access(&self, name: &BucketName) -> Result<AccessSettings> {
        self.buckets.access(name)
    }

    /// Changes the bucket's access settings in one transaction; `change` may refuse with its own
    /// error, which is returned inside the Ok and changes nothing.
    pub fn update_bucket_access<E>(
        &self,
        name: &BucketName,
        change: impl Fn(&mut AccessSettings) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        self.buckets.update_access(name, change)
    }

    pub fn bucket(&self, name: &BucketName) -> Result<BucketRecord> {
        self.buckets.get(name)
    }

    pub fn list_buckets(&self) -> Result<Vec<BucketRecord>> {
        self.buckets.list()
    }

    /// Enables or suspends versioning. A bucket cannot return to unversioned.
    pub fn set_versioning(&self, name: &BucketName, state: Versioning) -> Result<()> {
        self.buckets.set_versioning(name, state)
    }

    /// Removes an empty bucket, with its quota, ACL, access settings, tags, website and CORS
    /// configuration.
    pub fn delete_bucket(&self, name: &BucketName) -> Result<()> {
        self.buckets.delete(name)?;
        self.usage.forget(name);
        Ok(())
    }

    // ---- usage and quotas ----

    /// What a bucket stores now.
    pub fn usage(&self, bucket: &BucketName) -> BucketUsage {
        self.usage.of(bucket)
    }

    /// The bucket's byte quota, if it has one.
    pub fn quota(&self, bucket: &BucketName) -> Result<Option<u64>> {
        self.usage.quota(bucket)
    }

    /// Sets (or with None removes) the bucket's byte quota. A quota below what the bucket holds
    /// refuses new writes until enough is deleted; nothing stored is touched.
    pub fn set_quota(&self, bucket: &BucketName, bytes: Option<u64>) -> Result<()> {
        self.buckets.get(bucket)?;
        self.usage.set_quota(bucket, bytes)
    }

    // ---- objects ----

    pub fn new_blob(&self) -> Result<BlobWriter> {
        Ok(self.hot.new_writer())
    }

    /// A reader over bytes `start..end` of a version of an object in `bucket`: from the hot tier,
    /// the archive tier (GLACIER_IR) or a restored copy. InvalidObjectState for an archived
    /// version that needs a restore and has no restored copy.
    pub fn reader(&self, bucket: &BucketName, rec: &ObjectRecord, start: u64, end: u64) -> Result<ObjectReader> {
        crate::object::reader::open_version(&self.stores(), bucket.as_str(), rec, (start, end), false)
    }

    /// Commits a staged blob as a new version of `key`. Durable on return.
    pub fn put_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        staged: StagedBlob,
        meta: ObjectMeta,
        checksum: Option<(String, String)>,
        cond: &WriteCondition,
    ) -> Result<ObjectRecord> {
        self.objects.put(bucket, key, staged, meta, checksum, cond)
    }

    /// The current version of `key`; if the key's latest version is a delete marker, that marker.
    pub fn object(&self, bucket: &BucketName, key: &ObjectKey) -> Result<ObjectRecord> {
        self.objects.current(bucket, key)
    }

    /// One version (or delete marker) by id.
    pub fn object_version(&self, bucket: &BucketName, key: &ObjectKey, id: &str) -> Result<ObjectRecord> {
        self.versions.get(bucket, key, id)
    }

    /// S3's DELETE, with or without a version id (see `Objects::delete`).
    pub fn delete_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        version: Option<&str>,
        owner: &str,
    ) -> Result<DeleteOutcome> {
        self.objects.delete(bucket, key, version, owner, &DeleteCondition::default())
    }

    /// A DELETE that happens only if the version it removes meets `cond` (PreconditionFailed if
    /// not; NoSuchKey for an ETag condition on nothing).
    pub fn delete_object_if(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        version: Option<&str>,
        owner: &str,
        cond: &DeleteCondition,
    ) -> Result<DeleteOutcome> {
        self.objects.delete(bucket, key, version, owner, cond)
    }

    /// Replaces the tag set of one version.
    pub fn set_tags(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        version_id: &str,
        tags: Vec<(String, String)>,
    ) -> Result<()> {
        self.objects.set_tags(bucket, key, version_id, tags)
    }

    pub fn list_objects(&self, bucket: &BucketName, q: &ListQuery) -> Result<ListPage> {
        self.listing.list(bucket, q)
    }

    pub fn list_versions(&self, bucket: &BucketName, q: &VersionQuery) -> Result<VersionPage> {
        self.versions.list(bucket, q)
    }

    // ---- multipart uploads ----

    pub fn create_upload(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        meta: ObjectMeta,
        checksum: Option<(String, String)>,
    ) -> Result<UploadRecord> {
        self.uploads.create(bucket, key, meta, checksum)
    }

    pub fn upload(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<UploadRecord> {
        self.uploads.get(bucket, key, upload_id)
    }

    /// Stores a part, replacing an earlier upload of the same number. Durable on return.
    pub fn put_part(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload_id: &str,
        number: u32,
        staged: StagedBlob,
        checksum: Option<(String, String)>,
    ) -> Result<PartRecord> {
        self.uploads.put_part(bucket, key, upload_id, number, staged, checksum)
    }

    /// Parts after `after`, at most `max`, and whether more follow.
    pub fn list_parts(&self, upload_id: &str, after: u32, max: usize) -> Result<(Vec<PartRecord>, bool)> {
        self.uploads.list_parts(upload_id, after, max)
    }

    /// Validates the requested parts against those uploaded and returns them in order.
    pub fn check_completion(&self, upload_id: &str, requested: &[CompletedPart]) -> Result<Vec<PartRecord>> {
        self.uploads.check_completion(upload_id, requested)
    }

    /// Completes an upload from `parts` (as returned by `check_completion`). Durable on return.
    pub fn complete_upload(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload: &UploadRecord,
        parts: &[PartRecord],
        checksum: Option<(String, String)>,
        cond: &WriteCondition,
    ) -> Result<ObjectRecord> {
        self.uploads.complete(bucket, key, upload, parts, checksum, cond)
    }

    /// The version a recently completed upload made (a lifecycle day at most), if it is still
    /// there: a retried CompleteMultipartUpload answers with it.
    pub fn completed_upload(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload_id: &str,
    ) -> Result<Option<ObjectRecord>> {
        self.uploads.completed(bucket, key, upload_id)
    }

    /// Abandons an upload and deletes its parts.
    pub fn abort_upload(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<()> {
        self.uploads.abort(bucket, key, upload_id)
    }

    pub fn list_uploads(&self, bucket: &BucketName, q: &UploadListQuery) -> Result<UploadPage> {
        self.uploads.list(bucket, q)
    }

    // ---- ACLs and bucket documents ----

    /// The bucket's ACL (`private` to its owner unless set otherwise).
    pub fn bucket_acl(&self, bucket: &BucketRecord) -> Result<Acl> {
        self.acls.bucket(bucket)
    }

    pub fn set_bucket_acl(&self, bucket: &BucketName, acl: &Acl) -> Result<()> {
        self.acls.set_bucket(bucket, acl)
    }

    /// One version's ACL (`private` to its writer unless set otherwise).
    pub fn version_acl(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Acl> {
        self.acls.version(bucket, rec)
    }

    /// Replaces one version's ACL; NoSuchVersion if the version went away meanwhile.
    pub fn set_version_acl(&self, bucket: &BucketName, rec: &ObjectRecord, acl: &Acl) -> Result<()> {
        self.acls.set_version(bucket, rec, acl)
    }

    pub fn website(&self, bucket: &BucketName) -> Result<Option<WebsiteConfig>> {
        self.websites.get(bucket)
    }

    /// Sets the bucket's website configuration, or with None removes it.
    pub fn set_website(&self, bucket: &BucketName, config: Option<&WebsiteConfig>) -> Result<()> {
        self.websites.set(bucket, config)
    }

    /// The bucket's CORS rules, if it has any.
    pub fn cors(&self, bucket: &BucketName) -> Result<Option<CorsConfig>> {
        self.cors.get(bucket)
    }

    /// Sets the bucket's CORS rules, or with None removes them.
    pub fn set_cors(&self, bucket: &BucketName, config: Option<&CorsConfig>) -> Result<()> {
        self.cors.set(bucket, config)
    }

    /// The bucket's own tags (not its objects'), if it has any.
    pub fn bucket_tags(&self, bucket: &BucketName) -> Result<Option<Vec<(String, String)>>> {
        self.bucket_tags.get(bucket)
    }

    /// Replaces the bucket's tags, or with None removes them.
    pub fn set_bucket_tags(&self, bucket: &BucketName, tags: Option<&Vec<(String, String)>>) -> Result<()> {
        self.bucket_tags.set(bucket, tags)
    }

    // ---- users ----

    /// The users and their keys.
    pub fn users(&self) -> &UserDirectory {
        &self.users
    }

    /// Removes a user who owns no bucket.
    pub fn remove_user(&self, name: &str) -> Result<()> {
        self.users.remove_unless_owner(name, &self.buckets)
    }
}
