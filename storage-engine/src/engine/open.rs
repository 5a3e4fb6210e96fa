//! Opening the engine: the stores, start-up recovery, and the capabilities wired to them.

use super::holder::{node_id, process_id};
use super::{Engine, EngineConfig};
use crate::base::error::Result;
use crate::blob::archive::{ArchiveOptions, ArchiveStore};
use crate::blob::gc::Gc;
use crate::blob::hot::HotTier;
use crate::bucket::documents::BucketDocs;
use crate::bucket::registry::Buckets;
use crate::bucket::schedule::Schedule;
use crate::bucket::usage::Usage;
use crate::identity::acls::Acls;
use crate::identity::users::UserDirectory;
use crate::meta::{self, Keyspace, Meta};
use crate::object::list::Listing;
use crate::object::multipart::Uploads;
use crate::object::objects::Objects;
use crate::object::versions::Versions;
use crate::tiering::notifications::Notifications;
use crate::tiering::restore::Restores;
use crate::tiering::worker::LifecycleWorker;

impl Engine {
    /// Opens (or creates) the data directory and runs start-up recovery: unfinished uploads and
    /// blobs that no record refers to are removed.
    pub fn open(cfg: &EngineConfig) -> Result<Engine> {
        std::fs::create_dir_all(&cfg.data_dir)?;
        let pg = (cfg.metadata_url.as_deref(), cfg.metadata_ca_file.as_deref());
        let store = meta::open(cfg.backend, &cfg.data_dir.join("meta"), cfg.cache_bytes, pg)?;
        let meta = Meta::with_clock(store, cfg.clock.clone());
        // Several gateways share the data directory when they share the metadata.
        let shared = meta.shared();
        let hot = HotTier::open(&cfg.data_dir.join("hot"), shared.then_some(cfg.settle))?;
        let archive_root = cfg.archive_dir.clone().unwrap_or_else(|| cfg.data_dir.join("archive"));
        let options = ArchiveOptions { level: cfg.archive_level, shared, settle: cfg.settle, ..Default::default() };
        let archive = ArchiveStore::open(&archive_root, options)?;
        let gc = Gc::new(meta.clone(), hot.clone());
        gc.make_durable_and_collect()?;
        let orphans = gc.sweep_orphans()?;
        if orphans > 0 {
            tracing::info!(orphans, "removed blobs no metadata refers to");
        }
        let usage = Usage::count(meta.clone())?;
        let buckets = Buckets::new(meta.clone());
        let versions = Versions::new(meta.clone(), buckets.clone());
        let schedule = Schedule::new(meta.clone(), cfg.lifecycle_day_ms);
        let objects = Objects::new(
            (meta.clone(), hot.clone(), archive.clone()),
            buckets.clone(),
            versions.clone(),
            usage.clone(),
            gc.clone(),
            schedule.clone(),
        );
        let uploads = Uploads::new(
            meta.clone(),
            hot.clone(),
            buckets.clone(),
            objects.clone(),
            gc.clone(),
            schedule.clone(),
            cfg.min_part_size,
        );
        let restores = Restores::new(
            meta.clone(),
            hot.clone(),
            archive.clone(),
            schedule.clone(),
            gc.clone(),
            (cfg.archive_time_scale, cfg.notifications),
        );
        let lifecycle =
            LifecycleWorker::new(meta.clone(), schedule.clone(), objects.clone(), uploads.clone(), restores.clone());
        Ok(Engine {
            listing: Listing::new(meta.clone(), buckets.clone()),
            acls: Acls::new(meta.clone(), buckets.clone()),
            websites: BucketDocs::new(meta.clone(), buckets.clone(), Keyspace::Websites),
            cors: BucketDocs::new(meta.clone(), buckets.clone(), Keyspace::Cors),
            bucket_tags: BucketDocs::new(meta.clone(), buckets.clone(), Keyspace::BucketTags),
            users: UserDirectory::new(meta.clone()),
            notifications: Notifications::new(meta.clone()),
            holder: if shared { process_id() } else { node_id(&cfg.data_dir)? },
            meta,
            hot,
            buckets,
            versions,
            objects,
            uploads,
            usage,
            gc,
            schedule,
            lifecycle,
            archive,
            restores,
        })
    }
}
