//! The one S3 error type: every failure a client sees is one of these codes, with its HTTP status
//! and default message from the single table below.

use firn_storage::EngineError;
use http::StatusCode;

macro_rules! s3_codes {
    ($($code:ident => ($status:expr, $msg:expr),)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Code { $($code,)* }

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code),)* }
            }
            pub fn status(self) -> StatusCode {
                match self { $(Code::$code => StatusCode::from_u16($status).expect("valid status"),)* }
            }
            pub fn default_message(self) -> &'static str {
                match self { $(Code::$code => $msg,)* }
            }
        }
    };
}

s3_codes! {
    AccessControlListNotSupported => (400, "The bucket does not allow ACLs"),
    AccessDenied => (403, "Access Denied"),
    AccessForbidden => (403, "CORSResponse: This CORS request is not allowed."),
    AuthorizationHeaderMalformed => (400, "The authorization header is malformed."),
    AuthorizationQueryParametersError => (400, "The query-string authentication parameters are malformed."),
    BadRequest => (400, "Bad Request"),
    BadDigest => (400, "The Content-MD5 or checksum you specified did not match what we received."),
    BucketAlreadyExists => (409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."),
    BucketAlreadyOwnedByYou => (409, "Your previous request to create the named bucket succeeded and you already own it."),
    BucketNotEmpty => (409, "The bucket you tried to delete is not empty"),
    DeleteConflict => (409, "The entity cannot be deleted while it is in use."),
    EntityAlreadyExists => (409, "The entity already exists."),
    EntityTooLarge => (400, "Your proposed upload exceeds the maximum allowed object size."),
    EntityTooSmall => (400, "Your proposed upload is smaller than the minimum allowed object size."),
    IllegalLocationConstraintException => (400, "The specified location-constraint is not valid for this endpoint."),
    IncompleteBody => (400, "You did not provide the number of bytes specified by the Content-Length HTTP header."),
    InsufficientStorage => (507, "There is not enough free space on the server to store this request."),
    InternalError => (500, "We encountered an internal error. Please try again."),
    InvalidAccessKeyId => (403, "The AWS Access Key Id you provided does not exist in our records."),
    InvalidArgument => (400, "Invalid Argument"),
    InvalidBucketState => (409, "The request is not valid with the current state of the bucket."),
    InvalidBucketAclWithObjectOwnership => (400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"),
    InvalidBucketName => (400, "The specified bucket is not valid."),
    InvalidPart => (400, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."),
    InvalidPartNumber => (400, "The requested partnumber is not satisfiable"),
    InvalidPartOrder => (400, "The list of parts was not in ascending order. Parts must be ordered by part number."),
    InvalidInput => (400, "The input is not valid."),
    InvalidDigest => (400, "The Content-MD5 or checksum you specified is not valid."),
    InvalidPolicyDocument => (400, "The content of the form does not meet the conditions specified in the policy document."),
    InvalidRange => (416, "The requested range is not satisfiable"),
    InvalidRequest => (400, "Invalid Request"),
    InvalidStorageClass => (400, "The storage class you specified is not valid"),
    InvalidObjectState => (403, "The operation is not valid for the object's storage class"),
    RestoreAlreadyInProgress => (409, "Object restore is already in progress"),
    InvalidTag => (400, "The tag provided was not a valid tag."),
    InvalidURI => (400, "Couldn't parse the specified URI."),
    KeyTooLongError => (400, "Your key is too long"),
    LimitExceeded => (409, "The request would exceed a limit."),
    MalformedACLError => (400, "The XML you provided was not well-formed or did not validate against our published schema."),
    MalformedXML => (400, "The XML you provided was not well-formed or did not validate against our published schema"),
    MalformedPolicy => (400, "Policies must be valid JSON and the first byte must be '{'"),
    MalformedPOSTRequest => (400, "The body of your POST request is not well-formed multipart/form-data."),
    MaxMessageLengthExceeded => (400, "Your request was too big."),
    MaxPostPreDataLengthExceeded => (400, "Your POST request fields preceding the upload file were too large."),
    MetadataTooLarge => (400, "Your metadata headers exceed the maximum allowed metadata size."),
    MethodNotAllowed => (405, "The specified method is not allowed against this resource."),
    MissingContentLength => (411, "You must provide the Content-Length HTTP header."),
    MissingSecurityHeader => (400, "Your request is missing a required header."),
    NoSuchBucket => (404, "The specified bucket does not exist"),
    NoSuchBucketPolicy => (404, "The bucket policy does not exist"),
    NoSuchObjectLockConfiguration => (404, "The specified object does not have a ObjectLock configuration"),
    ObjectLockConfigurationNotFoundError => (404, "Object Lock configuration does not exist for this bucket"),
    NoSuchTagSet => (404, "The TagSet does not exist"),
    NoSuchCORSConfiguration => (404, "The CORS configuration does not exist"),
    NoSuchPublicAccessBlockConfiguration => (404, "The public access block configuration was not found"),
    NoSuchEntity => (404, "The entity does not exist."),
    NoSuchWebsiteConfiguration => (404, "The specified bucket does not have a website configuration"),
    NoSuchLifecycleConfiguration => (404, "The lifecycle configuration does not exist"),
    NoSuchKey => (404, "The specified key does not exist."),
    NoSuchVersion => (404, "The specified version does not exist."),
    NoSuchUpload => (404, "The specified multipart upload does not exist. The upload ID might not be valid, or the multipart upload might have been aborted or completed."),
    OwnershipControlsNotFoundError => (404, "The bucket ownership controls were not found"),
    NotImplemented => (501, "A header or query you provided implies functionality that is not implemented."),
    PreconditionFailed => (412, "At least one of the pre-conditions you specified did not hold"),
    QuotaExceeded => (403, "Your request was denied because the bucket's quota would be exceeded."),
    RequestTimeout => (400, "Your socket connection to the server was not read from or written to within the timeout period."),
    RequestTimeTooSkewed => (403, "The difference between the request time and the server's time is too large."),
    ServiceUnavailable => (503, "Please reduce your request rate."),
    SignatureDoesNotMatch => (403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."),
    UnexpectedContent => (400, "This request does not support content."),
    UnresolvableGrantByEmailAddress => (400, "The email address you provided does not match any account on record."),
    XAmzContentSHA256Mismatch => (400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
}

#[derive(Debug)]
pub struct S3Error {
    pub code: Code,
    pub message: String,
    /// Extra elements for the error document, such as `<Condition>` or `<MaxAllowedSize>`.
    pub details: Vec<(&'static str, String)>,
    /// Extra response headers, such as `x-amz-delete-marker` on a 404 for a deleted key.
    pub headers: Vec<(&'static str, String)>,
}

pub type S3Result<T> = Result<T, S3Error>;

impl S3Error {
    pub fn new(code: Code) -> Self {
        S3Error::msg(code, code.default_message())
    }

    pub fn msg(code: Code, message: impl Into<String>) -> Self {
        S3Error { code, message: message.into(), details: Vec::new(), headers: Vec::new() }
    }

    pub fn detail(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.details.push((name, value.into()));
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        tracing::error!(%context, "internal error");
        S3Error::new(Code::InternalError)
    }
}

/// The message of an `EngineError::Superseded`, which `handlers::reading` tries again.
const SUPERSEDED: &str = "The object changed while it was being read. Please try again.";

impl S3Error {
    /// The version read was replaced before its bytes were opened: reading it again will do.
    pub fn is_superseded(&self) -> bool {
        self.code == Code::InternalError && self.message == SUPERSEDED
    }
}

impl From<Code> for S3Error {
    fn from(code: Code) -> Self {
        S3Error::new(code)
    }
}

impl From<EngineError> for S3Error {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NoSuchBucket => Code::NoSuchBucket.into(),
            EngineError::BucketAlreadyExists => Code::BucketAlreadyExists.into(),
            EngineError::BucketAlreadyOwnedByYou => Code::BucketAlreadyOwnedByYou.into(),
            EngineError::BucketNotEmpty => Code::BucketNotEmpty.into(),
            EngineError::NoSuchKey => Code::NoSuchKey.into(),
            EngineError::PreconditionFailed => Code::PreconditionFailed.into(),
            EngineError::WriteConditionFailed(header) => {
                S3Error::new(Code::PreconditionFailed).detail("Condition", header)
            }
            EngineError::InvalidBucketName(why) => S3Error::msg(Code::InvalidBucketName, why),
            EngineError::KeyTooLong => Code::KeyTooLongError.into(),
            EngineError::NoSuchUpload => Code::NoSuchUpload.into(),
            EngineError::NoSuchVersion => Code::NoSuchVersion.into(),
            EngineError::ObjectLocked(why) => S3Error::msg(
                Code::AccessDenied,
                match why {
                    firn_storage::model::object_lock::Refusal::LegalHold => {
                        "Access Denied because object protected by object lock (legal hold)"
                    }
                    firn_storage::model::object_lock::Refusal::Compliance => {
                        "Access Denied because object protected by object lock (COMPLIANCE retention)"
                    }
                    firn_storage::model::object_lock::Refusal::Governance => {
                        "Access Denied because object protected by object lock (GOVERNANCE retention)"
                    }
                },
            ),
            EngineError::InvalidBucketState => S3Error::msg(
                Code::InvalidBucketState,
                "An Object Lock configuration is present on this bucket, or versioning is not Enabled on it",
            ),
            EngineError::InvalidVersionId => {
                S3Error::msg(Code::InvalidArgument, "Invalid version id specified").detail("ArgumentName", "versionId")
            }
            EngineError::InvalidPart(n) => S3Error::new(Code::InvalidPart).detail("PartNumber", n.to_string()),
            EngineError::InvalidPartOrder => Code::InvalidPartOrder.into(),
            EngineError::EntityTooSmall(n, min) => S3Error::new(Code::EntityTooSmall)
                .detail("PartNumber", n.to_string())
                .detail("MinSizeAllowed", min.to_string()),
            EngineError::QuotaExceeded(q) => S3Error::new(Code::QuotaExceeded).detail("QuotaBytes", q.to_string()),
            // The user directory's errors reach only the admin API, which speaks IAM's codes.
            e @ (EngineError::NoSuchUser | EngineError::NoSuchAccessKey) => {
                S3Error::msg(Code::NoSuchEntity, e.to_string())
            }
            e @ (EngineError::UserAlreadyExists | EngineError::AccessKeyInUse) => {
                S3Error::msg(Code::EntityAlreadyExists, e.to_string())
            }
            e @ EngineError::InvalidUserName => S3Error::msg(Code::InvalidInput, e.to_string()),
            e @ EngineError::TooManyKeys(_) => S3Error::msg(Code::LimitExceeded, e.to_string()),
            e @ (EngineError::UserOwnsBuckets(_) | EngineError::Conflict) => {
                S3Error::msg(Code::DeleteConflict, e.to_string())
            }
            EngineError::EmptyKey => S3Error::msg(Code::InvalidArgument, "The object key must not be empty"),
            EngineError::InvalidObjectState(class) => {
                S3Error::new(Code::InvalidObjectState).detail("StorageClass", class)
            }
            EngineError::RestoreAlreadyInProgress => Code::RestoreAlreadyInProgress.into(),
            EngineError::Superseded => S3Error::msg(Code::InternalError, SUPERSEDED),
            EngineError::InvalidRestore(why) => S3Error::msg(Code::InvalidArgument, why),
            e @ (EngineError::Io(_) | EngineError::Meta(_)) => match e.io_error() {
                Some(io) => std::io::Error::new(io.kind(), io.to_string()).into(),
                None => S3Error::internal(e),
            },
            e @ EngineError::Corrupt(_) => S3Error::internal(e),
        }
    }
}

/// Disk faults are the server's, and say so: a full disk is 507, a read-only one 503 (retry later).
impl From<std::io::Error> for S3Error {
    fn from(e: std::io::Error) -> Self {
        // EMFILE and ENFILE: out of descriptors for now; a retry later succeeds.
        if matches!(e.raw_os_error(), Some(23 | 24)) {
            tracing::warn!(error = %e, "out of file descriptors");
            return S3Error::msg(Code::ServiceUnavailable, "The server is out of file descriptors; try again later.");
        }
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                tracing::warn!(error = %e, "out of space");
                S3Error::new(Code::InsufficientStorage)
            }
            std::io::ErrorKind::ReadOnlyFilesystem => {
                tracing::warn!(error = %e, "data directory is read-only");
                S3Error::msg(Code::ServiceUnavailable, "The data directory is read-only; try again later.")
            }
            _ => S3Error::internal(e),
        }
    }
}
