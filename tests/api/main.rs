//! Integration tests: each test starts its own `firn` on an ephemeral port with its own data
//! directory, and drives it with aws-sdk-s3 or with raw signed HTTP requests.

mod acl;
mod admin;
mod archive;
mod auth;
mod buckets;
mod cors;
mod faults;
mod harness;
mod https;
mod lifecycle;
mod limits;
mod listing;
mod lock;
mod multipart;
mod objects;
mod policy;
mod post_object;
mod public_access;
mod races;
mod raw;
mod service;
mod versioning;
mod website;
