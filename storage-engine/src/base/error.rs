use std::io;

/// Everything the engine can fail with. The daemon maps each variant to one S3 error.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the specified bucket does not exist")]
    NoSuchBucket,
    #[error("the object version is locked: {0:?}")]
    ObjectLocked(Refusal),
    #[error("the bucket's Object Lock does not allow this")]
    InvalidBucketState,
    #[error("the bucket name is taken by another owner")]
    BucketAlreadyExists,
    #[error("the bucket already exists and is owned by you")]
    BucketAlreadyOwnedByYou,
    #[error("the bucket is not empty")]
    BucketNotEmpty,
    #[error("the specified key does not exist")]
    NoSuchKey,
    #[error("the specified version does not exist")]
    NoSuchVersion,
    #[error("invalid version id")]
    InvalidVersionId,
    #[error("a precondition did not hold")]
    PreconditionFailed,
    /// A conditional write's condition did not hold: the header that failed.
    #[error("the write's {0} condition did not hold")]
    WriteConditionFailed(&'static str),
    #[error("invalid bucket name: {0}")]
    InvalidBucketName(&'static str),
    #[error("the key is longer than the maximum allowed")]
    KeyTooLong,
    #[error("the key is empty")]
    EmptyKey,
    #[error("the specified multipart upload does not exist")]
    NoSuchUpload,
    #[error("part {0} was not uploaded or its ETag does not match")]
    InvalidPart(u32),
    #[error("the list of parts was not in ascending order")]
    InvalidPartOrder,
    #[error("part {0} is smaller than the minimum allowed size of {1} bytes")]
    EntityTooSmall(u32, u64),
    #[error("the bucket's quota of {0} bytes would be exceeded")]
    QuotaExceeded(u64),
    #[error("no such user")]
    NoSuchUser,
    #[error("a user of that name exists")]
    UserAlreadyExists,
    #[error("a user name is 1 to 64 letters, digits and +=,.@_-")]
    InvalidUserName,
    #[error("no such access key")]
    NoSuchAccessKey,
    #[error("that access key is in use")]
    AccessKeyInUse,
    #[error("a user may hold at most {0} access keys")]
    TooManyKeys(usize),
    #[error("the user still owns buckets: {0}")]
    UserOwnsBuckets(String),
    #[error("the operation is not valid for the object's storage class {0}")]
    InvalidObjectState(String),
    #[error("a restore of this object is already in progress")]
    RestoreAlreadyInProgress,
    #[error("{0}")]
    InvalidRestore(String),
    #[error("the record changed meanwhile; try again")]
    Conflict,
    /// A version's bytes were released after its record was read (an overwrite, a delete, a
    /// compaction or an expired restored copy): read the record again.
    #[error("the version was replaced while it was being opened; read it again")]
    Superseded,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("io: {0}")]
    Io(#[from] io::Error),
    /// A metadata store failure other than I/O (which is `Io`).
    #[error("metadata store: {0}")]
    Meta(String),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    /// True when the error comes from the machine (disk full, read-only, ...) rather than the request.
    pub fn is_internal(&self) -> bool {
        matches!(self, EngineError::Corrupt(_) | EngineError::Io(_) | EngineError::Meta(_))
    }

    /// The operating-system error behind a data or metadata failure (a full or read-only disk).
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            EngineError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a change to a version's lock, or its removal, is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    LegalHold,
    Compliance,
    /// GOVERNANCE retention, without the right to bypass it.
    Governance,
}
