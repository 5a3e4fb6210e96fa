//! What can change on a stored version without a new one: its tags and its Object Lock state
//! (retention and legal hold), under the key's mutex.

use super::objects::{enqueue_hint, Objects};
use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::{BucketName, ObjectKey};
use crate::meta::{abort, Keyspace};
use crate::model::object_lock::{Retention, VersionLock};
use crate::model::record::{self, ObjectRecord};

impl Objects {
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
        let _guard = self.key_mutexes.hold(&self.meta, &okey)?;
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

    /// One version's Object Lock (none: unlocked).
    pub(crate) fn version_lock(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<VersionLock> {
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        Ok(self.meta.get_record(Keyspace::Locks, keys::acl_version_key(&vkey))?.unwrap_or_default())
    }

    /// Sets or clears a version's retention, if its current lock allows (`bypass`: GOVERNANCE).
    pub(crate) fn set_retention(
        &self,
        bucket: &BucketName,
        rec: &ObjectRecord,
        retention: Option<Retention>,
        bypass: bool,
    ) -> Result<()> {
        let now = self.meta.now_ms();
        self.update_version_lock(bucket, rec, |lock| {
            lock.may_set_retention(retention, now, bypass)?;
            lock.retention = retention;
            Ok(())
        })
    }

    /// Puts a legal hold on a version, or lifts it.
    pub(crate) fn set_legal_hold(&self, bucket: &BucketName, rec: &ObjectRecord, on: bool) -> Result<()> {
        self.update_version_lock(bucket, rec, |lock| {
            lock.legal_hold = on;
            lock.hold_set = true;
            Ok(())
        })
    }

    /// Changes one version's lock with `change`, which may refuse; NoSuchVersion if the version
    /// went away meanwhile.
    pub(crate) fn update_version_lock(
        &self,
        bucket: &BucketName,
        rec: &ObjectRecord,
        change: impl Fn(&mut VersionLock) -> std::result::Result<(), crate::model::object_lock::Refusal>,
    ) -> Result<()> {
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        let vlock_key = keys::acl_version_key(&vkey);
        self.meta.transaction(|tx| {
            if tx.get(Keyspace::Versions, &vkey)?.is_none() {
                return abort(EngineError::NoSuchVersion);
            }
            let mut lock: VersionLock = tx.get_record(Keyspace::Locks, &vlock_key)?.unwrap_or_default();
            if let Err(why) = change(&mut lock) {
                return abort(EngineError::ObjectLocked(why));
            }
            if lock.is_empty() {
                tx.remove(Keyspace::Locks, &vlock_key)?;
            } else {
                tx.insert(Keyspace::Locks, &vlock_key, &record::encode(&lock))?;
            }
            Ok(())
        })?;
        self.meta.sync()
    }
}
