//! Blob garbage: blobs a commit made unreachable are queued (`Gc`) in that commit and deleted
//! after it; at start-up, blobs no record refers to (a crash between writing a blob and committing
//! it) are swept. Both are idempotent, so a crash part-way simply repeats them.
//!
//! Readers pin the blobs they read (`Pins`): a queued blob that is pinned stays, queued, until a
//! later collection finds it free, so a GET that read a version's record just before an overwrite
//! or a delete released its bytes still streams them whole.

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::blob::hot::HotTier;
use crate::meta::{Keyspace, Meta, TxResult, Txn};
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

/// Queue entries read (and then deleted) at a time.
const GC_BATCH: usize = 1024;

#[derive(Clone)]
pub(crate) struct Gc {
    meta: Meta,
    hot: HotTier,
    pins: Pins,
}

/// The blobs readers of this process are reading: blob id → number of readers.
#[derive(Clone, Default)]
pub(crate) struct Pins(Arc<Mutex<HashMap<u128, usize>>>);

/// Keeps its blobs from collection until dropped.
pub(crate) struct Pinned {
    pins: Pins,
    ids: Vec<u128>,
}

impl Pins {
    pub(crate) fn pin(&self, ids: impl IntoIterator<Item = u128>) -> Pinned {
        let ids: Vec<u128> = ids.into_iter().collect();
        let mut map = self.0.lock().expect("pins not poisoned");
        for &id in &ids {
            *map.entry(id).or_default() += 1;
        }
        Pinned { pins: self.clone(), ids }
    }

    fn is_pinned(&self, id: u128) -> bool {
        self.0.lock().expect("pins not poisoned").contains_key(&id)
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let mut map = self.pins.0.lock().expect("pins not poisoned");
        for id in &self.ids {
            if let Some(n) = map.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    map.remove(id);
                }
            }
        }
    }
}

/// Forgets a blob inside a transaction and queues its bytes for deletion after the commit.
pub(crate) fn drop_blob(tx: &mut dyn Txn, id: u128) -> TxResult<()> {
    tx.remove(Keyspace::Blobs, &keys::blob_key(id))?;
    tx.insert(Keyspace::Gc, &keys::blob_key(id), &[])?;
    Ok(())
}

impl Gc {
    pub(crate) fn new(meta: Meta, hot: HotTier) -> Gc {
        Gc { meta, hot, pins: Pins::default() }
    }

    /// The pins readers take on what they read, which collection respects.
    pub(crate) fn pins(&self) -> &Pins {
        &self.pins
    }

    /// Makes every commit so far durable (the caller's own among them: this is a writer's flush),
    /// then deletes the blobs queued by commits; returns how many. Only entries read before the
    /// flush go: an entry may come from another writer's transaction that is committed but not
    /// flushed yet, and were the process to die before that flush, the transaction would be lost
    /// and the version it replaced, whose blob this is, current again. Pinned blobs are passed over
    /// and stay queued for a later collection.
    pub(crate) fn make_durable_and_collect(&self) -> Result<usize> {
        let mut removed = 0;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let from = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let batch: Vec<Vec<u8>> = self
                .meta
                .range(Keyspace::Gc, from, Bound::Unbounded)
                .take(GC_BATCH)
                .map(|item| item.map(|(k, _)| k))
                .collect::<Result<_>>()?;
            self.meta.sync()?;
            if batch.is_empty() {
                return Ok(removed);
            }
            after = batch.last().cloned();
            for k in &batch {
                let id =
                    u128::from_be_bytes(k.as_slice().try_into().map_err(|_| EngineError::Corrupt("gc key".into()))?);
                if self.pins.is_pinned(id) {
                    continue;
                }
                self.hot.remove(id)?;
                // Inline bytes first: a crash in between leaves the queue entry, and the next pass repeats it.
                self.meta.remove(Keyspace::Inline, k)?;
                self.meta.remove(Keyspace::Gc, k)?;
                removed += 1;
            }
            if batch.len() < GC_BATCH {
                return Ok(removed);
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::{MemoryStore, MetaStore, Scan};
    use std::ops::Bound;
    use std::sync::{Arc, Mutex};

    /// The memory store, with a flush that notes whether a blob's file was still there then.
    struct Watching {
        inner: MemoryStore,
        file: std::path::PathBuf,
        file_at_flush: Mutex<Vec<bool>>,
    }

    impl MetaStore for Watching {
        fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
            self.inner.get(ks, key)
        }
        fn range(&self, ks: Keyspace, lo: Bound<&[u8]>, hi: Bound<&[u8]>, reverse: bool) -> Scan<'_> {
            self.inner.range(ks, lo, hi, reverse)
        }
        fn len(&self, ks: Keyspace) -> Result<usize> {
            self.inner.len(ks)
        }
        fn put(&self, ks: Keyspace, key: &[u8], value: &[u8]) -> Result<()> {
            self.inner.put(ks, key, value)
        }
        fn delete(&self, ks: Keyspace, key: &[u8]) -> Result<()> {
            self.inner.delete(ks, key)
        }
        fn transact(&self, body: &mut dyn FnMut(&mut dyn Txn) -> TxResult<()>) -> Result<()> {
            self.inner.transact(body)
        }
        fn flush(&self) -> Result<()> {
            self.file_at_flush.lock().unwrap().push(self.file.exists());
            Ok(())
        }
        fn generate_id(&self) -> Result<u64> {
            self.inner.generate_id()
        }
        fn durable(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_blob_goes_only_once_the_commit_that_released_it_is_durable() {
        let dir = tempfile::tempdir().unwrap();
        let hot = HotTier::open(dir.path(), None).unwrap();
        let id = (7u128 << 120) | 1;
        std::fs::create_dir_all(hot.blob_path(id).parent().unwrap()).unwrap();
        std::fs::write(hot.blob_path(id), b"the version it replaced").unwrap();
        let store = Arc::new(Watching {
            inner: MemoryStore::default(),
            file: hot.blob_path(id),
            file_at_flush: Mutex::default(),
        });
        let meta = Meta::new(store.clone());
        // Another writer's commit releases the blob and has not flushed yet when this one collects.
        meta.transaction(|tx| drop_blob(tx, id)).unwrap();
        assert_eq!(Gc::new(meta, hot.clone()).make_durable_and_collect().unwrap(), 1);
        assert_eq!(*store.file_at_flush.lock().unwrap(), [true], "flushed first, with the file still there");
        assert!(!hot.blob_path(id).exists());
    }
}
