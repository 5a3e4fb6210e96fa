//! The archive tier at a glance, for the operator: segments, live and dead bytes, archived
//! versions, restores running, transitions to come.

use crate::base::error::Result;
use crate::blob::archive::{ArchiveRef, ArchiveStore};
use crate::bucket::schedule::{self, Schedule};
use crate::meta::{Keyspace, Meta};
use crate::model::record::{self, RestoreRecord};
use crate::object::objects::Objects;

/// The archive tier at a glance (`firn admin archive`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArchiveReport {
    pub segments: usize,
    /// Bytes of the segment files.
    pub on_disk: u64,
    /// Of those, the bytes live versions take; the rest is dead space.
    pub live: u64,
    /// Archived versions and their bytes before compression.
    pub versions: u64,
    pub logical: u64,
    /// Restore jobs still running, soonest first.
    pub restore_jobs: Vec<RestoreJob>,
    /// Restored copies on the hot tier.
    pub restored_copies: u64,
    /// Transitions the lifecycle rules will make: `bucket/key`, version id, class, due time (ms),
    /// soonest first.
    pub pending_transitions: Vec<(String, String, String, i64)>,
}

/// A restore job still running.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RestoreJob {
    /// `bucket/key`.
    pub object: String,
    pub tier: String,
    /// When it was asked for and when it completes (ms since the Unix epoch).
    pub requested_ms: i64,
    pub due_ms: i64,
}

/// Reads the archive's records and segment files to report on them.
pub(crate) struct ArchiveView<'a> {
    pub meta: &'a Meta,
    pub archive: &'a ArchiveStore,
    pub schedule: &'a Schedule,
    pub objects: &'a Objects,
}

impl ArchiveView<'_> {
    /// What the archive tier holds, for the operator. Scans the archive's records: for `admin`.
    pub(crate) fn report(&self) -> Result<ArchiveReport> {
        let (on_disk, live) = self.bytes()?;
        let mut report =
            ArchiveReport { segments: self.archive.segments()?.len(), on_disk, live, ..Default::default() };
        for item in self.meta.iter(Keyspace::Archived) {
            let a: ArchiveRef = record::decode(&item?.1)?;
            report.versions += 1;
            report.logical += a.size;
        }
        for item in self.meta.iter(Keyspace::Restores) {
            let (vkey, v) = item?;
            let r: RestoreRecord = record::decode(&v)?;
            match r.completed_ms {
                Some(_) => report.restored_copies += 1,
                None => report.restore_jobs.push(RestoreJob {
                    object: String::from_utf8_lossy(&vkey[..vkey.len() - 9]).replace('\0', "/"),
                    tier: r.tier,
                    requested_ms: r.requested_ms,
                    due_ms: r.due_ms,
                }),
            }
        }
        report.restore_jobs.sort_by_key(|j| j.due_ms);
        // Transitions the rules have scheduled: the keys the lifecycle queue will look at.
        let mut keys = std::collections::BTreeSet::new();
        for item in self.meta.iter(Keyspace::LifecycleQueue) {
            let (k, _) = item?;
            if let Some((_, schedule::OBJECT, payload)) = schedule::parse_queue_key(&k) {
                keys.insert(payload.to_vec());
            }
        }
        for payload in keys {
            let Some((bucket, key)) = schedule::object_of(&payload) else { continue };
            let Some(config) = self.schedule.config(&bucket)? else { continue };
            for (version, class, at) in self.objects.pending_transitions(&bucket, &key, &config)? {
                report.pending_transitions.push((format!("{bucket}/{key}"), version, class.to_string(), at));
            }
        }
        report.pending_transitions.sort_by_key(|t| t.3);
        Ok(report)
    }

    /// The archive tier's bytes on disk, and how many of them hold live versions (the rest is
    /// dead space, reclaimed by compaction).
    pub(crate) fn bytes(&self) -> Result<(u64, u64)> {
        let on_disk = self.archive.segments()?.iter().map(|(_, len)| len).sum();
        let mut live = 0;
        for item in self.meta.iter(Keyspace::ArchiveSegments) {
            let (_, v) = item?;
            live += v.try_into().map(u64::from_be_bytes).unwrap_or(0);
        }
        Ok((on_disk, live))
    }
}
