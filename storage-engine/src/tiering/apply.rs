//! The lifecycle's actions on one key: which rules are due (the pure evaluation is in
//! `model::lifecycle`), expirations, and transitions to the archive tier.

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::{BucketName, ObjectKey};
use crate::base::storage_class::StorageClass;
use crate::blob::archive_ledger::count_archived;
use crate::blob::gc::drop_blob;
use crate::meta::Keyspace;
use crate::model::lifecycle::{self, Action, LifecycleConfig, VersionFacts};
use crate::model::record::{self, ObjectRecord};
use crate::object::objects::Objects;

/// What the lifecycle worker did to one key.
#[derive(Clone, Debug, Default)]
pub(crate) struct Applied {
    /// Each action taken, with the rule that asked for it.
    pub actions: Vec<(Action, String)>,
    /// When anything is next due on the key.
    pub next_due_ms: Option<i64>,
}

/// What the rules see of each version of one key, newest first.
pub(crate) fn facts(versions: &[ObjectRecord]) -> Vec<VersionFacts<'_>> {
    versions
        .iter()
        .enumerate()
        .map(|(i, v)| VersionFacts {
            key: &v.key,
            storage_class: v.meta.storage_class,
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
    /// Every version of `key`, newest first.
    pub(crate) fn all_versions(&self, bucket: &BucketName, key: &ObjectKey) -> Result<Vec<ObjectRecord>> {
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
        let guard = self.key_mutexes.hold(&self.meta, &keys::object_key(bucket.as_str(), key.as_str()))?;
        // One action can make another due at once (the last noncurrent version going leaves an
        // expired delete marker), so look again after acting, a few times at most.
        for _ in 0..4 {
            let versions = self.all_versions(bucket, key)?;
            // Locked versions are left alone until their lock ends (a legal hold: looked at daily).
            let mut held_until: Option<i64> = None;
            let mut due: Vec<(usize, Action, String, Option<StorageClass>)> = Vec::new();
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
                due.push((i, d.action, d.rule_id.to_owned(), d.storage_class));
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
                    Action::Transition => self.transition(bucket, v, class.unwrap_or_default())?,
                }
                applied.actions.push((action, rule));
            }
            // Anything still due after the last round is looked at again by the next pass.
            applied.next_due_ms = Some(now_ms);
        }
        drop(guard);
        if !applied.actions.is_empty() {
            self.gc.make_durable_and_collect()?;
        }
        Ok(applied)
    }

    /// Moves one version to `class`, the caller holding the key's mutex. Into an archive class from
    /// the hot tier: the archive copy is written and fsynced, then one commit switches the record
    /// (its extents for the archive reference) and frees the hot bytes; a crash before the commit
    /// leaves the version hot and readable, with dead bytes in the archive. Between archive classes,
    /// or into a hot one, only the class changes.
    pub(crate) fn transition(&self, bucket: &BucketName, v: &ObjectRecord, class: StorageClass) -> Result<()> {
        let (b, k) = (bucket.as_str(), v.key.as_str());
        let vkey = keys::version_key(b, k, v.seq);
        let okey = keys::object_key(b, k);
        let archived = self.meta.contains(Keyspace::Archived, &vkey)?;
        let archive = if class.is_archived() && !archived {
            let from =
                crate::object::reader::ExtentReader::new(self.hot.clone(), self.meta.clone(), &v.extents, 0, v.size);
            Some(self.archive_copy(from)?)
        } else {
            None
        };
        let committed = self.meta.transaction(|tx| {
            let Some(mut rec) = tx.get_record::<ObjectRecord>(Keyspace::Versions, &vkey)? else { return Ok(false) };
            if rec.extents != v.extents {
                return Ok(false);
            }
            rec.meta.storage_class = class;
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
            self.usage.archived(b, v.size);
        }
        Ok(())
    }

    /// The transitions the rules will make of `key`'s versions: (version id, class, due ms).
    pub(crate) fn pending_transitions(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        config: &LifecycleConfig,
    ) -> Result<Vec<(String, StorageClass, i64)>> {
        let versions = self.all_versions(bucket, key)?;
        Ok(facts(&versions)
            .iter()
            .zip(&versions)
            .filter_map(|(f, v)| {
                lifecycle::next_transition(config, f, self.schedule.day_ms())
                    .map(|d| (v.version_id.clone(), d.storage_class.unwrap_or_default(), d.at_ms))
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
