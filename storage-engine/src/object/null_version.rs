//! The key's "null" version (unversioned and suspended buckets): where it is, and replacing it.

use super::removal::{release_version, Removal};
use crate::base::keys;
use crate::meta::{Keyspace, TxResult, Txn};
use crate::model::record::ObjectRecord;

/// Where a key's null version is: the current record (in `objects`) when that is a null version,
/// otherwise the version `nulls` points at. A current null version needs no `nulls` entry, which
/// spares an unversioned bucket one metadata entry per object; only a null delete marker, or a null
/// version with newer versions above it, is pointed at. (Entries written for current null versions
/// by earlier builds stay valid and go at the key's next write.)
pub(crate) fn null_seq(pointed: Option<&[u8]>, current: Option<&ObjectRecord>) -> Option<u64> {
    match pointed {
        Some(p) => Some(u64::from_be_bytes(p.try_into().unwrap_or_default())),
        None => current.filter(|c| c.version_id == "null").map(|c| c.seq),
    }
}

/// Replaces the key's null version, removing the old one with its blobs and ACL; `current` is what
/// `objects` held before this commit. `marker` is the seq of a new null version that will not be
/// the current record (a null delete marker); a new current one, or none, needs no pointer.
/// Returns the old version.
pub(crate) fn replace_null(
    tx: &mut dyn Txn,
    bucket: &str,
    key: &str,
    marker: Option<u64>,
    current: Option<&ObjectRecord>,
    removal: Removal,
) -> TxResult<Option<ObjectRecord>> {
    let okey = keys::object_key(bucket, key);
    let pointed = match marker {
        Some(seq) => tx.swap(Keyspace::Nulls, &okey, &seq.to_be_bytes())?,
        None => tx.take(Keyspace::Nulls, &okey)?,
    };
    let Some(prev_seq) = null_seq(pointed.as_deref(), current) else { return Ok(None) };
    let Some(old) = tx.remove_record::<ObjectRecord>(Keyspace::Versions, &keys::version_key(bucket, key, prev_seq))?
    else {
        return Ok(None);
    };
    release_version(tx, bucket, &old, removal)?;
    Ok(Some(old))
}

/// A current null version about to gain a newer version above it must now be pointed at.
pub(crate) fn keep_null_below(tx: &mut dyn Txn, okey: &[u8], current: Option<&ObjectRecord>) -> TxResult<()> {
    if let Some(seq) = null_seq(None, current) {
        tx.insert(Keyspace::Nulls, okey, &seq.to_be_bytes())?;
    }
    Ok(())
}
