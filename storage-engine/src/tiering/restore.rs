//! RestoreObject: a job per archived version whose completion time comes from its class and tier
//! (Glacier's ranges, divided by `archive.time_scale`), then a restored copy on the hot tier that a
//! GET reads until it expires (completion + Days, rounded up to the next lifecycle midnight). Jobs
//! and copies are records in the metadata with hints in the lifecycle queue (`r` when a job is due,
//! `x` when a copy expires), so they survive restarts with their original times, and the worker
//! that finishes them is idempotent.

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::BucketName;
use crate::base::storage_class::StorageClass::{self, DeepArchive, Glacier};
use crate::blob::archive::{ArchiveRef, ArchiveStore};
use crate::blob::gc::{drop_blob, Gc};
use crate::blob::hot::HotTier;
use crate::bucket::schedule::{self, Schedule};
use crate::meta::{abort, Keyspace, Meta, Txn};
use crate::model::lifecycle::next_midnight;
use crate::model::record::{self, Notification, ObjectRecord, RestoreRecord};
use std::io::Read;

pub(crate) const RESTORE_DUE: u8 = b'r';
pub(crate) const RESTORE_EXPIRY: u8 = b'x';

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// What a RestoreObject request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// A job started (202).
    Started,
    /// A running job was asked for again with a faster tier, and now finishes sooner (202).
    Upgraded,
    /// A restored copy exists; its expiry now counts from this request (200).
    Extended,
}

fn rank(tier: &str) -> u8 {
    match tier {
        "Expedited" => 0,
        "Standard" => 1,
        _ => 2,
    }
}

/// How long a job takes on AWS, as a range: GLACIER Expedited 1–5 min, Standard 3–5 h, Bulk
/// 5–12 h; DEEP_ARCHIVE Standard up to 12 h, Bulk up to 48 h (and no Expedited).
fn delay_range(class: StorageClass, tier: &str) -> Result<(i64, i64)> {
    Ok(match (class, tier) {
        (Glacier, "Expedited") => (MINUTE, 5 * MINUTE),
        (Glacier, "Standard") => (3 * HOUR, 5 * HOUR),
        (Glacier, "Bulk") => (5 * HOUR, 12 * HOUR),
        (DeepArchive, "Standard") => (12 * HOUR, 12 * HOUR),
        (DeepArchive, "Bulk") => (48 * HOUR, 48 * HOUR),
        (DeepArchive, "Expedited") => {
            return Err(EngineError::InvalidRestore(
                "The Expedited tier is not available for the DEEP_ARCHIVE storage class; use Standard or Bulk".into(),
            ))
        }
        (_, t) => return Err(EngineError::InvalidRestore(format!("{t} is not a restore tier"))),
    })
}

#[derive(Clone)]
pub(crate) struct Restores {
    meta: Meta,
    hot: HotTier,
    archive: ArchiveStore,
    schedule: Schedule,
    gc: Gc,
    /// Restore delays are divided by this (`archive.time_scale`).
    time_scale: f64,
    /// Restore events are queued for `archive.notify_url`.
    notify: bool,
}

/// Queues a restore event in the transaction that makes it happen.
fn notify(
    tx: &mut dyn Txn,
    id: Option<u64>,
    event: &str,
    bucket: &str,
    rec: &ObjectRecord,
    expiry_ms: Option<i64>,
    now: i64,
) -> crate::meta::TxResult<()> {
    let Some(id) = id else { return Ok(()) };
    let n = Notification {
        event: event.to_owned(),
        bucket: bucket.to_owned(),
        key: rec.key.clone(),
        version_id: rec.version_id.clone(),
        size: rec.size,
        etag: rec.etag.clone(),
        storage_class: rec.meta.storage_class,
        expiry_ms,
        time_ms: now,
        attempts: 0,
        next_attempt_ms: now,
    };
    tx.insert(Keyspace::Notifications, &id.to_be_bytes(), &record::encode(&n))?;
    Ok(())
}

impl Restores {
    /// `(time_scale, notify)`: see the fields.
    pub(crate) fn new(
        meta: Meta,
        hot: HotTier,
        archive: ArchiveStore,
        schedule: Schedule,
        gc: Gc,
        (time_scale, notify): (f64, bool),
    ) -> Restores {
        Restores { meta, hot, archive, schedule, gc, time_scale: time_scale.max(1e-9), notify }
    }

    /// An id for a notification, when they are on.
    fn notification_id(&self) -> Result<Option<u64>> {
        if self.notify {
            self.meta.generate_id().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Where in its range a job's time falls: fixed per version, so asking again does not move it.
    fn delay(&self, class: StorageClass, tier: &str, vkey: &[u8]) -> Result<i64> {
        let (lo, hi) = delay_range(class, tier)?;
        let h = keys::fnv64(vkey);
        let at = lo + (h % (hi - lo + 1) as u64) as i64;
        Ok(((at as f64) / self.time_scale).round() as i64)
    }

    fn expiry(&self, from_ms: i64, days: u32) -> i64 {
        let day = self.schedule.day_ms();
        next_midnight(from_ms + days as i64 * day, day)
    }

    /// The restore state of a version, if it has one.
    pub(crate) fn status(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Option<RestoreRecord>> {
        self.meta.get_record(Keyspace::Restores, keys::version_key(bucket.as_str(), &rec.key, rec.seq))
    }

    /// Starts, speeds up or extends the restore of `rec`.
    pub(crate) fn request(
        &self,
        bucket: &BucketName,
        rec: &ObjectRecord,
        days: u32,
        tier: &str,
    ) -> Result<RestoreOutcome> {
        let class = rec.meta.storage_class;
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        if !class.needs_restore() || !self.meta.contains(Keyspace::Archived, &vkey)? {
            return Err(EngineError::InvalidObjectState(class.to_string()));
        }
        let now = self.meta.now_ms();
        let due = now + self.delay(class, tier, &vkey)?;
        let expiry = self.expiry(now, days);
        let note = self.notification_id()?;
        let outcome = self.meta.transaction(|tx| {
            if tx.get(Keyspace::Versions, &vkey)?.is_none() {
                return abort(EngineError::NoSuchVersion);
            }
            let existing = tx.get_record::<RestoreRecord>(Keyspace::Restores, &vkey)?;
            let (record, outcome, hint) = match existing {
                None => {
                    let r = RestoreRecord {
                        tier: tier.to_owned(),
                        days,
                        requested_ms: now,
                        due_ms: due,
                        completed_ms: None,
                        expiry_ms: None,
                        extents: vec![],
                    };
                    notify(tx, note, "ObjectRestore:Post", bucket.as_str(), rec, None, now)?;
                    (r, RestoreOutcome::Started, (RESTORE_DUE, due))
                }
                Some(r) if r.completed_ms.is_none() => {
                    if rank(tier) >= rank(&r.tier) {
                        return abort(EngineError::RestoreAlreadyInProgress);
                    }
                    let due = due.min(r.due_ms);
                    let r = RestoreRecord { tier: tier.to_owned(), days, due_ms: due, ..r };
                    (r, RestoreOutcome::Upgraded, (RESTORE_DUE, due))
                }
                Some(r) => {
                    let r = RestoreRecord { days, expiry_ms: Some(expiry), ..r };
                    (r, RestoreOutcome::Extended, (RESTORE_EXPIRY, expiry))
                }
            };
            tx.insert(Keyspace::Restores, &vkey, &record::encode(&record))?;
            schedule::enqueue(tx, hint.1, hint.0, &vkey)?;
            Ok(outcome)
        })?;
        self.meta.sync()?;
        Ok(outcome)
    }

    /// The worker's step on a due job: copies the archived bytes to the hot tier and makes the
    /// copy readable. Returns whether it did, and what to look at next (kind and time), if anything.
    pub(crate) fn complete(&self, vkey: &[u8], now: i64) -> Result<(bool, Option<(u8, i64)>)> {
        let Some(job) = self.meta.get_record::<RestoreRecord>(Keyspace::Restores, vkey)? else {
            return Ok((false, None));
        };
        if job.completed_ms.is_some() {
            return Ok((false, job.expiry_ms.map(|at| (RESTORE_EXPIRY, at))));
        }
        if job.due_ms > now {
            return Ok((false, Some((RESTORE_DUE, job.due_ms))));
        }
        let Some(aref) = self.meta.get_record::<ArchiveRef>(Keyspace::Archived, vkey)? else {
            return Ok((false, None));
        };
        let mut w = self.hot.new_writer();
        let mut from = self.archive.reader(&aref, 0, aref.size);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = from.read(&mut buf)?;
            if n == 0 {
                break;
            }
            w.write(&buf[..n])?;
        }
        let mut staged = w.finish()?;
        self.hot.install(&mut staged)?;
        let extent = staged.extent();
        let inline = staged.inline.take();
        let expiry = self.expiry(now, job.days);
        let note = self.notification_id()?;
        let done = self.meta.transaction(|tx| {
            let Some(job) = tx.get_record::<RestoreRecord>(Keyspace::Restores, vkey)? else { return Ok(false) };
            if job.completed_ms.is_some() || tx.get(Keyspace::Archived, vkey)?.is_none() {
                return Ok(false);
            }
            if let Some(rec) = tx.get_record::<ObjectRecord>(Keyspace::Versions, vkey)? {
                let bucket = keys::bucket_of(vkey).unwrap_or_default();
                notify(tx, note, "ObjectRestore:Completed", bucket, &rec, Some(expiry), now)?;
            }
            let copy = RestoreRecord {
                completed_ms: Some(now),
                expiry_ms: Some(expiry),
                extents: vec![extent.clone()],
                ..job
            };
            tx.insert(Keyspace::Restores, vkey, &record::encode(&copy))?;
            match &inline {
                Some(bytes) => tx.insert(Keyspace::Inline, &keys::blob_key(extent.blob), bytes)?,
                None => tx.insert(Keyspace::Blobs, &keys::blob_key(extent.blob), vkey)?,
            };
            schedule::enqueue(tx, expiry, RESTORE_EXPIRY, vkey)?;
            Ok(true)
        })?;
        if !done {
            // Completed meanwhile, or the version went: the copy is referenced by nothing.
            self.hot.remove(extent.blob)?;
            return Ok((false, None));
        }
        self.meta.sync()?;
        Ok((true, None))
    }

    /// The worker's step on an expiring copy: removes it once its time has come (a later request
    /// may have moved that time on). Returns whether it went, and when to look again otherwise.
    pub(crate) fn expire(&self, vkey: &[u8], now: i64) -> Result<(bool, Option<(u8, i64)>)> {
        let Some(copy) = self.meta.get_record::<RestoreRecord>(Keyspace::Restores, vkey)? else {
            return Ok((false, None));
        };
        match copy.expiry_ms {
            None => return Ok((false, None)),
            Some(at) if at > now => return Ok((false, Some((RESTORE_EXPIRY, at)))),
            Some(_) => {}
        }
        let note = self.notification_id()?;
        let gone = self.meta.transaction(|tx| {
            let Some(current) = tx.get_record::<RestoreRecord>(Keyspace::Restores, vkey)? else { return Ok(false) };
            if current.expiry_ms.is_none_or(|at| at > now) {
                return Ok(false);
            }
            if let Some(rec) = tx.get_record::<ObjectRecord>(Keyspace::Versions, vkey)? {
                let bucket = keys::bucket_of(vkey).unwrap_or_default();
                notify(tx, note, "ObjectRestore:Delete", bucket, &rec, None, now)?;
            }
            tx.remove(Keyspace::Restores, vkey)?;
            for e in &current.extents {
                drop_blob(tx, e.blob)?;
            }
            Ok(true)
        })?;
        if gone {
            self.gc.make_durable_and_collect()?;
        }
        Ok((gone, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glaciers_ranges_and_no_expedited_deep_archive() {
        assert_eq!(delay_range(Glacier, "Expedited").unwrap(), (MINUTE, 5 * MINUTE));
        assert_eq!(delay_range(Glacier, "Standard").unwrap(), (3 * HOUR, 5 * HOUR));
        assert_eq!(delay_range(Glacier, "Bulk").unwrap(), (5 * HOUR, 12 * HOUR));
        assert_eq!(delay_range(DeepArchive, "Standard").unwrap(), (12 * HOUR, 12 * HOUR));
        assert_eq!(delay_range(DeepArchive, "Bulk").unwrap(), (48 * HOUR, 48 * HOUR));
        assert!(
            matches!(delay_range(DeepArchive, "Expedited"), Err(EngineError::InvalidRestore(m)) if m.contains("Expedited"))
        );
        assert!(rank("Expedited") < rank("Standard") && rank("Standard") < rank("Bulk"));
    }
}
