//! Multipart uploads. Each part is its own blob; completing an upload writes one object record
//! whose extents are the parts' blobs, so completion copies no data and costs O(parts).

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::{BucketName, ObjectKey};
use crate::blob::gc::{drop_blob, Gc};
use crate::blob::hot::{HotTier, StagedBlob};
use crate::bucket::registry::Buckets;
use crate::bucket::schedule::{self, Schedule};
use crate::meta::{abort, Keyspace, Meta};
use crate::model::record::{self, hex_lower, ObjectMeta, ObjectPart, ObjectRecord, PartRecord, UploadRecord};
use crate::object::objects::{Commit, Objects};
use crate::object::preconditions::WriteCondition;
use md5::{Digest, Md5};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};

/// S3's smallest part, except the last.
pub const MIN_PART_SIZE: u64 = 5 << 20;
pub const MAX_PART_NUMBER: u32 = 10_000;

/// A part named in CompleteMultipartUpload.
#[derive(Clone, Debug)]
pub struct CompletedPart {
    pub number: u32,
    /// Unquoted ETag as the client sent it.
    pub etag: String,
}

#[derive(Clone, Debug, Default)]
pub struct UploadListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    pub max_uploads: usize,
}

#[derive(Clone, Debug, Default)]
pub struct UploadPage {
    pub uploads: Vec<UploadRecord>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
}

/// Upload ids start with a strictly increasing microsecond stamp, so one key's uploads list in the
/// order they were started even when two start within the same clock tick.
fn new_upload_id() -> String {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = chrono::Utc::now().timestamp_micros().max(0) as u64;
    let prev = LAST.fetch_max(now, Ordering::SeqCst);
    let stamp = if prev >= now { LAST.fetch_add(1, Ordering::SeqCst) + 1 } else { now };
    format!("{stamp:014x}{}", &uuid::Uuid::new_v4().simple().to_string()[..18])
}

#[derive(Clone)]
pub(crate) struct Uploads {
    meta: Meta,
    hot: HotTier,
    buckets: Buckets,
    objects: Objects,
    gc: Gc,
    schedule: Schedule,
    min_part_size: u64,
}

impl Uploads {
    pub(crate) fn new(
        meta: Meta,
        hot: HotTier,
        buckets: Buckets,
        objects: Objects,
        gc: Gc,
        schedule: Schedule,
        min_part_size: u64,
    ) -> Uploads {
        Uploads { meta, hot, buckets, objects, gc, schedule, min_part_size }
    }

    pub(crate) fn create(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        meta: ObjectMeta,
        checksum: Option<(String, String)>,
    ) -> Result<UploadRecord> {
        self.buckets.get(bucket)?;
        let (checksum_algorithm, checksum_type) = checksum.unzip();
        let mut rec = UploadRecord {
            key: key.to_string(),
            upload_id: new_upload_id(),
            initiated_ms: self.meta.now_ms(),
            meta,
            checksum_algorithm,
            checksum_type,
        };
        let ukey = keys::upload_key(bucket.as_str(), key.as_str(), &rec.upload_id);
        let acl = rec.meta.acl.take().map(|a| record::encode(&a));
        let lock = rec.meta.lock.take().filter(|l| !l.is_empty()).map(|l| record::encode(&l));
        let encoded = record::encode(&rec);
        let abort_at = match self.schedule.config(bucket)? {
            Some(config) => self.schedule.abort_date(&config, key.as_str(), rec.initiated_ms).map(|(at, _)| at),
            None => None,
        };
        self.meta.transaction(|tx| {
            tx.insert(Keyspace::Uploads, &ukey, &encoded)?;
            if let Some(at) = abort_at {
                schedule::enqueue(tx, at, schedule::UPLOAD, &ukey)?;
            }
            if let Some(acl) = &acl {
                tx.insert(Keyspace::Acls, &keys::acl_upload_key(&ukey), acl)?;
            }
            // The lock the completed object will get (rclone sends it on CreateMultipartUpload).
            if let Some(lock) = &lock {
                tx.insert(Keyspace::Locks, &keys::acl_upload_key(&ukey), lock)?;
            }
            Ok(())
        })?;
        self.meta.sync()?;
        Ok(rec)
    }

    pub(crate) fn get(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<UploadRecord> {
        let ukey = keys::upload_key(bucket.as_str(), key.as_str(), upload_id);
        match self.meta.get_record(Keyspace::Uploads, ukey)? {
            Some(rec) => Ok(rec),
            None => {
                self.buckets.get(bucket)?;
                Err(EngineError::NoSuchUpload)
            }
        }
    }

    /// Stores a part, replacing an earlier upload of the same number. Durable on return.
    pub(crate) fn put_part(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload_id: &str,
        number: u32,
        mut staged: StagedBlob,
        checksum: Option<(String, String)>,
    ) -> Result<PartRecord> {
        let upload_key = keys::upload_key(bucket.as_str(), key.as_str(), upload_id);
        let part = PartRecord {
            number,
            size: staged.size(),
            etag: hex_lower(&staged.md5()),
            last_modified_ms: self.meta.now_ms(),
            extent: staged.extent(),
            checksum,
        };
        self.hot.install(&mut staged)?;
        let inline = staged.inline.take();
        let pkey = keys::part_key(upload_id, number);
        let encoded = record::encode(&part);
        let result = self.meta.transaction(|tx| {
            if tx.get(Keyspace::Uploads, &upload_key)?.is_none() {
                return abort(EngineError::NoSuchUpload);
            }
            if let Some(old) = tx.swap(Keyspace::Parts, &pkey, &encoded)? {
                let old: PartRecord = record::decode(&old)?;
                drop_blob(tx, old.extent.blob)?;
            }
            match &inline {
                Some(bytes) => tx.insert(Keyspace::Inline, &keys::blob_key(part.extent.blob), bytes)?,
                None => tx.insert(Keyspace::Blobs, &keys::blob_key(part.extent.blob), &upload_key)?,
            };
            Ok(())
        });
        if let Err(e) = result {
            self.hot.remove(staged.id)?;
            return Err(self.upload_error(bucket, e));
        }
        self.gc.make_durable_and_collect()?;
        Ok(part)
    }

    /// Parts after `after`, at most `max`, and whether more follow.
    pub(crate) fn list_parts(&self, upload_id: &str, after: u32, max: usize) -> Result<(Vec<PartRecord>, bool)> {
        let prefix = keys::part_prefix(upload_id);
        let start = keys::part_key(upload_id, after.saturating_add(1));
        let mut end = prefix.clone();
        end.push(0xFF);
        let mut parts = Vec::new();
        for item in self.meta.range(Keyspace::Parts, Bound::Included(start.as_slice()), Bound::Excluded(end.as_slice()))
        {
            if parts.len() == max {
                return Ok((parts, true));
            }
            parts.push(record::decode(&item?.1)?);
        }
        Ok((parts, false))
    }

    fn all_parts(&self, upload_id: &str) -> Result<Vec<PartRecord>> {
        self.meta
            .scan_prefix(Keyspace::Parts, &keys::part_prefix(upload_id))
            .map(|item| record::decode(&item?.1))
            .collect()
    }

    /// Validates the requested parts against those uploaded and returns them in order.
    pub(crate) fn check_completion(&self, upload_id: &str, requested: &[CompletedPart]) -> Result<Vec<PartRecord>> {
        let uploaded = self.all_parts(upload_id)?;
        let mut chosen = Vec::with_capacity(requested.len());
        let mut previous = 0;
        for want in requested {
            if want.number <= previous {
                return Err(EngineError::InvalidPartOrder);
            }
            previous = want.number;
            // Parts come out of the scan in part-number order.
            let part = uploaded
                .binary_search_by_key(&want.number, |p| p.number)
                .ok()
                .map(|i| &uploaded[i])
                .filter(|p| p.etag == want.etag.trim_matches('"'))
                .ok_or(EngineError::InvalidPart(want.number))?;
            chosen.push(part.clone());
        }
        if let Some((_, init)) = chosen.split_last() {
            if let Some(small) = init.iter().find(|p| p.size < self.min_part_size) {
                return Err(EngineError::EntityTooSmall(small.number, self.min_part_size));
            }
        }
        Ok(chosen)
    }

    /// Completes an upload as the object `key` from `parts` (as returned by `check_completion`).
    /// Parts left out are deleted. Durable on return.
    pub(crate) fn complete(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload: &UploadRecord,
        parts: &[PartRecord],
        checksum: Option<(String, String)>,
        cond: &WriteCondition,
    ) -> Result<ObjectRecord> {
        let mut md5s = Md5::new();
        for p in parts {
            md5s.update(
                u128::from_str_radix(&p.etag, 16).map_err(|_| EngineError::Corrupt("part etag".into()))?.to_be_bytes(),
            );
        }
        let upload_key = keys::upload_key(bucket.as_str(), key.as_str(), &upload.upload_id);
        let mut meta = upload.meta.clone();
        meta.acl = self.meta.get_record(Keyspace::Acls, keys::acl_upload_key(&upload_key))?;
        meta.lock = self.meta.get_record(Keyspace::Locks, keys::acl_upload_key(&upload_key))?;
        let rec = ObjectRecord {
            key: key.to_string(),
            size: parts.iter().map(|p| p.size).sum(),
            etag: format!("{}-{}", hex_lower(&md5s.finalize()), parts.len()),
            meta,
            checksum,
            extents: parts.iter().map(|p| p.extent.clone()).collect(),
            parts: parts
                .iter()
                .map(|p| ObjectPart { size: p.size, checksum: p.checksum.clone().map(|c| c.1) })
                .collect(),
            ..Default::default()
        };
        // Every part record goes; only the parts left out need decoding, to drop their blobs.
        let (mut remove_parts, mut drop_blobs) = (Vec::new(), Vec::new());
        for item in self.meta.scan_prefix(Keyspace::Parts, &keys::part_prefix(&upload.upload_id)) {
            let (k, v) = item?;
            let number = u32::from_be_bytes(k[k.len() - 4..].try_into().expect("part keys end with the number"));
            if parts.binary_search_by_key(&number, |c| c.number).is_err() {
                drop_blobs.push(record::decode::<PartRecord>(&v)?.extent.blob);
            }
            remove_parts.push(k);
        }
        let mut rec = rec;
        let mut archive = None;
        if rec.meta.storage_class.is_archived() {
            // An archive-class upload's parts are copied into the archive tier, then all freed.
            let parts_reader = crate::object::reader::ExtentReader::new(
                self.hot.clone(),
                self.meta.clone(),
                &rec.extents,
                0,
                rec.size,
            );
            archive = Some(self.objects.archive_copy(parts_reader)?);
            drop_blobs.extend(rec.extents.drain(..).map(|e| e.blob));
        }
        let extra = Commit {
            remove_upload: Some(upload_key),
            remove_parts,
            drop_blobs,
            inline: None,
            blobs_registered: true,
            archive,
        };
        self.objects.commit(bucket, key, rec, cond, extra)
    }

    /// The version a recently completed upload made, while it is still there: what a retried
    /// completion answers with.
    pub(crate) fn completed(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload_id: &str,
    ) -> Result<Option<ObjectRecord>> {
        let upload_key = keys::upload_key(bucket.as_str(), key.as_str(), upload_id);
        let Some(seq) = self.meta.get(Keyspace::CompletedUploads, &upload_key)? else { return Ok(None) };
        let seq =
            u64::from_be_bytes(seq.as_slice().try_into().map_err(|_| EngineError::Corrupt("completed upload".into()))?);
        let found: Option<ObjectRecord> =
            self.meta.get_record(Keyspace::Versions, keys::version_key(bucket.as_str(), key.as_str(), seq))?;
        Ok(found.filter(|r| !r.delete_marker))
    }

    /// Abandons an upload and deletes its parts.
    pub(crate) fn abort(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<()> {
        let upload_key = keys::upload_key(bucket.as_str(), key.as_str(), upload_id);
        let parts = self.all_parts(upload_id)?;
        self.meta
            .transaction(|tx| {
                if tx.take(Keyspace::Uploads, &upload_key)?.is_none() {
                    return abort(EngineError::NoSuchUpload);
                }
                tx.remove(Keyspace::Acls, &keys::acl_upload_key(&upload_key))?;
                tx.remove(Keyspace::Locks, &keys::acl_upload_key(&upload_key))?;
                for p in &parts {
                    tx.remove(Keyspace::Parts, &keys::part_key(upload_id, p.number))?;
                    drop_blob(tx, p.extent.blob)?;
                }
                Ok(())
            })
            .map_err(|e| self.upload_error(bucket, e))?;
        self.gc.make_durable_and_collect().map(|_| ())
    }

    /// An upload that is gone because its bucket is gone is NoSuchBucket.
    fn upload_error(&self, bucket: &BucketName, e: EngineError) -> EngineError {
        match e {
            EngineError::NoSuchUpload if self.buckets.get(bucket).is_err() => EngineError::NoSuchBucket,
            e => e,
        }
    }

    /// Uploads in key order, then by start time, with the same prefix/delimiter rules as listing.
    pub(crate) fn list(&self, bucket: &BucketName, q: &UploadListQuery) -> Result<UploadPage> {
        self.buckets.get(bucket)?;
        let b = bucket.as_str();
        let base_len = keys::bucket_prefix(b).len();
        let mut page = UploadPage::default();
        if q.max_uploads == 0 {
            return Ok(page);
        }
        let mut from = match (&q.key_marker, &q.upload_id_marker) {
            (Some(k), Some(id)) if k.as_str() >= q.prefix.as_str() => Bound::Excluded(keys::upload_key(b, k, id)),
            // A key marker alone skips every upload of that key.
            (Some(k), None) if k.as_str() >= q.prefix.as_str() => {
                Bound::Included(keys::after_prefix(b, &format!("{k}\0")))
            }
            _ => Bound::Included(keys::object_key(b, &q.prefix)),
        };
        let end = keys::after_prefix(b, &q.prefix);
        let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
        'seek: loop {
            let lo = from.as_ref().map(Vec::as_slice);
            for item in self.meta.range(Keyspace::Uploads, lo, Bound::Excluded(end.as_slice())) {
                let (k, v) = item?;
                let full = &k[base_len..];
                let key_end = full.iter().rposition(|&c| c == 0).unwrap_or(full.len());
                let key =
                    std::str::from_utf8(&full[..key_end]).map_err(|_| EngineError::Corrupt("upload key".into()))?;
                if let Some(pos) = delimiter.and_then(|d| key[q.prefix.len()..].find(d).map(|p| p + d.len())) {
                    let cp = &key[..q.prefix.len() + pos];
                    if q.key_marker.as_deref().is_none_or(|m| cp > m) {
                        if page.uploads.len() + page.common_prefixes.len() == q.max_uploads {
                            page.is_truncated = true;
                            break 'seek;
                        }
                        page.common_prefixes.push(cp.to_owned());
                    }
                    from = Bound::Included(keys::after_prefix(b, cp));
                    continue 'seek;
                }
                if page.uploads.len() + page.common_prefixes.len() == q.max_uploads {
                    page.is_truncated = true;
                    break 'seek;
                }
                page.uploads.push(record::decode(&v)?);
            }
            break;
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, EngineConfig};
    use std::io::Read;

    fn staged(e: &Engine, data: &[u8]) -> StagedBlob {
        let mut w = e.new_blob().unwrap();
        w.write(data).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn complete_concatenates_parts_without_copying_and_drops_unused() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(&EngineConfig::new(dir.path().to_owned())).unwrap();
        let b = BucketName::parse("bkt").unwrap();
        let k = ObjectKey::parse("big").unwrap();
        e.create_bucket(&b, "me", "r").unwrap();
        let up = e.create_upload(&b, &k, ObjectMeta::default(), None).unwrap();
        let p1 = vec![1u8; MIN_PART_SIZE as usize];
        let part1 = e.put_part(&b, &k, &up.upload_id, 1, staged(&e, &p1), None).unwrap();
        e.put_part(&b, &k, &up.upload_id, 2, staged(&e, b"first try"), None).unwrap();
        let part2 = e.put_part(&b, &k, &up.upload_id, 2, staged(&e, b"tail"), None).unwrap();
        e.put_part(&b, &k, &up.upload_id, 3, staged(&e, b"unused"), None).unwrap();
        assert_eq!(e.blob_count(), 3, "the replaced part 2 is gone");

        let small_first =
            [CompletedPart { number: 2, etag: part2.etag.clone() }, CompletedPart { number: 3, etag: "x".into() }];
        assert!(matches!(e.check_completion(&up.upload_id, &small_first), Err(EngineError::InvalidPart(3))));
        let wrong_order = [
            CompletedPart { number: 2, etag: part2.etag.clone() },
            CompletedPart { number: 1, etag: part1.etag.clone() },
        ];
        assert!(matches!(e.check_completion(&up.upload_id, &wrong_order), Err(EngineError::InvalidPartOrder)));

        let want = [
            CompletedPart { number: 1, etag: format!("\"{}\"", part1.etag) },
            CompletedPart { number: 2, etag: part2.etag.clone() },
        ];
        let parts = e.check_completion(&up.upload_id, &want).unwrap();
        let rec = e.complete_upload(&b, &k, &up, &parts, None, &WriteCondition::default()).unwrap();
        assert!(rec.etag.ends_with("-2"));
        assert_eq!(rec.size, MIN_PART_SIZE + 4);
        assert_eq!(e.blob_count(), 2, "part 3 was deleted, parts 1 and 2 became the object");
        let mut out = Vec::new();
        e.reader(&b, &rec, MIN_PART_SIZE - 2, rec.size).unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, b"\x01\x01tail");
        assert!(matches!(e.upload(&b, &k, &up.upload_id), Err(EngineError::NoSuchUpload)));
        assert!(e.list_parts(&up.upload_id, 0, 100).unwrap().0.is_empty());
    }

    #[test]
    fn abort_removes_everything_and_lists_follow_order() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(&EngineConfig::new(dir.path().to_owned())).unwrap();
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "r").unwrap();
        let mut ids = Vec::new();
        for key in ["a/1", "a/2", "b", "b"] {
            let k = ObjectKey::parse(key).unwrap();
            ids.push(e.create_upload(&b, &k, ObjectMeta::default(), None).unwrap().upload_id);
        }
        let q = UploadListQuery { delimiter: Some("/".into()), max_uploads: 1000, ..Default::default() };
        let page = e.list_uploads(&b, &q).unwrap();
        assert_eq!(page.common_prefixes, ["a/"]);
        assert_eq!(page.uploads.iter().map(|u| u.upload_id.as_str()).collect::<Vec<_>>(), [&ids[2], &ids[3]]);
        let q = UploadListQuery {
            key_marker: Some("b".into()),
            upload_id_marker: Some(ids[2].clone()),
            max_uploads: 1000,
            ..Default::default()
        };
        assert_eq!(e.list_uploads(&b, &q).unwrap().uploads.len(), 1);

        let k = ObjectKey::parse("b").unwrap();
        e.put_part(&b, &k, &ids[2], 1, staged(&e, b"data"), None).unwrap();
        assert!(matches!(e.delete_bucket(&b), Err(EngineError::BucketNotEmpty)));
        e.abort_upload(&b, &k, &ids[2]).unwrap();
        assert_eq!(e.blob_count(), 0);
        assert!(matches!(e.abort_upload(&b, &k, &ids[2]), Err(EngineError::NoSuchUpload)));
        assert!(matches!(e.put_part(&b, &k, &ids[2], 1, staged(&e, b"late"), None), Err(EngineError::NoSuchUpload)));
        assert_eq!(e.blob_count(), 0, "a part for a gone upload leaves no blob");
    }
}
