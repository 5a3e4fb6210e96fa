//! Object versions: writes, reads and deletes with S3's versioning rules.
//!
//! Every write adds a record to `Versions`; the current live version is also kept in `Objects`,
//! so plain GETs and listings never look at old versions. In an unversioned or suspended bucket
//! a write replaces the key's "null" version; in an enabled bucket it adds a version.

use crate::archive::{ArchiveRef, ArchiveStore};
use crate::buckets::Buckets;
use crate::error::{EngineError, Result};
use crate::gc::{drop_blob, Gc};
use crate::hot::{HotTier, StagedBlob};
use crate::keys;
use crate::lifecycle::{self, Action, LifecycleConfig, VersionFacts};
use crate::lock::VersionLock;
use crate::meta::{abort, Keyspace, Meta, TxResult, Txn};
use crate::names::{BucketName, ObjectKey};
use crate::record::{self, hex_lower, ObjectMeta, ObjectRecord, RestoreRecord, Versioning};
use crate::schedule::{self, Schedule};
use crate::usage::Usage;
use crate::versions::{new_version_id, Versions};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a DELETE did: the version it created or removed, and whether that is a delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteOutcome {
    pub version_id: Option<String>,
    pub delete_marker: bool,
}

/// Conditions checked atomically with a write (conditional PUT).
#[derive(Clone, Debug, Default)]
pub struct WriteCondition {
    /// `If-Match`: the current ETag (unquoted) must equal this (`*`: any current object).
    pub if_match: Option<String>,
    /// `If-None-Match`: no current object may have this ETag (`*`: no current object at all).
    pub if_none_match: Option<String>,
}

impl WriteCondition {
    /// `If-None-Match: *`: write only where nothing is.
    pub fn if_absent() -> WriteCondition {
        WriteCondition { if_none_match: Some("*".into()), ..Default::default() }
    }

    fn check(&self, current: Option<&ObjectRecord>) -> Result<()> {
        let matches = |want: &str, cur: &ObjectRecord| want == "*" || want == cur.etag;
        match (current, &self.if_match) {
            (None, Some(_)) => return Err(EngineError::NoSuchKey),
            (Some(cur), Some(etag)) if !matches(etag, cur) => {
                return Err(EngineError::WriteConditionFailed("If-Match"))
            }
            _ => {}
        }
        match (current, &self.if_none_match) {
            (Some(cur), Some(etag)) if matches(etag, cur) => Err(EngineError::WriteConditionFailed("If-None-Match")),
            _ => Ok(()),
        }
    }
}

/// Conditions a delete must meet (`If-Match`, `x-amz-if-match-last-modified-time`,
/// `x-amz-if-match-size`, or their DeleteObjects forms), checked under the key's lock against the
/// version the delete removes: the current one, or the one named.
#[derive(Clone, Debug, Default)]
pub struct DeleteCondition {
    /// Its ETag (unquoted), or `*` for any.
    pub if_match: Option<String>,
    /// Its last-modified time, to the second.
    pub last_modified_ms: Option<i64>,
    pub size: Option<u64>,
    /// `x-amz-bypass-governance-retention`, from a caller allowed it: GOVERNANCE retention does
    /// not keep the version.
    pub bypass_governance: bool,
}

impl DeleteCondition {
    fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.last_modified_ms.is_none() && self.size.is_none()
    }

    /// As S3 has it: an ETag condition needs the object to exist (NoSuchKey); time and size
    /// conditions on a missing object let the (no-op) delete succeed.
    fn check(&self, target: Option<&ObjectRecord>) -> Result<()> {
        let Some(t) = target.filter(|t| !t.delete_marker) else {
            return if self.if_match.is_some() { Err(EngineError::NoSuchKey) } else { Ok(()) };
        };
        let etag_ok = self.if_match.as_deref().is_none_or(|e| e == "*" || e == t.etag);
        let time_ok = self.last_modified_ms.is_none_or(|ms| ms / 1000 == t.last_modified_ms / 1000);
        let size_ok = self.size.is_none_or(|s| s == t.size);
        if etag_ok && time_ok && size_ok {
            Ok(())
        } else {
            Err(EngineError::PreconditionFailed)
        }
    }
}

/// Bookkeeping committed in the same transaction as an object record (multipart completion).
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
    /// The version's bytes are in the archive tier, here (its record has no extents).
    pub archive: Option<ArchiveRef>,
}

/// Stripes of the per-key lock that serializes read-modify-write of one key's versions.
const KEY_LOCKS: usize = 64;

/// Serializes writers of one key (by stripe). Held across the read-then-commit of a write,
/// released before the flush, so only the decision is serialized, not the I/O. On a store shared
/// by several gateways it also takes the store's lock on the key, so that they serialize too.
pub(crate) struct KeyLocks(Vec<Mutex<()>>);

/// A key's lock: the store's first (dropped first), then this process's stripe.
pub(crate) struct KeyGuard<'a> {
    _shared: Option<Box<dyn Send + 'a>>,
    _local: MutexGuard<'a, ()>,
}

impl KeyLocks {
    fn new() -> KeyLocks {
        KeyLocks((0..KEY_LOCKS).map(|_| Mutex::new(())).collect())
    }

    fn lock<'a>(&'a self, meta: &'a Meta, okey: &[u8]) -> Result<KeyGuard<'a>> {
        let h = keys::fnv64(okey);
        let local = self.0[(h % KEY_LOCKS as u64) as usize].lock().unwrap_or_else(|p| p.into_inner());
        Ok(KeyGuard { _shared: meta.lock_key(okey)?, _local: local })
    }
}

fn enqueue_hint(tx: &mut dyn Txn, hint: Option<&[u8]>) -> TxResult<()> {
    if let Some(h) = hint {
        tx.insert(Keyspace::LifecycleQueue, h, &[])?;
    }
    Ok(())
}

/// What a removal may override: when it happens, and whether GOVERNANCE retention is bypassed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Removal {
    pub now_ms: i64,
    pub bypass_governance: bool,
}

/// Forgets what hangs on a removed version, in its transaction: its ACL and lock, and its blobs,
/// which are queued for deletion after the commit. The one place versions are destroyed, so the
/// one place Object Lock is enforced: a locked version aborts the transaction.
fn release_version(tx: &mut dyn Txn, bucket: &str, rec: &ObjectRecord, removal: Removal) -> TxResult<()> {
    let vkey = keys::version_key(bucket, &rec.key, rec.seq);
    let lock_key = keys::acl_version_key(&vkey);
    if let Some(lock) = tx.get_record::<VersionLock>(Keyspace::Locks, &lock_key)? {
        if let Err(why) = lock.may_delete(removal.now_ms, removal.bypass_governance) {
            return abort(EngineError::ObjectLocked(why));
        }
        tx.remove(Keyspace::Locks, &lock_key)?;
    }
    for id in rec.blob_ids() {
        drop_blob(tx, id)?;
    }
    tx.remove(Keyspace::Acls, &keys::acl_version_key(&vkey))?;
    // An archived version's bytes become dead space in their segment; a restore goes with it.
    if let Some(a) = tx.remove_record::<ArchiveRef>(Keyspace::Archived, &vkey)? {
        count_archived(tx, &a, -1)?;
    }
    if let Some(r) = tx.remove_record::<RestoreRecord>(Keyspace::Restores, &vkey)? {
        for e in &r.extents {
            drop_blob(tx, e.blob)?;
        }
    }
    Ok(())
}

/// Adds (`sign` 1) or takes away (-1) an archived copy's bytes from its segment's live bytes.
pub(crate) fn count_archived(tx: &mut dyn Txn, a: &ArchiveRef, sign: i64) -> TxResult<()> {
    let key = a.segment.to_be_bytes();
    let value = tx.get(Keyspace::ArchiveSegments, &key)?;
    if value.as_deref() == Some(crate::compaction::RETIRED) {
        // Compacted away while another gateway was still writing to it: that write is lost
        // before it was acknowledged, and is tried again.
        return abort(EngineError::Conflict);
    }
    let live = value.and_then(|v| v.try_into().ok()).map_or(0, u64::from_be_bytes);
    let live = (live as i64 + sign * a.stored() as i64).max(0) as u64;
    tx.insert(Keyspace::ArchiveSegments, &key, &live.to_be_bytes())?;
    Ok(())
}

/// Where a key's null version is: the current record (in `objects`) when that is a null version,
/// otherwise the version `nulls` points at. A current null version needs no `nulls` entry, which
/// spares an unversioned bucket one metadata entry per object; only a null delete marker, or a null
/// version with newer versions above it, is pointed at. (Entries written for current null versions
/// by earlier builds stay valid and go at the key's next write.)
pub(crate) fn null_seq(pointed: Option<&[u8]>, current: Option<&ObjectRecord>) -> Option<u64> {
    match pointed {
        Some(p) => Some(u64::from_be_bytes(p.try_into().unwrap_or_default())),
        None => current.filter(|c| c.version_id == "null").map(|c| c.seq),
    }
}

/// Replaces the key's null version, removing the old one with its blobs and ACL; `current` is what
/// `objects` held before this commit. `marker` is the seq of a new null version that will not be
/// the current record (a null delete marker); a new current one, or none, needs no pointer.
/// Returns the old version.
fn replace_null(
    tx: &mut dyn Txn,
    bucket: &str,
    key: &str,
    marker: Option<u64>,
    current: Option<&ObjectRecord>,
    removal: Removal,
) -> TxResult<Option<ObjectRecord>> {
    let okey = keys::object_key(bucket, key);
    let pointed = match marker {
        Some(seq) => tx.swap(Keyspace::Nulls, &okey, &seq.to_be_bytes())?,
        None => tx.take(Keyspace::Nulls, &okey)?,
    };
    let Some(prev_seq) = null_seq(pointed.as_deref(), current) else { return Ok(None) };
    let Some(old) = tx.remove_record::<ObjectRecord>(Keyspace::Versions, &keys::version_key(bucket, key, prev_seq))?
    else {
        return Ok(None);
    };
    release_version(tx, bucket, &old, removal)?;
    Ok(Some(old))
}

/// A current null version about to gain a newer version above it must now be pointed at.
fn keep_null_below(tx: &mut dyn Txn, okey: &[u8], current: Option<&ObjectRecord>) -> TxResult<()> {
    if let Some(seq) = null_seq(None, current) {
        tx.insert(Keyspace::Nulls, okey, &seq.to_be_bytes())?;
    }
    Ok(())
}

#[derive(Clone)]
pub(crate) struct Objects {
    meta: Meta,
    hot: HotTier,
    buckets: Buckets,
    versions: Versions,
    usage: Usage,
    gc: Gc,
    schedule: Schedule,
    archive: ArchiveStore,
    locks: Arc<KeyLocks>,
}

/// What the lifecycle worker did to one key.
#[derive(Clone, Debug, Default)]
pub(crate) struct Applied {
    /// Each action taken, with the rule that asked for it.
    pub actions: Vec<(Action, String)>,
    /// When anything is next due on the key.
    pub next_due_ms: Option<i64>,
}

impl Objects {
    /// `stores`: the metadata, the hot tier and the archive tier.
    pub(crate) fn new(
        stores: (Meta, HotTier, ArchiveStore),
        buckets: Buckets,
        versions: Versions,
        usage: Usage,
        gc: Gc,
        schedule: Schedule,
    ) -> Objects {
        let (meta, hot, archive) = stores;
        Objects { meta, hot, buckets, versions, usage, gc, schedule, archive, locks: Arc::new(KeyLocks::new()) }
    }

    /// Writes `from` into the archive tier, fsynced; returns where it went.
    pub(crate) fn archive_copy(&self, from: impl std::io::Read) -> Result<ArchiveRef> {
        self.archive.copy_in(from)
    }

    /// A hint for the lifecycle queue after a change to `key` (see `schedule.rs`).
    fn hint(&self, bucket: &BucketName, key: &str, put: bool) -> Result<Option<Vec<u8>>> {
        let Some(config) = self.schedule.config(bucket)? else { return Ok(None) };
        let now = self.meta.now_ms();
        let due = if put {
            self.schedule.after_put(&config, key, now)
        } else {
            self.schedule.after_change(&config, key, now)
        };
        Ok(due.map(|at| schedule::queue_key(at, schedule::OBJECT, &keys::object_key(bucket.as_str(), key))))
    }

    /// Commits a staged blob as a new version of `key`. Durable on return.
    pub(crate) fn put(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        mut staged: StagedBlob,
        meta: ObjectMeta,
        checksum: Option<(String, String)>,
        cond: &WriteCondition,
    ) -> Result<ObjectRecord> {
        let rec = ObjectRecord {
            key: key.to_string(),
            size: staged.size(),
            etag: hex_lower(&staged.md5()),
            meta,
            checksum,
            extents: vec![staged.extent()],
            ..Default::default()
        };
        if record::archive_class(&rec.meta.storage_class) {
            // Straight to the archive tier: written and fsynced there before the commit names it.
            let archive = self.archive_copy(staged.open()?)?;
            let rec = ObjectRecord { extents: vec![], ..rec };
            let extra = Commit { archive: Some(archive), ..Default::default() };
            // The staged blob is dropped unused; on a failed commit the archive bytes are dead space.
            return self.commit(bucket, key, rec, cond, extra);
        }
        self.hot.install(&mut staged)?;
        let extra = Commit { inline: staged.inline.take().map(|b| (staged.id, b)), ..Default::default() };
        let result = self.commit(bucket, key, rec, cond, extra);
        if result.is_err() {
            // The new blob is referenced by nothing; remove it now rather than at the next start.
            self.hot.remove(staged.id)?;
        }
        result
    }

    /// Stores `rec` as the newest version of `key`, in one transaction with the bookkeeping in
    /// `extra`; queues the blobs of any version it replaces, makes it durable, then deletes them.
    pub(crate) fn commit(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        mut rec: ObjectRecord,
        cond: &WriteCondition,
        extra: Commit,
    ) -> Result<ObjectRecord> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let state = self.buckets.get(bucket)?.versioning;
        self.usage.check_quota(bucket, rec.size)?;
        // The seq is drawn under the key's lock: versions of one key commit in the order of their seqs.
        let guard = self.locks.lock(&self.meta, &okey)?;
        rec.seq = self.meta.generate_id()?;
        rec.version_id = if state == Versioning::Enabled { new_version_id(rec.seq) } else { "null".into() };
        rec.last_modified_ms = self.meta.now_ms();
        let vkey = keys::version_key(b, k, rec.seq);
        let acl = rec.meta.acl.take().map(|a| record::encode(&a));
        let lock = rec.meta.lock.take().filter(|l| !l.is_empty()).map(|l| record::encode(&l));
        let encoded = record::encode(&rec);
        let hint = self.hint(bucket, k, true)?;
        let forget_at = rec.last_modified_ms + self.schedule.day_ms();
        let removal = Removal { now_ms: rec.last_modified_ms, bypass_governance: false };
        // The body owns what it uses: it may run on another writer's thread, in a shared batch.
        let (owned_b, owned_k, seq, cond) = (b.to_owned(), k.to_owned(), rec.seq, cond.clone());
        let blob_ids: Vec<u128> = rec.blob_ids().collect();
        let replaced = self.meta.batched(move |tx| {
            let (b, k) = (owned_b.as_str(), owned_k.as_str());
            let mut replaced = None;
            if tx.get(Keyspace::Buckets, b.as_bytes())?.is_none() {
                return abort(EngineError::NoSuchBucket);
            }
            if let Some(upload_key) = &extra.remove_upload {
                if tx.take(Keyspace::Uploads, upload_key)?.is_none() {
                    return abort(EngineError::NoSuchUpload);
                }
                tx.remove(Keyspace::Acls, &keys::acl_upload_key(upload_key))?;
                tx.remove(Keyspace::Locks, &keys::acl_upload_key(upload_key))?;
                // Remembered for a day, so a retried completion gets the same answer.
                tx.insert(Keyspace::CompletedUploads, upload_key, &seq.to_be_bytes())?;
                schedule::enqueue(tx, forget_at, schedule::FORGET_COMPLETED, upload_key)?;
            }
            if let Some(acl) = &acl {
                tx.insert(Keyspace::Acls, &keys::acl_version_key(&vkey), acl)?;
            }
            // The lock lands with the version: acknowledged as locked means stored locked.
            if let Some(lock) = &lock {
                tx.insert(Keyspace::Locks, &keys::acl_version_key(&vkey), lock)?;
            }
            let current = tx.get_record::<ObjectRecord>(Keyspace::Objects, &okey)?;
            cond.check(current.as_ref())?;
            tx.insert(Keyspace::Objects, &okey, &encoded)?;
            tx.insert(Keyspace::Versions, &vkey, &encoded)?;
            if !extra.blobs_registered {
                // Inline bytes register themselves: their entry is written with the record and
                // removed only through the GC queue, so it is never an orphan.
                let inline_id = extra.inline.as_ref().map(|(id, _)| *id);
                for id in blob_ids.iter().filter(|id| Some(**id) != inline_id) {
                    tx.insert(Keyspace::Blobs, &keys::blob_key(*id), &vkey)?;
                }
            }
            if let Some((id, bytes)) = &extra.inline {
                tx.insert(Keyspace::Inline, &keys::blob_key(*id), bytes)?;
            }
            if let Some(a) = &extra.archive {
                tx.insert(Keyspace::Archived, &vkey, &record::encode(a))?;
                count_archived(tx, a, 1)?;
            }
            if state == Versioning::Enabled {
                keep_null_below(tx, &okey, current.as_ref())?;
            } else {
                replaced = replace_null(tx, b, k, None, current.as_ref(), removal)?;
            }
            for id in &extra.drop_blobs {
                drop_blob(tx, *id)?;
            }
            for part in &extra.remove_parts {
                tx.remove(Keyspace::Parts, part)?;
            }
            enqueue_hint(tx, hint.as_deref())?;
            Ok(replaced)
        })?;
        drop(guard);
        self.usage.account(b, &rec, 1);
        if let Some(old) = &replaced {
            self.usage.account(b, old, -1);
        }
        // Makes the commit durable, then deletes what it released.
        self.gc.collect()?;
        Ok(rec)
    }

    /// The current version of `key`; if the key's latest version is a delete marker, that marker.
    pub(crate) fn current(&self, bucket: &BucketName, key: &ObjectKey) -> Result<ObjectRecord> {
        let okey = keys::object_key(bucket.as_str(), key.as_str());
        if let Some(rec) = self.meta.get_record::<ObjectRecord>(Keyspace::Objects, okey)? {
            return Ok(rec);
        }
        if let Some(latest) = self.versions.latest(bucket, key)? {
            if latest.delete_marker {
                return Ok(latest);
            }
        }
        self.buckets.get(bucket)?;
        Err(EngineError::NoSuchKey)
    }

    /// DELETE without a version: removes the null version when unversioned, otherwise adds a
    /// delete marker. With a version: removes exactly that version, and if it was the latest the
    /// next newest becomes current. Deleting what does not exist succeeds, as in S3.
    pub(crate) fn delete(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        version: Option<&str>,
        owner: &str,
        cond: &DeleteCondition,
    ) -> Result<DeleteOutcome> {
        let state = self.buckets.get(bucket)?.versioning;
        let hint = self.hint(bucket, key.as_str(), false)?;
        let guard = self.locks.lock(&self.meta, &keys::object_key(bucket.as_str(), key.as_str()))?;
        if !cond.is_empty() {
            let target = match version {
                Some(id) => self.versions.get(bucket, key, id),
                None => self.current(bucket, key),
            };
            match target {
                Ok(t) => cond.check(Some(&t))?,
                Err(EngineError::NoSuchKey | EngineError::NoSuchVersion) => cond.check(None)?,
                Err(e) => return Err(e),
            }
        }
        let outcome = match version {
            Some(id) => self.delete_version(bucket, key, id, hint.as_deref(), self.removal(cond.bypass_governance))?,
            None => self.delete_current(bucket, key, state, owner, hint.as_deref())?,
        };
        drop(guard);
        // Makes the commit durable, then deletes what it released.
        self.gc.collect()?;
        Ok(outcome)
    }

    /// A removal now, bypassing GOVERNANCE retention or not.
    fn removal(&self, bypass_governance: bool) -> Removal {
        Removal { now_ms: self.meta.now_ms(), bypass_governance }
    }

    /// DELETE without a version id, the caller holding the key's lock.
    fn delete_current(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        state: Versioning,
        owner: &str,
        hint: Option<&[u8]>,
    ) -> Result<DeleteOutcome> {
        match state {
            Versioning::Unversioned => self.delete_null(bucket, key, hint),
            _ => self.add_delete_marker(bucket, key, state, owner, hint),
        }
    }

    fn delete_null(&self, bucket: &BucketName, key: &ObjectKey, hint: Option<&[u8]>) -> Result<DeleteOutcome> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let removal = self.removal(false);
        let (owned_b, owned_k, hint) = (b.to_owned(), k.to_owned(), hint.map(<[u8]>::to_vec));
        let removed = self.meta.batched(move |tx| {
            let current = tx.remove_record::<ObjectRecord>(Keyspace::Objects, &okey)?;
            enqueue_hint(tx, hint.as_deref())?;
            replace_null(tx, &owned_b, &owned_k, None, current.as_ref(), removal)
        })?;
        if let Some(old) = &removed {
            self.usage.account(b, old, -1);
        }
        Ok(DeleteOutcome { version_id: None, delete_marker: false })
    }

    fn add_delete_marker(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        state: Versioning,
        owner: &str,
        hint: Option<&[u8]>,
    ) -> Result<DeleteOutcome> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let seq = self.meta.generate_id()?;
        let marker = ObjectRecord {
            key: k.to_owned(),
            version_id: if state == Versioning::Enabled { new_version_id(seq) } else { "null".into() },
            seq,
            delete_marker: true,
            last_modified_ms: self.meta.now_ms(),
            meta: ObjectMeta { owner: owner.to_owned(), ..Default::default() },
            ..Default::default()
        };
        let vkey = keys::version_key(b, k, seq);
        let encoded = record::encode(&marker);
        let removal = self.removal(false);
        let (owned_b, owned_k, hint) = (b.to_owned(), k.to_owned(), hint.map(<[u8]>::to_vec));
        let replaced = self.meta.batched(move |tx| {
            let current = tx.remove_record::<ObjectRecord>(Keyspace::Objects, &okey)?;
            tx.insert(Keyspace::Versions, &vkey, &encoded)?;
            enqueue_hint(tx, hint.as_deref())?;
            if state == Versioning::Suspended {
                // The marker becomes the null version, replacing any earlier one.
                return replace_null(tx, &owned_b, &owned_k, Some(seq), current.as_ref(), removal);
            }
            keep_null_below(tx, &okey, current.as_ref())?;
            Ok(None)
        })?;
        if let Some(old) = &replaced {
            self.usage.account(b, old, -1);
        }
        Ok(DeleteOutcome { version_id: Some(marker.version_id), delete_marker: true })
    }

    /// Removes one version, the caller holding the key's lock.
    fn delete_version(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        id: &str,
        hint: Option<&[u8]>,
        removal: Removal,
    ) -> Result<DeleteOutcome> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let gone = DeleteOutcome { version_id: Some(id.to_owned()), delete_marker: false };
        let Some(seq) = self.versions.resolve(&okey, id)? else { return Ok(gone) };
        let vkey = keys::version_key(b, k, seq);
        let Some(rec) = self.meta.get_record::<ObjectRecord>(Keyspace::Versions, &vkey)? else { return Ok(gone) };
        if rec.version_id != id {
            return Ok(gone);
        }
        // The two newest versions of the key: if the one removed is the newest, the next becomes current.
        let mut newest = self.meta.scan_prefix(Keyspace::Versions, &keys::version_prefix(b, k));
        let is_latest = newest.next().transpose()?.is_some_and(|(first, _)| first == vkey);
        let next: Option<ObjectRecord> =
            if is_latest { newest.next().transpose()?.map(|(_, v)| record::decode(&v)).transpose()? } else { None };
        drop(newest);
        self.meta.transaction(|tx| {
            tx.remove(Keyspace::Versions, &vkey)?;
            enqueue_hint(tx, hint)?;
            release_version(tx, b, &rec, removal)?;
            if rec.version_id == "null" {
                tx.remove(Keyspace::Nulls, &okey)?;
            }
            if is_latest {
                match &next {
                    Some(next) if !next.delete_marker => tx.insert(Keyspace::Objects, &okey, &record::encode(next))?,
                    _ => tx.remove(Keyspace::Objects, &okey)?,
                };
            }
            Ok(())
        })?;
        self.usage.account(b, &rec, -1);
        Ok(DeleteOutcome { version_id: Some(id.to_owned()), delete_marker: rec.delete_marker })
    }

    /// Replaces the tag set of one version (the current record too, if it is current).
    pub(crate) fn set_tags(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        version_id: &str,
        tags: Vec<(String, String)>,
    ) -> Result<()> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let _guard = self.locks.lock(&self.meta, &okey)?;
        let seq = self.versions.resolve(&okey, version_id)?.ok_or(EngineError::NoSuchVersion)?;
        let vkey = keys::version_key(b, k, seq);
        let hint = self.hint(bucket, k, false)?;
        self.meta.transaction(|tx| {
            enqueue_hint(tx, hint.as_deref())?;
            let Some(mut rec) = tx.get_record::<ObjectRecord>(Keyspace::Versions, &vkey)? else {
                return abort(EngineError::NoSuchVersion);
            };
            rec.meta.tags = tags.clone();
            let encoded = record::encode(&rec);
            tx.insert(Keyspace::Versions, &vkey, &encoded)?;
            if tx.get_record::<ObjectRecord>(Keyspace::Objects, &okey)?.is_some_and(|cur| cur.seq == rec.seq) {
                tx.insert(Keyspace::Objects, &okey, &encoded)?;
            }
            Ok(())
        })?;
        self.meta.sync()
    }
}

/// What the rules see of each version of one key, newest first.
fn facts(versions: &[ObjectRecord]) -> Vec<VersionFacts<'_>> {
    versions
        .iter()
        .enumerate()
        .map(|(i, v)| VersionFacts {
            key: &v.key,
            storage_class: &v.meta.storage_class,
            size: v.size,
            tags: &v.meta.tags,
            delete_marker: v.delete_marker,
            created_ms: v.last_modified_ms,
            noncurrent_since_ms: (i > 0).then(|| versions[i - 1].last_modified_ms),
            newer_noncurrent: i.saturating_sub(1),
            only_version: versions.len() == 1,
        })
        .collect()
}

impl Objects {
    /// One version's Object Lock (none: unlocked).
    pub(crate) fn version_lock(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<VersionLock> {
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        Ok(self.meta.get_record(Keyspace::Locks, keys::acl_version_key(&vkey))?.unwrap_or_default())
    }

    /// Changes one version's lock with `change`, which may refuse; NoSuchVersion if the version
    /// went away meanwhile.
    pub(crate) fn update_version_lock(
        &self,
        bucket: &BucketName,
        rec: &ObjectRecord,
        change: impl Fn(&mut VersionLock) -> std::result::Result<(), crate::lock::Refusal>,
    ) -> Result<()> {
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        let lock_key = keys::acl_version_key(&vkey);
        self.meta.transaction(|tx| {
            if tx.get(Keyspace::Versions, &vkey)?.is_none() {
                return abort(EngineError::NoSuchVersion);
            }
            let mut lock: VersionLock = tx.get_record(Keyspace::Locks, &lock_key)?.unwrap_or_default();
            if let Err(why) = change(&mut lock) {
                return abort(EngineError::ObjectLocked(why));
            }
            if lock.is_empty() {
                tx.remove(Keyspace::Locks, &lock_key)?;
            } else {
                tx.insert(Keyspace::Locks, &lock_key, &record::encode(&lock))?;
            }
            Ok(())
        })?;
        self.meta.sync()
    }

    /// Every version of `key`, newest first.
    fn all_versions(&self, bucket: &BucketName, key: &ObjectKey) -> Result<Vec<ObjectRecord>> {
        let prefix = keys::version_prefix(bucket.as_str(), key.as_str());
        self.meta.scan_prefix(Keyspace::Versions, &prefix).map(|item| record::decode(&item?.1)).collect()
    }

    /// The lifecycle worker's step on one key: applies what `config` makes due at `now_ms` to the
    /// key's versions as they are now, and says when anything is next due. Idempotent: it acts on
    /// the stored state, so running it twice (after a crash) repeats nothing already done.
    pub(crate) fn apply_lifecycle(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        config: &LifecycleConfig,
        now_ms: i64,
    ) -> Result<Applied> {
        let day = self.schedule.day_ms();
        let mut applied = Applied::default();
        let bucket_rec = match self.buckets.get(bucket) {
            Err(EngineError::NoSuchBucket) => return Ok(applied),
            other => other?,
        };
        let guard = self.locks.lock(&self.meta, &keys::object_key(bucket.as_str(), key.as_str()))?;
        // One action can make another due at once (the last noncurrent version going leaves an
        // expired delete marker), so look again after acting, a few times at most.
        for _ in 0..4 {
            let versions = self.all_versions(bucket, key)?;
            // Locked versions are left alone until their lock ends (a legal hold: looked at daily).
            let mut held_until: Option<i64> = None;
            let mut due: Vec<(usize, Action, String, Option<String>)> = Vec::new();
            for (i, f) in facts(&versions).iter().enumerate() {
                let Some(d) = lifecycle::step_due_now(config, f, day, now_ms) else { continue };
                if d.action == Action::DeleteNoncurrent {
                    let lock = self.version_lock(bucket, &versions[i])?;
                    if lock.may_delete(now_ms, false).is_err() {
                        let until = lock.held_until(now_ms).unwrap_or(now_ms + day);
                        held_until = Some(held_until.map_or(until, |h| h.min(until)));
                        continue;
                    }
                }
                due.push((i, d.action, d.rule_id.to_owned(), d.storage_class.map(str::to_owned)));
            }
            if due.is_empty() {
                // What is due now was skipped for its lock: it comes back when the lock ends.
                let all = facts(&versions);
                let steps = all.iter().filter_map(|f| lifecycle::next_step(config, f, day)).map(|d| d.at_ms);
                applied.next_due_ms = steps.filter(|at| *at > now_ms).chain(held_until).min();
                break;
            }
            for (i, action, rule, class) in due {
                let v = &versions[i];
                match action {
                    Action::ExpireCurrent => {
                        self.delete_current(bucket, key, bucket_rec.versioning, &bucket_rec.owner, None)?;
                    }
                    Action::DeleteNoncurrent | Action::RemoveExpiredMarker => {
                        self.delete_version(bucket, key, &v.version_id, None, self.removal(false))?;
                    }
                    Action::Transition => self.transition(bucket, v, class.as_deref().unwrap_or("STANDARD"))?,
                }
                applied.actions.push((action, rule));
            }
            // Anything still due after the last round is looked at again by the next pass.
            applied.next_due_ms = Some(now_ms);
        }
        drop(guard);
        if !applied.actions.is_empty() {
            // Makes the commit durable, then deletes what it released.
            self.gc.collect()?;
        }
        Ok(applied)
    }

    /// Moves one version to `class`, the caller holding the key's lock. Into an archive class from
    /// the hot tier: the archive copy is written and fsynced, then one commit switches the record
    /// (its extents for the archive reference) and frees the hot bytes; a crash before the commit
    /// leaves the version hot and readable, with dead bytes in the archive. Between archive classes,
    /// or into a hot one, only the class changes.
    fn transition(&self, bucket: &BucketName, v: &ObjectRecord, class: &str) -> Result<()> {
        let (b, k) = (bucket.as_str(), v.key.as_str());
        let vkey = keys::version_key(b, k, v.seq);
        let okey = keys::object_key(b, k);
        let archived = self.meta.contains(Keyspace::Archived, &vkey)?;
        let archive = if record::archive_class(class) && !archived {
            let from = crate::reader::ExtentReader::new(self.hot.clone(), self.meta.clone(), &v.extents, 0, v.size);
            Some(self.archive_copy(from)?)
        } else {
            None
        };
        let committed = self.meta.transaction(|tx| {
            let Some(mut rec) = tx.get_record::<ObjectRecord>(Keyspace::Versions, &vkey)? else { return Ok(false) };
            if rec.extents != v.extents {
                return Ok(false);
            }
            rec.meta.storage_class = class.to_owned();
            if let Some(a) = &archive {
                for id in rec.blob_ids().collect::<Vec<_>>() {
                    drop_blob(tx, id)?;
                }
                rec.extents.clear();
                tx.insert(Keyspace::Archived, &vkey, &record::encode(a))?;
                count_archived(tx, a, 1)?;
            }
            let encoded = record::encode(&rec);
            tx.insert(Keyspace::Versions, &vkey, &encoded)?;
            if tx.get_record::<ObjectRecord>(Keyspace::Objects, &okey)?.is_some_and(|cur| cur.seq == rec.seq) {
                tx.insert(Keyspace::Objects, &okey, &encoded)?;
            }
            Ok(true)
        })?;
        if !committed {
            tracing::debug!(bucket = b, key = k, "lifecycle: the version changed under a transition; left as it is");
        } else if archive.is_some() {
            self.usage.archive_moved(v.size, 1);
        }
        Ok(())
    }

    /// The transitions the rules will make of `key`'s versions: (version id, class, due ms).
    pub(crate) fn pending_transitions(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        config: &LifecycleConfig,
    ) -> Result<Vec<(String, String, i64)>> {
        let versions = self.all_versions(bucket, key)?;
        Ok(facts(&versions)
            .iter()
            .zip(&versions)
            .filter_map(|(f, v)| {
                lifecycle::next_transition(config, f, self.schedule.day_ms())
                    .map(|d| (v.version_id.clone(), d.storage_class.unwrap_or_default().to_owned(), d.at_ms))
            })
            .collect())
    }

    /// When the lifecycle rules will expire `rec` (the current version), and by which rule: what
    /// `x-amz-expiration` says.
    pub(crate) fn expiration(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Option<(i64, String)>> {
        let Some(config) = self.schedule.config(bucket)? else { return Ok(None) };
        let f = facts(std::slice::from_ref(rec)).remove(0);
        Ok(lifecycle::expiration_date(&config.rules, &f, self.schedule.day_ms()).map(|(at, id)| (at, id.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BucketUsage, Engine, EngineConfig};
    use std::io::Read;

    fn engine(dir: &std::path::Path) -> Engine {
        Engine::open(&EngineConfig::new(dir.to_owned())).unwrap()
    }

    fn put(e: &Engine, b: &BucketName, k: &str, data: &[u8]) -> Result<ObjectRecord> {
        let mut w = e.new_blob()?;
        w.write(data)?;
        e.put_object(b, &ObjectKey::parse(k)?, w.finish()?, ObjectMeta::default(), None, &WriteCondition::default())
    }

    fn read(e: &Engine, rec: &ObjectRecord) -> Vec<u8> {
        let mut out = Vec::new();
        let b = BucketName::parse("bkt").unwrap();
        e.reader(&b, rec, 0, rec.size).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    fn read_all(e: &Engine, b: &BucketName, k: &str) -> Vec<u8> {
        read(e, &e.object(b, &ObjectKey::parse(k).unwrap()).unwrap())
    }

    fn key(k: &str) -> ObjectKey {
        ObjectKey::parse(k).unwrap()
    }

    fn setup(dir: &std::path::Path) -> (Engine, BucketName) {
        let e = engine(dir);
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "us-east-1").unwrap();
        (e, b)
    }

    #[test]
    fn put_get_overwrite_delete() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        let rec = put(&e, &b, "a/b", b"hello").unwrap();
        assert_eq!(rec.etag, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(rec.version_id, "null");
        assert_eq!(read_all(&e, &b, "a/b"), b"hello");
        put(&e, &b, "a/b", b"world!").unwrap();
        assert_eq!(read_all(&e, &b, "a/b"), b"world!");
        assert_eq!(e.blob_count(), 1, "the overwritten null version's blob is deleted");
        assert!(matches!(e.delete_bucket(&b), Err(EngineError::BucketNotEmpty)));
        let out = e.delete_object(&b, &key("a/b"), None, "me").unwrap();
        assert_eq!(out, DeleteOutcome { version_id: None, delete_marker: false });
        assert_eq!(e.blob_count(), 0);
        e.delete_bucket(&b).unwrap();
    }

    #[test]
    fn inline_bytes_register_themselves_and_survive_restarts() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (e, b) = setup(dir.path());
            put(&e, &b, "small", b"inline bytes").unwrap();
            put(&e, &b, "large", &vec![7u8; crate::hot::INLINE_MAX + 1]).unwrap();
            assert_eq!(e.meta().len(Keyspace::Blobs).unwrap(), 1, "only the file is registered");
            assert_eq!(e.inline_count(), 1);
        }
        // The start-up sweep removes unregistered files, never inline bytes.
        let e = engine(dir.path());
        let b = BucketName::parse("bkt").unwrap();
        assert_eq!(read_all(&e, &b, "small"), b"inline bytes");
        assert_eq!(read_all(&e, &b, "large").len(), crate::hot::INLINE_MAX + 1);
        // Replaced, the old bytes go through the GC queue like a file.
        put(&e, &b, "small", b"new").unwrap();
        e.collect_garbage().unwrap();
        assert_eq!(e.inline_count(), 1);
        e.delete_object(&b, &key("small"), None, "me").unwrap();
        e.collect_garbage().unwrap();
        assert_eq!(e.inline_count(), 0);
        // An inline blob registered by an earlier build goes with its version too.
        let old = put(&e, &b, "legacy", b"x").unwrap();
        let id = old.blob_ids().next().unwrap();
        e.meta().insert(Keyspace::Blobs, keys::blob_key(id), b"").unwrap();
        e.delete_object(&b, &key("legacy"), None, "me").unwrap();
        e.collect_garbage().unwrap();
        assert_eq!((e.inline_count(), e.meta().len(Keyspace::Blobs).unwrap()), (0, 1));
    }

    #[test]
    fn an_unversioned_bucket_keeps_no_null_pointers() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        for i in 0..5 {
            put(&e, &b, &format!("k{i}"), b"x").unwrap();
            put(&e, &b, &format!("k{i}"), b"y").unwrap();
        }
        assert_eq!(e.meta().len(Keyspace::Nulls).unwrap(), 0, "current null versions are found as current");
        assert_eq!(e.meta().len(Keyspace::Versions).unwrap(), 5, "each overwrite removed the null version it replaced");
        assert_eq!(e.object_version(&b, &key("k0"), "null").unwrap().size, 1);
    }

    #[test]
    fn null_pointers_written_by_earlier_builds_still_work() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        // Earlier builds pointed at every null version, the current one included.
        let old = put(&e, &b, "k", b"old").unwrap();
        let okey = keys::object_key("bkt", "k");
        e.meta().insert(Keyspace::Nulls, &okey, old.seq.to_be_bytes()).unwrap();
        assert_eq!(e.object_version(&b, &key("k"), "null").unwrap().seq, old.seq);
        // An overwrite replaces that version, and the pointer goes.
        put(&e, &b, "k", b"new").unwrap();
        assert_eq!(read_all(&e, &b, "k"), b"new");
        assert_eq!(e.meta().len(Keyspace::Versions).unwrap(), 1);
        assert_eq!(e.meta().len(Keyspace::Nulls).unwrap(), 0);
        assert_eq!(e.blob_count(), 1);
        // Pushed below a newer version, the null version is pointed at, and still found.
        let null = e.object(&b, &key("k")).unwrap();
        e.set_versioning(&b, Versioning::Enabled).unwrap();
        put(&e, &b, "k", b"newer").unwrap();
        assert_eq!(e.meta().get(Keyspace::Nulls, &okey).unwrap(), Some(null.seq.to_be_bytes().to_vec()));
        assert_eq!(read(&e, &e.object_version(&b, &key("k"), "null").unwrap()), b"new");
    }

    #[test]
    fn failed_condition_leaves_old_state_and_no_blob() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        put(&e, &b, "k", b"one").unwrap();
        let mut w = e.new_blob().unwrap();
        w.write(b"two").unwrap();
        let cond = WriteCondition::if_absent();
        let err = e.put_object(&b, &key("k"), w.finish().unwrap(), ObjectMeta::default(), None, &cond);
        assert!(matches!(err, Err(EngineError::WriteConditionFailed("If-None-Match"))));
        assert_eq!(read_all(&e, &b, "k"), b"one");
        assert_eq!(e.blob_count(), 1);
    }

    #[test]
    fn dropped_upload_leaves_nothing_visible() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        let mut w = e.new_blob().unwrap();
        w.write(b"partial").unwrap();
        // Verification failed in the caller: the staged blob is dropped, never committed.
        drop(w.finish().unwrap());
        assert!(matches!(e.object(&b, &key("k")), Err(EngineError::NoSuchKey)));
        assert_eq!(std::fs::read_dir(dir.path().join("hot/tmp")).unwrap().count(), 0);
        assert_eq!(e.blob_count(), 0);
    }

    #[test]
    fn crash_between_blob_install_and_commit_keeps_old_state_without_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let b = BucketName::parse("bkt").unwrap();
        {
            let (e, _) = setup(dir.path());
            put(&e, &b, "k", b"old").unwrap();
            // Simulate the crash: the new blob reaches its final name, the metadata commit never happens.
            let mut w = e.new_blob().unwrap();
            w.write(&vec![7u8; crate::hot::INLINE_MAX + 1]).unwrap();
            let mut staged = w.finish().unwrap();
            e.hot().install(&mut staged).unwrap();
            // A second upload still in tmp/ when the process dies.
            let mut w2 = e.new_blob().unwrap();
            w2.write(&vec![8u8; crate::hot::INLINE_MAX + 1]).unwrap();
            std::mem::forget(w2);
            assert_eq!(e.blob_count(), 2);
        }
        let e = engine(dir.path());
        assert_eq!(read_all(&e, &b, "k"), b"old");
        assert_eq!(e.blob_count(), 1, "the uncommitted blob is swept at start-up");
        assert_eq!(std::fs::read_dir(dir.path().join("hot/tmp")).unwrap().count(), 0);
    }

    #[test]
    fn small_blobs_live_inline_and_large_ones_in_files() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        let small = vec![1u8; crate::hot::INLINE_MAX];
        let large = vec![2u8; crate::hot::INLINE_MAX + 1];
        let s = put(&e, &b, "small", &small).unwrap();
        let l = put(&e, &b, "large", &large).unwrap();
        assert!(s.extents[0].inline && !l.extents[0].inline);
        assert_eq!((e.hot().all_blob_ids().unwrap().len(), e.inline_count()), (1, 1));
        assert_eq!(read_all(&e, &b, "small"), small);
        assert_eq!(read_all(&e, &b, "large"), large);
        // Ranged reads of an inline blob.
        let mut out = Vec::new();
        e.reader(&b, &s, 10, 20).unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, vec![1u8; 10]);
        e.delete_object(&b, &key("small"), None, "me").unwrap();
        assert_eq!(e.inline_count(), 0, "an inline blob is deleted with its object");
    }

    #[test]
    fn bucket_ownership_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        assert!(matches!(e.create_bucket(&b, "me", "us-east-1"), Err(EngineError::BucketAlreadyOwnedByYou)));
        assert!(matches!(e.create_bucket(&b, "you", "us-east-1"), Err(EngineError::BucketAlreadyExists)));
        let other = BucketName::parse("nope").unwrap();
        assert!(matches!(e.object(&other, &key("k")), Err(EngineError::NoSuchBucket)));
    }

    #[test]
    fn versioning_keeps_every_version_and_markers() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        let null = put(&e, &b, "k", b"v0").unwrap();
        e.set_versioning(&b, Versioning::Enabled).unwrap();
        let v1 = put(&e, &b, "k", b"v1").unwrap();
        let v2 = put(&e, &b, "k", b"v2").unwrap();
        assert_ne!(v1.version_id, v2.version_id);
        assert_eq!(read_all(&e, &b, "k"), b"v2");
        assert_eq!(read(&e, &e.object_version(&b, &key("k"), "null").unwrap()), b"v0");
        assert_eq!(read(&e, &e.object_version(&b, &key("k"), &v1.version_id).unwrap()), b"v1");
        assert_eq!(e.blob_count(), 3);

        let del = e.delete_object(&b, &key("k"), None, "me").unwrap();
        assert!(del.delete_marker);
        assert!(e.object(&b, &key("k")).unwrap().delete_marker);
        assert_eq!(e.blob_count(), 3, "a delete marker removes no data");

        // Removing the marker brings v2 back; removing v2 then makes v1 current.
        e.delete_object(&b, &key("k"), del.version_id.as_deref(), "me").unwrap();
        assert_eq!(read_all(&e, &b, "k"), b"v2");
        e.delete_object(&b, &key("k"), Some(&v2.version_id), "me").unwrap();
        assert_eq!(read_all(&e, &b, "k"), b"v1");
        assert_eq!(e.blob_count(), 2);
        assert!(matches!(e.object_version(&b, &key("k"), &v2.version_id), Err(EngineError::NoSuchVersion)));
        assert!(matches!(e.object_version(&b, &key("k"), "bogus"), Err(EngineError::InvalidVersionId)));
        // Deleting a version that is gone succeeds.
        assert!(e.delete_object(&b, &key("k"), Some(&v2.version_id), "me").is_ok());

        // Suspended: writes replace the null version, which becomes the newest.
        e.set_versioning(&b, Versioning::Suspended).unwrap();
        let s = put(&e, &b, "k", b"s1").unwrap();
        assert_eq!(s.version_id, "null");
        assert!(matches!(e.object_version(&b, &key("k"), &null.version_id), Ok(r) if r.seq == s.seq));
        assert_eq!(e.blob_count(), 2, "v0 (the old null version) was replaced");
        let marker = e.delete_object(&b, &key("k"), None, "me").unwrap();
        assert_eq!(marker.version_id.as_deref(), Some("null"));
        assert_eq!(e.blob_count(), 1, "the null version gave way to a null delete marker");
        assert!(matches!(e.delete_bucket(&b), Err(EngineError::BucketNotEmpty)));
        let stats = e.stats();
        assert_eq!((stats.hot_versions, stats.hot_bytes), (1, 2), "only v1 is stored");
        drop(e);
        let reopened = engine(dir.path());
        assert_eq!(reopened.stats().hot_versions, 1, "the start-up count agrees with the running one");
    }

    #[test]
    fn quota_refuses_writes_past_it_and_usage_is_per_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        let other = BucketName::parse("other").unwrap();
        e.create_bucket(&other, "me", "us-east-1").unwrap();
        put(&e, &b, "a", b"12345").unwrap();
        put(&e, &other, "a", b"1").unwrap();
        assert_eq!(e.usage(&b), BucketUsage { objects: 1, bytes: 5 });
        e.set_quota(&b, Some(8)).unwrap();
        assert_eq!(e.quota(&b).unwrap(), Some(8));
        put(&e, &b, "b", b"123").unwrap();
        assert!(matches!(put(&e, &b, "c", b"1"), Err(EngineError::QuotaExceeded(8))));
        assert_eq!(e.blob_count(), 3, "the refused write left no blob");
        put(&e, &other, "b", b"1234567890").unwrap();
        e.delete_object(&b, &key("a"), None, "me").unwrap();
        put(&e, &b, "c", b"1").unwrap();
        e.set_quota(&b, None).unwrap();
        put(&e, &b, "d", b"123456789").unwrap();
        drop(e);
        let e = engine(dir.path());
        assert_eq!(e.usage(&b), BucketUsage { objects: 3, bytes: 13 });
        assert_eq!(e.usage(&other), BucketUsage { objects: 2, bytes: 11 });
        assert_eq!(e.quota(&b).unwrap(), None);
    }

    #[test]
    fn a_bucket_made_again_starts_without_the_old_settings() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        e.set_quota(&b, Some(5)).unwrap();
        e.set_website(&b, Some(&crate::website::WebsiteConfig::default())).unwrap();
        e.set_bucket_acl(&b, &crate::Acl::canned("public-read", "me", "me").unwrap()).unwrap();
        e.delete_bucket(&b).unwrap();
        let rec = e.create_bucket(&b, "other", "us-east-1").unwrap();
        assert_eq!(e.quota(&b).unwrap(), None);
        assert_eq!(e.website(&b).unwrap(), None);
        assert_eq!(e.bucket_acl(&rec).unwrap(), crate::Acl::private("other"));
    }
}
