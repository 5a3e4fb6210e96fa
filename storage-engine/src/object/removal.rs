//! Destroying a version: the one place it happens, and so the one place Object Lock is enforced.

use crate::base::error::EngineError;
use crate::base::keys;
use crate::blob::archive::ArchiveRef;
use crate::blob::archive_ledger::count_archived;
use crate::blob::gc::drop_blob;
use crate::meta::{abort, Keyspace, TxResult, Txn};
use crate::model::object_lock::VersionLock;
use crate::model::record::{ObjectRecord, RestoreRecord};

/// What a removal may override: when it happens, and whether GOVERNANCE retention is bypassed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Removal {
    pub now_ms: i64,
    pub bypass_governance: bool,
}

/// Forgets what hangs on a removed version, in its transaction: its ACL and lock, and its blobs,
/// which are queued for deletion after the commit. The one place versions are destroyed, so the
/// one place Object Lock is enforced: a locked version aborts the transaction.
pub(crate) fn release_version(tx: &mut dyn Txn, bucket: &str, rec: &ObjectRecord, removal: Removal) -> TxResult<()> {
    let vkey = keys::version_key(bucket, &rec.key, rec.seq);
    let vlock_key = keys::acl_version_key(&vkey);
    if let Some(lock) = tx.get_record::<VersionLock>(Keyspace::Locks, &vlock_key)? {
        if let Err(why) = lock.may_delete(removal.now_ms, removal.bypass_governance) {
            return abort(EngineError::ObjectLocked(why));
        }
        tx.remove(Keyspace::Locks, &vlock_key)?;
    }
    for id in rec.blob_ids() {
        drop_blob(tx, id)?;
    }
    tx.remove(Keyspace::Acls, &keys::acl_version_key(&vkey))?;
    // An archived version's bytes become dead space in their segment; a restore goes with it.
    if let Some(a) = tx.remove_record::<ArchiveRef>(Keyspace::Archived, &vkey)? {
        count_archived(tx, &a, -1)?;
    }
    if let Some(r) = tx.remove_record::<RestoreRecord>(Keyspace::Restores, &vkey)? {
        for e in &r.extents {
            drop_blob(tx, e.blob)?;
        }
    }
    Ok(())
}
