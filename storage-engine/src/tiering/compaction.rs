//! Compaction of the archive tier: a sealed segment that is mostly dead space (versions deleted,
//! overwritten or expired) has its live objects copied into a new segment, each switched over in
//! one commit that checks it is still the same object, and is then deleted. A crash at any point
//! leaves every version readable from one copy: before a switch, from the old segment; after it,
//! from the new one; a copy made but not switched is dead space in the new segment.
//!
//! Where several gateways share the archive, a segment another gateway still appends to may be
//! chosen: before its file goes, its entry is marked retired in a transaction that sees it empty,
//! and a commit naming a retired segment fails (`count_archived`), so no version can come to live
//! in a deleted file. The mark stays (segment names are never reused there).

use crate::base::error::Result;
use crate::blob::archive::{ArchiveRef, ArchiveStore};
use crate::blob::archive_ledger::{count_archived, RETIRED};
use crate::meta::{Keyspace, Meta};
use crate::model::record;
use std::collections::BTreeMap;

/// What a compaction did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompactReport {
    pub segments: u64,
    pub moved_versions: u64,
    pub moved_bytes: u64,
    /// Bytes of the deleted segments.
    pub freed_bytes: u64,
}

/// Compacts every sealed segment whose dead share is at least `min_dead` (0 to 1). `seal` first
/// closes the segments still open for appending, so that they can be compacted too (the operator's
/// compaction does; the periodic one leaves them to fill up).
pub(crate) fn compact(meta: &Meta, archive: &ArchiveStore, min_dead: f64, seal: bool) -> Result<CompactReport> {
    if seal {
        archive.seal();
    }
    let live_of = |id: u64| -> Result<u64> {
        Ok(meta
            .get(Keyspace::ArchiveSegments, id.to_be_bytes())?
            .and_then(|v| v.try_into().ok())
            .map_or(0, u64::from_be_bytes))
    };
    let mut chosen = BTreeMap::new();
    // The periodic compaction leaves alone what another gateway wrote to lately; the operator's
    // takes everything (a write it overtakes fails and is tried again).
    for (id, size) in archive.sealed_segments(!seal)? {
        let live = live_of(id)?;
        if size > 0 && (size.saturating_sub(live)) as f64 / size as f64 >= min_dead {
            chosen.insert(id, size);
        }
    }
    let mut report = CompactReport::default();
    if chosen.is_empty() {
        return Ok(report);
    }
    // The live objects of the chosen segments.
    let mut moving: Vec<(Vec<u8>, ArchiveRef)> = Vec::new();
    for item in meta.iter(Keyspace::Archived) {
        let (vkey, v) = item?;
        let a: ArchiveRef = record::decode(&v)?;
        if chosen.contains_key(&a.segment) {
            moving.push((vkey, a));
        }
    }
    for (vkey, old) in moving {
        let new = archive.copy_in(archive.reader(&old, 0, old.size))?;
        let encoded = record::encode(&new);
        let switched = meta.transaction(|tx| {
            let current = tx.get_record::<ArchiveRef>(Keyspace::Archived, &vkey)?;
            if current.as_ref() != Some(&old) {
                return Ok(false);
            }
            tx.insert(Keyspace::Archived, &vkey, &encoded)?;
            count_archived(tx, &old, -1)?;
            count_archived(tx, &new, 1)?;
            Ok(true)
        })?;
        if switched {
            report.moved_versions += 1;
            report.moved_bytes += old.stored();
        }
    }
    // The switches are durable before any old segment goes.
    meta.sync()?;
    for (id, size) in chosen {
        let key = id.to_be_bytes();
        if meta.shared() {
            let retired = meta.transaction(|tx| {
                let value = tx.get(Keyspace::ArchiveSegments, &key)?;
                if value.as_deref().and_then(|v| v.try_into().ok()).map_or(0, u64::from_be_bytes) > 0 {
                    return Ok(false);
                }
                if value.as_deref() == Some(RETIRED) {
                    return Ok(true);
                }
                tx.insert(Keyspace::ArchiveSegments, &key, RETIRED)?;
                Ok(true)
            })?;
            if !retired {
                continue;
            }
            archive.remove_segment(id)?;
        } else {
            if live_of(id)? > 0 {
                continue;
            }
            archive.remove_segment(id)?;
            meta.remove(Keyspace::ArchiveSegments, key)?;
        }
        report.segments += 1;
        report.freed_bytes += size;
    }
    meta.sync()?;
    Ok(report)
}
