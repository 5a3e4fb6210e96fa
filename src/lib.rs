//! Firn: a self-hosted, S3-compatible object store with a Glacier-style archive tier.
//!
//! The daemon: configuration, the HTTP server, authentication, access checks and the S3 API.
//! Storage lives in the `firn-storage` crate.
//!
//! Layers, from the bottom up; a module uses only its own layer and those below, and no two
//! modules use each other (`tools/layers` checks both in the test command):
//! 1. `wire/`: the error type and S3's codes, XML, checksums, preconditions; no I/O.
//! 2. `auth/`: users and their keys, SigV4 and SigV2 signatures, aws-chunked signing.
//! 3. `http/`: bodies, streamed payloads, forms, TLS, the peer.
//! 4. `access/`: bucket policies and the one access decision.
//! 5. `app/`: configuration, metrics, the shared `App`.
//! 6. `admin/`: the admin API, its client and the CLI.
//! 7. `s3/`: the router, the wire documents and the operation handlers.
//! 8. `console/`: the web console, a client of the S3 layer with sessions and pages.
//! 9. `workers/`: the lifecycle loop, restore notifications.
//! 10. `server/`: listeners, the request pipeline, start-up limits.

pub mod access;
pub mod admin;
pub mod app;
pub mod auth;
pub mod console;
pub mod http;
pub mod s3;
pub mod server;
pub mod wire;
pub mod workers;
