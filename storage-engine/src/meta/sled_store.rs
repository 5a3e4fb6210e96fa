//! The sled backend: one sled tree per keyspace, named as the keyspace. The only file that names sled.

use super::{Entry, Keyspace, MetaStore, Scan, TxError, TxResult, Txn};
use crate::base::error::{EngineError, Result};
use ::sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use ::sled::Transactional;
use std::cell::RefCell;
use std::ops::Bound;
use std::path::Path;

pub struct SledStore {
    db: ::sled::Db,
    /// Indexed by `Keyspace::index`.
    trees: Vec<::sled::Tree>,
}

impl SledStore {
    pub fn open(path: &Path, cache_bytes: u64) -> Result<SledStore> {
        // A store this process just closed may keep its file lock a moment longer, while sled's flusher
        // thread lets go of it: try again for a little while before reporting the lock as held.
        let mut attempts = 0;
        let db = loop {
            match ::sled::Config::new().path(path).cache_capacity(cache_bytes).open() {
                Err(::sled::Error::Io(e)) if attempts < 25 && e.to_string().contains("could not acquire lock") => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.map_err(store_err)?,
            }
        };
        let trees =
            Keyspace::ALL.iter().map(|ks| db.open_tree(ks.name())).collect::<Result<_, _>>().map_err(store_err)?;
        Ok(SledStore { db, trees })
    }

    fn tree(&self, ks: Keyspace) -> &::sled::Tree {
        &self.trees[ks.index()]
    }
}

/// sled's errors as the engine's: I/O stays I/O (a full or read-only disk is told apart by it).
fn store_err(e: ::sled::Error) -> EngineError {
    match e {
        ::sled::Error::Io(e) => EngineError::Io(e),
        e => EngineError::Meta(e.to_string()),
    }
}

fn tx_view_err(e: UnabortableTransactionError) -> TxError {
    match e {
        UnabortableTransactionError::Conflict => TxError::Conflict,
        UnabortableTransactionError::Storage(e) => TxError::Abort(store_err(e)),
    }
}

fn owned(bound: Bound<&[u8]>) -> Bound<Vec<u8>> {
    match bound {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl MetaStore for SledStore {
    fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.tree(ks).get(key).map_err(store_err)?.map(|v| v.to_vec()))
    }

    fn range(&self, ks: Keyspace, lo: Bound<&[u8]>, hi: Bound<&[u8]>, reverse: bool) -> Scan<'_> {
        let iter = self.tree(ks).range::<Vec<u8>, _>((owned(lo), owned(hi)));
        let entry = |item: ::sled::Result<(::sled::IVec, ::sled::IVec)>| -> Result<Entry> {
            item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(store_err)
        };
        if reverse {
            Box::new(iter.rev().map(entry))
        } else {
            Box::new(iter.map(entry))
        }
    }

    fn len(&self, ks: Keyspace) -> Result<usize> {
        Ok(self.tree(ks).len())
    }

    fn put(&self, ks: Keyspace, key: &[u8], value: &[u8]) -> Result<()> {
        self.tree(ks).insert(key, value).map(|_| ()).map_err(store_err)
    }

    fn delete(&self, ks: Keyspace, key: &[u8]) -> Result<()> {
        self.tree(ks).remove(key).map(|_| ()).map_err(store_err)
    }

    fn transact(&self, body: &mut dyn FnMut(&mut dyn Txn) -> TxResult<()>) -> Result<()> {
        // sled wants a `Fn` it may call again on conflict; the body is never re-entered.
        let body = RefCell::new(body);
        let result = self.trees.as_slice().transaction(|views: &Vec<TransactionalTree>| {
            let mut view = SledTxn { views };
            match (body.borrow_mut())(&mut view) {
                Ok(()) => Ok(()),
                Err(TxError::Abort(e)) => Err(ConflictableTransactionError::Abort(e)),
                Err(TxError::Conflict) => Err(ConflictableTransactionError::Conflict),
            }
        });
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => store_err(e),
        })
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(store_err)
    }

    fn generate_id(&self) -> Result<u64> {
        self.db.generate_id().map_err(store_err)
    }

    fn durable(&self) -> bool {
        true
    }
}

struct SledTxn<'a> {
    views: &'a [TransactionalTree],
}

impl Txn for SledTxn<'_> {
    fn get(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<Vec<u8>>> {
        Ok(self.views[ks.index()].get(key).map_err(tx_view_err)?.map(|v| v.to_vec()))
    }

    fn insert(&mut self, ks: Keyspace, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.views[ks.index()].insert(key, value).map_err(tx_view_err)?;
        Ok(())
    }

    fn remove(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<()> {
        self.views[ks.index()].remove(key).map_err(tx_view_err)?;
        Ok(())
    }
}
