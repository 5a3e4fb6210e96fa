//! A bucket's CORS configuration, as S3's `CORSConfiguration` defines it: rules that say which
//! web origins may call the bucket from a browser, with which methods and headers. Stored per
//! bucket in the `Cors` keyspace (`bucket::documents`); the daemon parses the XML, answers preflights
//! and adds the headers.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    pub id: Option<String>,
    /// Origins, each with at most one `*` wildcard.
    pub allowed_origins: Vec<String>,
    /// GET, PUT, POST, DELETE, HEAD.
    pub allowed_methods: Vec<String>,
    /// Request headers a preflight may ask for, each with at most one `*` wildcard.
    pub allowed_headers: Vec<String>,
    /// Response headers the browser lets the page read.
    pub expose_headers: Vec<String>,
    pub max_age_secs: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsConfig {
    pub rules: Vec<CorsRule>,
}
