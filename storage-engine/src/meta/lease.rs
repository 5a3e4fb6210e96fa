//! Leases: how a background worker claims a unit of work so that no other process sharing the store
//! takes it meanwhile. A lease names its holder and when it runs out; a holder that dies lets it run
//! out, and the next claimant after that takes the work over — at once where the store can tell
//! that the holder died (PostgreSQL: the holder's session is gone).

use super::{Keyspace, Meta};
use crate::base::error::Result;
use crate::model::record;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub holder: String,
    /// Milliseconds since the Unix epoch.
    pub expires_ms: i64,
}

impl Meta {
    /// Takes (or renews) the lease on `work` for `holder` until `now_ms + ttl_ms`, unless another
    /// holder's lease is still running. True when `holder` now holds it. Durable on return.
    pub(crate) fn claim(&self, work: &str, holder: &str, now_ms: i64, ttl_ms: i64) -> Result<bool> {
        self.store.register_holder(holder)?;
        // A lease whose holder is known to have died is taken over at once (the store must
        // know: a shared one watches each holder's session), not when it runs out.
        let orphaned = match self.lease(work, now_ms)? {
            Some(cur) if cur.holder != holder && self.store.holder_alive(&cur.holder)? == Some(false) => Some(cur),
            _ => None,
        };
        let lease = Lease { holder: holder.to_owned(), expires_ms: now_ms + ttl_ms };
        let encoded = record::encode(&lease);
        let taken = self.transaction(|tx| {
            if let Some(cur) = tx.get_record::<Lease>(Keyspace::Leases, work.as_bytes())? {
                if cur.holder != holder && cur.expires_ms > now_ms && Some(&cur) != orphaned.as_ref() {
                    return Ok(false);
                }
            }
            tx.insert(Keyspace::Leases, work.as_bytes(), &encoded)?;
            Ok(true)
        })?;
        if taken {
            self.sync()?;
        }
        Ok(taken)
    }

    /// Gives the lease up early, if `holder` still holds it.
    pub(crate) fn release(&self, work: &str, holder: &str) -> Result<()> {
        self.transaction(|tx| {
            if tx.get_record::<Lease>(Keyspace::Leases, work.as_bytes())?.is_some_and(|l| l.holder == holder) {
                tx.remove(Keyspace::Leases, work.as_bytes())?;
            }
            Ok(())
        })?;
        self.sync()
    }

    /// Who holds the lease on `work`, if anyone does at `now_ms`.
    pub(crate) fn lease(&self, work: &str, now_ms: i64) -> Result<Option<Lease>> {
        Ok(self.get_record::<Lease>(Keyspace::Leases, work)?.filter(|l| l.expires_ms > now_ms))
    }
}
