//! Which backend holds the metadata, and opening it.

use super::{MemoryStore, MetaStore, PgStore, SledStore};
use crate::base::error::{EngineError, Result};
use std::sync::Arc;

/// Which backend holds the metadata (`metadata.backend`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Sled,
    /// Nothing survives a restart: for tests and trying things out.
    Memory,
    /// PostgreSQL at `metadata.url`: several gateways on one namespace.
    Postgres,
}

impl Backend {
    pub fn parse(s: &str) -> Option<Backend> {
        match s {
            "sled" => Some(Backend::Sled),
            "memory" => Some(Backend::Memory),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

/// Opens the chosen backend. `path` is where a backend on disk keeps its files; `pg` is where
/// PostgreSQL is, and the CA file its certificate is checked against.
pub(crate) fn open(
    backend: Backend,
    path: &std::path::Path,
    cache_bytes: u64,
    pg: (Option<&str>, Option<&std::path::Path>),
) -> Result<Arc<dyn MetaStore>> {
    Ok(match backend {
        Backend::Sled => Arc::new(SledStore::open(path, cache_bytes)?),
        Backend::Memory => Arc::new(MemoryStore::default()),
        Backend::Postgres => {
            let url = pg.0.ok_or_else(|| EngineError::Meta("metadata.backend postgres needs metadata.url".into()))?;
            Arc::new(PgStore::open(url, pg.1)?)
        }
    })
}
