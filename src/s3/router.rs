//! One router: turns method, host, path and query into a typed operation that also names what it
//! needs: its `s3:` action and where the right to it comes from. Only the URL and method decide; headers are consulted only for CopyObject.

use crate::auth::sigv4::uri_decode;
use crate::wire::error::{Code, S3Error, S3Result};
use firn_storage::model::acl::Permission as Acl;
use http::Method;

/// A decoded query string, in request order.
#[derive(Clone, Debug, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            raw.unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (uri_decode(k), uri_decode(v))
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketVersioning,
    ListObjects,
    ListObjectsV2,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,
    GetObjectAttributes,
    PutBucketVersioning,
    ListObjectVersions,
    PostObject,
    GetBucketAcl,
    PutBucketAcl,
    GetObjectAcl,
    PutObjectAcl,
    GetBucketWebsite,
    PutBucketWebsite,
    DeleteBucketWebsite,
    GetBucketLifecycleConfiguration,
    PutBucketLifecycleConfiguration,
    DeleteBucketLifecycle,
    RestoreObject,
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
    GetBucketPolicyStatus,
    GetPublicAccessBlock,
    PutPublicAccessBlock,
    DeletePublicAccessBlock,
    GetBucketOwnershipControls,
    PutBucketOwnershipControls,
    DeleteBucketOwnershipControls,
    GetBucketCors,
    PutBucketCors,
    DeleteBucketCors,
    /// OPTIONS on a bucket or object, on the API or the website endpoint: a browser's preflight.
    CorsPreflight,
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    GetObjectLockConfiguration,
    PutObjectLockConfiguration,
    GetObjectRetention,
    PutObjectRetention,
    GetObjectLegalHold,
    PutObjectLegalHold,
    /// A sub-resource Firn does not serve: NotImplemented, once the request is authenticated.
    Unsupported,
    /// GET and HEAD on the website endpoint (`bucket.<website_domain>`): anonymous, website semantics.
    WebsiteGet,
    WebsiteHead,
    /// Service endpoints under `/-/`, a path no bucket can have ("-" is not a valid bucket name).
    Metrics,
    HealthLive,
    HealthReady,
    /// `POST /-/admin`: the admin API (root only).
    Admin,
}

/// Where an operation's right comes from, besides the bucket policy (`access::decision` decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Anyone: the service's own health and metrics endpoints.
    Public,
    /// The root user only: the admin API.
    Admin,
    /// Checked by the handler: the credentials (or none) are in the form.
    InForm,
    /// Any signed request (ListBuckets, CreateBucket).
    Authenticated,
    /// Bucket configuration: the bucket's owner, or a policy.
    Owner,
    /// The bucket, by the bucket's ACL.
    Bucket(Acl),
    /// An object (the resource is `bucket/key`), by the bucket's ACL: writes and deletes.
    ObjectInBucket(Acl),
    /// An object version, by its own ACL: decided when the handler loads it (`Ctx::load_object`).
    Object(Acl),
    /// Each key a request names (DeleteObjects), by the bucket's ACL: decided per key.
    EachKey(Acl),
}

/// What an operation needs: its scope and its `s3:` action (another when a `versionId` is given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub scope: Scope,
    pub action: &'static str,
    pub version_action: &'static str,
}

impl Op {
    /// Every operation, for the README's compatibility table test.
    pub const ALL: [Op; 69] = [
        Op::ListBuckets,
        Op::CreateBucket,
        Op::HeadBucket,
        Op::DeleteBucket,
        Op::GetBucketLocation,
        Op::GetBucketVersioning,
        Op::ListObjects,
        Op::ListObjectsV2,
        Op::DeleteObjects,
        Op::PutObject,
        Op::CopyObject,
        Op::GetObject,
        Op::HeadObject,
        Op::DeleteObject,
        Op::GetObjectTagging,
        Op::PutObjectTagging,
        Op::DeleteObjectTagging,
        Op::CreateMultipartUpload,
        Op::UploadPart,
        Op::UploadPartCopy,
        Op::CompleteMultipartUpload,
        Op::AbortMultipartUpload,
        Op::ListParts,
        Op::ListMultipartUploads,
        Op::GetObjectAttributes,
        Op::PutBucketVersioning,
        Op::ListObjectVersions,
        Op::PostObject,
        Op::GetBucketAcl,
        Op::PutBucketAcl,
        Op::GetObjectAcl,
        Op::PutObjectAcl,
        Op::GetBucketWebsite,
        Op::PutBucketWebsite,
        Op::DeleteBucketWebsite,
        Op::GetBucketLifecycleConfiguration,
        Op::PutBucketLifecycleConfiguration,
        Op::DeleteBucketLifecycle,
        Op::RestoreObject,
        Op::GetBucketPolicy,
        Op::PutBucketPolicy,
        Op::DeleteBucketPolicy,
        Op::GetBucketPolicyStatus,
        Op::GetPublicAccessBlock,
        Op::PutPublicAccessBlock,
        Op::DeletePublicAccessBlock,
        Op::GetBucketOwnershipControls,
        Op::PutBucketOwnershipControls,
        Op::DeleteBucketOwnershipControls,
        Op::GetBucketCors,
        Op::PutBucketCors,
        Op::DeleteBucketCors,
        Op::CorsPreflight,
        Op::GetBucketTagging,
        Op::PutBucketTagging,
        Op::DeleteBucketTagging,
        Op::GetObjectLockConfiguration,
        Op::PutObjectLockConfiguration,
        Op::GetObjectRetention,
        Op::PutObjectRetention,
        Op::GetObjectLegalHold,
        Op::PutObjectLegalHold,
        Op::Unsupported,
        Op::WebsiteGet,
        Op::WebsiteHead,
        Op::Metrics,
        Op::HealthLive,
        Op::HealthReady,
        Op::Admin,
    ];

    pub fn is_website(self) -> bool {
        matches!(self, Op::WebsiteGet | Op::WebsiteHead)
    }

    /// The one table of what each operation needs, and the `s3:` action it is in policies.
    pub fn access(self) -> Access {
        use Op::*;
        use Scope::*;
        let (scope, action, version_action) = match self {
            // Preflights carry no credentials: the bucket's CORS rules alone answer them.
            Metrics | HealthLive | HealthReady | CorsPreflight => (Public, "", ""),
            WebsiteGet | WebsiteHead => (Object(Acl::Read), "s3:GetObject", "s3:GetObjectVersion"),
            Op::Admin => (Scope::Admin, "", ""),
            PostObject => (InForm, "s3:PutObject", ""),
            ListBuckets => (Authenticated, "s3:ListAllMyBuckets", ""),
            // Anonymous requests are refused as S3 refuses them; signed ones learn it is not served.
            Unsupported => (Authenticated, "", ""),
            CreateBucket => (Authenticated, "s3:CreateBucket", ""),
            HeadBucket | ListObjects | ListObjectsV2 => (Bucket(Acl::Read), "s3:ListBucket", ""),
            ListObjectVersions => (Bucket(Acl::Read), "s3:ListBucketVersions", ""),
            ListMultipartUploads => (Bucket(Acl::Read), "s3:ListBucketMultipartUploads", ""),
            ListParts => (ObjectInBucket(Acl::Read), "s3:ListMultipartUploadParts", ""),
            GetObject | HeadObject => (Object(Acl::Read), "s3:GetObject", "s3:GetObjectVersion"),
            GetObjectTagging => (Object(Acl::Read), "s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
            GetObjectAttributes => (Object(Acl::Read), "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
            GetObjectAcl => (Object(Acl::ReadAcp), "s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
            PutObjectAcl => (Object(Acl::WriteAcp), "s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
            PutObject | CopyObject | CreateMultipartUpload | UploadPart | UploadPartCopy | CompleteMultipartUpload => {
                (ObjectInBucket(Acl::Write), "s3:PutObject", "")
            }
            DeleteObject => (ObjectInBucket(Acl::Write), "s3:DeleteObject", "s3:DeleteObjectVersion"),
            DeleteObjects => (EachKey(Acl::Write), "s3:DeleteObject", "s3:DeleteObjectVersion"),
            PutObjectTagging => (ObjectInBucket(Acl::Write), "s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
            DeleteObjectTagging => {
                (ObjectInBucket(Acl::Write), "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging")
            }
            AbortMultipartUpload => (ObjectInBucket(Acl::Write), "s3:AbortMultipartUpload", ""),
            RestoreObject => (ObjectInBucket(Acl::Write), "s3:RestoreObject", ""),
            GetBucketAcl => (Bucket(Acl::ReadAcp), "s3:GetBucketAcl", ""),
            PutBucketAcl => (Bucket(Acl::WriteAcp), "s3:PutBucketAcl", ""),
            DeleteBucket => (Owner, "s3:DeleteBucket", ""),
            GetBucketLocation => (Owner, "s3:GetBucketLocation", ""),
            GetBucketVersioning => (Owner, "s3:GetBucketVersioning", ""),
            PutBucketVersioning => (Owner, "s3:PutBucketVersioning", ""),
            GetBucketWebsite => (Owner, "s3:GetBucketWebsite", ""),
            PutBucketWebsite => (Owner, "s3:PutBucketWebsite", ""),
            DeleteBucketWebsite => (Owner, "s3:DeleteBucketWebsite", ""),
            GetBucketLifecycleConfiguration => (Owner, "s3:GetLifecycleConfiguration", ""),
            PutBucketLifecycleConfiguration | DeleteBucketLifecycle => (Owner, "s3:PutLifecycleConfiguration", ""),
            GetBucketPolicy => (Owner, "s3:GetBucketPolicy", ""),
            PutBucketPolicy => (Owner, "s3:PutBucketPolicy", ""),
            DeleteBucketPolicy => (Owner, "s3:DeleteBucketPolicy", ""),
            GetBucketPolicyStatus => (Owner, "s3:GetBucketPolicyStatus", ""),
            GetPublicAccessBlock => (Owner, "s3:GetBucketPublicAccessBlock", ""),
            PutPublicAccessBlock | DeletePublicAccessBlock => (Owner, "s3:PutBucketPublicAccessBlock", ""),
            GetBucketOwnershipControls => (Owner, "s3:GetBucketOwnershipControls", ""),
            PutBucketOwnershipControls | DeleteBucketOwnershipControls => (Owner, "s3:PutBucketOwnershipControls", ""),
            GetBucketCors => (Owner, "s3:GetBucketCORS", ""),
            GetBucketTagging => (Owner, "s3:GetBucketTagging", ""),
            PutBucketTagging | DeleteBucketTagging => (Owner, "s3:PutBucketTagging", ""),
            GetObjectLockConfiguration => (Owner, "s3:GetBucketObjectLockConfiguration", ""),
            PutObjectLockConfiguration => (Owner, "s3:PutBucketObjectLockConfiguration", ""),
            // ACLs grant no lock rights: FULL_CONTROL (the owner's by default) or a policy.
            GetObjectRetention => (Object(Acl::FullControl), "s3:GetObjectRetention", ""),
            PutObjectRetention => (Object(Acl::FullControl), "s3:PutObjectRetention", ""),
            GetObjectLegalHold => (Object(Acl::FullControl), "s3:GetObjectLegalHold", ""),
            PutObjectLegalHold => (Object(Acl::FullControl), "s3:PutObjectLegalHold", ""),
            PutBucketCors | DeleteBucketCors => (Owner, "s3:PutBucketCORS", ""),
        };
        let version_action = if version_action.is_empty() { action } else { version_action };
        Access { scope, action, version_action }
    }

    /// The `s3:` action a request of this operation is, by whether it names a version.
    pub fn action(self, versioned: bool) -> &'static str {
        let a = self.access();
        if versioned {
            a.version_action
        } else {
            a.action
        }
    }

    pub fn name(self) -> &'static str {
        use Op::*;
        match self {
            ListBuckets => "ListBuckets",
            CreateBucket => "CreateBucket",
            HeadBucket => "HeadBucket",
            DeleteBucket => "DeleteBucket",
            GetBucketLocation => "GetBucketLocation",
            GetBucketVersioning => "GetBucketVersioning",
            ListObjects => "ListObjects",
            ListObjectsV2 => "ListObjectsV2",
            DeleteObjects => "DeleteObjects",
            PutObject => "PutObject",
            CopyObject => "CopyObject",
            GetObject => "GetObject",
            HeadObject => "HeadObject",
            DeleteObject => "DeleteObject",
            GetObjectTagging => "GetObjectTagging",
            PutObjectTagging => "PutObjectTagging",
            DeleteObjectTagging => "DeleteObjectTagging",
            CreateMultipartUpload => "CreateMultipartUpload",
            UploadPart => "UploadPart",
            UploadPartCopy => "UploadPartCopy",
            CompleteMultipartUpload => "CompleteMultipartUpload",
            AbortMultipartUpload => "AbortMultipartUpload",
            ListParts => "ListParts",
            ListMultipartUploads => "ListMultipartUploads",
            GetObjectAttributes => "GetObjectAttributes",
            PutBucketVersioning => "PutBucketVersioning",
            ListObjectVersions => "ListObjectVersions",
            PostObject => "PostObject",
            GetBucketAcl => "GetBucketAcl",
            PutBucketAcl => "PutBucketAcl",
            GetObjectAcl => "GetObjectAcl",
            PutObjectAcl => "PutObjectAcl",
            GetBucketWebsite => "GetBucketWebsite",
            PutBucketWebsite => "PutBucketWebsite",
            DeleteBucketWebsite => "DeleteBucketWebsite",
            GetBucketLifecycleConfiguration => "GetBucketLifecycleConfiguration",
            PutBucketLifecycleConfiguration => "PutBucketLifecycleConfiguration",
            DeleteBucketLifecycle => "DeleteBucketLifecycle",
            RestoreObject => "RestoreObject",
            GetBucketPolicy => "GetBucketPolicy",
            PutBucketPolicy => "PutBucketPolicy",
            DeleteBucketPolicy => "DeleteBucketPolicy",
            GetBucketPolicyStatus => "GetBucketPolicyStatus",
            GetPublicAccessBlock => "GetPublicAccessBlock",
            PutPublicAccessBlock => "PutPublicAccessBlock",
            DeletePublicAccessBlock => "DeletePublicAccessBlock",
            GetBucketOwnershipControls => "GetBucketOwnershipControls",
            PutBucketOwnershipControls => "PutBucketOwnershipControls",
            DeleteBucketOwnershipControls => "DeleteBucketOwnershipControls",
            GetBucketCors => "GetBucketCors",
            PutBucketCors => "PutBucketCors",
            DeleteBucketCors => "DeleteBucketCors",
            CorsPreflight => "CorsPreflight",
            Unsupported => "Unsupported",
            GetBucketTagging => "GetBucketTagging",
            PutBucketTagging => "PutBucketTagging",
            DeleteBucketTagging => "DeleteBucketTagging",
            GetObjectLockConfiguration => "GetObjectLockConfiguration",
            PutObjectLockConfiguration => "PutObjectLockConfiguration",
            GetObjectRetention => "GetObjectRetention",
            PutObjectRetention => "PutObjectRetention",
            GetObjectLegalHold => "GetObjectLegalHold",
            PutObjectLegalHold => "PutObjectLegalHold",
            WebsiteGet => "WebsiteGet",
            WebsiteHead => "WebsiteHead",
            Metrics => "Metrics",
            HealthLive => "HealthLive",
            HealthReady => "HealthReady",
            Admin => "Admin",
        }
    }
}

#[derive(Debug)]
pub struct Route {
    pub op: Op,
    /// Bucket and key as sent (not yet validated).
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// True when the bucket came from the Host header.
    pub virtual_host: bool,
}

/// Query words that select an S3 sub-resource. One we do not serve is NotImplemented, never
/// mistaken for a plain object or bucket request.
const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metadataConfiguration",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "partNumber",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "session",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versioning",
    "versionId",
    "versions",
    "website",
];

/// The answer to an `Unsupported` request: which of its sub-resources Firn does not serve.
pub fn not_served(q: &Query, object: bool) -> S3Error {
    let sub = q.0.iter().map(|(k, _)| k.as_str()).find(|k| SUBRESOURCES.contains(k) && !QUALIFIERS.contains(k));
    let on = if object { "object" } else { "bucket" };
    S3Error::msg(Code::NotImplemented, format!("The {on} sub-resource '{}' is not implemented", sub.unwrap_or("?")))
}

/// Sub-resource words that only qualify a plain object GET or HEAD.
const QUALIFIERS: [&str; 2] = ["versionId", "partNumber"];

/// The Host header's name, without a `:port`.
fn without_port(host: &str) -> &str {
    host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
}

/// Splits host and path into bucket and key: `bucket.<domain>` first, else the first path segment.
fn locate(
    host: Option<&str>,
    domain: Option<&str>,
    raw_path: &str,
) -> S3Result<(Option<String>, Option<String>, bool)> {
    // Keys are UTF-8: a path that decodes to anything else, or to a NUL, is refused.
    let invalid = || S3Error::msg(Code::InvalidURI, "Couldn't parse the specified URI.");
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8().map_err(|_| invalid())?;
    if path.contains('\0') {
        return Err(invalid());
    }
    let path = path.into_owned();
    let host = host.map(without_port);
    if let (Some(host), Some(domain)) = (host, domain) {
        if let Some(bucket) = host.strip_suffix(domain).and_then(|b| b.strip_suffix('.')) {
            let key = path.strip_prefix('/').unwrap_or(&path);
            return Ok((Some(bucket.to_owned()), (!key.is_empty()).then(|| key.to_owned()), true));
        }
    }
    let rest = path.strip_prefix('/').unwrap_or(&path);
    if rest.is_empty() {
        return Ok((None, None, false));
    }
    match rest.split_once('/') {
        Some((b, k)) => Ok((Some(b.to_owned()), (!k.is_empty()).then(|| k.to_owned()), false)),
        None => Ok((Some(rest.to_owned()), None, false)),
    }
}

/// A request on the website endpoint: `bucket.<website_domain>`, or a host that names a website
/// bucket itself (`site_named`: a site on its own domain, its DNS pointed at Firn); GET or HEAD,
/// any query ignored, or a CORS preflight. None when the host is not a website host.
pub fn website_route(
    method: &Method,
    host: Option<&str>,
    website_domain: Option<&str>,
    raw_path: &str,
    site_named: &dyn Fn(&str) -> bool,
) -> Option<S3Result<Route>> {
    let host = without_port(host?);
    let under_domain = website_domain.filter(|d| !d.is_empty()).and_then(|d| host.strip_suffix(d)?.strip_suffix('.'));
    let bucket = match under_domain {
        Some(b) => b.to_owned(),
        None if host.contains('.') && host.parse::<std::net::IpAddr>().is_err() && site_named(host) => host.to_owned(),
        None => return None,
    };
    Some(locate(None, None, &format!("/{bucket}{raw_path}")).and_then(|(bucket, key, _)| {
        let op = match *method {
            Method::GET => Op::WebsiteGet,
            Method::HEAD => Op::WebsiteHead,
            Method::OPTIONS => Op::CorsPreflight,
            _ => return Err(S3Error::new(Code::MethodNotAllowed)),
        };
        Ok(Route { op, bucket, key, virtual_host: true })
    }))
}

pub fn route(
    method: &Method,
    host: Option<&str>,
    domain: Option<&str>,
    raw_path: &str,
    q: &Query,
    copy_source: bool,
) -> S3Result<Route> {
    let (bucket, key, virtual_host) = locate(host, domain, raw_path)?;
    let sub = q.0.iter().map(|(k, _)| k.as_str()).find(|k| SUBRESOURCES.contains(k));
    if bucket.as_deref() == Some("-") && !virtual_host {
        let op = match (method.clone(), key.as_deref()) {
            (Method::GET, Some("metrics")) => Op::Metrics,
            (Method::GET, Some("health/live")) => Op::HealthLive,
            (Method::GET, Some("health/ready")) => Op::HealthReady,
            (Method::POST, Some("admin")) => Op::Admin,
            _ => return Err(S3Error::new(Code::NoSuchBucket)),
        };
        return Ok(Route { op, bucket: None, key: None, virtual_host });
    }
    let op = match (&bucket, &key) {
        (Some(_), _) if *method == Method::OPTIONS => Op::CorsPreflight,
        (None, _) => match *method {
            Method::GET => Op::ListBuckets,
            _ => return Err(S3Error::new(Code::MethodNotAllowed)),
        },
        (Some(_), None) => match (method.clone(), sub) {
            (Method::GET, None) if q.get("list-type") == Some("2") => Op::ListObjectsV2,
            (Method::GET, None) => Op::ListObjects,
            (Method::GET, Some("location")) => Op::GetBucketLocation,
            (Method::GET, Some("versioning")) => Op::GetBucketVersioning,
            (Method::PUT, Some("versioning")) => Op::PutBucketVersioning,
            (Method::GET, Some("versions")) => Op::ListObjectVersions,
            (Method::PUT, None) => Op::CreateBucket,
            (Method::HEAD, None) => Op::HeadBucket,
            (Method::DELETE, None) => Op::DeleteBucket,
            (Method::POST, Some("delete")) => Op::DeleteObjects,
            (Method::POST, None) => Op::PostObject,
            (Method::GET, Some("uploads")) => Op::ListMultipartUploads,
            (Method::GET, Some("acl")) => Op::GetBucketAcl,
            (Method::PUT, Some("acl")) => Op::PutBucketAcl,
            (Method::GET, Some("website")) => Op::GetBucketWebsite,
            (Method::PUT, Some("website")) => Op::PutBucketWebsite,
            (Method::DELETE, Some("website")) => Op::DeleteBucketWebsite,
            (Method::GET, Some("lifecycle")) => Op::GetBucketLifecycleConfiguration,
            (Method::PUT, Some("lifecycle")) => Op::PutBucketLifecycleConfiguration,
            (Method::DELETE, Some("lifecycle")) => Op::DeleteBucketLifecycle,
            (Method::GET, Some("policy")) => Op::GetBucketPolicy,
            (Method::PUT, Some("policy")) => Op::PutBucketPolicy,
            (Method::DELETE, Some("policy")) => Op::DeleteBucketPolicy,
            (Method::GET, Some("policyStatus")) => Op::GetBucketPolicyStatus,
            (Method::GET, Some("publicAccessBlock")) => Op::GetPublicAccessBlock,
            (Method::PUT, Some("publicAccessBlock")) => Op::PutPublicAccessBlock,
            (Method::DELETE, Some("publicAccessBlock")) => Op::DeletePublicAccessBlock,
            (Method::GET, Some("ownershipControls")) => Op::GetBucketOwnershipControls,
            (Method::PUT, Some("ownershipControls")) => Op::PutBucketOwnershipControls,
            (Method::DELETE, Some("ownershipControls")) => Op::DeleteBucketOwnershipControls,
            (Method::GET, Some("cors")) => Op::GetBucketCors,
            (Method::PUT, Some("cors")) => Op::PutBucketCors,
            (Method::DELETE, Some("cors")) => Op::DeleteBucketCors,
            (Method::GET, Some("tagging")) => Op::GetBucketTagging,
            (Method::PUT, Some("tagging")) => Op::PutBucketTagging,
            (Method::DELETE, Some("tagging")) => Op::DeleteBucketTagging,
            (Method::GET, Some("object-lock")) => Op::GetObjectLockConfiguration,
            (Method::PUT, Some("object-lock")) => Op::PutObjectLockConfiguration,
            (_, Some(_)) => Op::Unsupported,
            _ => return Err(S3Error::new(Code::MethodNotAllowed)),
        },
        (Some(_), Some(_)) => {
            // versionId and partNumber qualify a plain GET/HEAD; other sub-resources route below.
            let sub = q.0.iter().map(|(k, _)| k.as_str()).find(|k| SUBRESOURCES.contains(k) && !QUALIFIERS.contains(k));
            match (method.clone(), sub) {
                (Method::POST, Some("uploads")) => Op::CreateMultipartUpload,
                (Method::PUT, Some("uploadId")) if copy_source => Op::UploadPartCopy,
                (Method::PUT, Some("uploadId")) => Op::UploadPart,
                (Method::POST, Some("uploadId")) => Op::CompleteMultipartUpload,
                (Method::POST, Some("restore")) => Op::RestoreObject,
                (Method::DELETE, Some("uploadId")) => Op::AbortMultipartUpload,
                (Method::GET, Some("uploadId")) => Op::ListParts,
                (Method::GET, Some("attributes")) => Op::GetObjectAttributes,
                (Method::PUT, None) if copy_source && q.has("partNumber") => {
                    return Err(S3Error::msg(Code::InvalidRequest, "partNumber requires uploadId"))
                }
                (Method::PUT, None) if copy_source => Op::CopyObject,
                (Method::PUT, None) => Op::PutObject,
                (Method::GET, None) => Op::GetObject,
                (Method::HEAD, None) => Op::HeadObject,
                (Method::DELETE, None) => Op::DeleteObject,
                (Method::GET, Some("tagging")) => Op::GetObjectTagging,
                (Method::PUT, Some("tagging")) => Op::PutObjectTagging,
                (Method::DELETE, Some("tagging")) => Op::DeleteObjectTagging,
                (Method::GET, Some("acl")) => Op::GetObjectAcl,
                (Method::PUT, Some("acl")) => Op::PutObjectAcl,
                (Method::GET, Some("retention")) => Op::GetObjectRetention,
                (Method::PUT, Some("retention")) => Op::PutObjectRetention,
                (Method::GET, Some("legal-hold")) => Op::GetObjectLegalHold,
                (Method::PUT, Some("legal-hold")) => Op::PutObjectLegalHold,
                (_, Some(_)) => Op::Unsupported,
                _ => return Err(S3Error::new(Code::MethodNotAllowed)),
            }
        }
    };
    Ok(Route { op, bucket, key, virtual_host })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: Method, host: &str, path_and_query: &str) -> S3Result<Route> {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        route(&method, Some(host), Some("s3.test"), path, &Query::parse(Some(query)), false)
    }

    #[test]
    fn table() {
        type Case<'a> = (Method, &'a str, &'a str, Op, Option<&'a str>, Option<&'a str>);
        let cases: &[Case] = &[
            (Method::GET, "localhost:9000", "/", Op::ListBuckets, None, None),
            (Method::PUT, "localhost", "/b", Op::CreateBucket, Some("b"), None),
            (Method::PUT, "localhost", "/b/", Op::CreateBucket, Some("b"), None),
            (Method::HEAD, "localhost", "/b", Op::HeadBucket, Some("b"), None),
            (Method::DELETE, "localhost", "/b", Op::DeleteBucket, Some("b"), None),
            (Method::GET, "localhost", "/b?location", Op::GetBucketLocation, Some("b"), None),
            (Method::GET, "localhost", "/b?versioning", Op::GetBucketVersioning, Some("b"), None),
            (Method::PUT, "localhost", "/b?versioning", Op::PutBucketVersioning, Some("b"), None),
            (Method::GET, "localhost", "/b?versions&prefix=a", Op::ListObjectVersions, Some("b"), None),
            (Method::GET, "localhost", "/b?prefix=x", Op::ListObjects, Some("b"), None),
            (Method::GET, "localhost", "/b?list-type=2", Op::ListObjectsV2, Some("b"), None),
            (Method::POST, "localhost", "/b?delete", Op::DeleteObjects, Some("b"), None),
            (Method::POST, "localhost", "/b", Op::PostObject, Some("b"), None),
            (Method::PUT, "localhost", "/b/a/b%20c", Op::PutObject, Some("b"), Some("a/b c")),
            (Method::GET, "localhost", "/b/k?versionId=null", Op::GetObject, Some("b"), Some("k")),
            (Method::HEAD, "localhost", "/b/k", Op::HeadObject, Some("b"), Some("k")),
            (Method::DELETE, "localhost", "/b/k", Op::DeleteObject, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b/k?tagging", Op::GetObjectTagging, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b?acl", Op::GetBucketAcl, Some("b"), None),
            (Method::PUT, "localhost", "/b?acl", Op::PutBucketAcl, Some("b"), None),
            (Method::PUT, "localhost", "/b?website", Op::PutBucketWebsite, Some("b"), None),
            (Method::GET, "localhost", "/b?website", Op::GetBucketWebsite, Some("b"), None),
            (Method::DELETE, "localhost", "/b?website", Op::DeleteBucketWebsite, Some("b"), None),
            (Method::PUT, "localhost", "/b?lifecycle", Op::PutBucketLifecycleConfiguration, Some("b"), None),
            (Method::GET, "localhost", "/b?lifecycle=", Op::GetBucketLifecycleConfiguration, Some("b"), None),
            (Method::DELETE, "localhost", "/b?lifecycle", Op::DeleteBucketLifecycle, Some("b"), None),
            (Method::PUT, "localhost", "/b?policy", Op::PutBucketPolicy, Some("b"), None),
            (Method::GET, "localhost", "/b?policy", Op::GetBucketPolicy, Some("b"), None),
            (Method::DELETE, "localhost", "/b?policy", Op::DeleteBucketPolicy, Some("b"), None),
            (Method::GET, "localhost", "/b?policyStatus", Op::GetBucketPolicyStatus, Some("b"), None),
            (Method::PUT, "localhost", "/b?publicAccessBlock", Op::PutPublicAccessBlock, Some("b"), None),
            (Method::GET, "localhost", "/b?publicAccessBlock", Op::GetPublicAccessBlock, Some("b"), None),
            (Method::DELETE, "localhost", "/b?publicAccessBlock", Op::DeletePublicAccessBlock, Some("b"), None),
            (Method::PUT, "localhost", "/b?ownershipControls", Op::PutBucketOwnershipControls, Some("b"), None),
            (Method::GET, "localhost", "/b?ownershipControls", Op::GetBucketOwnershipControls, Some("b"), None),
            (Method::DELETE, "localhost", "/b?ownershipControls", Op::DeleteBucketOwnershipControls, Some("b"), None),
            (Method::PUT, "localhost", "/b?cors", Op::PutBucketCors, Some("b"), None),
            (Method::GET, "localhost", "/b?cors", Op::GetBucketCors, Some("b"), None),
            (Method::DELETE, "localhost", "/b?cors", Op::DeleteBucketCors, Some("b"), None),
            (Method::OPTIONS, "localhost", "/b", Op::CorsPreflight, Some("b"), None),
            (Method::GET, "localhost", "/b?tagging", Op::GetBucketTagging, Some("b"), None),
            (Method::PUT, "localhost", "/b?object-lock", Op::PutObjectLockConfiguration, Some("b"), None),
            (Method::GET, "localhost", "/b/k?retention&versionId=v", Op::GetObjectRetention, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b/k?legal-hold", Op::PutObjectLegalHold, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b?tagging", Op::PutBucketTagging, Some("b"), None),
            (Method::DELETE, "localhost", "/b?tagging", Op::DeleteBucketTagging, Some("b"), None),
            (Method::OPTIONS, "localhost", "/b/k?uploads", Op::CorsPreflight, Some("b"), Some("k")),
            (Method::OPTIONS, "b.s3.test", "/dir/k", Op::CorsPreflight, Some("b"), Some("dir/k")),
            (Method::POST, "localhost", "/b/k?restore", Op::RestoreObject, Some("b"), Some("k")),
            (Method::POST, "localhost", "/b/k?restore&versionId=v", Op::RestoreObject, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b/k?acl&versionId=x", Op::GetObjectAcl, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b/k?acl", Op::PutObjectAcl, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b/k?tagging", Op::PutObjectTagging, Some("b"), Some("k")),
            (Method::DELETE, "localhost", "/b/k?tagging", Op::DeleteObjectTagging, Some("b"), Some("k")),
            (Method::POST, "localhost", "/b/k?uploads", Op::CreateMultipartUpload, Some("b"), Some("k")),
            (Method::PUT, "localhost", "/b/k?partNumber=1&uploadId=x", Op::UploadPart, Some("b"), Some("k")),
            (Method::POST, "localhost", "/b/k?uploadId=x", Op::CompleteMultipartUpload, Some("b"), Some("k")),
            (Method::DELETE, "localhost", "/b/k?uploadId=x", Op::AbortMultipartUpload, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b/k?uploadId=x", Op::ListParts, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b?uploads", Op::ListMultipartUploads, Some("b"), None),
            (Method::GET, "localhost", "/b/k?attributes", Op::GetObjectAttributes, Some("b"), Some("k")),
            (Method::GET, "localhost", "/b/k?partNumber=2", Op::GetObject, Some("b"), Some("k")),
            (Method::GET, "b.s3.test:9000", "/", Op::ListObjects, Some("b"), None),
            (Method::GET, "b.s3.test", "/dir/k", Op::GetObject, Some("b"), Some("dir/k")),
            (Method::PUT, "my.bucket.s3.test", "/k", Op::PutObject, Some("my.bucket"), Some("k")),
            (Method::GET, "localhost", "/b//double", Op::GetObject, Some("b"), Some("/double")),
            (Method::GET, "localhost", "/-/metrics", Op::Metrics, None, None),
            (Method::GET, "localhost", "/-/health/live", Op::HealthLive, None, None),
            (Method::GET, "localhost", "/-/health/ready", Op::HealthReady, None, None),
            (Method::POST, "localhost", "/-/admin", Op::Admin, None, None),
            (Method::GET, "bkt.s3.test", "/-/metrics", Op::GetObject, Some("bkt"), Some("-/metrics")),
        ];
        for (m, host, path, op, bucket, key) in cases {
            let got = r(m.clone(), host, path).unwrap_or_else(|e| panic!("{m} {host}{path}: {e:?}"));
            assert_eq!((got.op, got.bucket.as_deref(), got.key.as_deref()), (*op, *bucket, *key), "{m} {host}{path}");
        }
    }

    #[test]
    fn readme_compatibility_table_is_true() {
        let readme = include_str!("../../README.md");
        let table = readme.split("## Compatibility").nth(1).expect("README has a Compatibility section");
        let supported: Vec<&str> = table
            .lines()
            .take_while(|l| !l.starts_with("## "))
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                (cells.len() > 3 && cells[2] == "yes").then(|| cells[1])
            })
            .collect();
        let routed: Vec<&str> = Op::ALL
            .iter()
            .filter(|op| {
                !matches!(op.access().scope, Scope::Public | Scope::Admin)
                    && !op.is_website()
                    && **op != Op::Unsupported
            })
            .map(|op| op.name())
            .collect();
        for name in &supported {
            assert!(routed.contains(name), "README says {name} is supported, but the router has no such operation");
        }
        for name in &routed {
            assert!(supported.contains(name), "{name} is routed but missing from the README's compatibility table");
        }
    }

    #[test]
    fn every_action_is_one_policies_can_name() {
        // ListBuckets and CreateBucket come before any bucket and its policy.
        for op in Op::ALL.into_iter().filter(|op| op.access().scope != Scope::Authenticated) {
            let a = op.access();
            for action in [a.action, a.version_action].into_iter().filter(|a| !a.is_empty()) {
                assert_eq!(crate::access::policy::actions::matching(action).count(), 1, "{op:?}: {action}");
            }
        }
    }

    #[test]
    fn website_hosts() {
        let sites = |h: &str| h == "www.example.org";
        let w = |m: Method, host: &str, path: &str| website_route(&m, Some(host), Some("web.test"), path, &sites);
        let r = w(Method::GET, "site.web.test:9000", "/a/b.html").unwrap().unwrap();
        assert_eq!((r.op, r.bucket.as_deref(), r.key.as_deref()), (Op::WebsiteGet, Some("site"), Some("a/b.html")));
        let r = w(Method::HEAD, "site.web.test", "/").unwrap().unwrap();
        assert_eq!((r.op, r.key), (Op::WebsiteHead, None));
        assert_eq!(w(Method::PUT, "site.web.test", "/k").unwrap().unwrap_err().code, Code::MethodNotAllowed);
        assert!(w(Method::GET, "site.s3.test", "/k").is_none());
        assert!(w(Method::GET, "web.test", "/k").is_none());
        assert!(website_route(&Method::GET, Some("site.web.test"), None, "/k", &sites).is_none());
        let r = w(Method::GET, "www.example.org:8080", "/a.html").unwrap().unwrap();
        assert_eq!(
            (r.op, r.bucket.as_deref(), r.key.as_deref()),
            (Op::WebsiteGet, Some("www.example.org"), Some("a.html"))
        );
        assert_eq!(w(Method::OPTIONS, "site.web.test", "/k").unwrap().unwrap().op, Op::CorsPreflight);
        assert!(w(Method::GET, "other.example.org", "/k").is_none(), "no website bucket of that name");
        assert!(w(Method::GET, "127.0.0.1:9000", "/k").is_none());
        assert!(w(Method::GET, "localhost:9000", "/k").is_none());
    }

    #[test]
    fn copy_needs_the_header() {
        let q = Query::default();
        assert_eq!(route(&Method::PUT, None, None, "/b/k", &q, true).unwrap().op, Op::CopyObject);
    }

    #[test]
    fn unserved_subresources_are_not_implemented() {
        for (m, p, object) in [
            (Method::PUT, "/b/k?torrent", true),
            (Method::GET, "/b?logging", false),
            (Method::GET, "/b/k?restore", true),
        ] {
            let (path, query) = p.split_once('?').unwrap();
            assert_eq!(r(m, "localhost", p).unwrap().op, Op::Unsupported, "{p}");
            let e = not_served(&Query::parse(Some(query)), object);
            assert_eq!(e.code, Code::NotImplemented);
            assert!(e.message.contains(&format!("sub-resource '{query}'")), "{path}: {}", e.message);
        }
        assert_eq!(r(Method::POST, "localhost", "/b/k").unwrap_err().code, Code::MethodNotAllowed);
        assert_eq!(r(Method::GET, "localhost", "/b/k%00x").unwrap_err().code, Code::InvalidURI);
        assert_eq!(r(Method::GET, "localhost", "/b/k%FF%FEx").unwrap_err().code, Code::InvalidURI);
    }
}
