//! The operations Firn serves, each with what it needs: its `s3:` action and where the right to it
//! comes from (the one table the access evaluator reads).

use firn_storage::model::acl::Permission as Acl;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_compatibility_table_is_true() {
        let readme = include_str!("../../../README.md");
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
}
