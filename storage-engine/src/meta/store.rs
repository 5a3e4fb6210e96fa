//! What a backend implements: point reads, scans, transactions and the durable flush
//! ([`MetaStore`], [`Txn`]).

use super::Keyspace;
use crate::base::error::{EngineError, Result};
use crate::model::record;
use serde::de::DeserializeOwned;
use std::ops::Bound;

pub type Entry = (Vec<u8>, Vec<u8>);
/// A range scan. Weakly consistent, as sled's are: it sees every entry that was there when it began
/// and was not changed since, and may or may not see changes made while it runs.
pub type Scan<'a> = Box<dyn Iterator<Item = Result<Entry>> + 'a>;

/// The range a batched scan has left: the bound on the side being consumed moves past each batch.
pub(crate) struct Remaining {
    pub lo: Bound<Vec<u8>>,
    pub hi: Bound<Vec<u8>>,
    pub reverse: bool,
}

/// A scan read a batch at a time, each batch starting past the last key of the one before: a
/// writer gets in between two batches, and on a database no batch costs more than its own rows.
/// `fetch` returns the next batch and whether it is the last.
pub(crate) fn batched_scan<'a>(
    lo: Bound<&[u8]>,
    hi: Bound<&[u8]>,
    reverse: bool,
    mut fetch: impl FnMut(&Remaining) -> Result<(Vec<Entry>, bool)> + 'a,
) -> Scan<'a> {
    let mut left = Remaining { lo: lo.map(<[u8]>::to_vec), hi: hi.map(<[u8]>::to_vec), reverse };
    let mut batch = std::collections::VecDeque::new();
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        if batch.is_empty() && !done {
            match fetch(&left) {
                Ok((rows, last)) => {
                    done = last;
                    if let Some((key, _)) = rows.last() {
                        let past = Bound::Excluded(key.clone());
                        if left.reverse {
                            left.hi = past;
                        } else {
                            left.lo = past;
                        }
                    }
                    batch.extend(rows);
                }
                Err(e) => {
                    done = true;
                    return Some(Err(e));
                }
            }
        }
        batch.pop_front().map(Ok)
    }))
}

/// Why a transaction's body stopped: the caller's error (nothing is written), or a conflict with
/// a concurrent transaction (the backend runs the body again).
#[derive(Debug)]
pub enum TxError {
    Abort(EngineError),
    Conflict,
}

impl From<EngineError> for TxError {
    fn from(e: EngineError) -> Self {
        TxError::Abort(e)
    }
}

pub type TxResult<T> = std::result::Result<T, TxError>;

/// Ends a transaction's body with `e`; nothing it wrote is kept.
pub fn abort<T>(e: EngineError) -> TxResult<T> {
    Err(TxError::Abort(e))
}

/// The view a transaction's body works through. Reads see the transaction's own writes. No scans:
/// read what a transaction needs beforehand, under the key lock that keeps it current.
pub trait Txn {
    fn get(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<Vec<u8>>>;
    /// Writes say nothing of what they replace: a backend over a network may send them with the
    /// commit instead of one round trip each. Read first (`swap`, `take`) where the old value matters.
    fn insert(&mut self, ks: Keyspace, key: &[u8], value: &[u8]) -> TxResult<()>;
    fn remove(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<()>;
}

impl dyn Txn + '_ {
    /// A record, decoded.
    pub fn get_record<T: DeserializeOwned>(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<T>> {
        Ok(self.get(ks, key)?.map(|v| record::decode(&v)).transpose()?)
    }

    /// Removes a record and returns it, decoded.
    pub fn remove_record<T: DeserializeOwned>(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<T>> {
        Ok(self.take(ks, key)?.map(|v| record::decode(&v)).transpose()?)
    }

    /// Inserts and returns the value replaced.
    pub fn swap(&mut self, ks: Keyspace, key: &[u8], value: &[u8]) -> TxResult<Option<Vec<u8>>> {
        let old = self.get(ks, key)?;
        self.insert(ks, key, value)?;
        Ok(old)
    }

    /// Removes and returns the value removed.
    pub fn take(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<Vec<u8>>> {
        let old = self.get(ks, key)?;
        if old.is_some() {
            self.remove(ks, key)?;
        }
        Ok(old)
    }
}

/// A backend. Transactions are serializable: a body sees one state and its writes land together
/// or not at all. A body may run more than once (on conflict), so it must do no I/O of its own.
pub trait MetaStore: Send + Sync {
    fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Entries with keys between the bounds, ascending, or descending when `reverse`.
    fn range(&self, ks: Keyspace, lo: Bound<&[u8]>, hi: Bound<&[u8]>, reverse: bool) -> Scan<'_>;
    fn len(&self, ks: Keyspace) -> Result<usize>;
    /// One write outside any transaction: atomic for that key alone, and cheaper than a transaction
    /// (sled's exclude every other operation while they commit).
    fn put(&self, ks: Keyspace, key: &[u8], value: &[u8]) -> Result<()>;
    fn delete(&self, ks: Keyspace, key: &[u8]) -> Result<()>;
    /// Runs `body` atomically, again on conflict, until it succeeds or aborts.
    fn transact(&self, body: &mut dyn FnMut(&mut dyn Txn) -> TxResult<()>) -> Result<()>;
    /// Makes every transaction committed before the call durable.
    fn flush(&self) -> Result<()>;
    /// A number never handed out before by this store, larger than every earlier one.
    fn generate_id(&self) -> Result<u64>;
    /// True when changes survive a restart (false for `memory`).
    fn durable(&self) -> bool;
    /// True when other processes may use the store at the same time (several gateways, `postgres`).
    /// The engine then leaves alone local files another gateway may be writing, names its leases
    /// per process, and runs each transaction alone (the store runs them side by side).
    fn shared(&self) -> bool {
        false
    }
    /// Marks `holder` (this process's name as a lease holder) alive for as long as the store stays
    /// open, where the store can tell others so. Called before each claim: cheap once done.
    fn register_holder(&self, _holder: &str) -> Result<()> {
        Ok(())
    }
    /// Whether the process that registered `holder` is still alive: None where the store cannot
    /// tell (a lease then waits to run out).
    fn holder_alive(&self, _holder: &str) -> Result<Option<bool>> {
        Ok(None)
    }
    /// Held by a writer of one object key, across processes sharing the store, until dropped; None
    /// where this process's own mutex on the key is enough (a store only it uses).
    fn key_mutex(&self, _key: &[u8]) -> Result<Option<Box<dyn Send + '_>>> {
        Ok(None)
    }
}
