//! Who this process is when it holds a lease on background work.

use crate::base::error::Result;

/// This node's name as a lease holder: kept in the data directory, so a node that restarts after a
/// crash takes its own leases back at once instead of waiting for them to run out.
pub(super) fn node_id(data_dir: &std::path::Path) -> Result<String> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => {
            let id = uuid::Uuid::new_v4().to_string();
            let tmp = data_dir.join("node-id.tmp");
            std::fs::write(&tmp, &id)?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            Ok(id)
        }
    }
}

/// A gateway's name as a lease holder when several share the data directory (and so could not
/// each keep a name in it): its own for this run, so a restarted gateway waits for its old leases
/// to run out like any other.
pub(super) fn process_id() -> String {
    format!("gw-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple())
}
