//! A bucket's static-website configuration, as S3's `WebsiteConfiguration` defines it. Stored per
//! bucket in the `Websites` keyspace; the daemon parses and renders the XML and serves the endpoint.

use crate::buckets::Buckets;
use crate::error::Result;
use crate::meta::{Keyspace, Meta};
use crate::names::BucketName;
use crate::record;
use serde::{Deserialize, Serialize};

/// Where a redirect goes. Fields left None keep the request's own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub host_name: Option<String>,
    /// `http` or `https`.
    pub protocol: Option<String>,
    pub replace_key_prefix_with: Option<String>,
    pub replace_key_with: Option<String>,
    /// 3xx status; 301 when None.
    pub http_redirect_code: Option<u16>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    pub key_prefix_equals: Option<String>,
    pub http_error_code_returned_equals: Option<u16>,
    pub redirect: Redirect,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteConfig {
    /// `IndexDocument/Suffix`: appended to requests for `dir/`.
    pub index_suffix: Option<String>,
    /// `ErrorDocument/Key`: served, with the error's status, when a request fails.
    pub error_key: Option<String>,
    /// `RedirectAllRequestsTo`: every request goes elsewhere (only host and protocol apply).
    pub redirect_all: Option<Redirect>,
    pub routing_rules: Vec<RoutingRule>,
}

#[derive(Clone)]
pub(crate) struct Websites {
    meta: Meta,
    buckets: Buckets,
}

impl Websites {
    pub(crate) fn new(meta: Meta, buckets: Buckets) -> Websites {
        Websites { meta, buckets }
    }

    pub(crate) fn get(&self, bucket: &BucketName) -> Result<Option<WebsiteConfig>> {
        self.meta.get_record(Keyspace::Websites, bucket.as_str())
    }

    /// Sets the bucket's website configuration, or with None removes it.
    pub(crate) fn set(&self, bucket: &BucketName, config: Option<&WebsiteConfig>) -> Result<()> {
        self.buckets.get(bucket)?;
        match config {
            Some(c) => self.meta.insert(Keyspace::Websites, bucket.as_str(), record::encode(c))?,
            None => self.meta.remove(Keyspace::Websites, bucket.as_str())?,
        };
        self.meta.sync()
    }
}
