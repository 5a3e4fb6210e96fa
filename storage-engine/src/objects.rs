//! Object versions: writes, reads and deletes with S3's versioning rules.
//!
//! Every write adds a record to `versions`; the current live version is also kept in `objects`,
//! so plain GETs and listings never look at old versions. In an unversioned or suspended bucket
//! a write replaces the key's "null" version; in an enabled bucket it adds a version.

use crate::engine::{abort, hex_lower, now_ms, tx_err, Commit, Engine, WriteCondition};
use crate::error::{EngineError, Result};
use crate::hot::StagedBlob;
use crate::keys;
use crate::names::{BucketName, ObjectKey};
use crate::record::{self, ObjectMeta, ObjectRecord, Versioning};
use sled::transaction::{ConflictableTransactionError, Transactional, TransactionalTree};

/// What a DELETE did: the version it created or removed, and whether that is a delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteOutcome {
    pub version_id: Option<String>,
    pub delete_marker: bool,
}

/// Version ids carry their sequence number (to find the record) and a random tail (so they
/// cannot be guessed from one another).
fn new_version_id(seq: u64) -> String {
    format!("{seq:016x}{:016x}", uuid::Uuid::new_v4().as_u128() as u64)
}

fn parse_version_id(id: &str) -> Option<u64> {
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| u64::from_str_radix(&id[..16], 16).ok())?
}

type TxResult<T> = std::result::Result<T, ConflictableTransactionError<EngineError>>;

fn decode_tx(v: &[u8]) -> TxResult<ObjectRecord> {
    record::decode(v).map_err(ConflictableTransactionError::Abort)
}

/// Forgets what hangs on a removed version, in its transaction: its ACL, and its blobs, which are
/// queued for deletion after the commit. `trees` are blobs, gc and acls.
fn release_version(
    bucket: &str,
    rec: &ObjectRecord,
    trees: (&TransactionalTree, &TransactionalTree, &TransactionalTree),
) -> TxResult<()> {
    let (blobs, gc, acls) = trees;
    for id in rec.blob_ids() {
        blobs.remove(&keys::blob_key(id))?;
        gc.insert(&keys::blob_key(id), &[])?;
    }
    acls.remove(keys::acl_version_key(&keys::version_key(bucket, &rec.key, rec.seq)))?;
    Ok(())
}

/// Points the key's null version at `new_seq` (or at nothing), removing the null version it
/// replaces, with its blobs and ACL. Returns that old version. `trees` are versions, nulls, blobs,
/// gc and acls.
fn replace_null(
    trees: (&TransactionalTree, &TransactionalTree, &TransactionalTree, &TransactionalTree, &TransactionalTree),
    bucket: &str,
    key: &str,
    new_seq: Option<u64>,
) -> TxResult<Option<ObjectRecord>> {
    let (versions, nulls, blobs, gc, acls) = trees;
    let okey = keys::object_key(bucket, key);
    let prev = match new_seq {
        Some(seq) => nulls.insert(okey.as_slice(), &seq.to_be_bytes())?,
        None => nulls.remove(okey.as_slice())?,
    };
    let Some(prev) = prev else { return Ok(None) };
    let prev_seq = u64::from_be_bytes(prev.as_ref().try_into().unwrap_or_default());
    let Some(old) = versions.remove(keys::version_key(bucket, key, prev_seq))? else { return Ok(None) };
    let old = decode_tx(&old)?;
    release_version(bucket, &old, (blobs, gc, acls))?;
    Ok(Some(old))
}

impl Engine {
    /// Commits a staged blob as a new version of `key`. Durable on return.
    pub fn put_object(
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
        self.hot.install(&mut staged)?;
        let extra = Commit { inline: staged.inline.take().map(|b| (staged.id, b)), ..Default::default() };
        let result = self.commit_record(bucket, key, rec, cond, &extra);
        if result.is_err() {
            // The new blob is referenced by nothing; remove it now rather than at the next start.
            self.hot.remove(staged.id)?;
        }
        result
    }

    /// Stores `rec` as the newest version of `key`, in one atomic batch with the bookkeeping in
    /// `extra`; queues the blobs of any version it replaces, makes it durable, then deletes them.
    pub(crate) fn commit_record(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        mut rec: ObjectRecord,
        cond: &WriteCondition,
        extra: &Commit,
    ) -> Result<ObjectRecord> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let state = self.bucket(bucket)?.versioning;
        self.check_quota(bucket, rec.size)?;
        rec.seq = self.db.generate_id()?;
        rec.version_id = if state == Versioning::Enabled { new_version_id(rec.seq) } else { "null".into() };
        rec.last_modified_ms = now_ms();
        let vkey = keys::version_key(b, k, rec.seq);
        let acl = rec.meta.acl.take().map(|a| record::encode(&a));
        let encoded = record::encode(&rec);
        let guard = self.lock_key(&okey);
        let trees = (
            &self.buckets,
            &self.objects,
            &self.versions,
            &self.nulls,
            &self.blobs,
            &self.gc,
            &self.uploads,
            &self.parts,
            &self.inline,
            &self.acls,
        );
        let replaced = trees
            .transaction(|(bt, o, v, n, bl, gc, up, pa, il, ac)| {
                let mut replaced = None;
                if bt.get(b)?.is_none() {
                    return abort(EngineError::NoSuchBucket);
                }
                if let Some(upload_key) = &extra.remove_upload {
                    if up.remove(upload_key.as_slice())?.is_none() {
                        return abort(EngineError::NoSuchUpload);
                    }
                    ac.remove(keys::acl_upload_key(upload_key))?;
                }
                if let Some(acl) = &acl {
                    ac.insert(keys::acl_version_key(&vkey), acl.as_slice())?;
                }
                let current = o.get(&okey)?.map(|c| decode_tx(&c)).transpose()?;
                if let Err(e) = cond.check(current.as_ref()) {
                    return abort(e);
                }
                o.insert(okey.as_slice(), encoded.as_slice())?;
                v.insert(vkey.as_slice(), encoded.as_slice())?;
                if !extra.blobs_registered {
                    for id in rec.blob_ids() {
                        bl.insert(&keys::blob_key(id), vkey.as_slice())?;
                    }
                }
                if let Some((id, bytes)) = &extra.inline {
                    il.insert(&keys::blob_key(*id), bytes.as_slice())?;
                }
                if state != Versioning::Enabled {
                    replaced = replace_null((v, n, bl, gc, ac), b, k, Some(rec.seq))?;
                }
                for id in &extra.drop_blobs {
                    bl.remove(&keys::blob_key(*id))?;
                    gc.insert(&keys::blob_key(*id), &[])?;
                }
                for part in &extra.remove_parts {
                    pa.remove(part.as_slice())?;
                }
                Ok(replaced)
            })
            .map_err(tx_err)?;
        drop(guard);
        self.account(b, &rec, 1);
        if let Some(old) = &replaced {
            self.account(b, old, -1);
        }
        self.sync()?;
        self.collect_garbage()?;
        Ok(rec)
    }

    /// The current version of `key`; if the key's latest version is a delete marker, that marker.
    pub fn object(&self, bucket: &BucketName, key: &ObjectKey) -> Result<ObjectRecord> {
        if let Some(v) = self.objects.get(keys::object_key(bucket.as_str(), key.as_str()))? {
            return record::decode(&v);
        }
        if let Some(item) = self.versions.scan_prefix(keys::version_prefix(bucket.as_str(), key.as_str())).next() {
            let latest: ObjectRecord = record::decode(&item?.1)?;
            if latest.delete_marker {
                return Ok(latest);
            }
        }
        self.bucket(bucket)?;
        Err(EngineError::NoSuchKey)
    }

    /// The sequence number of a version id of `key` ("null" included), if it names one.
    fn resolve_version(&self, okey: &[u8], id: &str) -> Result<Option<u64>> {
        if id == "null" {
            return Ok(self.nulls.get(okey)?.map(|s| u64::from_be_bytes(s.as_ref().try_into().unwrap_or_default())));
        }
        parse_version_id(id).map(Some).ok_or(EngineError::InvalidVersionId)
    }

    /// One version (or delete marker) by id.
    pub fn object_version(&self, bucket: &BucketName, key: &ObjectKey, id: &str) -> Result<ObjectRecord> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let found = match self.resolve_version(&keys::object_key(b, k), id)? {
            Some(seq) => self.versions.get(keys::version_key(b, k, seq))?,
            None => None,
        };
        match found.map(|v| record::decode::<ObjectRecord>(&v)).transpose()? {
            Some(rec) if rec.version_id == id => Ok(rec),
            _ => {
                self.bucket(bucket)?;
                Err(EngineError::NoSuchVersion)
            }
        }
    }

    /// DELETE without a version: removes the null version when unversioned, otherwise adds a
    /// delete marker. With a version: removes exactly that version, and if it was the latest the
    /// next newest becomes current. Deleting what does not exist succeeds, as in S3.
    pub fn delete_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        version: Option<&str>,
        owner: &str,
    ) -> Result<DeleteOutcome> {
        let state = self.bucket(bucket)?.versioning;
        let outcome = match version {
            Some(id) => self.delete_version(bucket, key, id)?,
            None if state == Versioning::Unversioned => self.delete_null(bucket, key)?,
            None => self.add_delete_marker(bucket, key, state, owner)?,
        };
        self.sync()?;
        self.collect_garbage()?;
        Ok(outcome)
    }

    fn delete_null(&self, bucket: &BucketName, key: &ObjectKey) -> Result<DeleteOutcome> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let _guard = self.lock_key(&okey);
        let removed = (&self.objects, &self.versions, &self.nulls, &self.blobs, &self.gc, &self.acls)
            .transaction(|(o, v, n, bl, gc, ac)| {
                o.remove(okey.as_slice())?;
                replace_null((v, n, bl, gc, ac), b, k, None)
            })
            .map_err(tx_err)?;
        if let Some(old) = &removed {
            self.account(b, old, -1);
        }
        Ok(DeleteOutcome { version_id: None, delete_marker: false })
    }

    fn add_delete_marker(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        state: Versioning,
        owner: &str,
    ) -> Result<DeleteOutcome> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let seq = self.db.generate_id()?;
        let marker = ObjectRecord {
            key: k.to_owned(),
            version_id: if state == Versioning::Enabled { new_version_id(seq) } else { "null".into() },
            seq,
            delete_marker: true,
            last_modified_ms: now_ms(),
            meta: ObjectMeta { owner: owner.to_owned(), ..Default::default() },
            ..Default::default()
        };
        let vkey = keys::version_key(b, k, seq);
        let encoded = record::encode(&marker);
        let _guard = self.lock_key(&okey);
        let replaced = (&self.objects, &self.versions, &self.nulls, &self.blobs, &self.gc, &self.acls)
            .transaction(|(o, v, n, bl, gc, ac)| {
                o.remove(okey.as_slice())?;
                v.insert(vkey.as_slice(), encoded.as_slice())?;
                if state == Versioning::Suspended {
                    // The marker becomes the null version, replacing any earlier one.
                    return replace_null((v, n, bl, gc, ac), b, k, Some(seq));
                }
                Ok(None)
            })
            .map_err(tx_err)?;
        if let Some(old) = &replaced {
            self.account(b, old, -1);
        }
        Ok(DeleteOutcome { version_id: Some(marker.version_id), delete_marker: true })
    }

    fn delete_version(&self, bucket: &BucketName, key: &ObjectKey, id: &str) -> Result<DeleteOutcome> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let gone = DeleteOutcome { version_id: Some(id.to_owned()), delete_marker: false };
        let _guard = self.lock_key(&okey);
        let Some(seq) = self.resolve_version(&okey, id)? else { return Ok(gone) };
        let vkey = keys::version_key(b, k, seq);
        let Some(rec) = self.versions.get(&vkey)?.map(|v| record::decode::<ObjectRecord>(&v)).transpose()? else {
            return Ok(gone);
        };
        if rec.version_id != id {
            return Ok(gone);
        }
        // The two newest versions of the key: if the one removed is the newest, the next becomes current.
        let mut newest = self.versions.scan_prefix(keys::version_prefix(b, k));
        let is_latest = newest.next().transpose()?.is_some_and(|(first, _)| first.as_ref() == vkey.as_slice());
        let next: Option<ObjectRecord> =
            if is_latest { newest.next().transpose()?.map(|(_, v)| record::decode(&v)).transpose()? } else { None };
        (&self.objects, &self.versions, &self.nulls, &self.blobs, &self.gc, &self.acls)
            .transaction(|(o, v, n, bl, gc, ac)| {
                v.remove(vkey.as_slice())?;
                release_version(b, &rec, (bl, gc, ac))?;
                if rec.version_id == "null" {
                    n.remove(okey.as_slice())?;
                }
                if is_latest {
                    match &next {
                        Some(next) if !next.delete_marker => {
                            o.insert(okey.as_slice(), record::encode(next))?;
                        }
                        _ => {
                            o.remove(okey.as_slice())?;
                        }
                    }
                }
                Ok(())
            })
            .map_err(tx_err)?;
        self.account(b, &rec, -1);
        Ok(DeleteOutcome { version_id: Some(id.to_owned()), delete_marker: rec.delete_marker })
    }

    /// Replaces the tag set of one version (the current record too, if it is current).
    pub fn set_tags(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        version_id: &str,
        tags: Vec<(String, String)>,
    ) -> Result<()> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let okey = keys::object_key(b, k);
        let _guard = self.lock_key(&okey);
        let seq = self.resolve_version(&okey, version_id)?.ok_or(EngineError::NoSuchVersion)?;
        let vkey = keys::version_key(b, k, seq);
        (&self.objects, &self.versions)
            .transaction(|(o, v)| {
                let Some(found) = v.get(&vkey)? else { return abort(EngineError::NoSuchVersion) };
                let mut rec = decode_tx(&found)?;
                rec.meta.tags = tags.clone();
                let encoded = record::encode(&rec);
                v.insert(vkey.as_slice(), encoded.as_slice())?;
                if let Some(cur) = o.get(&okey)? {
                    if decode_tx(&cur)?.seq == rec.seq {
                        o.insert(okey.as_slice(), encoded)?;
                    }
                }
                Ok(())
            })
            .map_err(tx_err)?;
        self.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BucketUsage, EngineConfig};
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
        e.reader(rec, 0, rec.size).read_to_end(&mut out).unwrap();
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
    fn failed_condition_leaves_old_state_and_no_blob() {
        let dir = tempfile::tempdir().unwrap();
        let (e, b) = setup(dir.path());
        put(&e, &b, "k", b"one").unwrap();
        let mut w = e.new_blob().unwrap();
        w.write(b"two").unwrap();
        let cond = WriteCondition { if_none_match_any: true, ..Default::default() };
        let err = e.put_object(&b, &key("k"), w.finish().unwrap(), ObjectMeta::default(), None, &cond);
        assert!(matches!(err, Err(EngineError::PreconditionFailed)));
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
            e.hot.install(&mut staged).unwrap();
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
        assert_eq!((e.hot.all_blob_ids().unwrap().len(), e.inline.len()), (1, 1));
        assert_eq!(read_all(&e, &b, "small"), small);
        assert_eq!(read_all(&e, &b, "large"), large);
        // Ranged reads of an inline blob.
        let mut out = Vec::new();
        e.reader(&s, 10, 20).read_to_end(&mut out).unwrap();
        assert_eq!(out, vec![1u8; 10]);
        e.delete_object(&b, &key("small"), None, "me").unwrap();
        assert_eq!(e.inline.len(), 0, "an inline blob is deleted with its object");
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
