//! Blob garbage: blobs a commit made unreachable are queued (`Gc`) in that commit and deleted
//! after it; at start-up, blobs no record refers to (a crash between writing a blob and committing
//! it) are swept. Both are idempotent, so a crash part-way simply repeats them.

use crate::error::{EngineError, Result};
use crate::hot::HotTier;
use crate::keys;
use crate::meta::{Keyspace, Meta, TxResult, Txn};

#[derive(Clone)]
pub(crate) struct Gc {
    meta: Meta,
    hot: HotTier,
}

/// Forgets a blob inside a transaction and queues its bytes for deletion after the commit.
pub(crate) fn drop_blob(tx: &mut dyn Txn, id: u128) -> TxResult<()> {
    tx.remove(Keyspace::Blobs, &keys::blob_key(id))?;
    tx.insert(Keyspace::Gc, &keys::blob_key(id), &[])?;
    Ok(())
}

impl Gc {
    pub(crate) fn new(meta: Meta, hot: HotTier) -> Gc {
        Gc { meta, hot }
    }

    /// Deletes the blobs queued by earlier commits; returns how many.
    pub(crate) fn collect(&self) -> Result<usize> {
        let mut removed = 0;
        for item in self.meta.iter(Keyspace::Gc) {
            let (k, _) = item?;
            let id = u128::from_be_bytes(k.as_slice().try_into().map_err(|_| EngineError::Corrupt("gc key".into()))?);
            self.hot.remove(id)?;
            // Inline bytes first: a crash in between leaves the queue entry, and the next pass repeats it.
            self.meta.remove(Keyspace::Inline, &k)?;
            self.meta.remove(Keyspace::Gc, &k)?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Removes blob files that no record refers to (`blobs` registers those that one does); returns
    /// how many. Inline blobs need no sweep: their bytes are written in the transaction that commits
    /// the record, part or restored copy holding them, and leave only through the GC queue.
    pub(crate) fn sweep_orphans(&self) -> Result<usize> {
        let mut orphans = 0;
        for id in self.hot.all_blob_ids()? {
            if !self.meta.contains(Keyspace::Blobs, keys::blob_key(id))? {
                self.hot.remove(id)?;
                orphans += 1;
            }
        }
        Ok(orphans)
    }

    pub(crate) fn queued(&self) -> Result<usize> {
        self.meta.len(Keyspace::Gc)
    }
}
