//! Firn: a self-hosted, S3-compatible object store with a Glacier-style archive tier.
//!
//! The daemon: configuration, the HTTP server, routing, authentication, access checks, XML and
//! the S3 operation handlers. Storage lives in the `firn-storage` crate.

pub mod access;
pub mod acl;
pub mod admin;
pub mod app;
pub mod auth;
pub mod body;
pub mod checksum;
pub mod conditions;
pub mod config;
pub mod cors;
pub mod error;
pub mod fd_limit;
pub mod form;
pub mod handlers;
pub mod metrics;
pub mod notify;
pub mod payload;
pub mod pipeline;
pub mod policy;
pub mod rfc2047;
pub mod router;
pub mod server;
pub mod tls;
pub mod users;
pub mod workers;
pub mod xml;
