//! The lifecycle worker: takes the hints that are due from the queue (`bucket::schedule`), evaluates
//! what each names against the stored state, applies the due actions and leaves one hint for the
//! next time anything is due there. Bounded units of work: a pass handles at most a given number
//! of hints, and a bucket sweep keeps its place in its hint, so a pass can stop anywhere (shutdown,
//! crash) and the next one carries on. Every action is idempotent (see `Objects::apply_lifecycle`).

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::{BucketName, ObjectKey};
use crate::bucket::schedule::{self, split_bucket, Schedule};
use crate::meta::{Keyspace, Meta};
use crate::model::record::{self, UploadRecord};
use crate::object::multipart::Uploads;
use crate::object::objects::Objects;
use crate::tiering::restore::{self, Restores};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;

/// Keys (or uploads) a sweep looks at before it gives the worker back.
const SWEEP_BATCH: usize = 256;

/// What a run did, for one bucket or for a whole pass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    /// When the run ended (ms since the Unix epoch).
    pub finished_ms: i64,
    /// Keys and uploads evaluated.
    pub examined: u64,
    /// Actions taken, by kind (`expire`, `delete_noncurrent`, `remove_expired_marker`, `abort_upload`).
    pub actions: BTreeMap<String, u64>,
    pub errors: u64,
}

impl RunStats {
    fn add(&mut self, other: &RunStats) {
        self.examined += other.examined;
        self.errors += other.errors;
        for (k, n) in &other.actions {
            *self.actions.entry(k.clone()).or_default() += n;
        }
    }

    fn act(&mut self, kind: &str) {
        *self.actions.entry(kind.to_owned()).or_default() += 1;
    }
}

/// One pass of the worker.
#[derive(Clone, Debug, Default)]
pub struct PassReport {
    pub total: RunStats,
    pub by_bucket: BTreeMap<String, RunStats>,
    /// The pass stopped at its budget with due work left.
    pub more: bool,
}

#[derive(Clone)]
pub(crate) struct LifecycleWorker {
    meta: Meta,
    schedule: Schedule,
    objects: Objects,
    uploads: Uploads,
    restores: Restores,
}

impl LifecycleWorker {
    pub(crate) fn new(
        meta: Meta,
        schedule: Schedule,
        objects: Objects,
        uploads: Uploads,
        restores: Restores,
    ) -> LifecycleWorker {
        LifecycleWorker { meta, schedule, objects, uploads, restores }
    }

    /// Handles at most `budget` due hints.
    pub(crate) fn pass(&self, budget: usize) -> Result<PassReport> {
        let now = self.meta.now_ms();
        let end = schedule::queue_key(now + 1, 0, &[]);
        let due: Vec<(Vec<u8>, Vec<u8>)> = self
            .meta
            .range(Keyspace::LifecycleQueue, Bound::Unbounded, Bound::Excluded(end.as_slice()))
            .take(budget + 1)
            .collect::<Result<_>>()?;
        let mut report = PassReport { more: due.len() > budget, ..Default::default() };
        for (qkey, value) in due.into_iter().take(budget) {
            let Some((_, kind, payload)) = schedule::parse_queue_key(&qkey) else {
                self.meta.remove(Keyspace::LifecycleQueue, &qkey)?;
                continue;
            };
            let bucket_name = split_bucket(payload).map(|(b, _)| b.to_string()).unwrap_or_default();
            let mut stats = RunStats::default();
            let outcome = match kind {
                schedule::OBJECT => self.object_hint(&qkey, payload, now, &mut stats),
                schedule::UPLOAD => self.upload_hint(&qkey, payload, now, &mut stats),
                schedule::SWEEP_OBJECTS => {
                    self.sweep_objects(&qkey, payload, &value, now, &mut stats, &mut report.more)
                }
                schedule::SWEEP_UPLOADS => {
                    self.sweep_uploads(&qkey, payload, &value, now, &mut stats, &mut report.more)
                }
                restore::RESTORE_DUE | restore::RESTORE_EXPIRY => {
                    self.restore_hint(&qkey, kind, payload, now, &mut stats)
                }
                schedule::FORGET_COMPLETED => self.meta.transaction(|tx| {
                    tx.remove(Keyspace::CompletedUploads, payload)?;
                    tx.remove(Keyspace::LifecycleQueue, &qkey)?;
                    Ok(())
                }),
                _ => self.meta.remove(Keyspace::LifecycleQueue, &qkey),
            };
            if let Err(e) = outcome {
                tracing::warn!(error = %e, bucket = bucket_name, "lifecycle: a hint failed; it is tried again later");
                stats.errors += 1;
                // Retried later, not at once: a hint that keeps failing must not hold up the rest.
                let retry = schedule::queue_key(now + self.schedule.day_ms().min(60_000), kind, payload);
                self.meta.transaction(|tx| {
                    tx.remove(Keyspace::LifecycleQueue, &qkey)?;
                    tx.insert(Keyspace::LifecycleQueue, &retry, &value)?;
                    Ok(())
                })?;
            }
            report.total.add(&stats);
            report.by_bucket.entry(bucket_name).or_default().add(&stats);
        }
        let finished = self.meta.now_ms();
        report.total.finished_ms = finished;
        for (bucket, stats) in report.by_bucket.iter_mut() {
            stats.finished_ms = finished;
            if !bucket.is_empty() {
                self.meta.insert(Keyspace::LifecycleStats, bucket.as_bytes(), record::encode(stats))?;
            }
        }
        self.meta.insert(Keyspace::LifecycleStats, b"", record::encode(&report.total))?;
        Ok(report)
    }

    /// Replaces the hint `qkey` by one at `next` (or by nothing), atomically.
    fn reschedule(&self, qkey: &[u8], kind: u8, payload: &[u8], next: Option<i64>) -> Result<()> {
        let next = next.map(|at| schedule::queue_key(at, kind, payload));
        self.meta.transaction(|tx| {
            tx.remove(Keyspace::LifecycleQueue, qkey)?;
            if let Some(n) = &next {
                tx.insert(Keyspace::LifecycleQueue, n, &[])?;
            }
            Ok(())
        })
    }

    /// Evaluates one key; returns when it is next due.
    fn evaluate_key(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        now: i64,
        stats: &mut RunStats,
    ) -> Result<Option<i64>> {
        let Some(config) = self.schedule.config(bucket)? else { return Ok(None) };
        stats.examined += 1;
        let applied = self.objects.apply_lifecycle(bucket, key, &config, now)?;
        for (action, rule) in &applied.actions {
            tracing::debug!(bucket = %bucket, key = %key, action = action.name(), rule, "lifecycle");
            stats.act(action.name());
        }
        Ok(applied.next_due_ms)
    }

    fn object_hint(&self, qkey: &[u8], payload: &[u8], now: i64, stats: &mut RunStats) -> Result<()> {
        let next = match &schedule::object_of(payload) {
            Some((bucket, key)) => self.evaluate_key(bucket, key, now, stats)?,
            None => None,
        };
        self.reschedule(qkey, schedule::OBJECT, payload, next)
    }

    /// Aborts the upload if its time has come; returns when it will have come otherwise.
    fn evaluate_upload(&self, ukey: &[u8], now: i64, stats: &mut RunStats) -> Result<Option<i64>> {
        let Some((bucket, _)) = split_bucket(ukey) else { return Ok(None) };
        let Some(upload) = self.meta.get_record::<UploadRecord>(Keyspace::Uploads, ukey)? else { return Ok(None) };
        let Some(config) = self.schedule.config(&bucket)? else { return Ok(None) };
        stats.examined += 1;
        let Some((at, rule)) = self.schedule.abort_date(&config, &upload.key, upload.initiated_ms) else {
            return Ok(None);
        };
        if at > now {
            return Ok(Some(at));
        }
        let key = ObjectKey::parse(&upload.key)?;
        match self.uploads.abort(&bucket, &key, &upload.upload_id) {
            Ok(()) => {
                tracing::debug!(bucket = %bucket, key = %key, upload = upload.upload_id, rule, "lifecycle: aborted upload");
                stats.act("abort_upload");
                Ok(None)
            }
            // Completed or aborted meanwhile: nothing to do.
            Err(EngineError::NoSuchUpload | EngineError::NoSuchBucket) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn upload_hint(&self, qkey: &[u8], payload: &[u8], now: i64, stats: &mut RunStats) -> Result<()> {
        let next = self.evaluate_upload(payload, now, stats)?;
        self.reschedule(qkey, schedule::UPLOAD, payload, next)
    }

    /// A restore job that is due, or a restored copy whose expiry has come. Either way, what is
    /// left to look at is the copy's expiry.
    fn restore_hint(&self, qkey: &[u8], kind: u8, vkey: &[u8], now: i64, stats: &mut RunStats) -> Result<()> {
        stats.examined += 1;
        let (acted, next) = match kind {
            restore::RESTORE_DUE => self.restores.complete(vkey, now)?,
            _ => self.restores.expire(vkey, now)?,
        };
        if acted {
            stats.act(if kind == restore::RESTORE_DUE { "restore" } else { "restore_expired" });
        }
        let next_kind = next.map_or(kind, |(k, _)| k);
        self.reschedule(qkey, next_kind, vkey, next.map(|(_, at)| at))
    }

    /// Evaluates the next keys of a bucket whose rules changed, from where the sweep stands.
    fn sweep_objects(
        &self,
        qkey: &[u8],
        payload: &[u8],
        cursor: &[u8],
        now: i64,
        stats: &mut RunStats,
        more: &mut bool,
    ) -> Result<()> {
        let Some((bucket, _)) = split_bucket(payload) else { return self.meta.remove(Keyspace::LifecycleQueue, qkey) };
        let b = bucket.as_str();
        let base = keys::bucket_prefix(b);
        let end = keys::after_prefix(b, "");
        let mut from = if cursor.is_empty() { base.clone() } else { cursor.to_vec() };
        for _ in 0..SWEEP_BATCH {
            let next = self
                .meta
                .range(Keyspace::Versions, Bound::Included(from.as_slice()), Bound::Excluded(end.as_slice()))
                .next()
                .transpose()?;
            let Some((vkey, _)) = next else {
                return self.meta.remove(Keyspace::LifecycleQueue, qkey);
            };
            let key = std::str::from_utf8(&vkey[base.len()..vkey.len() - keys::VERSION_SUFFIX])
                .map_err(|_| EngineError::Corrupt("non-UTF-8 key".into()))?;
            let key = ObjectKey::parse(key)?;
            let due = self.evaluate_key(&bucket, &key, now, stats)?;
            if let Some(at) = due {
                let hint = schedule::queue_key(at, schedule::OBJECT, &keys::object_key(b, key.as_str()));
                self.meta.insert(Keyspace::LifecycleQueue, hint, [])?;
            }
            from = keys::after_versions(b, key.as_str());
        }
        *more = true;
        self.meta.insert(Keyspace::LifecycleQueue, qkey, &from)
    }

    /// The same for the bucket's multipart uploads.
    fn sweep_uploads(
        &self,
        qkey: &[u8],
        payload: &[u8],
        cursor: &[u8],
        now: i64,
        stats: &mut RunStats,
        more: &mut bool,
    ) -> Result<()> {
        let Some((bucket, _)) = split_bucket(payload) else { return self.meta.remove(Keyspace::LifecycleQueue, qkey) };
        let b = bucket.as_str();
        let start = keys::bucket_prefix(b);
        let end = keys::after_prefix(b, "");
        let lo = if cursor.is_empty() { Bound::Included(start.as_slice()) } else { Bound::Excluded(cursor) };
        let batch: Vec<Vec<u8>> = self
            .meta
            .range(Keyspace::Uploads, lo, Bound::Excluded(end.as_slice()))
            .take(SWEEP_BATCH)
            .map(|item| item.map(|(k, _)| k))
            .collect::<Result<_>>()?;
        for ukey in &batch {
            if let Some(at) = self.evaluate_upload(ukey, now, stats)? {
                self.meta.insert(Keyspace::LifecycleQueue, schedule::queue_key(at, schedule::UPLOAD, ukey), [])?;
            }
        }
        match batch.last() {
            Some(last) if batch.len() == SWEEP_BATCH => {
                *more = true;
                self.meta.insert(Keyspace::LifecycleQueue, qkey, last)
            }
            _ => self.meta.remove(Keyspace::LifecycleQueue, qkey),
        }
    }

    /// The last run's figures for a bucket (or, for "", the last pass).
    pub(crate) fn last_run(&self, bucket: &str) -> Result<Option<RunStats>> {
        self.meta.get_record(Keyspace::LifecycleStats, bucket)
    }

    /// The bucket's pending hints and the earliest of them. Scans the queue: for `admin`.
    pub(crate) fn pending(&self, bucket: &BucketName) -> Result<(usize, Option<i64>)> {
        let (mut count, mut first) = (0, None);
        for item in self.meta.iter(Keyspace::LifecycleQueue) {
            let (k, _) = item?;
            if let Some((due, _, payload)) = schedule::parse_queue_key(&k) {
                if split_bucket(payload).is_some_and(|(b, _)| b == *bucket) {
                    count += 1;
                    first.get_or_insert(due);
                }
            }
        }
        Ok((count, first))
    }
}
