//! Object versions: writes, reads and deletes with S3's versioning rules.
//!
//! Every write adds a record to `Versions`; the current live version is also kept in `Objects`,
//! so plain GETs and listings never look at old versions. In an unversioned or suspended bucket
//! a write replaces the key's "null" version; in an enabled bucket it adds a version.

use super::key_mutex::KeyMutexes;
use super::null_version::{keep_null_below, replace_null};
use super::preconditions::WriteCondition;
use super::removal::Removal;
use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::{BucketName, ObjectKey};
use crate::blob::archive::{ArchiveRef, ArchiveStore};
use crate::blob::archive_ledger::count_archived;
use crate::blob::gc::{drop_blob, Gc};
use crate::blob::hot::{HotTier, StagedBlob};
use crate::bucket::registry::Buckets;
use crate::bucket::schedule::{self, Schedule};
use crate::bucket::usage::Usage;
use crate::meta::{abort, Keyspace, Meta, TxResult, Txn};
use crate::model::record::{self, hex_lower, ObjectMeta, ObjectRecord, Versioning};
use crate::object::versions::{new_version_id, Versions};
use std::sync::Arc;

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

pub(crate) fn enqueue_hint(tx: &mut dyn Txn, hint: Option<&[u8]>) -> TxResult<()> {
    if let Some(h) = hint {
        tx.insert(Keyspace::LifecycleQueue, h, &[])?;
    }
    Ok(())
}

#[derive(Clone)]
pub(crate) struct Objects {
    pub(crate) meta: Meta,
    pub(crate) hot: HotTier,
    pub(crate) buckets: Buckets,
    pub(crate) versions: Versions,
    pub(crate) usage: Usage,
    pub(crate) gc: Gc,
    pub(crate) schedule: Schedule,
    pub(crate) archive: ArchiveStore,
    pub(crate) key_mutexes: Arc<KeyMutexes>,
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
        Objects { meta, hot, buckets, versions, usage, gc, schedule, archive, key_mutexes: Arc::new(KeyMutexes::new()) }
    }

    /// Writes `from` into the archive tier, fsynced; returns where it went.
    pub(crate) fn archive_copy(&self, from: impl std::io::Read) -> Result<ArchiveRef> {
        self.archive.copy_in(from)
    }

    /// A hint for the lifecycle queue after a change to `key` (see `bucket::schedule`).
    pub(crate) fn hint(&self, bucket: &BucketName, key: &str, put: bool) -> Result<Option<Vec<u8>>> {
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
        if rec.meta.storage_class.is_archived() {
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
        // The seq is drawn under the key's mutex: versions of one key commit in the order of their seqs.
        let guard = self.key_mutexes.hold(&self.meta, &okey)?;
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
        self.gc.make_durable_and_collect()?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BucketUsage, DeleteOutcome, Engine, EngineConfig};
    use std::io::Read;

    pub(crate) fn engine(dir: &std::path::Path) -> Engine {
        Engine::open(&EngineConfig::new(dir.to_owned())).unwrap()
    }

    pub(crate) fn put(e: &Engine, b: &BucketName, k: &str, data: &[u8]) -> Result<ObjectRecord> {
        let mut w = e.new_blob()?;
        w.write(data)?;
        e.put_object(b, &ObjectKey::parse(k)?, w.finish()?, ObjectMeta::default(), None, &WriteCondition::default())
    }

    pub(crate) fn read(e: &Engine, rec: &ObjectRecord) -> Vec<u8> {
        let mut out = Vec::new();
        let b = BucketName::parse("bkt").unwrap();
        e.reader(&b, rec, 0, rec.size).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    pub(crate) fn read_all(e: &Engine, b: &BucketName, k: &str) -> Vec<u8> {
        read(e, &e.object(b, &ObjectKey::parse(k).unwrap()).unwrap())
    }

    pub(crate) fn key(k: &str) -> ObjectKey {
        ObjectKey::parse(k).unwrap()
    }

    pub(crate) fn setup(dir: &std::path::Path) -> (Engine, BucketName) {
        let e = engine(dir);
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "us-east-1").unwrap();
        (e, b)
    }

    #[test]
    pub(crate) fn put_get_overwrite_delete() {
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
    pub(crate) fn inline_bytes_register_themselves_and_survive_restarts() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (e, b) = setup(dir.path());
            put(&e, &b, "small", b"inline bytes").unwrap();
            put(&e, &b, "large", &vec![7u8; crate::blob::hot::INLINE_MAX + 1]).unwrap();
            assert_eq!(e.meta().len(Keyspace::Blobs).unwrap(), 1, "only the file is registered");
            assert_eq!(e.inline_count(), 1);
        }
        // The start-up sweep removes unregistered files, never inline bytes.
        let e = engine(dir.path());
        let b = BucketName::parse("bkt").unwrap();
        assert_eq!(read_all(&e, &b, "small"), b"inline bytes");
        assert_eq!(read_all(&e, &b, "large").len(), crate::blob::hot::INLINE_MAX + 1);
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
    pub(crate) fn an_unversioned_bucket_keeps_no_null_pointers() {
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
    pub(crate) fn null_pointers_written_by_earlier_builds_still_work() {
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
    pub(crate) fn failed_condition_leaves_old_state_and_no_blob() {
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
    pub(crate) fn dropped_upload_leaves_nothing_visible() {
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
    pub(crate) fn crash_between_blob_install_and_commit_keeps_old_state_without_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let b = BucketName::parse("bkt").unwrap();
        {
            let (e, _) = setup(dir.path());
            put(&e, &b, "k", b"old").unwrap();
            // Simulate the crash: the new blob reaches its final name, the metadata commit never happens.
            let mut w = e.new_blob().unwrap();
            w.write(&vec![7u8; crate::blob::hot::INLINE_MAX + 1]).unwrap();
            let mut staged = w.finish().unwrap();
            e.hot().install(&mut staged).unwrap();
            // A second upload still in tmp/ when the process dies.
            let mut w2 = e.new_blob().unwrap();
            w2.write(&vec![8u8; crate::blob::hot::INLINE_MAX + 1]).unwrap();
            std::mem::forget(w2);
            assert_eq!(e.blob_count(), 2);
        }
        let e = engine(dir.path());
        assert_eq!(read_all(&e, &b, "k"), b"old");
        assert_eq!(e.blob_count(), 1, "the uncommitted blob is swept at start-up");
        assert_eq!(std::fs::read_dir(dir.path().join("hot/tmp")).unwrap().count(), 0);
    }

    #[test]
    pub(crate) fn small_blobs_live_inline_and_large_ones_in_files() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        let small = vec![1u8; crate::blob::hot::INLINE_MAX];
        let large = vec![2u8; crate::blob::hot::INLINE_MAX + 1];
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
    pub(crate) fn bucket_ownership_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        assert!(matches!(e.create_bucket(&b, "me", "us-east-1"), Err(EngineError::BucketAlreadyOwnedByYou)));
        assert!(matches!(e.create_bucket(&b, "you", "us-east-1"), Err(EngineError::BucketAlreadyExists)));
        let other = BucketName::parse("nope").unwrap();
        assert!(matches!(e.object(&other, &key("k")), Err(EngineError::NoSuchBucket)));
    }

    #[test]
    pub(crate) fn versioning_keeps_every_version_and_markers() {
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
    pub(crate) fn quota_refuses_writes_past_it_and_usage_is_per_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        let other = BucketName::parse("other").unwrap();
        e.create_bucket(&other, "me", "us-east-1").unwrap();
        put(&e, &b, "a", b"12345").unwrap();
        put(&e, &other, "a", b"1").unwrap();
        assert_eq!(e.usage(&b), BucketUsage { objects: 1, bytes: 5, ..Default::default() });
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
        assert_eq!(e.usage(&b), BucketUsage { objects: 3, bytes: 13, ..Default::default() });
        assert_eq!(e.usage(&other), BucketUsage { objects: 2, bytes: 11, ..Default::default() });
        assert_eq!(e.quota(&b).unwrap(), None);
    }

    #[test]
    pub(crate) fn a_bucket_made_again_starts_without_the_old_settings() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        e.set_quota(&b, Some(5)).unwrap();
        e.set_website(&b, Some(&crate::model::website::WebsiteConfig::default())).unwrap();
        e.set_bucket_acl(&b, &crate::Acl::canned("public-read", "me", "me").unwrap()).unwrap();
        e.delete_bucket(&b).unwrap();
        let rec = e.create_bucket(&b, "other", "us-east-1").unwrap();
        assert_eq!(e.quota(&b).unwrap(), None);
        assert_eq!(e.website(&b).unwrap(), None);
        assert_eq!(e.bucket_acl(&rec).unwrap(), crate::Acl::private("other"));
    }
}
