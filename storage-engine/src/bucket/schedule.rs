//! Lifecycle configurations and the lifecycle work queue.
//!
//! The queue holds hints keyed by due time: "look at this key (or upload, or bucket) at T". A write
//! to a bucket with rules adds a hint in its own transaction, at the earliest time any rule could
//! act because of it; the worker (`tiering::worker`) evaluates what a hint names against the
//! stored truth, acts, and leaves one hint for the next time anything is due there. Hints may be
//! early or repeated, never missing, so the worker's cost follows the work due, not the store's
//! size, and a crash at any point is repaired by evaluating again.
//!
//! Queue keys: due (ms, big-endian u64) then a kind byte, then:
//! - `o` bucket 0x00 key: an object key (all its versions);
//! - `u` bucket 0x00 key 0x00 upload-id: a multipart upload;
//! - `b` bucket: a sweep of every key of the bucket (rules changed); the value is where it stands;
//! - `c` bucket: the same for the bucket's multipart uploads;
//! - `d` bucket 0x00 key 0x00 upload-id: a completed upload to forget (see `CompletedUploads`).

use crate::base::error::{EngineError, Result};
use crate::base::names::{BucketName, ObjectKey};
use crate::meta::{Keyspace, Meta, TxResult, Txn};
use crate::model::lifecycle::{self, Expiration, LifecycleConfig, When};
use crate::model::record;

pub(crate) const OBJECT: u8 = b'o';
pub(crate) const UPLOAD: u8 = b'u';
pub(crate) const SWEEP_OBJECTS: u8 = b'b';
pub(crate) const SWEEP_UPLOADS: u8 = b'c';
pub(crate) const FORGET_COMPLETED: u8 = b'd';

pub(crate) fn queue_key(due_ms: i64, kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + payload.len());
    k.extend_from_slice(&(due_ms.max(0) as u64).to_be_bytes());
    k.push(kind);
    k.extend_from_slice(payload);
    k
}

/// A queue entry taken apart: due time, kind and payload.
pub(crate) fn parse_queue_key(k: &[u8]) -> Option<(i64, u8, &[u8])> {
    let due = u64::from_be_bytes(k.get(..8)?.try_into().ok()?) as i64;
    Some((due, *k.get(8)?, &k[9..]))
}

/// A payload taken apart: the bucket, and the rest after its 0x00.
pub(crate) fn split_bucket(payload: &[u8]) -> Option<(BucketName, &[u8])> {
    let end = payload.iter().position(|&b| b == 0).unwrap_or(payload.len());
    let bucket = BucketName::parse(std::str::from_utf8(&payload[..end]).ok()?).ok()?;
    Some((bucket, payload.get(end + 1..).unwrap_or_default()))
}

/// The bucket and key an `o` hint names.
pub(crate) fn object_of(payload: &[u8]) -> Option<(BucketName, ObjectKey)> {
    let (bucket, rest) = split_bucket(payload)?;
    Some((bucket, ObjectKey::parse(std::str::from_utf8(rest).ok()?).ok()?))
}

/// Records a hint inside a write's transaction.
pub(crate) fn enqueue(tx: &mut dyn Txn, due_ms: i64, kind: u8, payload: &[u8]) -> TxResult<()> {
    tx.insert(Keyspace::LifecycleQueue, &queue_key(due_ms, kind, payload), &[])?;
    Ok(())
}

#[derive(Clone)]
pub(crate) struct Schedule {
    meta: Meta,
    day_ms: i64,
}

impl Schedule {
    pub(crate) fn new(meta: Meta, day_ms: i64) -> Schedule {
        Schedule { meta, day_ms: day_ms.max(1) }
    }

    pub(crate) fn day_ms(&self) -> i64 {
        self.day_ms
    }

    pub(crate) fn config(&self, bucket: &BucketName) -> Result<Option<LifecycleConfig>> {
        self.meta.get_record(Keyspace::Lifecycles, bucket.as_str())
    }

    /// Stores (or with None removes) the configuration. New rules may make anything in the bucket
    /// due, so the same transaction queues a sweep of its keys and uploads.
    pub(crate) fn set_config(&self, bucket: &BucketName, config: Option<&LifecycleConfig>) -> Result<()> {
        let now = self.meta.now_ms();
        let b = bucket.as_str().as_bytes();
        let encoded = config.map(record::encode);
        self.meta.transaction(|tx| {
            if tx.get(Keyspace::Buckets, b)?.is_none() {
                return Err(EngineError::NoSuchBucket.into());
            }
            match &encoded {
                Some(c) => {
                    tx.insert(Keyspace::Lifecycles, b, c)?;
                    enqueue(tx, now, SWEEP_OBJECTS, b)?;
                    enqueue(tx, now, SWEEP_UPLOADS, b)?;
                }
                None => {
                    tx.remove(Keyspace::Lifecycles, b)?;
                }
            }
            Ok(())
        })?;
        self.meta.sync()
    }

    /// When to look at `key` after a new version of it (a PUT, copy or completed upload): the
    /// earliest any rule could act because of it. None when no rule could.
    pub(crate) fn after_put(&self, config: &LifecycleConfig, key: &str, now_ms: i64) -> Option<i64> {
        let days = |d: u32| lifecycle::next_midnight(now_ms + d as i64 * self.day_ms, self.day_ms);
        config
            .rules
            .iter()
            .filter(|r| r.enabled && key.starts_with(r.filter.prefix()))
            .flat_map(|r| {
                let current = match &r.expiration {
                    Some(Expiration::At(When::Days(d))) => Some(days(*d)),
                    Some(Expiration::At(When::Date(ms))) => Some(*ms),
                    _ => None,
                };
                // The version this one made noncurrent.
                let noncurrent = r.noncurrent_expiration.as_ref().map(|nc| days(nc.days));
                let transitions = r.transitions.iter().map(|t| match t.when {
                    When::Days(d) => days(d),
                    When::Date(ms) => ms,
                });
                let noncurrent_transitions = r.noncurrent_transitions.iter().map(|t| days(t.days));
                current
                    .into_iter()
                    .chain(noncurrent)
                    .chain(transitions)
                    .chain(noncurrent_transitions)
                    .collect::<Vec<_>>()
            })
            .min()
    }

    /// When to look at `key` after any other change to it (a delete, a delete marker, new tags):
    /// at once, if any rule could apply to it; the worker then works out the real time.
    pub(crate) fn after_change(&self, config: &LifecycleConfig, key: &str, now_ms: i64) -> Option<i64> {
        config.rules.iter().any(|r| r.enabled && key.starts_with(r.filter.prefix())).then_some(now_ms)
    }

    /// When a new upload of `key` is to be aborted, if a rule says so.
    pub(crate) fn abort_date<'c>(
        &self,
        config: &'c LifecycleConfig,
        key: &str,
        initiated_ms: i64,
    ) -> Option<(i64, &'c str)> {
        lifecycle::abort_date(&config.rules, key, initiated_ms, self.day_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::keys;

    #[test]
    fn queue_keys_sort_by_due_time_and_come_apart() {
        let a = queue_key(1_000, OBJECT, &keys::object_key("b", "k"));
        let b = queue_key(999, UPLOAD, b"zzz");
        assert!(b < a, "earlier due sorts first whatever the kind");
        assert_eq!(parse_queue_key(&a), Some((1_000, OBJECT, keys::object_key("b", "k").as_slice())));
        assert_eq!(parse_queue_key(b"short"), None);
    }
}
