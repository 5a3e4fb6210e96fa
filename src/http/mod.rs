//! HTTP plumbing: response bodies, request payloads (streamed, with aws-chunked and checksums
//! verified), multipart forms, TLS and where a request came from. Uses `wire` and `auth`.

pub mod body;
pub mod form;
pub mod payload;
pub mod peer;
pub mod tls;
