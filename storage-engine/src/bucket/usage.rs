//! What each bucket stores (versions and bytes; delete markers excluded), and byte quotas. Counted
//! once at start-up, then kept current by each commit: for metrics, `admin` and quotas.

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::BucketName;
use crate::meta::{Keyspace, Meta};
use crate::model::record::{self, ObjectRecord};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// What one bucket stores: every version (noncurrent ones too; delete markers excluded), and of
/// that, what is in the archive tier (the rest is hot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BucketUsage {
    pub objects: i64,
    pub bytes: i64,
    #[serde(default)]
    pub archived_objects: i64,
    #[serde(default)]
    pub archived_bytes: i64,
}

impl BucketUsage {
    fn add(self, u: BucketUsage) -> BucketUsage {
        BucketUsage {
            objects: self.objects + u.objects,
            bytes: self.bytes + u.bytes,
            archived_objects: self.archived_objects + u.archived_objects,
            archived_bytes: self.archived_bytes + u.archived_bytes,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Usage {
    meta: Meta,
    counts: Arc<Mutex<HashMap<String, BucketUsage>>>,
}

/// An archived version keeps no hot extents (a hot one, even empty, has one).
fn in_archive(rec: &ObjectRecord) -> bool {
    !rec.delete_marker && rec.extents.is_empty()
}

impl Usage {
    /// Counts what is stored.
    pub(crate) fn count(meta: Meta) -> Result<Usage> {
        let usage = Usage { meta, counts: Arc::default() };
        for item in usage.meta.iter(Keyspace::Versions) {
            let (k, v) = item?;
            let rec: ObjectRecord = record::decode(&v)?;
            let bucket = keys::bucket_of(&k).ok_or_else(|| EngineError::Corrupt("version key".into()))?;
            usage.account(bucket, &rec, 1);
        }
        Ok(usage)
    }

    fn counts(&self) -> MutexGuard<'_, HashMap<String, BucketUsage>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Accounts for a version of `bucket` added (`sign` 1) or removed (`sign` -1).
    pub(crate) fn account(&self, bucket: &str, rec: &ObjectRecord, sign: i64) {
        if rec.delete_marker {
            return;
        }
        let archived = in_archive(rec);
        self.change(bucket, |u| {
            u.objects += sign;
            u.bytes += sign * rec.size as i64;
            if archived {
                u.archived_objects += sign;
                u.archived_bytes += sign * rec.size as i64;
            }
        });
    }

    fn change(&self, bucket: &str, f: impl FnOnce(&mut BucketUsage)) {
        let mut map = self.counts();
        // Look up before inserting: the common case needs no allocation.
        if !map.contains_key(bucket) {
            map.insert(bucket.to_owned(), BucketUsage::default());
        }
        f(map.get_mut(bucket).expect("inserted above"));
    }

    pub(crate) fn of(&self, bucket: &BucketName) -> BucketUsage {
        self.counts().get(bucket.as_str()).copied().unwrap_or_default()
    }

    /// A version of `bucket` of `size` bytes entered the archive tier (it was counted as hot).
    pub(crate) fn archived(&self, bucket: &str, size: u64) {
        self.change(bucket, |u| {
            u.archived_objects += 1;
            u.archived_bytes += size as i64;
        });
    }

    /// Every bucket's usage added up.
    pub(crate) fn total(&self) -> BucketUsage {
        self.counts().values().fold(BucketUsage::default(), |t, u| t.add(*u))
    }

    /// A deleted bucket stores nothing.
    pub(crate) fn forget(&self, bucket: &BucketName) {
        self.counts().remove(bucket.as_str());
    }

    pub(crate) fn quota(&self, bucket: &BucketName) -> Result<Option<u64>> {
        let q = self.meta.get(Keyspace::Quotas, bucket.as_str())?;
        Ok(q.and_then(|v| v.as_slice().try_into().ok().map(u64::from_be_bytes)))
    }

    /// Sets (or with None removes) the quota; the caller checked that the bucket exists.
    pub(crate) fn set_quota(&self, bucket: &BucketName, bytes: Option<u64>) -> Result<()> {
        match bytes {
            Some(q) => self.meta.insert(Keyspace::Quotas, bucket.as_str(), q.to_be_bytes())?,
            None => self.meta.remove(Keyspace::Quotas, bucket.as_str())?,
        };
        self.meta.sync()
    }

    /// Refuses a write of `incoming` bytes that would take the bucket past its quota. Checked
    /// before a commit, not inside it: concurrent writers may overshoot by what they have in flight.
    pub(crate) fn check_quota(&self, bucket: &BucketName, incoming: u64) -> Result<()> {
        if let Some(q) = self.quota(bucket)? {
            if self.of(bucket).bytes.max(0) as u64 + incoming > q {
                return Err(EngineError::QuotaExceeded(q));
            }
        }
        Ok(())
    }
}
