//! The engine: a thin facade over the capabilities, wired to one metadata store and the hot tier.

use crate::access::AccessSettings;
use crate::acl::Acl;
use crate::acl_store::Acls;
use crate::archive::{ArchiveOptions, ArchiveStore};
use crate::bucket_docs::BucketDocs;
use crate::buckets::Buckets;
use crate::clock::Clock;
use crate::cors::CorsConfig;
use crate::error::{EngineError, Result};
use crate::gc::Gc;
use crate::hot::{BlobWriter, HotTier, StagedBlob};
use crate::lifecycle::LifecycleConfig;
use crate::lifecycle_worker::{LifecycleWorker, PassReport, RunStats};
use crate::list::{ListPage, ListQuery, Listing};
use crate::lock::{ObjectLockConfig, Retention, VersionLock};
use crate::meta::{self, Backend, Keyspace, Meta};
use crate::multipart::{CompletedPart, UploadListQuery, UploadPage, Uploads};
use crate::names::{BucketName, ObjectKey};
use crate::objects::{DeleteCondition, DeleteOutcome, Objects, WriteCondition};
use crate::reader::ObjectReader;
use crate::record::{BucketRecord, ObjectMeta, ObjectRecord, PartRecord, RestoreRecord, UploadRecord, Versioning};
use crate::restore::{RestoreOutcome, Restores};
use crate::schedule::Schedule;
use crate::scrub::ScrubReport;
use crate::usage::{BucketUsage, Usage};
use crate::users::UserDirectory;
use crate::versions::{VersionPage, VersionQuery, Versions};
use crate::website::WebsiteConfig;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Root of the data directory; metadata and the hot tier live below it.
    pub data_dir: PathBuf,
    /// Where the metadata lives (`metadata.backend`).
    pub backend: Backend,
    /// The metadata store's page cache in bytes.
    pub cache_bytes: u64,
    /// Where PostgreSQL is (`metadata.url`), for `Backend::Postgres`.
    pub metadata_url: Option<String>,
    /// The CA PostgreSQL's certificate is checked against (`metadata.ca_file`; None: the system's).
    pub metadata_ca_file: Option<PathBuf>,
    /// On a data directory several gateways share: how long a file must have been left untouched
    /// before sweeps count it abandoned (`metadata.settle_secs`).
    pub settle: std::time::Duration,
    /// Smallest multipart part except the last (S3: 5 MiB). Lower only for tests and benchmarks.
    pub min_part_size: u64,
    /// The length of one lifecycle day (`lifecycle.day_secs`; AWS: 86,400 s).
    pub lifecycle_day_ms: i64,
    pub clock: Clock,
    /// Root of the archive tier (`archive.dir`); None: `<data_dir>/archive`.
    pub archive_dir: Option<PathBuf>,
    /// Restore delays are divided by this (`archive.time_scale`; AWS's timing: 1).
    pub archive_time_scale: f64,
    /// zstd level of the archive tier.
    pub archive_level: i32,
    /// Queue restore events for delivery (`archive.notify_url` is set).
    pub notifications: bool,
}

impl EngineConfig {
    /// S3's defaults for everything but the data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EngineConfig {
            data_dir: data_dir.into(),
            backend: Backend::Sled,
            cache_bytes: 64 << 20,
            metadata_url: None,
            metadata_ca_file: None,
            settle: crate::hot::SHARED_SETTLE,
            min_part_size: crate::MIN_PART_SIZE,
            lifecycle_day_ms: 86_400_000,
            clock: Clock::System,
            archive_dir: None,
            archive_time_scale: 1.0,
            archive_level: 3,
            notifications: false,
        }
    }
}

/// Work waiting: blobs to delete, multipart uploads not yet completed or aborted, lifecycle hints.
#[derive(Clone, Copy, Debug, Default)]
pub struct Queues {
    pub gc: usize,
    pub uploads: usize,
    /// Lifecycle hints, due or not.
    pub lifecycle: usize,
}

/// The archive tier at a glance (`firn admin archive`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArchiveReport {
    pub segments: usize,
    /// Bytes of the segment files.
    pub on_disk: u64,
    /// Of those, the bytes live versions take; the rest is dead space.
    pub live: u64,
    /// Archived versions and their bytes before compression.
    pub versions: u64,
    pub logical: u64,
    /// Restore jobs still running: `bucket/key`, tier, due time (ms), soonest first.
    pub restore_jobs: Vec<(String, String, i64)>,
    /// Restored copies on the hot tier.
    pub restored_copies: u64,
    /// Transitions the lifecycle rules will make: `bucket/key`, version id, class, due time (ms),
    /// soonest first.
    pub pending_transitions: Vec<(String, String, String, i64)>,
}

/// What a scrape of the engine shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineStats {
    pub buckets: usize,
    /// Object versions on the hot tier (delete markers excluded) and their bytes.
    pub hot_versions: i64,
    pub hot_bytes: i64,
    /// Blobs waiting to be deleted.
    pub gc_queue: usize,
    /// Object versions in the archive tier and their bytes (before compression).
    pub archive_versions: i64,
    pub archive_bytes: i64,
    /// The archive tier's segment files, their bytes, and the bytes of them live versions take.
    pub archive_segments: usize,
    pub archive_on_disk: u64,
    pub archive_live: u64,
}

/// This node's name as a lease holder: kept in the data directory, so a node that restarts after a
/// crash takes its own leases back at once instead of waiting for them to run out.
fn node_id(data_dir: &std::path::Path) -> Result<String> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => {
            let id = uuid::Uuid::new_v4().to_string();
            let tmp = data_dir.join("node-id.tmp");
            std::fs::write(&tmp, &id)?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            Ok(id)
        }
    }
}

/// A gateway's name as a lease holder when several share the data directory (and so could not
/// each keep a name in it): its own for this run, so a restarted gateway waits for its old leases
/// to run out like any other.
fn process_id() -> String {
    format!("gw-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

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
}

impl Engine {
    /// Opens (or creates) the data directory and runs start-up recovery: unfinished uploads and
    /// blobs that no record refers to are removed.
    pub fn open(cfg: &EngineConfig) -> Result<Engine> {
        std::fs::create_dir_all(&cfg.data_dir)?;
        let pg = (cfg.metadata_url.as_deref(), cfg.metadata_ca_file.as_deref());
        let store = meta::open(cfg.backend, &cfg.data_dir.join("meta"), cfg.cache_bytes, pg)?;
        let meta = Meta::with_clock(store, cfg.clock.clone());
        // Several gateways share the data directory when they share the metadata.
        let shared = meta.shared();
        let hot = HotTier::open(&cfg.data_dir.join("hot"), shared.then_some(cfg.settle))?;
        let archive_root = cfg.archive_dir.clone().unwrap_or_else(|| cfg.data_dir.join("archive"));
        let options = ArchiveOptions { level: cfg.archive_level, shared, settle: cfg.settle, ..Default::default() };
        let archive = ArchiveStore::open(&archive_root, options)?;
        let gc = Gc::new(meta.clone(), hot.clone());
        gc.collect()?;
        let orphans = gc.sweep_orphans()?;
        if orphans > 0 {
            tracing::info!(orphans, "removed blobs no metadata refers to");
        }
        let usage = Usage::count(meta.clone())?;
        let buckets = Buckets::new(meta.clone());
        let versions = Versions::new(meta.clone(), buckets.clone());
        let schedule = Schedule::new(meta.clone(), cfg.lifecycle_day_ms);
        let objects = Objects::new(
            (meta.clone(), hot.clone(), archive.clone()),
            buckets.clone(),
            versions.clone(),
            usage.clone(),
            gc.clone(),
            schedule.clone(),
        );
        let uploads = Uploads::new(
            meta.clone(),
            hot.clone(),
            buckets.clone(),
            objects.clone(),
            gc.clone(),
            schedule.clone(),
            cfg.min_part_size,
        );
        let restores = Restores::new(
            meta.clone(),
            hot.clone(),
            archive.clone(),
            schedule.clone(),
            gc.clone(),
            (cfg.archive_time_scale, cfg.notifications),
        );
        let lifecycle =
            LifecycleWorker::new(meta.clone(), schedule.clone(), objects.clone(), uploads.clone(), restores.clone());
        Ok(Engine {
            listing: Listing::new(meta.clone(), buckets.clone()),
            acls: Acls::new(meta.clone(), buckets.clone()),
            websites: BucketDocs::new(meta.clone(), buckets.clone(), Keyspace::Websites),
            cors: BucketDocs::new(meta.clone(), buckets.clone(), Keyspace::Cors),
            bucket_tags: BucketDocs::new(meta.clone(), buckets.clone(), Keyspace::BucketTags),
            users: UserDirectory::new(meta.clone()),
            holder: if shared { process_id() } else { node_id(&cfg.data_dir)? },
            meta,
            hot,
            buckets,
            versions,
            objects,
            uploads,
            usage,
            gc,
            schedule,
            lifecycle,
            archive,
            restores,
        })
    }

    /// Where versions' bytes are read from.
    fn stores(&self) -> crate::reader::Stores<'_> {
        crate::reader::Stores { meta: &self.meta, hot: &self.hot, archive: &self.archive, pins: self.gc.pins() }
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
        let now = self.meta.now_ms();
        self.objects.update_version_lock(bucket, rec, |lock| {
            lock.may_set_retention(retention, now, bypass)?;
            lock.retention = retention;
            Ok(())
        })
    }

    /// Puts a legal hold on a version, or lifts it.
    pub fn set_legal_hold(&self, bucket: &BucketName, rec: &ObjectRecord, on: bool) -> Result<()> {
        self.objects.update_version_lock(bucket, rec, |lock| {
            lock.legal_hold = on;
            lock.hold_set = true;
            Ok(())
        })
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
        crate::reader::open_version(&self.stores(), bucket.as_str(), rec, (start, end), false)
    }

    // ---- the archive tier ----

    /// RestoreObject: starts, speeds up or extends the restore of an archived version.
    pub fn restore_object(
        &self,
        bucket: &BucketName,
        rec: &ObjectRecord,
        days: u32,
        tier: &str,
    ) -> Result<RestoreOutcome> {
        self.restores.request(bucket, rec, days, tier)
    }

    /// The restore job or restored copy of a version, if it has one.
    pub fn restore_status(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Option<RestoreRecord>> {
        self.restores.status(bucket, rec)
    }

    /// The next restore notifications to deliver (at most `max`), in the order they happened, with
    /// their queue keys. Delivery keeps that order: nothing is returned while the oldest waits out
    /// its backoff.
    pub fn due_notifications(&self, max: usize) -> Result<Vec<(Vec<u8>, crate::Notification)>> {
        let now = self.meta.now_ms();
        let mut out = Vec::new();
        for item in self.meta.iter(Keyspace::Notifications) {
            let (k, v) = item?;
            let n: crate::Notification = crate::record::decode(&v)?;
            if n.next_attempt_ms > now || out.len() == max {
                break;
            }
            out.push((k, n));
        }
        Ok(out)
    }

    /// A notification was delivered: it leaves the queue.
    pub fn notification_delivered(&self, id: &[u8]) -> Result<()> {
        self.meta.remove(Keyspace::Notifications, id)?;
        self.meta.sync()
    }

    /// A delivery failed: try again after `backoff_ms`.
    pub fn notification_failed(&self, id: &[u8], mut n: crate::Notification, backoff_ms: i64) -> Result<()> {
        n.attempts += 1;
        n.next_attempt_ms = self.meta.now_ms() + backoff_ms;
        self.meta.insert(Keyspace::Notifications, id, crate::record::encode(&n))?;
        self.meta.sync()
    }

    /// What the archive tier holds, for the operator. Scans the archive's records: for `admin`.
    pub fn archive_report(&self) -> Result<ArchiveReport> {
        let (on_disk, live) = self.archive_bytes()?;
        let mut report =
            ArchiveReport { segments: self.archive.segments()?.len(), on_disk, live, ..Default::default() };
        for item in self.meta.iter(Keyspace::Archived) {
            let a: crate::archive::ArchiveRef = crate::record::decode(&item?.1)?;
            report.versions += 1;
            report.logical += a.size;
        }
        for item in self.meta.iter(Keyspace::Restores) {
            let (vkey, v) = item?;
            let r: RestoreRecord = crate::record::decode(&v)?;
            match r.completed_ms {
                Some(_) => report.restored_copies += 1,
                None => report.restore_jobs.push((
                    String::from_utf8_lossy(&vkey[..vkey.len() - 9]).replace('\0', "/"),
                    r.tier,
                    r.due_ms,
                )),
            }
        }
        report.restore_jobs.sort_by_key(|j| j.2);
        // Transitions the rules have scheduled: the keys the lifecycle queue will look at.
        let mut keys = std::collections::BTreeSet::new();
        for item in self.meta.iter(Keyspace::LifecycleQueue) {
            let (k, _) = item?;
            if let Some((_, crate::schedule::OBJECT, payload)) = crate::schedule::parse_queue_key(&k) {
                keys.insert(payload.to_vec());
            }
        }
        for payload in keys {
            let Some((bucket, key)) = crate::schedule::object_of(&payload) else { continue };
            let Some(config) = self.schedule.config(&bucket)? else { continue };
            for (version, class, at) in self.objects.pending_transitions(&bucket, &key, &config)? {
                report.pending_transitions.push((format!("{bucket}/{key}"), version, class, at));
            }
        }
        report.pending_transitions.sort_by_key(|t| t.3);
        Ok(report)
    }

    /// Compacts the archive segments whose dead share is at least `min_dead` (0 to 1), if this
    /// node holds (or takes) the background-work lease; None while another node holds it. `seal`
    /// takes the segments still open for appending too.
    pub fn compact_archive(&self, min_dead: f64, seal: bool, lease_ms: i64) -> Result<Option<crate::CompactReport>> {
        if !self.claim(LIFECYCLE_WORK, self.meta.now_ms(), lease_ms)? {
            return Ok(None);
        }
        crate::compaction::compact(&self.meta, &self.archive, min_dead, seal).map(Some)
    }

    /// The archive tier's bytes on disk, and how many of them hold live versions (the rest is
    /// dead space, reclaimed by compaction).
    pub fn archive_bytes(&self) -> Result<(u64, u64)> {
        let on_disk = self.archive.segments()?.iter().map(|(_, len)| len).sum();
        let mut live = 0;
        for item in self.meta.iter(Keyspace::ArchiveSegments) {
            let (_, v) = item?;
            live += v.try_into().map(u64::from_be_bytes).unwrap_or(0);
        }
        Ok((on_disk, live))
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

    // ---- ACLs and website ----

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

    // ---- lifecycle ----

    pub fn lifecycle(&self, bucket: &BucketName) -> Result<Option<LifecycleConfig>> {
        self.buckets.get(bucket)?;
        self.schedule.config(bucket)
    }

    /// Sets (or with None removes) the bucket's lifecycle configuration; the worker then looks at
    /// everything in the bucket again.
    pub fn set_lifecycle(&self, bucket: &BucketName, config: Option<&LifecycleConfig>) -> Result<()> {
        self.schedule.set_config(bucket, config)
    }

    /// The length of a lifecycle day in milliseconds.
    pub fn lifecycle_day_ms(&self) -> i64 {
        self.schedule.day_ms()
    }

    /// One pass of the lifecycle worker over at most `budget` due hints, if this process holds
    /// (or takes) the lifecycle lease for `lease_ms`; None while another process holds it.
    pub fn run_lifecycle(&self, budget: usize, lease_ms: i64) -> Result<Option<PassReport>> {
        if !self.claim(LIFECYCLE_WORK, self.meta.now_ms(), lease_ms)? {
            return Ok(None);
        }
        self.lifecycle.pass(budget).map(Some)
    }

    /// Gives up the lifecycle lease (on shutdown).
    pub fn stop_lifecycle(&self) -> Result<()> {
        self.release(LIFECYCLE_WORK)
    }

    /// The worker's last run in a bucket (or with None, its last pass).
    pub fn lifecycle_last_run(&self, bucket: Option<&BucketName>) -> Result<Option<RunStats>> {
        self.lifecycle.last_run(bucket.map_or("", |b| b.as_str()))
    }

    /// The bucket's pending lifecycle work: how many hints, and the earliest. Scans the queue.
    pub fn lifecycle_pending(&self, bucket: &BucketName) -> Result<(usize, Option<i64>)> {
        self.lifecycle.pending(bucket)
    }

    /// When the lifecycle rules will expire the current version `rec`, and by which rule.
    pub fn expiration_of(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Option<(i64, String)>> {
        if rec.delete_marker {
            return Ok(None);
        }
        self.objects.expiration(bucket, rec)
    }

    /// When the rules will abort an upload of `key` started at `initiated_ms`, and by which rule.
    pub fn abort_date_of(&self, bucket: &BucketName, key: &str, initiated_ms: i64) -> Result<Option<(i64, String)>> {
        let Some(config) = self.schedule.config(bucket)? else { return Ok(None) };
        Ok(self.schedule.abort_date(&config, key, initiated_ms).map(|(at, id)| (at, id.to_owned())))
    }

    // ---- users ----

    /// The users and their keys.
    pub fn users(&self) -> &UserDirectory {
        &self.users
    }

    /// Removes a user who owns no bucket.
    pub fn remove_user(&self, name: &str) -> Result<()> {
        let id = crate::users::canonical_id(name);
        let owned: Vec<String> = self.list_buckets()?.into_iter().filter(|b| b.owner == id).map(|b| b.name).collect();
        if !owned.is_empty() {
            return Err(EngineError::UserOwnsBuckets(owned.join(", ")));
        }
        self.users.remove(name).map(|_| ())
    }

    // ---- operating ----

    pub fn stats(&self) -> EngineStats {
        let total = self.usage.total();
        let archived = self.usage.archived();
        let (archive_on_disk, archive_live) = self.archive_bytes().unwrap_or_default();
        EngineStats {
            buckets: self.buckets.count(),
            hot_versions: total.objects - archived.objects,
            hot_bytes: total.bytes - archived.bytes,
            archive_versions: archived.objects,
            archive_bytes: archived.bytes,
            gc_queue: self.gc.queued().unwrap_or(0),
            archive_segments: self.archive.segments().map(|s| s.len()).unwrap_or(0),
            archive_on_disk,
            archive_live,
        }
    }

    /// The work waiting in the background queues. Counts by scanning: for `admin`, not for metrics.
    pub fn queues(&self) -> Result<Queues> {
        Ok(Queues {
            gc: self.gc.queued()?,
            uploads: self.meta.len(Keyspace::Uploads)?,
            lifecycle: self.meta.len(Keyspace::LifecycleQueue)?,
        })
    }

    /// True when the metadata store answers; for readiness checks.
    pub fn ready(&self) -> bool {
        self.buckets.ready()
    }

    /// Deletes the blobs queued by earlier commits; returns how many. Idempotent: a crash part-way
    /// repeats it safely. Commits run it themselves; `admin gc` runs it on demand.
    pub fn collect_garbage(&self) -> Result<usize> {
        self.gc.collect()
    }

    /// Claims the unit of background work `work` for this process for `ttl_ms` (renewing it if
    /// held already). False while another process holds it: that process does the work.
    pub fn claim(&self, work: &str, now_ms: i64, ttl_ms: i64) -> Result<bool> {
        self.meta.claim(work, &self.holder, now_ms, ttl_ms)
    }

    /// Who holds the claim on `work` at `now_ms`, if anyone.
    pub fn lease(&self, work: &str, now_ms: i64) -> Result<Option<meta::Lease>> {
        self.meta.lease(work, now_ms)
    }

    /// Gives up a claim early (on shutdown), so that another process need not wait for it to run out.
    pub fn release(&self, work: &str) -> Result<()> {
        self.meta.release(work, &self.holder)
    }

    /// Verifies every version. `progress` is called after each one with the running totals.
    pub fn scrub(&self, progress: impl FnMut(&ScrubReport)) -> Result<ScrubReport> {
        crate::scrub::scrub(&self.stores(), progress)
    }

    #[cfg(test)]
    /// Stored blobs: files on the hot tier plus inline blobs in the metadata store.
    pub(crate) fn blob_count(&self) -> usize {
        self.hot.all_blob_ids().unwrap().len() + self.meta.len(Keyspace::Inline).unwrap()
    }

    #[cfg(test)]
    pub(crate) fn hot(&self) -> &HotTier {
        &self.hot
    }

    #[cfg(test)]
    pub(crate) fn acl_count(&self) -> usize {
        self.meta.len(Keyspace::Acls).unwrap()
    }

    #[cfg(test)]
    pub(crate) fn inline_count(&self) -> usize {
        self.meta.len(Keyspace::Inline).unwrap()
    }

    #[cfg(test)]
    pub(crate) fn meta(&self) -> &Meta {
        &self.meta
    }
}
