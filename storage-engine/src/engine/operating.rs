//! The facade's calls for operators: statistics, queues, leases on background work, garbage
//! collection, scrub.

use super::{Engine, EngineStats, Queues};
use crate::base::error::Result;
use crate::meta::{self, Keyspace};
use crate::object::scrub::ScrubReport;

impl Engine {
    // ---- operating ----

    pub fn stats(&self) -> EngineStats {
        let total = self.usage.total();
        let (archive_on_disk, archive_live) = self.archive_bytes().unwrap_or_default();
        EngineStats {
            buckets: self.buckets.count(),
            hot_versions: total.objects - total.archived_objects,
            hot_bytes: total.bytes - total.archived_bytes,
            archive_versions: total.archived_objects,
            archive_bytes: total.archived_bytes,
            gc_queue: self.gc.queued().unwrap_or(0),
            archive_segments: self.archive.segments().map(|s| s.len()).unwrap_or(0),
            archive_on_disk,
            archive_live,
        }
    }

    /// The work waiting in the background queues. Counts by scanning: for `admin`, not for metrics.
    pub fn queues(&self) -> Result<Queues> {
        Ok(Queues {
            gc: self.gc.queued()?,
            uploads: self.meta.len(Keyspace::Uploads)?,
            lifecycle: self.meta.len(Keyspace::LifecycleQueue)?,
        })
    }

    /// True when the metadata store answers; for readiness checks.
    pub fn ready(&self) -> bool {
        self.buckets.ready()
    }

    /// Deletes the blobs queued by earlier commits; returns how many. Idempotent: a crash part-way
    /// repeats it safely. Commits run it themselves; `admin gc` runs it on demand.
    pub fn collect_garbage(&self) -> Result<usize> {
        self.gc.make_durable_and_collect()
    }

    /// Claims the unit of background work `work` for this process for `ttl_ms` (renewing it if
    /// held already). False while another process holds it: that process does the work.
    pub fn claim(&self, work: &str, now_ms: i64, ttl_ms: i64) -> Result<bool> {
        self.meta.claim(work, &self.holder, now_ms, ttl_ms)
    }

    /// Who holds the claim on `work` at `now_ms`, if anyone.
    pub fn lease(&self, work: &str, now_ms: i64) -> Result<Option<meta::Lease>> {
        self.meta.lease(work, now_ms)
    }

    /// Gives up a claim early (on shutdown), so that another process need not wait for it to run out.
    pub fn release(&self, work: &str) -> Result<()> {
        self.meta.release(work, &self.holder)
    }

    /// Verifies every version. `progress` is called after each one with the running totals.
    pub fn scrub(&self, progress: impl FnMut(&ScrubReport)) -> Result<ScrubReport> {
        crate::object::scrub::scrub(&self.stores(), progress)
    }

    #[cfg(test)]
    /// Stored blobs: files on the hot tier plus inline blobs in the metadata store.
    pub(crate) fn blob_count(&self) -> usize {
        self.hot.all_blob_ids().unwrap().len() + self.meta.len(Keyspace::Inline).unwrap()
    }

    #[cfg(test)]
    pub(crate) fn hot(&self) -> &crate::blob::hot::HotTier {
        &self.hot
    }

    #[cfg(test)]
    pub(crate) fn acl_count(&self) -> usize {
        self.meta.len(Keyspace::Acls).unwrap()
    }

    #[cfg(test)]
    pub(crate) fn inline_count(&self) -> usize {
        self.meta.len(Keyspace::Inline).unwrap()
    }

    #[cfg(test)]
    pub(crate) fn meta(&self) -> &crate::meta::Meta {
        &self.meta
    }
}
