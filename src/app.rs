//! What every request shares: the engine, the configuration, the users and the metrics, and the
//! one access decision. The pipeline (`pipeline.rs`) and the handlers both stand on it.

use crate::config::Config;
use crate::error::{Code, S3Error, S3Result};
use crate::metrics::Metrics;
use crate::router::Permission;
use crate::users::{User, Users};
use firn_storage::acl::Permission as AclPermission;
use firn_storage::{BucketName, BucketRecord, Engine};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct App {
    pub engine: Engine,
    pub config: Config,
    pub users: Users,
    pub metrics: Metrics,
    request_seq: AtomicU64,
    /// Random per process, so request ids differ across restarts.
    instance: u32,
}

impl App {
    pub fn new(engine: Engine, config: Config, users: Users) -> App {
        App {
            engine,
            config,
            users,
            metrics: Metrics::default(),
            request_seq: AtomicU64::new(0),
            instance: rand::random(),
        }
    }

    pub(crate) fn next_request_id(&self) -> String {
        format!("{:08X}{:08X}", self.instance, self.request_seq.fetch_add(1, Ordering::Relaxed))
    }

    /// The one access decision for a bucket: its owner for configuration, its ACL for the rest.
    /// Object rights are decided when the version is loaded (`Ctx::load_object`); here the bucket
    /// only has to exist. Returns the bucket's record when the operation works on a bucket.
    pub(crate) fn check_access(
        &self,
        user: Option<&User>,
        bucket: &BucketName,
        perm: Permission,
    ) -> S3Result<Option<BucketRecord>> {
        let who = user.map(|u| u.canonical_id.as_str());
        if perm == Permission::Authenticated {
            return if who.is_some() { Ok(None) } else { Err(S3Error::new(Code::AccessDenied)) };
        }
        let rec = self.engine.bucket(bucket)?;
        // Anonymous requests may read what an ACL makes public, never write: every write has an
        // owner (a deliberate difference: S3 lets AllUsers WRITE through).
        let writes = matches!(perm, Permission::Bucket(p) | Permission::Object(p) if !matches!(p, AclPermission::Read | AclPermission::ReadAcp));
        if who.is_none() && (writes || perm == Permission::Owner) {
            return Err(S3Error::new(Code::AccessDenied));
        }
        let allowed = match perm {
            Permission::Owner => who == Some(rec.owner.as_str()),
            Permission::Bucket(p) => self.engine.bucket_acl(&rec)?.allows(who, p),
            Permission::Object(_) | Permission::InForm | Permission::Public => true,
            Permission::Authenticated | Permission::Admin => false,
        };
        if allowed {
            Ok(Some(rec))
        } else {
            Err(S3Error::new(Code::AccessDenied))
        }
    }
}
