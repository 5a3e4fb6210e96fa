//! Per-bucket configuration documents kept whole under the bucket's name in a keyspace of their
//! own (the website configuration, the CORS rules): read, replaced or removed as one record, and
//! removed with the bucket (`bucket::registry`).

use crate::base::error::Result;
use crate::base::names::BucketName;
use crate::bucket::registry::Buckets;
use crate::meta::{Keyspace, Meta};
use crate::model::record;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::marker::PhantomData;

pub(crate) struct BucketDocs<T> {
    meta: Meta,
    buckets: Buckets,
    keyspace: Keyspace,
    doc: PhantomData<fn() -> T>,
}

impl<T> Clone for BucketDocs<T> {
    fn clone(&self) -> Self {
        BucketDocs { meta: self.meta.clone(), buckets: self.buckets.clone(), keyspace: self.keyspace, doc: PhantomData }
    }
}

impl<T: Serialize + DeserializeOwned> BucketDocs<T> {
    pub(crate) fn new(meta: Meta, buckets: Buckets, keyspace: Keyspace) -> Self {
        BucketDocs { meta, buckets, keyspace, doc: PhantomData }
    }

    pub(crate) fn get(&self, bucket: &BucketName) -> Result<Option<T>> {
        self.meta.get_record(self.keyspace, bucket.as_str())
    }

    /// Sets the bucket's document, or with None removes it; NoSuchBucket if there is no bucket.
    pub(crate) fn set(&self, bucket: &BucketName, doc: Option<&T>) -> Result<()> {
        self.buckets.get(bucket)?;
        match doc {
            Some(d) => self.meta.insert(self.keyspace, bucket.as_str(), record::encode(d))?,
            None => self.meta.remove(self.keyspace, bucket.as_str())?,
        };
        self.meta.sync()
    }
}
