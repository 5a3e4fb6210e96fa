//! The S3 API: the router that names each request's operation, the wire documents (XML in and
//! out), and the handlers. Handlers share what they share through `context` (the request and how
//! engine work runs), `request` (headers in), `respond` (responses and headers out), `write` (the
//! write path) and `authz` (what each operation needs of the access decision), never through each
//! other. Uses everything below `workers`.

pub mod authz;
pub mod context;
pub mod documents;
pub mod execute;
pub mod handlers;
pub mod read;
pub mod request;
pub mod respond;
pub mod router;
pub mod write;
