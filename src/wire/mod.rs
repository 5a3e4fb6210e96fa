//! What S3 says on the wire, without any I/O: the one error type and its codes, XML in and out,
//! checksums, HTTP preconditions and dates, RFC 2047 header words. Uses nothing else of the crate.

pub mod checksum;
pub mod error;
pub mod preconditions;
pub mod rfc2047;
pub mod xml;
