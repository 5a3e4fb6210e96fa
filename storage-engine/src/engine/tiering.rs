//! The facade's calls on the archive tier and the lifecycle, handed to `tiering` and `bucket`.

use super::{Engine, LIFECYCLE_WORK};
use crate::base::error::Result;
use crate::base::names::BucketName;
use crate::model::lifecycle::LifecycleConfig;
use crate::model::record::{Notification, ObjectRecord, RestoreRecord};
use crate::tiering::report::{ArchiveReport, ArchiveView};
use crate::tiering::restore::RestoreOutcome;
use crate::tiering::worker::{PassReport, RunStats};

impl Engine {
    // ---- the archive tier ----

    /// RestoreObject: starts, speeds up or extends the restore of an archived version.
    pub fn restore_object(
        &self,
        bucket: &BucketName,
        rec: &ObjectRecord,
        days: u32,
        tier: &str,
    ) -> Result<RestoreOutcome> {
        self.restores.request(bucket, rec, days, tier)
    }

    /// The restore job or restored copy of a version, if it has one.
    pub fn restore_status(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Option<RestoreRecord>> {
        self.restores.status(bucket, rec)
    }

    /// The next restore notifications to deliver (at most `max`), in the order they happened, with
    /// their queue keys. Delivery keeps that order: nothing is returned while the oldest waits out
    /// its backoff.
    pub fn due_notifications(&self, max: usize) -> Result<Vec<(Vec<u8>, Notification)>> {
        self.notifications.due(max)
    }

    /// A notification was delivered: it leaves the queue.
    pub fn notification_delivered(&self, id: &[u8]) -> Result<()> {
        self.notifications.delivered(id)
    }

    /// A delivery failed: try again after `backoff_ms`.
    pub fn notification_failed(&self, id: &[u8], n: Notification, backoff_ms: i64) -> Result<()> {
        self.notifications.failed(id, n, backoff_ms)
    }

    /// What the archive tier holds, for the operator. Scans the archive's records: for `admin`.
    pub fn archive_report(&self) -> Result<ArchiveReport> {
        self.archive_view().report()
    }

    /// The archive tier's bytes on disk, and how many of them hold live versions (the rest is
    /// dead space, reclaimed by compaction).
    pub fn archive_bytes(&self) -> Result<(u64, u64)> {
        self.archive_view().bytes()
    }

    fn archive_view(&self) -> ArchiveView<'_> {
        ArchiveView { meta: &self.meta, archive: &self.archive, schedule: &self.schedule, objects: &self.objects }
    }

    /// Compacts the archive segments whose dead share is at least `min_dead` (0 to 1), if this
    /// node holds (or takes) the background-work lease; None while another node holds it. `seal`
    /// takes the segments still open for appending too.
    pub fn compact_archive(&self, min_dead: f64, seal: bool, lease_ms: i64) -> Result<Option<crate::CompactReport>> {
        if !self.claim(LIFECYCLE_WORK, self.meta.now_ms(), lease_ms)? {
            return Ok(None);
        }
        crate::tiering::compaction::compact(&self.meta, &self.archive, min_dead, seal).map(Some)
    }

    // ---- lifecycle ----

    pub fn lifecycle(&self, bucket: &BucketName) -> Result<Option<LifecycleConfig>> {
        self.buckets.get(bucket)?;
        self.schedule.config(bucket)
    }

    /// Sets (or with None removes) the bucket's lifecycle configuration; the worker then looks at
    /// everything in the bucket again.
    pub fn set_lifecycle(&self, bucket: &BucketName, config: Option<&LifecycleConfig>) -> Result<()> {
        self.schedule.set_config(bucket, config)
    }

    /// The length of a lifecycle day in milliseconds.
    pub fn lifecycle_day_ms(&self) -> i64 {
        self.schedule.day_ms()
    }

    /// One pass of the lifecycle worker over at most `budget` due hints, if this process holds
    /// (or takes) the lifecycle lease for `lease_ms`; None while another process holds it.
    pub fn run_lifecycle(&self, budget: usize, lease_ms: i64) -> Result<Option<PassReport>> {
        if !self.claim(LIFECYCLE_WORK, self.meta.now_ms(), lease_ms)? {
            return Ok(None);
        }
        self.lifecycle.pass(budget).map(Some)
    }

    /// Gives up the lifecycle lease (on shutdown).
    pub fn stop_lifecycle(&self) -> Result<()> {
        self.release(LIFECYCLE_WORK)
    }

    /// The worker's last run in a bucket (or with None, its last pass).
    pub fn lifecycle_last_run(&self, bucket: Option<&BucketName>) -> Result<Option<RunStats>> {
        self.lifecycle.last_run(bucket.map_or("", |b| b.as_str()))
    }

    /// The bucket's pending lifecycle work: how many hints, and the earliest. Scans the queue.
    pub fn lifecycle_pending(&self, bucket: &BucketName) -> Result<(usize, Option<i64>)> {
        self.lifecycle.pending(bucket)
    }

    /// When the lifecycle rules will expire the current version `rec`, and by which rule.
    pub fn expiration_of(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Option<(i64, String)>> {
        if rec.delete_marker {
            return Ok(None);
        }
        self.objects.expiration(bucket, rec)
    }

    /// When the rules will abort an upload of `key` started at `initiated_ms`, and by which rule.
    pub fn abort_date_of(&self, bucket: &BucketName, key: &str, initiated_ms: i64) -> Result<Option<(i64, String)>> {
        let Some(config) = self.schedule.config(bucket)? else { return Ok(None) };
        Ok(self.schedule.abort_date(&config, key, initiated_ms).map(|(at, id)| (at, id.to_owned())))
    }
}
