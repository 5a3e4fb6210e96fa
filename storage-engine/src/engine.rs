//! The engine: buckets and objects over sled metadata and the hot tier.

use crate::error::{EngineError, Result};
use crate::hot::{BlobWriter, HotTier, ObjectReader};
use crate::keys;
use crate::names::BucketName;
use crate::record::{self, BucketRecord, ObjectRecord, Versioning};
use crate::users::UserDirectory;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Root of the data directory; metadata and the hot tier live below it.
    pub data_dir: PathBuf,
    /// sled's page cache in bytes.
    pub cache_bytes: u64,
    /// Smallest multipart part except the last (S3: 5 MiB). Lower only for tests and benchmarks.
    pub min_part_size: u64,
}

impl EngineConfig {
    /// S3's defaults for everything but the data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EngineConfig { data_dir: data_dir.into(), cache_bytes: 64 << 20, min_part_size: crate::MIN_PART_SIZE }
    }
}

/// Conditions checked atomically with a write (conditional PUT).
#[derive(Clone, Debug, Default)]
pub struct WriteCondition {
    /// `If-Match`: the current ETag (unquoted) must equal this.
    pub if_match: Option<String>,
    /// `If-None-Match: *`: no current object may exist.
    pub if_none_match_any: bool,
}

impl WriteCondition {
    pub(crate) fn check(&self, current: Option<&ObjectRecord>) -> Result<()> {
        match (current, &self.if_match) {
            (None, Some(_)) => return Err(EngineError::NoSuchKey),
            (Some(cur), Some(etag)) if etag != "*" && *etag != cur.etag => return Err(EngineError::PreconditionFailed),
            _ => {}
        }
        if self.if_none_match_any && current.is_some() {
            return Err(EngineError::PreconditionFailed);
        }
        Ok(())
    }
}

/// Bookkeeping committed in the same batch as an object record (multipart completion).
#[derive(Default)]
pub(crate) struct Commit {
    /// The upload record to remove; the commit fails with NoSuchUpload if it is gone.
    pub remove_upload: Option<Vec<u8>>,
    pub remove_parts: Vec<Vec<u8>>,
    /// Blobs no longer needed (parts left out of the completed object).
    pub drop_blobs: Vec<u128>,
    /// A small blob's bytes, stored with the record.
    pub inline: Option<(u128, Vec<u8>)>,
    /// The record's blobs are registered already (they were an upload's parts).
    pub blobs_registered: bool,
}

/// Group commit state: tickets are handed out after a commit; a flush makes durable every ticket
/// below the count it saw when it started.
#[derive(Default)]
pub(crate) struct GroupCommit {
    state: Mutex<GroupState>,
    flushed: Condvar,
}

#[derive(Default)]
struct GroupState {
    next_ticket: u64,
    durable_below: u64,
    flushing: bool,
}

/// Stripes of the per-key lock that serializes read-modify-write of one key's versions.
const KEY_LOCKS: usize = 64;

pub struct Engine {
    pub(crate) db: sled::Db,
    pub(crate) buckets: sled::Tree,
    /// The current version of each live key: bucket 0x00 key → ObjectRecord. Plain GETs and
    /// listings read only this tree; keys whose latest version is a delete marker are absent.
    pub(crate) objects: sled::Tree,
    /// Every version and delete marker: bucket 0x00 key 0x00 !seq → ObjectRecord, newest first.
    pub(crate) versions: sled::Tree,
    /// Where each key's "null" version is: bucket 0x00 key → seq.
    pub(crate) nulls: sled::Tree,
    /// Every blob some record refers to: blob id → the key that registered it (a version or an upload;
    /// informational). Presence is what keeps a blob: files and inline blobs not in here are orphans.
    pub(crate) blobs: sled::Tree,
    /// Blobs made unreachable by a commit, deleted after it: blob id → ().
    pub(crate) gc: sled::Tree,
    /// Small blobs kept in the metadata store: blob id → bytes.
    pub(crate) inline: sled::Tree,
    /// Multipart uploads in progress: bucket 0x00 key 0x00 upload-id → UploadRecord.
    pub(crate) uploads: sled::Tree,
    /// Their parts: upload-id 0x00 part-number → PartRecord.
    pub(crate) parts: sled::Tree,
    pub(crate) hot: HotTier,
    pub(crate) min_part_size: u64,
    /// ACLs of buckets, versions and uploads that are not the default `private` (see `acl.rs`).
    pub(crate) acls: sled::Tree,
    /// Website configurations: bucket name → WebsiteConfig.
    pub(crate) websites: sled::Tree,
    /// Byte quotas of the buckets that have one: bucket name → u64 (big-endian).
    pub(crate) quotas: sled::Tree,
    pub(crate) users: UserDirectory,
    key_locks: Vec<Mutex<()>>,
    group: GroupCommit,
    /// Object versions (not delete markers) stored per bucket, and their bytes: counted at start-up,
    /// kept current by each commit; for metrics, `admin` and quotas.
    pub(crate) usage: Mutex<HashMap<String, BucketUsage>>,
}

/// What one bucket stores: every version (noncurrent ones too; delete markers excluded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BucketUsage {
    pub objects: i64,
    pub bytes: i64,
}

/// Work waiting: blobs to delete, multipart uploads not yet completed or aborted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Queues {
    pub gc: usize,
    pub uploads: usize,
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
}

pub(crate) fn abort<T>(e: EngineError) -> std::result::Result<T, ConflictableTransactionError<EngineError>> {
    Err(ConflictableTransactionError::Abort(e))
}

pub(crate) fn tx_err(e: TransactionError<EngineError>) -> EngineError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => EngineError::Meta(e),
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Engine {
    /// Opens (or creates) the data directory and runs start-up recovery: unfinished uploads and
    /// blobs that no record refers to are removed.
    pub fn open(cfg: &EngineConfig) -> Result<Engine> {
        std::fs::create_dir_all(&cfg.data_dir)?;
        let db = sled::Config::new().path(cfg.data_dir.join("meta")).cache_capacity(cfg.cache_bytes).open()?;
        let engine = Engine {
            buckets: db.open_tree("buckets")?,
            objects: db.open_tree("objects")?,
            versions: db.open_tree("versions")?,
            nulls: db.open_tree("nulls")?,
            blobs: db.open_tree("blobs")?,
            gc: db.open_tree("gc")?,
            inline: db.open_tree("inline")?,
            uploads: db.open_tree("uploads")?,
            parts: db.open_tree("parts")?,
            quotas: db.open_tree("quotas")?,
            acls: db.open_tree("acls")?,
            websites: db.open_tree("websites")?,
            users: UserDirectory::open(&db)?,
            hot: HotTier::open(&cfg.data_dir.join("hot"))?,
            min_part_size: cfg.min_part_size,
            key_locks: (0..KEY_LOCKS).map(|_| Mutex::new(())).collect(),
            group: GroupCommit::default(),
            usage: Mutex::new(HashMap::new()),
            db,
        };
        engine.recover()?;
        engine.count_stored()?;
        Ok(engine)
    }

    fn recover(&self) -> Result<()> {
        self.collect_garbage()?;
        let mut orphans = 0;
        for id in self.hot.all_blob_ids()? {
            if !self.blobs.contains_key(keys::blob_key(id))? {
                self.hot.remove(id)?;
                orphans += 1;
            }
        }
        // Inline blobs are written in the same batch as their record, but an upload part may lose its
        // upload in between; sweep those too.
        for item in self.inline.iter() {
            let (k, _) = item?;
            if !self.blobs.contains_key(&k)? {
                self.inline.remove(k)?;
                orphans += 1;
            }
        }
        if orphans > 0 {
            tracing::info!(orphans, "removed blobs no metadata refers to");
        }
        Ok(())
    }

    /// Counts what is stored, once at start-up; commits keep the counts current after that.
    fn count_stored(&self) -> Result<()> {
        let mut usage: HashMap<String, BucketUsage> = HashMap::new();
        for item in self.versions.iter() {
            let (k, v) = item?;
            let rec: ObjectRecord = record::decode(&v)?;
            if !rec.delete_marker {
                let bucket = keys::bucket_of(&k).ok_or_else(|| EngineError::Corrupt("version key".into()))?;
                let u = usage.entry(bucket.to_owned()).or_default();
                u.objects += 1;
                u.bytes += rec.size as i64;
            }
        }
        *self.usage_map() = usage;
        Ok(())
    }

    fn usage_map(&self) -> MutexGuard<'_, HashMap<String, BucketUsage>> {
        self.usage.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Accounts for versions of `bucket` added (`sign` 1) or removed (`sign` -1).
    pub(crate) fn account(&self, bucket: &str, rec: &ObjectRecord, sign: i64) {
        if !rec.delete_marker {
            let mut map = self.usage_map();
            // Look up before inserting: the common case needs no allocation.
            if !map.contains_key(bucket) {
                map.insert(bucket.to_owned(), BucketUsage::default());
            }
            let u = map.get_mut(bucket).expect("inserted above");
            u.objects += sign;
            u.bytes += sign * rec.size as i64;
        }
    }

    /// What a bucket stores now.
    pub fn usage(&self, bucket: &BucketName) -> BucketUsage {
        self.usage_map().get(bucket.as_str()).copied().unwrap_or_default()
    }

    /// The bucket's byte quota, if it has one.
    pub fn quota(&self, bucket: &BucketName) -> Result<Option<u64>> {
        Ok(self.quotas.get(bucket.as_str())?.and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
    }

    /// Sets (or with None removes) the bucket's byte quota. A quota below what the bucket holds
    /// refuses new writes until enough is deleted; nothing stored is touched.
    pub fn set_quota(&self, bucket: &BucketName, bytes: Option<u64>) -> Result<()> {
        self.bucket(bucket)?;
        match bytes {
            Some(q) => self.quotas.insert(bucket.as_str(), &q.to_be_bytes())?,
            None => self.quotas.remove(bucket.as_str())?,
        };
        self.sync()
    }

    /// Refuses a write of `incoming` bytes that would take the bucket past its quota. Checked
    /// before a commit, not inside it: concurrent writers may overshoot by what they have in flight.
    pub(crate) fn check_quota(&self, bucket: &BucketName, incoming: u64) -> Result<()> {
        if let Some(q) = self.quota(bucket)? {
            if self.usage(bucket).bytes.max(0) as u64 + incoming > q {
                return Err(EngineError::QuotaExceeded(q));
            }
        }
        Ok(())
    }

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

    pub fn stats(&self) -> EngineStats {
        let (hot_versions, hot_bytes) =
            self.usage_map().values().fold((0, 0), |(o, b), u| (o + u.objects, b + u.bytes));
        EngineStats { buckets: self.buckets.len(), hot_versions, hot_bytes, gc_queue: self.gc.len() }
    }

    /// The work waiting in the background queues. Counts by scanning: for `admin`, not for metrics.
    pub fn queues(&self) -> Result<Queues> {
        Ok(Queues { gc: self.gc.len(), uploads: self.uploads.len() })
    }

    /// True when the metadata store answers; for readiness checks.
    pub fn ready(&self) -> bool {
        self.buckets.first().is_ok()
    }

    /// Deletes the blobs queued by earlier commits; returns how many. Idempotent: a crash part-way
    /// repeats it safely. Commits run it themselves; `admin gc` runs it on demand.
    pub fn collect_garbage(&self) -> Result<usize> {
        let mut removed = 0;
        for item in self.gc.iter() {
            let (k, _) = item?;
            let id = u128::from_be_bytes(k.as_ref().try_into().map_err(|_| EngineError::Corrupt("gc key".into()))?);
            self.hot.remove(id)?;
            self.inline.remove(&k)?;
            self.gc.remove(k)?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Makes every committed change durable (sled otherwise syncs only every ~500 ms). Group
    /// commit: concurrent callers share one flush. A flush covers every commit made before it
    /// started, so a caller waits for the first flush that starts after its own commit.
    pub(crate) fn sync(&self) -> Result<()> {
        let mut st = self.group.state.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        loop {
            if ticket < st.durable_below {
                return Ok(());
            }
            if !st.flushing {
                st.flushing = true;
                let covers = st.next_ticket;
                drop(st);
                let result = self.db.flush();
                st = self.group.state.lock().unwrap_or_else(|p| p.into_inner());
                st.flushing = false;
                if result.is_ok() {
                    st.durable_below = covers;
                }
                self.group.flushed.notify_all();
                result?;
                continue;
            }
            st = self.group.flushed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Serializes writers of one key (by stripe). Held across the read-then-commit of a write,
    /// released before the flush, so only the decision is serialized, not the I/O.
    pub(crate) fn lock_key(&self, okey: &[u8]) -> MutexGuard<'_, ()> {
        let h = okey.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100_0000_01b3));
        self.key_locks[(h % KEY_LOCKS as u64) as usize].lock().unwrap_or_else(|p| p.into_inner())
    }

    // ---- buckets ----

    pub fn create_bucket(&self, name: &BucketName, owner: &str, region: &str) -> Result<BucketRecord> {
        let rec = BucketRecord {
            name: name.to_string(),
            owner: owner.to_owned(),
            region: region.to_owned(),
            created_ms: now_ms(),
            versioning: Versioning::Unversioned,
        };
        let prev = self.buckets.compare_and_swap(name.as_str(), None::<&[u8]>, Some(record::encode(&rec)))?;
        if let Err(cas) = prev {
            let existing: BucketRecord = record::decode(&cas.current.expect("CAS failed on a present key"))?;
            return Err(if existing.owner == owner {
                EngineError::BucketAlreadyOwnedByYou
            } else {
                EngineError::BucketAlreadyExists
            });
        }
        self.sync()?;
        Ok(rec)
    }

    pub fn bucket(&self, name: &BucketName) -> Result<BucketRecord> {
        match self.buckets.get(name.as_str())? {
            Some(v) => record::decode(&v),
            None => Err(EngineError::NoSuchBucket),
        }
    }

    pub fn list_buckets(&self) -> Result<Vec<BucketRecord>> {
        self.buckets.iter().map(|item| record::decode(&item?.1)).collect()
    }

    /// Enables or suspends versioning. A bucket cannot return to unversioned.
    pub fn set_versioning(&self, name: &BucketName, state: Versioning) -> Result<()> {
        if state == Versioning::Unversioned {
            return Err(EngineError::Corrupt("a bucket cannot return to unversioned".into()));
        }
        let mut rec = self.bucket(name)?;
        rec.versioning = state;
        self.buckets.insert(name.as_str(), record::encode(&rec))?;
        self.sync()
    }

    pub fn delete_bucket(&self, name: &BucketName) -> Result<()> {
        self.bucket(name)?;
        let prefix = keys::bucket_prefix(name.as_str());
        // Any version or delete marker keeps a bucket non-empty, as do uploads in progress.
        if self.versions.scan_prefix(&prefix).next().is_some() || self.uploads.scan_prefix(&prefix).next().is_some() {
            return Err(EngineError::BucketNotEmpty);
        }
        // The bucket and its settings go together: a bucket made again later starts afresh.
        let acl_key = keys::acl_bucket_key(name.as_str());
        (&self.buckets, &self.quotas, &self.acls, &self.websites)
            .transaction(|(b, q, a, w)| {
                b.remove(name.as_str())?;
                q.remove(name.as_str())?;
                a.remove(acl_key.as_slice())?;
                w.remove(name.as_str())?;
                Ok(())
            })
            .map_err(tx_err)?;
        self.usage_map().remove(name.as_str());
        self.sync()
    }

    pub fn new_blob(&self) -> Result<BlobWriter> {
        Ok(self.hot.new_writer())
    }

    /// A reader over bytes `start..end` of the object.
    pub fn reader(&self, rec: &ObjectRecord, start: u64, end: u64) -> ObjectReader {
        ObjectReader::new(self.hot.clone(), self.inline.clone(), rec, start, end)
    }

    #[cfg(test)]
    /// Stored blobs: files on the hot tier plus inline blobs in the metadata store.
    pub(crate) fn blob_count(&self) -> usize {
        self.hot.all_blob_ids().unwrap().len() + self.inline.len()
    }
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
