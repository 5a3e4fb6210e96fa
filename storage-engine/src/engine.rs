//! The engine: buckets and objects over sled metadata and the hot tier.

use crate::error::{EngineError, Result};
use crate::hot::{BlobWriter, HotTier, ObjectReader, StagedBlob};
use crate::keys;
use crate::names::{BucketName, ObjectKey};
use crate::record::{self, BucketRecord, ContentHeaders, ObjectRecord};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Root of the data directory; metadata and the hot tier live below it.
    pub data_dir: PathBuf,
    /// sled's page cache in bytes.
    pub cache_bytes: u64,
}

/// What a PUT says about the object besides its bytes.
#[derive(Clone, Debug, Default)]
pub struct NewObject {
    pub owner: String,
    pub headers: ContentHeaders,
    pub user_meta: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub storage_class: String,
    pub website_redirect: Option<String>,
    pub checksum: Option<(String, String)>,
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
    fn check(&self, current: Option<&ObjectRecord>) -> Result<()> {
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
}

pub struct Engine {
    pub(crate) db: sled::Db,
    buckets: sled::Tree,
    pub(crate) objects: sled::Tree,
    /// Every blob some record refers to: blob id → owning object key. Blob files not in here are orphans.
    pub(crate) blobs: sled::Tree,
    /// Blobs made unreachable by a commit, deleted after it: blob id → ().
    pub(crate) gc: sled::Tree,
    /// Multipart uploads in progress: bucket 0x00 key 0x00 upload-id → UploadRecord.
    pub(crate) uploads: sled::Tree,
    /// Their parts: upload-id 0x00 part-number → PartRecord.
    pub(crate) parts: sled::Tree,
    pub(crate) hot: HotTier,
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
            blobs: db.open_tree("blobs")?,
            gc: db.open_tree("gc")?,
            uploads: db.open_tree("uploads")?,
            parts: db.open_tree("parts")?,
            hot: HotTier::open(&cfg.data_dir.join("hot"))?,
            db,
        };
        engine.recover()?;
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
        if orphans > 0 {
            tracing::info!(orphans, "removed blobs no metadata refers to");
        }
        Ok(())
    }

    /// Deletes the blobs queued by earlier commits. Idempotent: a crash part-way repeats it safely.
    pub(crate) fn collect_garbage(&self) -> Result<()> {
        for item in self.gc.iter() {
            let (k, _) = item?;
            let id = u128::from_be_bytes(k.as_ref().try_into().map_err(|_| EngineError::Corrupt("gc key".into()))?);
            self.hot.remove(id)?;
            self.gc.remove(k)?;
        }
        Ok(())
    }

    /// Makes every committed change durable. sled otherwise syncs only every ~500 ms.
    pub(crate) fn sync(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    // ---- buckets ----

    pub fn create_bucket(&self, name: &BucketName, owner: &str, region: &str) -> Result<BucketRecord> {
        let rec = BucketRecord {
            name: name.to_string(),
            owner: owner.to_owned(),
            region: region.to_owned(),
            created_ms: now_ms(),
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

    pub fn delete_bucket(&self, name: &BucketName) -> Result<()> {
        self.bucket(name)?;
        let prefix = keys::bucket_prefix(name.as_str());
        if self.objects.scan_prefix(&prefix).next().is_some() || self.uploads.scan_prefix(&prefix).next().is_some() {
            return Err(EngineError::BucketNotEmpty);
        }
        self.buckets.remove(name.as_str())?;
        self.sync()
    }

    // ---- objects ----

    pub fn new_blob(&self) -> Result<BlobWriter> {
        self.hot.new_writer()
    }

    /// Commits a staged blob as the object `key`, replacing the current one. Durable on return.
    pub fn put_object(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        mut staged: StagedBlob,
        new: NewObject,
        cond: &WriteCondition,
    ) -> Result<ObjectRecord> {
        self.bucket(bucket)?;
        let rec = ObjectRecord {
            key: key.to_string(),
            size: staged.size(),
            etag: hex_lower(&staged.md5()),
            last_modified_ms: now_ms(),
            owner: new.owner,
            headers: new.headers,
            user_meta: new.user_meta,
            tags: new.tags,
            storage_class: new.storage_class,
            website_redirect: new.website_redirect,
            checksum: new.checksum,
            extents: vec![staged.extent()],
            parts: Vec::new(),
        };
        self.hot.install(&mut staged)?;
        let result = self.commit_record(bucket, key, &rec, cond, &Commit::default());
        if result.is_err() {
            // The new blob is referenced by nothing; remove it now rather than at the next start.
            self.hot.remove(staged.id)?;
        }
        result.map(|()| rec)
    }

    /// Stores `rec` as the current version of `key` in one atomic batch with the bookkeeping in
    /// `extra`, queues the blobs of the record it replaces, makes it durable, then deletes them.
    pub(crate) fn commit_record(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        rec: &ObjectRecord,
        cond: &WriteCondition,
        extra: &Commit,
    ) -> Result<()> {
        let okey = keys::object_key(bucket.as_str(), key.as_str());
        let encoded = record::encode(rec);
        let trees = (&self.buckets, &self.objects, &self.blobs, &self.gc, &self.uploads, &self.parts);
        trees
            .transaction(|(b, o, bl, gc, up, pa)| {
                if b.get(bucket.as_str())?.is_none() {
                    return abort(EngineError::NoSuchBucket);
                }
                if let Some(upload_key) = &extra.remove_upload {
                    if up.remove(upload_key.as_slice())?.is_none() {
                        return abort(EngineError::NoSuchUpload);
                    }
                }
                let old = match o.get(&okey)? {
                    Some(v) => Some(record::decode::<ObjectRecord>(&v).map_err(ConflictableTransactionError::Abort)?),
                    None => None,
                };
                if let Err(e) = cond.check(old.as_ref()) {
                    return abort(e);
                }
                o.insert(okey.as_slice(), encoded.as_slice())?;
                for id in rec.blob_ids() {
                    bl.insert(&keys::blob_key(id), okey.as_slice())?;
                }
                let dropped = old.iter().flat_map(|old| old.blob_ids()).chain(extra.drop_blobs.iter().copied());
                for id in dropped {
                    bl.remove(&keys::blob_key(id))?;
                    gc.insert(&keys::blob_key(id), &[])?;
                }
                for part in &extra.remove_parts {
                    pa.remove(part.as_slice())?;
                }
                Ok(())
            })
            .map_err(tx_err)?;
        self.sync()?;
        self.collect_garbage()
    }

    pub fn object(&self, bucket: &BucketName, key: &ObjectKey) -> Result<ObjectRecord> {
        match self.objects.get(keys::object_key(bucket.as_str(), key.as_str()))? {
            Some(v) => record::decode(&v),
            None => {
                self.bucket(bucket)?;
                Err(EngineError::NoSuchKey)
            }
        }
    }

    /// Removes the object if it exists. Deleting a missing key succeeds, as in S3.
    pub fn delete_object(&self, bucket: &BucketName, key: &ObjectKey) -> Result<()> {
        self.bucket(bucket)?;
        let okey = keys::object_key(bucket.as_str(), key.as_str());
        let removed = (&self.objects, &self.blobs, &self.gc)
            .transaction(|(o, bl, gc)| {
                let Some(v) = o.remove(okey.as_slice())? else {
                    return Ok(false);
                };
                let old: ObjectRecord = record::decode(&v).map_err(ConflictableTransactionError::Abort)?;
                for id in old.blob_ids() {
                    bl.remove(&keys::blob_key(id))?;
                    gc.insert(&keys::blob_key(id), &[])?;
                }
                Ok(true)
            })
            .map_err(tx_err)?;
        if removed {
            self.sync()?;
            self.collect_garbage()?;
        }
        Ok(())
    }

    /// Replaces the tag set of the current object.
    pub fn set_tags(&self, bucket: &BucketName, key: &ObjectKey, tags: Vec<(String, String)>) -> Result<()> {
        self.update_record(bucket, key, |rec| rec.tags = tags.clone())
    }

    fn update_record(&self, bucket: &BucketName, key: &ObjectKey, f: impl Fn(&mut ObjectRecord)) -> Result<()> {
        let okey = keys::object_key(bucket.as_str(), key.as_str());
        self.objects
            .transaction(|o| {
                let Some(v) = o.get(&okey)? else {
                    return abort(EngineError::NoSuchKey);
                };
                let mut rec: ObjectRecord = record::decode(&v).map_err(ConflictableTransactionError::Abort)?;
                f(&mut rec);
                o.insert(okey.as_slice(), record::encode(&rec))?;
                Ok(())
            })
            .map_err(tx_err)
            .map_err(|e| match e {
                EngineError::NoSuchKey if self.bucket(bucket).is_err() => EngineError::NoSuchBucket,
                e => e,
            })?;
        self.sync()
    }

    /// A reader over bytes `start..end` of the object.
    pub fn reader(&self, rec: &ObjectRecord, start: u64, end: u64) -> ObjectReader {
        ObjectReader::new(self.hot.clone(), rec, start, end)
    }

    #[cfg(test)]
    pub(crate) fn blob_file_count(&self) -> usize {
        self.hot.all_blob_ids().unwrap().len()
    }
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn engine(dir: &std::path::Path) -> Engine {
        Engine::open(&EngineConfig { data_dir: dir.to_owned(), cache_bytes: 8 << 20 }).unwrap()
    }

    fn put(e: &Engine, b: &BucketName, k: &str, data: &[u8]) -> Result<ObjectRecord> {
        let mut w = e.new_blob()?;
        w.write(data)?;
        e.put_object(b, &ObjectKey::parse(k)?, w.finish()?, NewObject::default(), &WriteCondition::default())
    }

    fn read_all(e: &Engine, b: &BucketName, k: &str) -> Vec<u8> {
        let rec = e.object(b, &ObjectKey::parse(k).unwrap()).unwrap();
        let mut out = Vec::new();
        e.reader(&rec, 0, rec.size).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn put_get_overwrite_delete() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "us-east-1").unwrap();
        let rec = put(&e, &b, "a/b", b"hello").unwrap();
        assert_eq!(rec.etag, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(read_all(&e, &b, "a/b"), b"hello");
        put(&e, &b, "a/b", b"world!").unwrap();
        assert_eq!(read_all(&e, &b, "a/b"), b"world!");
        assert_eq!(e.blob_file_count(), 1, "the overwritten blob is deleted");
        assert!(matches!(e.delete_bucket(&b), Err(EngineError::BucketNotEmpty)));
        e.delete_object(&b, &ObjectKey::parse("a/b").unwrap()).unwrap();
        assert_eq!(e.blob_file_count(), 0);
        e.delete_bucket(&b).unwrap();
    }

    #[test]
    fn failed_condition_leaves_old_state_and_no_blob() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "us-east-1").unwrap();
        put(&e, &b, "k", b"one").unwrap();
        let mut w = e.new_blob().unwrap();
        w.write(b"two").unwrap();
        let cond = WriteCondition { if_none_match_any: true, ..Default::default() };
        let err = e.put_object(&b, &ObjectKey::parse("k").unwrap(), w.finish().unwrap(), NewObject::default(), &cond);
        assert!(matches!(err, Err(EngineError::PreconditionFailed)));
        assert_eq!(read_all(&e, &b, "k"), b"one");
        assert_eq!(e.blob_file_count(), 1);
    }

    #[test]
    fn dropped_upload_leaves_nothing_visible() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "us-east-1").unwrap();
        let mut w = e.new_blob().unwrap();
        w.write(b"partial").unwrap();
        let staged = w.finish().unwrap();
        // Verification failed in the caller: the staged blob is dropped, never committed.
        drop(staged);
        assert!(matches!(e.object(&b, &ObjectKey::parse("k").unwrap()), Err(EngineError::NoSuchKey)));
        assert_eq!(std::fs::read_dir(dir.path().join("hot/tmp")).unwrap().count(), 0);
        assert_eq!(e.blob_file_count(), 0);
    }

    #[test]
    fn crash_between_blob_install_and_commit_keeps_old_state_without_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let b = BucketName::parse("bkt").unwrap();
        {
            let e = engine(dir.path());
            e.create_bucket(&b, "me", "us-east-1").unwrap();
            put(&e, &b, "k", b"old").unwrap();
            // Simulate the crash: the new blob reaches its final name, the metadata commit never happens.
            let mut w = e.new_blob().unwrap();
            w.write(b"new").unwrap();
            let mut staged = w.finish().unwrap();
            e.hot.install(&mut staged).unwrap();
            // A second upload still in tmp/ when the process dies.
            let mut w2 = e.new_blob().unwrap();
            w2.write(b"in flight").unwrap();
            std::mem::forget(w2);
            assert_eq!(e.blob_file_count(), 2);
        }
        let e = engine(dir.path());
        assert_eq!(read_all(&e, &b, "k"), b"old");
        assert_eq!(e.blob_file_count(), 1, "the uncommitted blob is swept at start-up");
        assert_eq!(std::fs::read_dir(dir.path().join("hot/tmp")).unwrap().count(), 0);
    }

    #[test]
    fn bucket_ownership_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "us-east-1").unwrap();
        assert!(matches!(e.create_bucket(&b, "me", "us-east-1"), Err(EngineError::BucketAlreadyOwnedByYou)));
        assert!(matches!(e.create_bucket(&b, "you", "us-east-1"), Err(EngineError::BucketAlreadyExists)));
        let other = BucketName::parse("nope").unwrap();
        assert!(matches!(e.object(&other, &ObjectKey::parse("k").unwrap()), Err(EngineError::NoSuchBucket)));
    }
}
