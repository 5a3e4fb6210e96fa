//! The S3 actions a bucket policy may name, with the kind of resource each applies to. A policy
//! naming anything else is refused (`Policy has invalid action`), and a statement whose actions
//! apply to none of its resources too (`Action does not apply to any resource(s) in statement`).
//! Firn serves a subset of these; the rest are accepted in policies as S3 accepts them.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum On {
    Bucket,
    Object,
}

use On::{Bucket, Object};

pub const ACTIONS: &[(&str, On)] = &[
    ("s3:AbortMultipartUpload", Object),
    ("s3:BypassGovernanceRetention", Object),
    ("s3:CreateBucket", Bucket),
    ("s3:DeleteBucket", Bucket),
    ("s3:DeleteBucketPolicy", Bucket),
    ("s3:DeleteBucketWebsite", Bucket),
    ("s3:DeleteObject", Object),
    ("s3:DeleteObjectTagging", Object),
    ("s3:DeleteObjectVersion", Object),
    ("s3:DeleteObjectVersionTagging", Object),
    ("s3:GetAccelerateConfiguration", Bucket),
    ("s3:GetAnalyticsConfiguration", Bucket),
    ("s3:GetBucketAcl", Bucket),
    ("s3:GetBucketCORS", Bucket),
    ("s3:GetBucketLocation", Bucket),
    ("s3:GetBucketLogging", Bucket),
    ("s3:GetBucketNotification", Bucket),
    ("s3:GetBucketObjectLockConfiguration", Bucket),
    ("s3:GetBucketOwnershipControls", Bucket),
    ("s3:GetBucketPolicy", Bucket),
    ("s3:GetBucketPolicyStatus", Bucket),
    ("s3:GetBucketPublicAccessBlock", Bucket),
    ("s3:GetBucketRequestPayment", Bucket),
    ("s3:GetBucketTagging", Bucket),
    ("s3:GetBucketVersioning", Bucket),
    ("s3:GetBucketWebsite", Bucket),
    ("s3:GetEncryptionConfiguration", Bucket),
    ("s3:GetIntelligentTieringConfiguration", Bucket),
    ("s3:GetInventoryConfiguration", Bucket),
    ("s3:GetLifecycleConfiguration", Bucket),
    ("s3:GetMetricsConfiguration", Bucket),
    ("s3:GetObject", Object),
    ("s3:GetObjectAcl", Object),
    ("s3:GetObjectAttributes", Object),
    ("s3:GetObjectLegalHold", Object),
    ("s3:GetObjectRetention", Object),
    ("s3:GetObjectTagging", Object),
    ("s3:GetObjectTorrent", Object),
    ("s3:GetObjectVersion", Object),
    ("s3:GetObjectVersionAcl", Object),
    ("s3:GetObjectVersionAttributes", Object),
    ("s3:GetObjectVersionForReplication", Object),
    ("s3:GetObjectVersionTagging", Object),
    ("s3:GetObjectVersionTorrent", Object),
    ("s3:GetReplicationConfiguration", Bucket),
    ("s3:ListBucket", Bucket),
    ("s3:ListBucketMultipartUploads", Bucket),
    ("s3:ListBucketVersions", Bucket),
    ("s3:ListMultipartUploadParts", Object),
    ("s3:ObjectOwnerOverrideToBucketOwner", Object),
    ("s3:PutAccelerateConfiguration", Bucket),
    ("s3:PutAnalyticsConfiguration", Bucket),
    ("s3:PutBucketAcl", Bucket),
    ("s3:PutBucketCORS", Bucket),
    ("s3:PutBucketLogging", Bucket),
    ("s3:PutBucketNotification", Bucket),
    ("s3:PutBucketObjectLockConfiguration", Bucket),
    ("s3:PutBucketOwnershipControls", Bucket),
    ("s3:PutBucketPolicy", Bucket),
    ("s3:PutBucketPublicAccessBlock", Bucket),
    ("s3:PutBucketRequestPayment", Bucket),
    ("s3:PutBucketTagging", Bucket),
    ("s3:PutBucketVersioning", Bucket),
    ("s3:PutBucketWebsite", Bucket),
    ("s3:PutEncryptionConfiguration", Bucket),
    ("s3:PutIntelligentTieringConfiguration", Bucket),
    ("s3:PutInventoryConfiguration", Bucket),
    ("s3:PutLifecycleConfiguration", Bucket),
    ("s3:PutMetricsConfiguration", Bucket),
    ("s3:PutObject", Object),
    ("s3:PutObjectAcl", Object),
    ("s3:PutObjectLegalHold", Object),
    ("s3:PutObjectRetention", Object),
    ("s3:PutObjectTagging", Object),
    ("s3:PutObjectVersionAcl", Object),
    ("s3:PutObjectVersionTagging", Object),
    ("s3:PutReplicationConfiguration", Bucket),
    ("s3:ReplicateDelete", Object),
    ("s3:ReplicateObject", Object),
    ("s3:ReplicateTags", Object),
    ("s3:RestoreObject", Object),
];

/// `*` any run of characters, `?` any one, everything else itself; `fold`: ASCII case ignored.
pub fn wildcard(pattern: &str, text: &str, fold: bool) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let eq = |a: u8, b: u8| if fold { a.eq_ignore_ascii_case(&b) } else { a == b };
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and how much of the text it has taken so far.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || (p[pi] != b'*' && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The actions an `Action` pattern names (case-insensitive, wildcards allowed).
pub fn matching(pattern: &str) -> impl Iterator<Item = &'static (&'static str, On)> + '_ {
    ACTIONS.iter().filter(move |(name, _)| pattern == "*" || wildcard(pattern, name, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let cases: &[(&str, &str, bool, bool)] = &[
            ("*", "", false, true),
            ("*", "anything", false, true),
            ("s3:Get*", "s3:GetObject", false, true),
            ("s3:get*", "s3:GetObject", true, true),
            ("s3:get*", "s3:GetObject", false, false),
            ("s3:*Object", "s3:GetObject", false, true),
            ("s3:*Object", "s3:GetObjectAcl", false, false),
            ("a?c", "abc", false, true),
            ("a?c", "ac", false, false),
            ("home/*/docs/*", "home/bob/docs/x.txt", false, true),
            ("home/*/docs/*", "home/bob/pics/x.txt", false, false),
            ("*a*b*", "xxaxxbxx", false, true),
            ("*a*b", "xxaxxbxxc", false, false),
            ("bucket/*", "bucket/", false, true),
            ("bucket/*", "bucket", false, false),
        ];
        for &(p, t, fold, want) in cases {
            assert_eq!(wildcard(p, t, fold), want, "{p} ~ {t} (fold {fold})");
        }
    }

    #[test]
    fn action_patterns() {
        assert_eq!(matching("s3:GetObject").count(), 1);
        assert_eq!(matching("S3:GETOBJECT").count(), 1);
        assert_eq!(matching("s3:*").count(), ACTIONS.len());
        assert!(matching("s3:Get*").all(|(n, _)| n.starts_with("s3:Get")));
        assert_eq!(matching("s3:Fly").count(), 0);
        assert_eq!(matching("iam:GetUser").count(), 0);
    }
}
