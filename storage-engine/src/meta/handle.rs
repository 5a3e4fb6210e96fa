//! [`Meta`]: the engine's one handle on the metadata store, with the generic conveniences and
//! the group commit on top of whichever backend it holds.

use super::{batch, group, Keyspace, MetaStore, Scan, TxResult, Txn};
use crate::base::clock::Clock;
use crate::base::error::Result;
use crate::model::record;
use serde::de::DeserializeOwned;
use std::ops::Bound;
use std::sync::Arc;

/// The engine's handle on the metadata store.
#[derive(Clone)]
pub(crate) struct Meta {
    pub(super) store: Arc<dyn MetaStore>,
    group: Arc<group::GroupCommit>,
    batch: Arc<batch::Batcher>,
    /// Where every time the engine writes comes from.
    clock: Clock,
}

impl Meta {
    #[cfg(test)]
    pub(crate) fn new(store: Arc<dyn MetaStore>) -> Meta {
        Meta::with_clock(store, Clock::System)
    }

    pub(crate) fn with_clock(store: Arc<dyn MetaStore>, clock: Clock) -> Meta {
        Meta { store, group: Arc::default(), batch: Arc::default(), clock }
    }

    /// Milliseconds since the Unix epoch, by the engine's clock.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn get(&self, ks: Keyspace, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        self.store.get(ks, key.as_ref())
    }

    pub(crate) fn get_record<T: DeserializeOwned>(&self, ks: Keyspace, key: impl AsRef<[u8]>) -> Result<Option<T>> {
        self.get(ks, key)?.map(|v| record::decode(&v)).transpose()
    }

    pub(crate) fn contains(&self, ks: Keyspace, key: impl AsRef<[u8]>) -> Result<bool> {
        Ok(self.get(ks, key)?.is_some())
    }

    pub(crate) fn range(&self, ks: Keyspace, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Scan<'_> {
        self.store.range(ks, lo, hi, false)
    }

    /// Every entry whose key starts with `prefix`, in order.
    pub(crate) fn scan_prefix(&self, ks: Keyspace, prefix: &[u8]) -> Scan<'_> {
        match prefix_end(prefix) {
            Some(end) => self.store.range(ks, Bound::Included(prefix), Bound::Excluded(&end), false),
            None => self.store.range(ks, Bound::Included(prefix), Bound::Unbounded, false),
        }
    }

    /// The whole keyspace, in order.
    pub(crate) fn iter(&self, ks: Keyspace) -> Scan<'_> {
        self.store.range(ks, Bound::Unbounded, Bound::Unbounded, false)
    }

    pub(crate) fn len(&self, ks: Keyspace) -> Result<usize> {
        self.store.len(ks)
    }

    /// Runs `body` as one atomic transaction and returns what it returned.
    pub(crate) fn transaction<T>(&self, mut body: impl FnMut(&mut dyn Txn) -> TxResult<T>) -> Result<T> {
        let mut out = None;
        self.store.transact(&mut |tx| {
            out = Some(body(tx)?);
            Ok(())
        })?;
        Ok(out.expect("a committed transaction ran its body"))
    }

    /// Like `transaction`, for the hot write paths: concurrent callers' bodies share one store
    /// transaction (see `batch.rs`), each still all-or-nothing on its own.
    pub(crate) fn batched<T: Send + 'static>(
        &self,
        body: impl FnMut(&mut dyn Txn) -> TxResult<T> + Send + 'static,
    ) -> Result<T> {
        if self.store.shared() {
            // A shared store runs transactions side by side; batching would only widen conflicts.
            return self.transaction(body);
        }
        self.batch.run(&*self.store, body)
    }

    /// See [`MetaStore::key_mutex`].
    pub(crate) fn key_mutex(&self, key: &[u8]) -> Result<Option<Box<dyn Send + '_>>> {
        self.store.key_mutex(key)
    }

    pub(crate) fn shared(&self) -> bool {
        self.store.shared()
    }

    /// One write of one key, atomic for that key (not a transaction).
    pub(crate) fn insert(&self, ks: Keyspace, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        self.store.put(ks, key.as_ref(), value.as_ref())
    }

    pub(crate) fn remove(&self, ks: Keyspace, key: impl AsRef<[u8]>) -> Result<()> {
        self.store.delete(ks, key.as_ref())
    }

    pub(crate) fn generate_id(&self) -> Result<u64> {
        self.store.generate_id()
    }

    /// Makes every committed change durable. Concurrent callers share one flush (group commit).
    pub(crate) fn sync(&self) -> Result<()> {
        self.group.sync(|| self.store.flush())
    }

    pub(crate) fn durable(&self) -> bool {
        self.store.durable()
    }
}

/// The smallest key greater than every key starting with `prefix`; None when there is none.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }
}
