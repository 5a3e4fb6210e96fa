//! The per-key mutex that serializes the read-then-commit of one key's writers.

use crate::base::error::Result;
use crate::base::keys;
use crate::meta::Meta;
use std::sync::{Mutex, MutexGuard};

/// Stripes of the per-key mutex that serializes read-modify-write of one key's versions.
const KEY_STRIPES: usize = 64;

/// Serializes writers of one key (by stripe). Held across the read-then-commit of a write,
/// released before the flush, so only the decision is serialized, not the I/O. On a store shared
/// by several gateways it also takes the store's mutex on the key, so that they serialize too.
pub(crate) struct KeyMutexes(Vec<Mutex<()>>);

/// A key's mutex: the store's first (dropped first), then this process's stripe.
pub(crate) struct KeyGuard<'a> {
    _shared: Option<Box<dyn Send + 'a>>,
    _local: MutexGuard<'a, ()>,
}

impl KeyMutexes {
    pub(crate) fn new() -> KeyMutexes {
        KeyMutexes((0..KEY_STRIPES).map(|_| Mutex::new(())).collect())
    }

    pub(crate) fn hold<'a>(&'a self, meta: &'a Meta, okey: &[u8]) -> Result<KeyGuard<'a>> {
        let h = keys::fnv64(okey);
        let local = self.0[(h % KEY_STRIPES as u64) as usize].lock().unwrap_or_else(|p| p.into_inner());
        Ok(KeyGuard { _shared: meta.key_mutex(okey)?, _local: local })
    }
}
