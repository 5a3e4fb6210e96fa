//! A bucket's static-website configuration, as S3's `WebsiteConfiguration` defines it. Stored per
//! bucket in the `Websites` keyspace (`bucket::documents`); the daemon parses and renders the XML and
//! serves the endpoint.

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
