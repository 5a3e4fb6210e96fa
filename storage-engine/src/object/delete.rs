//! Deletes: of the current version (a delete marker when versioning is on), of the null version
//! and of a named version, with S3's versioning rules.

use super::null_version::{keep_null_below, replace_null};
use super::objects::{enqueue_hint, Objects};
use super::preconditions::DeleteCondition;
use super::removal::{release_version, Removal};
use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::{BucketName, ObjectKey};
use crate::meta::Keyspace;
use crate::model::record::{self, ObjectMeta, ObjectRecord, Versioning};
use crate::object::versions::new_version_id;

/// What a DELETE did: the version it created or removed, and whether that is a delete marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteOutcome {
    pub version_id: Option<String>,
    pub delete_marker: bool,
}

impl Objects {
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
        let guard = self.key_mutexes.hold(&self.meta, &keys::object_key(bucket.as_str(), key.as_str()))?;
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
        self.gc.make_durable_and_collect()?;
        Ok(outcome)
    }

    /// A removal now, bypassing GOVERNANCE retention or not.
    pub(crate) fn removal(&self, bypass_governance: bool) -> Removal {
        Removal { now_ms: self.meta.now_ms(), bypass_governance }
    }

    /// DELETE without a version id, the caller holding the key's mutex.
    pub(crate) fn delete_current(
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

    pub(crate) fn delete_null(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        hint: Option<&[u8]>,
    ) -> Result<DeleteOutcome> {
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

    pub(crate) fn add_delete_marker(
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

    /// Removes one version, the caller holding the key's mutex.
    pub(crate) fn delete_version(
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
}
