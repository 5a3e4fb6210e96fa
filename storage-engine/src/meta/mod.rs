//! The metadata store: what the engine needs from a database, and nothing more. Named ordered
//! keyspaces of byte keys and values; point reads; range scans both ways; atomic transactions over
//! several keyspaces; a durable flush shared by concurrent writers (group commit); ids; and leases,
//! so that a background worker's unit of work is taken by one process at a time.
//!
//! Backends implement [`MetaStore`]: `sled` (the default, on disk), `memory` (tests, and the
//! model the others are checked against) and `postgres` (several gateways on one namespace). The engine talks only to [`Meta`], a cheap handle that
//! adds the generic conveniences and the group commit on top of whichever backend it holds.

mod backend;
mod batch;
mod group;
mod handle;
mod keyspace;
mod lease;
mod memory;
mod pg_pool;
mod postgres;
mod sled_store;
mod store;
#[cfg(test)]
mod suite;

pub use self::memory::MemoryStore;
pub use self::postgres::PgStore;
pub(crate) use backend::open;
pub use backend::Backend;
pub(crate) use handle::Meta;
pub use keyspace::Keyspace;
pub use lease::Lease;
pub use sled_store::SledStore;
pub use store::{abort, Entry, MetaStore, Scan, TxError, TxResult, Txn};
pub(crate) use store::{batched_scan, Remaining};
