//! What a handler gets (`Ctx`: the app, who asks and how, the request) and how it runs engine
//! work: blocking calls off the async threads, reads tried again when their version was replaced.

use crate::access::decision::Notes;
use crate::app::state::App;
use crate::auth::users::User;
use crate::auth::{Payload, Proof};
use crate::http::body::RequestBody;
use crate::http::payload::Ingest;
use crate::s3::router::{Op, Query};
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::{AccessSettings, BucketName, BucketRecord, ObjectKey, Versioning};
use http::request::Parts;
use std::sync::Arc;

/// Everything a handler gets: the app, who is asking and how, and the request.
pub struct Ctx {
    pub app: Arc<App>,
    pub request_id: String,
    pub op: Op,
    pub user: Option<Arc<User>>,
    pub proof: Proof,
    pub peer: crate::http::peer::Peer,
    /// What each access decision of the request was and what made it, where someone reads it.
    pub decisions: Notes,
    pub parts: Parts,
    pub query: Query,
    pub bucket: Option<BucketName>,
    /// The bucket's record, loaded by the access check.
    pub bucket_record: Option<BucketRecord>,
    /// The bucket's access settings, where the access check loaded them (else the defaults).
    pub access: AccessSettings,
    pub key: Option<ObjectKey>,
    pub payload: Payload,
    pub body: Option<RequestBody>,
}

impl Ctx {
    pub fn bucket(&self) -> &BucketName {
        self.bucket.as_ref().expect("router gives bucket operations a bucket")
    }

    pub fn key(&self) -> &ObjectKey {
        self.key.as_ref().expect("router gives object operations a key")
    }

    pub fn user(&self) -> &User {
        self.user.as_deref().expect("access check admits only authenticated users")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the request carries a body: a non-zero length, or one sent chunked without a length.
    pub fn has_body(&self) -> bool {
        self.header("content-length").is_some_and(|l| l != "0")
            || self.header("x-amz-decoded-content-length").is_some_and(|l| l != "0")
            || self.header("transfer-encoding").is_some()
    }

    /// The body as a verified stream, capped at `limit` bytes.
    pub fn ingest(&mut self, limit: u64) -> S3Result<Ingest> {
        let incoming = self.body.take().expect("body taken once");
        let idle = std::time::Duration::from_secs(self.app.config.limits.body_idle_timeout_secs);
        // A completion's checksum header is the whole object's, checked by its handler.
        let checksum_headers = self.op != Op::CompleteMultipartUpload;
        Ok(Ingest::new(incoming, &self.parts, &self.payload, limit, checksum_headers)?.with_idle_timeout(idle))
    }

    /// The whole body of a configuration request, capped by `max_xml_body`.
    pub async fn xml_body(&mut self) -> S3Result<crate::wire::xml::Element> {
        self.xml_body_within(self.app.config.limits.max_xml_body).await
    }

    /// The same, capped by a document's own limit (S3's: a CORS configuration's 64 KB), or
    /// `max_xml_body` where that is lower: MaxMessageLengthExceeded past it.
    pub async fn xml_body_within(&mut self, max: usize) -> S3Result<crate::wire::xml::Element> {
        let max = max.min(self.app.config.limits.max_xml_body);
        let too_long = |e: S3Error| match e.code {
            Code::EntityTooLarge => S3Error::new(Code::MaxMessageLengthExceeded),
            _ => e,
        };
        let bytes = self.ingest(max as u64).map_err(too_long)?.read_all(max).await.map_err(too_long)?;
        crate::wire::xml::parse(&bytes)
    }

    /// The `versionId` query parameter.
    pub fn version(&self) -> Option<&str> {
        self.query.get("versionId")
    }

    /// True once versioning was ever enabled on the bucket: responses then carry `x-amz-version-id`.
    pub fn versioned(&self) -> bool {
        self.bucket_record.as_ref().is_some_and(|b| b.versioning != Versioning::Unversioned)
    }
}

/// Runs a read again when the version it loaded was replaced before its bytes were opened (an
/// overwrite or a delete committed in between): it then answers with the newer version, or with
/// its absence. Each try's window is that short, so a few tries are plenty.
pub async fn reading<T, F: std::future::Future<Output = S3Result<T>>>(mut attempt: impl FnMut() -> F) -> S3Result<T> {
    let mut left = 4;
    loop {
        match attempt().await {
            Err(e) if e.is_superseded() && left > 0 => left -= 1,
            done => return done,
        }
    }
}

/// Runs blocking engine work (file I/O, fsync) without stalling the async workers.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}
