//! ACLs in the metadata store, apart from the records they govern, so records keep their format:
//! `b` bucket → the bucket's ACL, `o` version key → a version's, `u` upload key → the ACL the
//! completed object will get. No entry means the canned `private`: the owner has FULL_CONTROL.
//! A version's and an upload's ACL are written and removed in the transaction that writes or
//! removes them (`object::removal`, `object::multipart`).

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::BucketName;
use crate::bucket::registry::Buckets;
use crate::meta::{abort, Keyspace, Meta};
use crate::model::acl::Acl;
use crate::model::record::{self, BucketRecord, ObjectRecord};

#[derive(Clone)]
pub(crate) struct Acls {
    meta: Meta,
    buckets: Buckets,
}

impl Acls {
    pub(crate) fn new(meta: Meta, buckets: Buckets) -> Acls {
        Acls { meta, buckets }
    }

    /// The bucket's ACL (`private` to its owner unless set otherwise).
    pub(crate) fn bucket(&self, bucket: &BucketRecord) -> Result<Acl> {
        let stored = self.meta.get_record(Keyspace::Acls, keys::acl_bucket_key(&bucket.name))?;
        Ok(stored.unwrap_or_else(|| Acl::private(&bucket.owner)))
    }

    pub(crate) fn set_bucket(&self, bucket: &BucketName, acl: &Acl) -> Result<()> {
        self.buckets.get(bucket)?;
        self.meta.insert(Keyspace::Acls, keys::acl_bucket_key(bucket.as_str()), record::encode(acl))?;
        self.meta.sync()
    }

    /// One version's ACL (`private` to its writer unless set otherwise).
    pub(crate) fn version(&self, bucket: &BucketName, rec: &ObjectRecord) -> Result<Acl> {
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        let stored = self.meta.get_record(Keyspace::Acls, keys::acl_version_key(&vkey))?;
        Ok(stored.unwrap_or_else(|| Acl::private(&rec.meta.owner)))
    }

    /// Replaces one version's ACL; NoSuchVersion if the version went away meanwhile.
    pub(crate) fn set_version(&self, bucket: &BucketName, rec: &ObjectRecord, acl: &Acl) -> Result<()> {
        let vkey = keys::version_key(bucket.as_str(), &rec.key, rec.seq);
        let encoded = record::encode(acl);
        self.meta.transaction(|tx| {
            if tx.get(Keyspace::Versions, &vkey)?.is_none() {
                return abort(EngineError::NoSuchVersion);
            }
            tx.insert(Keyspace::Acls, &keys::acl_version_key(&vkey), &encoded)?;
            Ok(())
        })?;
        self.meta.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acls_are_stored_with_versions_and_uploads_and_go_with_them() {
        use crate::{Engine, EngineConfig, ObjectKey, ObjectMeta, WriteCondition};
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(&EngineConfig::new(dir.path())).unwrap();
        let b = BucketName::parse("bkt").unwrap();
        let brec = e.create_bucket(&b, "me", "r").unwrap();
        assert_eq!(e.bucket_acl(&brec).unwrap(), Acl::private("me"));
        let public = Acl::canned("public-read", "me", "me").unwrap();
        e.set_bucket_acl(&b, &public).unwrap();
        assert_eq!(e.bucket_acl(&brec).unwrap(), public);

        let k = ObjectKey::parse("k").unwrap();
        let put = |acl: Option<Acl>| {
            let mut w = e.new_blob().unwrap();
            w.write(b"data").unwrap();
            let meta = ObjectMeta { owner: "me".into(), acl, ..Default::default() };
            e.put_object(&b, &k, w.finish().unwrap(), meta, None, &WriteCondition::default()).unwrap()
        };
        let v1 = put(Some(public.clone()));
        assert_eq!(v1.meta.acl, None, "the record does not carry it");
        assert_eq!(e.version_acl(&b, &v1).unwrap(), public);
        assert_eq!(e.acl_count(), 2);
        let v2 = put(None);
        assert_eq!(e.version_acl(&b, &v2).unwrap(), Acl::private("me"));
        assert_eq!(e.acl_count(), 1, "the overwritten version's ACL went with it");
        e.set_version_acl(&b, &v2, &public).unwrap();
        assert!(matches!(e.set_version_acl(&b, &v1, &public), Err(EngineError::NoSuchVersion)));

        let up = e
            .create_upload(
                &b,
                &k,
                ObjectMeta { owner: "me".into(), acl: Some(public.clone()), ..Default::default() },
                None,
            )
            .unwrap();
        let done = e.complete_upload(&b, &k, &up, &[], None, &WriteCondition::default()).unwrap();
        assert_eq!(e.version_acl(&b, &done).unwrap(), public, "the upload's ACL passes to the object");
        let up2 =
            e.create_upload(&b, &k, ObjectMeta { acl: Some(public.clone()), ..Default::default() }, None).unwrap();
        e.abort_upload(&b, &k, &up2.upload_id).unwrap();
        assert_eq!(e.acl_count(), 2, "the bucket's and the completed object's");
        e.delete_object(&b, &k, None, "me").unwrap();
        assert_eq!(e.acl_count(), 1, "only the bucket's ACL is left");
        drop(e);
        let e = Engine::open(&EngineConfig::new(dir.path())).unwrap();
        assert_eq!(e.acl_count(), 1);
    }
}
