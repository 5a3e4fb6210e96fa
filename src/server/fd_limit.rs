//! The open-file limit: set from `limits.max_open_files` at start-up, and the connection cap kept
//! below what it allows, so a busy server queues connections in the backlog instead of failing
//! requests with "too many open files".

use crate::app::config::Limits;

/// Descriptors the process needs whatever the load: stdio, the listener, the runtime's epoll and
/// wakers, and the metadata store's files.
const RESERVED: u64 = 64;
/// Descriptors one connection may hold at once: its socket, and during UploadPartCopy a source
/// blob, the part being written and its directory (for the fsync).
const PER_CONNECTION: u64 = 4;

/// Sets the soft RLIMIT_NOFILE to `max_open_files` (at most the hard limit) and lowers
/// `max_connections` if the limit cannot serve that many. Returns the limit in force.
pub fn apply(limits: &mut Limits) -> Result<u64, String> {
    let (_, hard) =
        rlimit::getrlimit(rlimit::Resource::NOFILE).map_err(|e| format!("reading the open-file limit: {e}"))?;
    let want = limits.max_open_files.min(hard);
    if want < limits.max_open_files {
        tracing::warn!(
            configured = limits.max_open_files,
            hard,
            "max_open_files is above the hard limit; using the hard limit"
        );
    }
    if want < RESERVED + PER_CONNECTION {
        return Err(format!("max_open_files must be at least {}", RESERVED + PER_CONNECTION));
    }
    rlimit::setrlimit(rlimit::Resource::NOFILE, want, hard).map_err(|e| format!("setting the open-file limit: {e}"))?;
    let fits = ((want - RESERVED) / PER_CONNECTION) as usize;
    if fits < limits.max_connections {
        tracing::warn!(
            max_open_files = want,
            configured = limits.max_connections,
            serving = fits,
            "max_connections lowered to what the open-file limit allows"
        );
        limits.max_connections = fits;
    }
    Ok(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_a_limit_is_refused() {
        let mut l = Limits { max_open_files: 10, ..Limits::default() };
        assert!(apply(&mut l).is_err());
    }
}
