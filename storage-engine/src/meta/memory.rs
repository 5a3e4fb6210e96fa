//! The in-memory backend: one BTreeMap per keyspace behind one lock. Transactions run under the
//! write lock on an overlay that is applied only when the body succeeds, so they are serializable
//! and never conflict. Scans read in batches and let go of the lock between them, so a scan never
//! holds up (or deadlocks with) a write made while it runs, as with sled.

use super::{batched_scan, Entry, Keyspace, MetaStore, Remaining, Scan, TxResult, Txn};
use crate::base::error::Result;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

/// Entries a scan copies out per turn of the lock.
const SCAN_BATCH: usize = 256;

pub struct MemoryStore {
    spaces: RwLock<Vec<Map>>,
    next_id: AtomicU64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore { spaces: RwLock::new(vec![Map::new(); Keyspace::ALL.len()]), next_id: AtomicU64::new(0) }
    }
}

impl MemoryStore {
    fn read(&self) -> RwLockReadGuard<'_, Vec<Map>> {
        self.spaces.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Vec<Map>> {
        self.spaces.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl MetaStore for MemoryStore {
    fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.read()[ks.index()].get(key).cloned())
    }

    fn range(&self, ks: Keyspace, lo: Bound<&[u8]>, hi: Bound<&[u8]>, reverse: bool) -> Scan<'_> {
        batched_scan(lo, hi, reverse, move |left| Ok(self.batch(ks, left)))
    }

    fn len(&self, ks: Keyspace) -> Result<usize> {
        Ok(self.read()[ks.index()].len())
    }

    fn put(&self, ks: Keyspace, key: &[u8], value: &[u8]) -> Result<()> {
        self.write()[ks.index()].insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn delete(&self, ks: Keyspace, key: &[u8]) -> Result<()> {
        self.write()[ks.index()].remove(key);
        Ok(())
    }

    fn transact(&self, body: &mut dyn FnMut(&mut dyn Txn) -> TxResult<()>) -> Result<()> {
        let mut spaces = self.write();
        let mut tx = MemTxn { spaces: &spaces, writes: HashMap::new() };
        match body(&mut tx) {
            Ok(()) => {
                let writes = std::mem::take(&mut tx.writes);
                for ((ks, key), value) in writes {
                    let map = &mut spaces[ks];
                    match value {
                        Some(v) => map.insert(key, v),
                        None => map.remove(&key),
                    };
                }
                Ok(())
            }
            Err(super::TxError::Abort(e)) => Err(e),
            // Nothing runs concurrently under the write lock; a body that reports a conflict anyway
            // gets an error rather than a loop.
            Err(super::TxError::Conflict) => Err(crate::EngineError::Conflict),
        }
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn generate_id(&self) -> Result<u64> {
        Ok(self.next_id.fetch_add(1, Ordering::SeqCst))
    }

    fn durable(&self) -> bool {
        false
    }
}

struct MemTxn<'a> {
    spaces: &'a [Map],
    /// (keyspace index, key) → the new value, or None for a removal.
    writes: HashMap<(usize, Vec<u8>), Option<Vec<u8>>>,
}

impl MemTxn<'_> {
    fn current(&self, ks: Keyspace, key: &[u8]) -> Option<Vec<u8>> {
        match self.writes.get(&(ks.index(), key.to_vec())) {
            Some(written) => written.clone(),
            None => self.spaces[ks.index()].get(key).cloned(),
        }
    }
}

impl Txn for MemTxn<'_> {
    fn get(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<Vec<u8>>> {
        Ok(self.current(ks, key))
    }

    fn insert(&mut self, ks: Keyspace, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.writes.insert((ks.index(), key.to_vec()), Some(value.to_vec()));
        Ok(())
    }

    fn remove(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<()> {
        self.writes.insert((ks.index(), key.to_vec()), None);
        Ok(())
    }
}

impl MemoryStore {
    /// The next batch of a scan, and whether it is the last.
    fn batch(&self, ks: Keyspace, left: &Remaining) -> (Vec<Entry>, bool) {
        // An empty or inverted range has nothing in it (BTreeMap::range would panic).
        let empty = match (&left.lo, &left.hi) {
            (Bound::Included(a), Bound::Included(b)) => a > b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => a >= b,
            _ => false,
        };
        if empty {
            return (Vec::new(), true);
        }
        let spaces = self.read();
        let range = spaces[ks.index()].range::<Vec<u8>, _>((left.lo.clone(), left.hi.clone()));
        let clone = |(k, v): (&Vec<u8>, &Vec<u8>)| (k.clone(), v.clone());
        let batch: Vec<Entry> = if left.reverse {
            range.rev().take(SCAN_BATCH).map(clone).collect()
        } else {
            range.take(SCAN_BATCH).map(clone).collect()
        };
        let last = batch.len() < SCAN_BATCH;
        (batch, last)
    }
}
