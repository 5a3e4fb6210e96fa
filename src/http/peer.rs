//! Where a request came from.

use std::net::IpAddr;

/// Where a request came from, and whether over TLS (`aws:SecureTransport`).
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    pub ip: IpAddr,
    pub secure: bool,
}
