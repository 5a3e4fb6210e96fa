//! How the engine is opened (`EngineConfig`), and what it reports of itself (`Queues`,
//! `EngineStats`).

use crate::base::clock::Clock;
use crate::meta::Backend;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Root of the data directory; metadata and the hot tier live below it.
    pub data_dir: PathBuf,
    /// Where the metadata lives (`metadata.backend`).
    pub backend: Backend,
    /// The metadata store's page cache in bytes.
    pub cache_bytes: u64,
    /// Where PostgreSQL is (`metadata.url`), for `Backend::Postgres`.
    pub metadata_url: Option<String>,
    /// The CA PostgreSQL's certificate is checked against (`metadata.ca_file`; None: the system's).
    pub metadata_ca_file: Option<PathBuf>,
    /// On a data directory several gateways share: how long a file must have been left untouched
    /// before sweeps count it abandoned (`metadata.settle_secs`).
    pub settle: std::time::Duration,
    /// Smallest multipart part except the last (S3: 5 MiB). Lower only for tests and benchmarks.
    pub min_part_size: u64,
    /// The length of one lifecycle day (`lifecycle.day_secs`; AWS: 86,400 s).
    pub lifecycle_day_ms: i64,
    pub clock: Clock,
    /// Root of the archive tier (`archive.dir`); None: `<data_dir>/archive`.
    pub archive_dir: Option<PathBuf>,
    /// Restore delays are divided by this (`archive.time_scale`; AWS's timing: 1).
    pub archive_time_scale: f64,
    /// zstd level of the archive tier.
    pub archive_level: i32,
    /// Queue restore events for delivery (`archive.notify_url` is set).
    pub notifications: bool,
}

impl EngineConfig {
    /// S3's defaults for everything but the data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EngineConfig {
            data_dir: data_dir.into(),
            backend: Backend::Sled,
            cache_bytes: 64 << 20,
            metadata_url: None,
            metadata_ca_file: None,
            settle: crate::blob::hot::SHARED_SETTLE,
            min_part_size: crate::MIN_PART_SIZE,
            lifecycle_day_ms: 86_400_000,
            clock: Clock::System,
            archive_dir: None,
            archive_time_scale: 1.0,
            archive_level: 3,
            notifications: false,
        }
    }
}

/// Work waiting: blobs to delete, multipart uploads not yet completed or aborted, lifecycle hints.
#[derive(Clone, Copy, Debug, Default)]
pub struct Queues {
    pub gc: usize,
    pub uploads: usize,
    /// Lifecycle hints, due or not.
    pub lifecycle: usize,
}

/// What a scrape of the engine shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineStats {
    pub buckets: usize,
    /// Object versions on the hot tier (delete markers excluded) and their bytes.
    pub hot_versions: i64,
    pub hot_bytes: i64,
    /// Blobs waiting to be deleted.
    pub gc_queue: usize,
    /// Object versions in the archive tier and their bytes (before compression).
    pub archive_versions: i64,
    pub archive_bytes: i64,
    /// The archive tier's segment files, their bytes, and the bytes of them live versions take.
    pub archive_segments: usize,
    pub archive_on_disk: u64,
    pub archive_live: u64,
}
