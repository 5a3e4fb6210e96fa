//! Batched transactions: concurrent writers share one store transaction.
//!
//! Each sled transaction costs the same whatever it holds: it takes sled's global lock and rolls
//! sled's log buffer twice (a write and a `sync_file_range` each). Small PUTs and DELETEs are
//! mostly that cost, so they queue their bodies here, and whoever finds no batch running takes
//! everything queued and runs it as one transaction. Each body runs against an overlay of its own
//! writes, which join the transaction only if it succeeds: an aborted body (a failed
//! precondition, a missing bucket) changes nothing, and the others still commit. The bodies run
//! one after the other, each seeing the writes of those before it, as if committed in turn.

use super::{Keyspace, MetaStore, TxError, TxResult, Txn};
use crate::base::error::{EngineError, Result};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

/// Bodies per transaction at most: bounds the transaction's size and the wait of its first body.
const MAX_BATCH: usize = 64;

type Output = Box<dyn Any + Send>;
type Job = Box<dyn FnMut(&mut dyn Txn) -> TxResult<Output> + Send>;

#[derive(Default)]
pub(crate) struct Batcher {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    next_id: u64,
    queue: Vec<(u64, Job)>,
    results: HashMap<u64, Result<Output>>,
    running: bool,
}

impl Batcher {
    /// Runs `body` in a transaction, probably shared with others, and returns what it returned.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        store: &dyn MetaStore,
        mut body: impl FnMut(&mut dyn Txn) -> TxResult<T> + Send + 'static,
    ) -> Result<T> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let id = st.next_id;
        st.next_id += 1;
        st.queue.push((id, Box::new(move |tx| body(tx).map(|v| Box::new(v) as Output))));
        loop {
            if let Some(result) = st.results.remove(&id) {
                return result.map(|out| *out.downcast::<T>().expect("a body's own output type"));
            }
            if !st.running {
                st.running = true;
                let take = st.queue.len().min(MAX_BATCH);
                let jobs: Vec<(u64, Job)> = st.queue.drain(..take).collect();
                drop(st);
                let outcomes = run_batch(store, jobs);
                st = self.state.lock().unwrap_or_else(|p| p.into_inner());
                st.running = false;
                st.results.extend(outcomes);
                self.done.notify_all();
                continue;
            }
            st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

fn run_batch(store: &dyn MetaStore, mut jobs: Vec<(u64, Job)>) -> Vec<(u64, Result<Output>)> {
    let mut outcomes: Vec<Result<Output>> = Vec::with_capacity(jobs.len());
    // A body alone needs no overlay: its abort is the transaction's.
    let alone = jobs.len() == 1;
    let committed = store.transact(&mut |tx| {
        // The store may run this again on conflict: start over each time.
        outcomes.clear();
        for (_, job) in jobs.iter_mut() {
            if alone {
                outcomes.push(Ok(job(tx)?));
                continue;
            }
            let mut overlay = Overlay { inner: &mut *tx, writes: Vec::new() };
            match job(&mut overlay) {
                Ok(out) => {
                    let writes = overlay.writes;
                    for (ks, key, value) in writes {
                        match value {
                            Some(v) => tx.insert(ks, &key, &v)?,
                            None => tx.remove(ks, &key)?,
                        };
                    }
                    outcomes.push(Ok(out));
                }
                Err(TxError::Abort(e)) => outcomes.push(Err(e)),
                Err(TxError::Conflict) => return Err(TxError::Conflict),
            }
        }
        Ok(())
    });
    match committed {
        Ok(()) => jobs.into_iter().map(|(id, _)| id).zip(outcomes).collect(),
        // The store failed: every body in the batch hears of it.
        Err(e) => {
            let text = e.to_string();
            let mut first = Some(e);
            jobs.into_iter()
                .map(|(id, _)| (id, Err(first.take().unwrap_or_else(|| EngineError::Meta(text.clone())))))
                .collect()
        }
    }
}

/// One body's view: its own writes first, then the transaction's state.
struct Overlay<'a> {
    inner: &'a mut dyn Txn,
    writes: Vec<(Keyspace, Vec<u8>, Option<Vec<u8>>)>,
}

impl Overlay<'_> {
    fn own(&self, ks: Keyspace, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.writes.iter().rev().find(|(k, key2, _)| *k == ks && key2 == key).map(|(_, _, v)| v.clone())
    }

    fn write(&mut self, ks: Keyspace, key: &[u8], value: Option<&[u8]>) {
        self.writes.push((ks, key.to_vec(), value.map(<[u8]>::to_vec)));
    }
}

impl Txn for Overlay<'_> {
    fn get(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<Vec<u8>>> {
        match self.own(ks, key) {
            Some(v) => Ok(v),
            None => self.inner.get(ks, key),
        }
    }

    fn insert(&mut self, ks: Keyspace, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.write(ks, key, Some(value));
        Ok(())
    }

    fn remove(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<()> {
        self.write(ks, key, None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::memory::MemoryStore;
    use crate::meta::sled_store::SledStore;
    use std::sync::Arc;

    fn stores() -> Vec<(Arc<dyn MetaStore>, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        let sled = SledStore::open(&dir.path().join("meta"), 8 << 20).unwrap();
        vec![(Arc::new(sled), Some(dir)), (Arc::new(MemoryStore::default()), None)]
    }

    #[test]
    fn an_aborted_body_changes_nothing_and_the_others_commit() {
        for (store, _dir) in stores() {
            let b = Batcher::default();
            b.run(&*store, |tx| tx.insert(Keyspace::Buckets, b"n", b"0").map(|_| ())).unwrap();
            let err = b.run(&*store, |tx| {
                tx.insert(Keyspace::Buckets, b"n", b"bad")?;
                tx.insert(Keyspace::Buckets, b"other", b"x")?;
                super::super::abort::<()>(EngineError::NoSuchBucket)
            });
            assert!(matches!(err, Err(EngineError::NoSuchBucket)));
            assert_eq!(store.get(Keyspace::Buckets, b"n").unwrap(), Some(b"0".to_vec()));
            assert_eq!(store.get(Keyspace::Buckets, b"other").unwrap(), None);
        }
    }

    #[test]
    fn concurrent_bodies_see_each_other_in_turn() {
        for (store, _dir) in stores() {
            let b = Arc::new(Batcher::default());
            std::thread::scope(|s| {
                // More callers than a batch holds: leadership passes on while others wait.
                for _ in 0..96 {
                    let (b, store) = (b.clone(), store.clone());
                    s.spawn(move || {
                        for _ in 0..50 {
                            // A read-modify-write of one counter: no increment may be lost.
                            let seen = b
                                .run(&*store, |tx| {
                                    let n = tx
                                        .get(Keyspace::Buckets, b"count")?
                                        .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
                                    tx.insert(Keyspace::Buckets, b"count", &(n + 1).to_be_bytes())?;
                                    // Its own write is what it reads back.
                                    let again = tx.get(Keyspace::Buckets, b"count")?.unwrap();
                                    assert_eq!(again, (n + 1).to_be_bytes());
                                    Ok(n + 1)
                                })
                                .unwrap();
                            assert!(seen >= 1);
                        }
                    });
                }
            });
            let total = store.get(Keyspace::Buckets, b"count").unwrap().unwrap();
            assert_eq!(u64::from_be_bytes(total.try_into().unwrap()), 96 * 50);
        }
    }
}
