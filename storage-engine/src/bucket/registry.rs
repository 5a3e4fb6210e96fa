//! Buckets: creation (first come, first served), lookup, versioning state and removal of an empty
//! bucket together with its settings.

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::BucketName;
use crate::meta::{abort, Keyspace, Meta};
use crate::model::acl::Acl;
use crate::model::bucket_settings::AccessSettings;
use crate::model::record::{self, BucketRecord, Versioning};

#[derive(Clone)]
pub(crate) struct Buckets {
    meta: Meta,
}

impl Buckets {
    pub(crate) fn new(meta: Meta) -> Buckets {
        Buckets { meta }
    }

    /// Creates the bucket with its first ACL and access settings in one transaction, so a crash
    /// never leaves a bucket without the settings its creator asked for.
    pub(crate) fn create(
        &self,
        name: &BucketName,
        owner: &str,
        region: &str,
        acl: Option<&Acl>,
        access: &AccessSettings,
    ) -> Result<BucketRecord> {
        // Object Lock comes with versioning, for good.
        let versioning = if access.object_lock.is_some() { Versioning::Enabled } else { Versioning::Unversioned };
        let rec = BucketRecord {
            name: name.to_string(),
            owner: owner.to_owned(),
            region: region.to_owned(),
            created_ms: self.meta.now_ms(),
            versioning,
        };
        let encoded = record::encode(&rec);
        let acl = acl.map(|a| (keys::acl_bucket_key(name.as_str()), record::encode(a)));
        let access = (access != &AccessSettings::default()).then(|| record::encode(access));
        self.meta.transaction(|tx| {
            if let Some(existing) = tx.get_record::<BucketRecord>(Keyspace::Buckets, name.as_str().as_bytes())? {
                return abort(if existing.owner == owner {
                    EngineError::BucketAlreadyOwnedByYou
                } else {
                    EngineError::BucketAlreadyExists
                });
            }
            tx.insert(Keyspace::Buckets, name.as_str().as_bytes(), &encoded)?;
            if let Some((key, acl)) = &acl {
                tx.insert(Keyspace::Acls, key, acl)?;
            }
            if let Some(access) = &access {
                tx.insert(Keyspace::BucketAccess, name.as_str().as_bytes(), access)?;
            }
            Ok(())
        })?;
        self.meta.sync()?;
        Ok(rec)
    }

    /// Turns Object Lock on (or changes its default retention): the bucket must have versioning
    /// enabled, checked in the same transaction that a suspension of versioning checks the lock in.
    pub(crate) fn set_object_lock(
        &self,
        name: &BucketName,
        config: crate::model::object_lock::ObjectLockConfig,
    ) -> Result<()> {
        let b = name.as_str().as_bytes();
        self.meta.transaction(|tx| {
            let Some(rec) = tx.get_record::<BucketRecord>(Keyspace::Buckets, b)? else {
                return abort(EngineError::NoSuchBucket);
            };
            if rec.versioning != Versioning::Enabled {
                return abort(EngineError::InvalidBucketState);
            }
            let mut settings: AccessSettings = tx.get_record(Keyspace::BucketAccess, b)?.unwrap_or_default();
            settings.object_lock = Some(config);
            tx.insert(Keyspace::BucketAccess, b, &record::encode(&settings))?;
            Ok(())
        })?;
        self.meta.sync()
    }

    /// The bucket's policy, Block Public Access and ownership settings (all unset by default).
    pub(crate) fn access(&self, name: &BucketName) -> Result<AccessSettings> {
        Ok(self.meta.get_record(Keyspace::BucketAccess, name.as_str())?.unwrap_or_default())
    }

    /// Changes the bucket's access settings with `change`, which sees the current ones and may
    /// refuse; NoSuchBucket if the bucket is gone.
    pub(crate) fn update_access<E>(
        &self,
        name: &BucketName,
        change: impl Fn(&mut AccessSettings) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        let b = name.as_str().as_bytes();
        let mut refused = None;
        self.meta.transaction(|tx| {
            if tx.get(Keyspace::Buckets, b)?.is_none() {
                return abort(EngineError::NoSuchBucket);
            }
            let mut settings: AccessSettings = tx.get_record(Keyspace::BucketAccess, b)?.unwrap_or_default();
            refused = change(&mut settings).err();
            if refused.is_some() {
                return Ok(());
            }
            if settings == AccessSettings::default() {
                tx.remove(Keyspace::BucketAccess, b)?;
                tx.remove(Keyspace::Cors, b)?;
                tx.remove(Keyspace::BucketTags, b)?;
            } else {
                tx.insert(Keyspace::BucketAccess, b, &record::encode(&settings))?;
            }
            Ok(())
        })?;
        match refused {
            Some(e) => Ok(Err(e)),
            None => self.meta.sync().map(Ok),
        }
    }

    pub(crate) fn get(&self, name: &BucketName) -> Result<BucketRecord> {
        self.meta.get_record(Keyspace::Buckets, name.as_str())?.ok_or(EngineError::NoSuchBucket)
    }

    pub(crate) fn list(&self) -> Result<Vec<BucketRecord>> {
        self.meta.iter(Keyspace::Buckets).map(|item| record::decode(&item?.1)).collect()
    }

    pub(crate) fn count(&self) -> usize {
        self.meta.len(Keyspace::Buckets).unwrap_or(0)
    }

    /// Enables or suspends versioning. A bucket cannot return to unversioned.
    pub(crate) fn set_versioning(&self, name: &BucketName, state: Versioning) -> Result<()> {
        if state == Versioning::Unversioned {
            return Err(EngineError::Corrupt("a bucket cannot return to unversioned".into()));
        }
        self.meta.transaction(|tx| {
            let Some(mut rec) = tx.get_record::<BucketRecord>(Keyspace::Buckets, name.as_str().as_bytes())? else {
                return abort(EngineError::NoSuchBucket);
            };
            let access: Option<AccessSettings> = tx.get_record(Keyspace::BucketAccess, name.as_str().as_bytes())?;
            if state == Versioning::Suspended && access.is_some_and(|a| a.object_lock.is_some()) {
                return abort(EngineError::InvalidBucketState);
            }
            rec.versioning = state;
            tx.insert(Keyspace::Buckets, name.as_str().as_bytes(), &record::encode(&rec))?;
            Ok(())
        })?;
        self.meta.sync()
    }

    /// Removes an empty bucket with its settings: a bucket made again later starts afresh. (Its
    /// lifecycle hints stay and find nothing to do.)
    pub(crate) fn delete(&self, name: &BucketName) -> Result<()> {
        self.get(name)?;
        let prefix = keys::bucket_prefix(name.as_str());
        // Any version or delete marker keeps a bucket non-empty, as do uploads in progress.
        let used = |ks| self.meta.scan_prefix(ks, &prefix).next().transpose().map(|e| e.is_some());
        if used(Keyspace::Versions)? || used(Keyspace::Uploads)? {
            return Err(EngineError::BucketNotEmpty);
        }
        let b = name.as_str().as_bytes();
        let acl_key = keys::acl_bucket_key(name.as_str());
        self.meta.transaction(|tx| {
            tx.remove(Keyspace::Buckets, b)?;
            tx.remove(Keyspace::Quotas, b)?;
            tx.remove(Keyspace::Acls, &acl_key)?;
            tx.remove(Keyspace::Websites, b)?;
            tx.remove(Keyspace::BucketAccess, b)?;
            tx.remove(Keyspace::Cors, b)?;
            tx.remove(Keyspace::BucketTags, b)?;
            tx.remove(Keyspace::Lifecycles, b)?;
            tx.remove(Keyspace::LifecycleStats, b)?;
            Ok(())
        })?;
        self.meta.sync()
    }

    /// True when the metadata store answers; for readiness checks.
    pub(crate) fn ready(&self) -> bool {
        self.meta.iter(Keyspace::Buckets).next().transpose().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use crate::model::acl::Acl;
    use crate::model::bucket_settings::{AccessSettings, ObjectOwnership, PublicAccessBlock};
    use crate::{BucketName, Engine, EngineConfig, EngineError};

    #[test]
    fn access_settings_are_made_with_the_bucket_kept_and_removed_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let b = BucketName::parse("shared").unwrap();
        let first = AccessSettings {
            ownership: Some(ObjectOwnership::BucketOwnerEnforced),
            public_access_block: Some(PublicAccessBlock::ALL),
            ..Default::default()
        };
        {
            let e = Engine::open(&EngineConfig::new(dir.path())).unwrap();
            let public = Acl::canned("public-read", "me", "me").unwrap();
            let rec = e.create_bucket_with(&b, "me", "r", Some(&public), &first).unwrap();
            assert_eq!(e.bucket_access(&b).unwrap(), first);
            assert_eq!(e.bucket_acl(&rec).unwrap(), public, "the ACL came in the same commit");

            // A refusal changes nothing; an accepted change is whole.
            let refused = e
                .update_bucket_access(&b, |s| {
                    s.policy = Some("{}".into());
                    Err("no")
                })
                .unwrap();
            assert_eq!(refused, Err("no"));
            assert_eq!(e.bucket_access(&b).unwrap(), first);
            e.update_bucket_access(&b, |s| {
                s.policy = Some("{\"Statement\": []}".into());
                s.public_access_block = None;
                Ok::<(), ()>(())
            })
            .unwrap()
            .unwrap();
            let missing = BucketName::parse("missing").unwrap();
            assert!(matches!(e.update_bucket_access(&missing, |_| Ok::<(), ()>(())), Err(EngineError::NoSuchBucket)));
        }
        let e = Engine::open(&EngineConfig::new(dir.path())).unwrap();
        let kept = e.bucket_access(&b).unwrap();
        assert_eq!(kept.policy.as_deref(), Some("{\"Statement\": []}"));
        assert_eq!((kept.ownership, kept.public_access_block), (Some(ObjectOwnership::BucketOwnerEnforced), None));
        e.delete_bucket(&b).unwrap();
        e.create_bucket(&b, "other", "r").unwrap();
        assert_eq!(e.bucket_access(&b).unwrap(), AccessSettings::default(), "a bucket made again starts afresh");
    }
}
