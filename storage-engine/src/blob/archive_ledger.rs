//! The archive segments' ledger in the metadata: each segment's live bytes, kept in the same
//! transaction as the records that gain or lose an archived copy, and the mark of a segment
//! compacted away (`RETIRED`).

use crate::base::error::EngineError;
use crate::blob::archive::ArchiveRef;
use crate::meta::{abort, Keyspace, TxResult, Txn};

/// The `ArchiveSegments` value of a segment compacted away on a shared archive.
pub(crate) const RETIRED: &[u8] = b"retired";

/// Adds (`sign` 1) or takes away (-1) an archived copy's bytes from its segment's live bytes.
pub(crate) fn count_archived(tx: &mut dyn Txn, a: &ArchiveRef, sign: i64) -> TxResult<()> {
    let key = a.segment.to_be_bytes();
    let value = tx.get(Keyspace::ArchiveSegments, &key)?;
    if value.as_deref() == Some(RETIRED) {
        // Compacted away while another gateway was still writing to it: that write is lost
        // before it was acknowledged, and is tried again.
        return abort(EngineError::Conflict);
    }
    let live = value.and_then(|v| v.try_into().ok()).map_or(0, u64::from_be_bytes);
    let live = (live as i64 + sign * a.stored() as i64).max(0) as u64;
    tx.insert(Keyspace::ArchiveSegments, &key, &live.to_be_bytes())?;
    Ok(())
}
