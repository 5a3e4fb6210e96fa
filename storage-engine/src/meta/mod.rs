//! The metadata store: what the engine needs from a database, and nothing more. Named ordered
//! keyspaces of byte keys and values; point reads; range scans both ways; atomic transactions over
//! several keyspaces; a durable flush shared by concurrent writers (group commit); ids; and leases,
//! so that a background worker's unit of work is taken by one process at a time.
//!
//! Backends implement [`MetaStore`]: `sled` (the default, on disk), `memory` (tests, and the
//! model the others are checked against) and `postgres` (several gateways on one namespace). The engine talks only to [`Meta`], a cheap handle that
//! adds the generic conveniences and the group commit on top of whichever backend it holds.

mod batch;
mod group;
mod lease;
mod memory;
mod postgres;
mod sled_store;
#[cfg(test)]
mod suite;

use crate::clock::Clock;
use crate::error::{EngineError, Result};
use crate::record;
use serde::de::DeserializeOwned;
use std::ops::Bound;
use std::sync::Arc;

pub use self::memory::MemoryStore;
pub use self::postgres::PgStore;
pub use lease::Lease;
pub use sled_store::SledStore;

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
    /// ACLs that are not the default `private` (see `acl.rs`).
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
    /// Lifecycle work by due time: due (ms, big-endian) kind payload → value (see `schedule.rs`).
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

pub type Entry = (Vec<u8>, Vec<u8>);
/// A range scan. Weakly consistent, as sled's are: it sees every entry that was there when it began
/// and was not changed since, and may or may not see changes made while it runs.
pub type Scan<'a> = Box<dyn Iterator<Item = Result<Entry>> + 'a>;

/// The range a batched scan has left: the bound on the side being consumed moves past each batch.
pub(crate) struct Remaining {
    pub lo: Bound<Vec<u8>>,
    pub hi: Bound<Vec<u8>>,
    pub reverse: bool,
}

/// A scan read a batch at a time, each batch starting past the last key of the one before: a
/// writer gets in between two batches, and on a database no batch costs more than its own rows.
/// `fetch` returns the next batch and whether it is the last.
pub(crate) fn batched_scan<'a>(
    lo: Bound<&[u8]>,
    hi: Bound<&[u8]>,
    reverse: bool,
    mut fetch: impl FnMut(&Remaining) -> Result<(Vec<Entry>, bool)> + 'a,
) -> Scan<'a> {
    let mut left = Remaining { lo: lo.map(<[u8]>::to_vec), hi: hi.map(<[u8]>::to_vec), reverse };
    let mut batch = std::collections::VecDeque::new();
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        if batch.is_empty() && !done {
            match fetch(&left) {
                Ok((rows, last)) => {
                    done = last;
                    if let Some((key, _)) = rows.last() {
                        let past = Bound::Excluded(key.clone());
                        if left.reverse {
                            left.hi = past;
                        } else {
                            left.lo = past;
                        }
                    }
                    batch.extend(rows);
                }
                Err(e) => {
                    done = true;
                    return Some(Err(e));
                }
            }
        }
        batch.pop_front().map(Ok)
    }))
}

/// Why a transaction's body stopped: the caller's error (nothing is written), or a conflict with
/// a concurrent transaction (the backend runs the body again).
#[derive(Debug)]
pub enum TxError {
    Abort(EngineError),
    Conflict,
}

impl From<EngineError> for TxError {
    fn from(e: EngineError) -> Self {
        TxError::Abort(e)
    }
}

pub type TxResult<T> = std::result::Result<T, TxError>;

/// Ends a transaction's body with `e`; nothing it wrote is kept.
pub fn abort<T>(e: EngineError) -> TxResult<T> {
    Err(TxError::Abort(e))
}

/// The view a transaction's body works through. Reads see the transaction's own writes. No scans:
/// read what a transaction needs beforehand, under the key lock that keeps it current.
pub trait Txn {
    fn get(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<Vec<u8>>>;
    /// Writes say nothing of what they replace: a backend over a network may send them with the
    /// commit instead of one round trip each. Read first (`swap`, `take`) where the old value matters.
    fn insert(&mut self, ks: Keyspace, key: &[u8], value: &[u8]) -> TxResult<()>;
    fn remove(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<()>;
}

impl dyn Txn + '_ {
    /// A record, decoded.
    pub fn get_record<T: DeserializeOwned>(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<T>> {
        Ok(self.get(ks, key)?.map(|v| record::decode(&v)).transpose()?)
    }

    /// Removes a record and returns it, decoded.
    pub fn remove_record<T: DeserializeOwned>(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<T>> {
        Ok(self.take(ks, key)?.map(|v| record::decode(&v)).transpose()?)
    }

    /// Inserts and returns the value replaced.
    pub fn swap(&mut self, ks: Keyspace, key: &[u8], value: &[u8]) -> TxResult<Option<Vec<u8>>> {
        let old = self.get(ks, key)?;
        self.insert(ks, key, value)?;
        Ok(old)
    }

    /// Removes and returns the value removed.
    pub fn take(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<Vec<u8>>> {
        let old = self.get(ks, key)?;
        if old.is_some() {
            self.remove(ks, key)?;
        }
        Ok(old)
    }
}

/// A backend. Transactions are serializable: a body sees one state and its writes land together
/// or not at all. A body may run more than once (on conflict), so it must do no I/O of its own.
pub trait MetaStore: Send + Sync {
    fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Entries with keys between the bounds, ascending, or descending when `reverse`.
    fn range(&self, ks: Keyspace, lo: Bound<&[u8]>, hi: Bound<&[u8]>, reverse: bool) -> Scan<'_>;
    fn len(&self, ks: Keyspace) -> Result<usize>;
    /// One write outside any transaction: atomic for that key alone, and cheaper than a transaction
    /// (sled's exclude every other operation while they commit).
    fn put(&self, ks: Keyspace, key: &[u8], value: &[u8]) -> Result<()>;
    fn delete(&self, ks: Keyspace, key: &[u8]) -> Result<()>;
    /// Runs `body` atomically, again on conflict, until it succeeds or aborts.
    fn transact(&self, body: &mut dyn FnMut(&mut dyn Txn) -> TxResult<()>) -> Result<()>;
    /// Makes every transaction committed before the call durable.
    fn flush(&self) -> Result<()>;
    /// A number never handed out before by this store, larger than every earlier one.
    fn generate_id(&self) -> Result<u64>;
    /// True when changes survive a restart (false for `memory`).
    fn durable(&self) -> bool;
    /// True when other processes may use the store at the same time (several gateways, `postgres`).
    /// The engine then leaves alone local files another gateway may be writing, names its leases
    /// per process, and runs each transaction alone (the store runs them side by side).
    fn shared(&self) -> bool {
        false
    }
    /// Marks `holder` (this process's name as a lease holder) alive for as long as the store stays
    /// open, where the store can tell others so. Called before each claim: cheap once done.
    fn register_holder(&self, _holder: &str) -> Result<()> {
        Ok(())
    }
    /// Whether the process that registered `holder` is still alive: None where the store cannot
    /// tell (a lease then waits to run out).
    fn holder_alive(&self, _holder: &str) -> Result<Option<bool>> {
        Ok(None)
    }
    /// Held by a writer of one object key, across processes sharing the store, until dropped; None
    /// where this process's own lock on the key is enough (a store only it uses).
    fn lock_key(&self, _key: &[u8]) -> Result<Option<Box<dyn Send + '_>>> {
        Ok(None)
    }
}

/// Which backend holds the metadata (`metadata.backend`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Sled,
    /// Nothing survives a restart: for tests and trying things out.
    Memory,
    /// PostgreSQL at `metadata.url`: several gateways on one namespace.
    Postgres,
}

impl Backend {
    pub fn parse(s: &str) -> Option<Backend> {
        match s {
            "sled" => Some(Backend::Sled),
            "memory" => Some(Backend::Memory),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

/// The engine's handle on the metadata store.
#[derive(Clone)]
pub(crate) struct Meta {
    store: Arc<dyn MetaStore>,
    group: Arc<group::GroupCommit>,
    batch: Arc<batch::Batcher>,
    /// Where every time the engine writes comes from.
    clock: Clock,
}

impl Meta {
    #[cfg(test)]
    pub(crate) fn new(store: Arc<dyn MetaStore>) -> Meta {
        Meta::with_clock(store, Clock::System)
    }

    pub(crate) fn with_clock(store: Arc<dyn MetaStore>, clock: Clock) -> Meta {
        Meta { store, group: Arc::default(), batch: Arc::default(), clock }
    }

    /// Milliseconds since the Unix epoch, by the engine's clock.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn get(&self, ks: Keyspace, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        self.store.get(ks, key.as_ref())
    }

    pub(crate) fn get_record<T: DeserializeOwned>(&self, ks: Keyspace, key: impl AsRef<[u8]>) -> Result<Option<T>> {
        self.get(ks, key)?.map(|v| record::decode(&v)).transpose()
    }

    pub(crate) fn contains(&self, ks: Keyspace, key: impl AsRef<[u8]>) -> Result<bool> {
        Ok(self.get(ks, key)?.is_some())
    }

    pub(crate) fn range(&self, ks: Keyspace, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Scan<'_> {
        self.store.range(ks, lo, hi, false)
    }

    /// Every entry whose key starts with `prefix`, in order.
    pub(crate) fn scan_prefix(&self, ks: Keyspace, prefix: &[u8]) -> Scan<'_> {
        match prefix_end(prefix) {
            Some(end) => self.store.range(ks, Bound::Included(prefix), Bound::Excluded(&end), false),
            None => self.store.range(ks, Bound::Included(prefix), Bound::Unbounded, false),
        }
    }

    /// The whole keyspace, in order.
    pub(crate) fn iter(&self, ks: Keyspace) -> Scan<'_> {
        self.store.range(ks, Bound::Unbounded, Bound::Unbounded, false)
    }

    pub(crate) fn len(&self, ks: Keyspace) -> Result<usize> {
        self.store.len(ks)
    }

    /// Runs `body` as one atomic transaction and returns what it returned.
    pub(crate) fn transaction<T>(&self, mut body: impl FnMut(&mut dyn Txn) -> TxResult<T>) -> Result<T> {
        let mut out = None;
        self.store.transact(&mut |tx| {
            out = Some(body(tx)?);
            Ok(())
        })?;
        Ok(out.expect("a committed transaction ran its body"))
    }

    /// Like `transaction`, for the hot write paths: concurrent callers' bodies share one store
    /// transaction (see `batch.rs`), each still all-or-nothing on its own.
    pub(crate) fn batched<T: Send + 'static>(
        &self,
        body: impl FnMut(&mut dyn Txn) -> TxResult<T> + Send + 'static,
    ) -> Result<T> {
        if self.store.shared() {
            // A shared store runs transactions side by side; batching would only widen conflicts.
            return self.transaction(body);
        }
        self.batch.run(&*self.store, body)
    }

    /// See [`MetaStore::lock_key`].
    pub(crate) fn lock_key(&self, key: &[u8]) -> Result<Option<Box<dyn Send + '_>>> {
        self.store.lock_key(key)
    }

    pub(crate) fn shared(&self) -> bool {
        self.store.shared()
    }

    /// One write of one key, atomic for that key (not a transaction).
    pub(crate) fn insert(&self, ks: Keyspace, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        self.store.put(ks, key.as_ref(), value.as_ref())
    }

    pub(crate) fn remove(&self, ks: Keyspace, key: impl AsRef<[u8]>) -> Result<()> {
        self.store.delete(ks, key.as_ref())
    }

    pub(crate) fn generate_id(&self) -> Result<u64> {
        self.store.generate_id()
    }

    /// Makes every committed change durable. Concurrent callers share one flush (group commit).
    pub(crate) fn sync(&self) -> Result<()> {
        self.group.sync(|| self.store.flush())
    }

    pub(crate) fn durable(&self) -> bool {
        self.store.durable()
    }
}

/// The smallest key greater than every key starting with `prefix`; None when there is none.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Opens the chosen backend. `path` is where a backend on disk keeps its files; `pg` is where
/// PostgreSQL is, and the CA file its certificate is checked against.
pub(crate) fn open(
    backend: Backend,
    path: &std::path::Path,
    cache_bytes: u64,
    pg: (Option<&str>, Option<&std::path::Path>),
) -> Result<Arc<dyn MetaStore>> {
    Ok(match backend {
        Backend::Sled => Arc::new(SledStore::open(path, cache_bytes)?),
        Backend::Memory => Arc::new(MemoryStore::default()),
        Backend::Postgres => {
            let url = pg.0.ok_or_else(|| EngineError::Meta("metadata.backend postgres needs metadata.url".into()))?;
            Arc::new(PgStore::open(url, pg.1)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }
}
