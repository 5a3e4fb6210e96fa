//! The queue of restore notifications waiting to be delivered: written in the commit that
//! completes a restore, read in order and acknowledged by the daemon's delivery worker.

use crate::base::error::Result;
use crate::meta::{Keyspace, Meta};
use crate::model::record::{self, Notification};

#[derive(Clone)]
pub(crate) struct Notifications {
    meta: Meta,
}

impl Notifications {
    pub(crate) fn new(meta: Meta) -> Notifications {
        Notifications { meta }
    }

    /// The next restore notifications to deliver (at most `max`), in the order they happened, with
    /// their queue keys. Delivery keeps that order: nothing is returned while the oldest waits out
    /// its backoff.
    pub(crate) fn due(&self, max: usize) -> Result<Vec<(Vec<u8>, Notification)>> {
        let now = self.meta.now_ms();
        let mut out = Vec::new();
        for item in self.meta.iter(Keyspace::Notifications) {
            let (k, v) = item?;
            let n: Notification = record::decode(&v)?;
            if n.next_attempt_ms > now || out.len() == max {
                break;
            }
            out.push((k, n));
        }
        Ok(out)
    }

    /// A notification was delivered: it leaves the queue.
    pub(crate) fn delivered(&self, id: &[u8]) -> Result<()> {
        self.meta.remove(Keyspace::Notifications, id)?;
        self.meta.sync()
    }

    /// A delivery failed: try again after `backoff_ms`.
    pub(crate) fn failed(&self, id: &[u8], mut n: Notification, backoff_ms: i64) -> Result<()> {
        n.attempts += 1;
        n.next_attempt_ms = self.meta.now_ms() + backoff_ms;
        self.meta.insert(Keyspace::Notifications, id, record::encode(&n))?;
        self.meta.sync()
    }
}
