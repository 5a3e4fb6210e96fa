//! S3's errors as sentences a person can act on. The code stays in the sentence's end, for
//! whoever searches for it; an access refusal says which decision refused it.

use crate::access::decision::{Noted, Reason};
use crate::access::policy::Effect;
use crate::wire::error::{Code, S3Error};

/// The sentence for `e`, given the access decisions its request made (the last refusal explains
/// an AccessDenied).
pub fn sentence(e: &S3Error, notes: &[Noted]) -> String {
    let said = |s: &str| format!("{s} ({})", e.code.as_str());
    match e.code {
        Code::AccessDenied => access_denied(notes.iter().rev().find(|n| !n.decision.allowed)),
        Code::NoSuchBucket => said("This bucket does not exist (it may have been deleted)."),
        Code::NoSuchKey => said("This object does not exist (it may have been deleted)."),
        Code::NoSuchVersion => said("This version does not exist (it may have been deleted)."),
        Code::BucketNotEmpty => said(
            "The bucket is not empty: delete its objects first (in a versioned bucket, every version and delete marker).",
        ),
        Code::BucketAlreadyExists => said("That bucket name is taken: bucket names are shared by all users."),
        Code::BucketAlreadyOwnedByYou => said("You already own a bucket of that name."),
        Code::InvalidBucketName => {
            said("That is not a valid bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens.")
        }
        Code::InvalidObjectState => said("This object is in the archive tier: restore it, then download it once ready."),
        Code::RestoreAlreadyInProgress => said("A restore of this object is already in progress."),
        Code::QuotaExceeded => said("The bucket's quota would be exceeded by this upload."),
        Code::InvalidTag => said(&format!("Those tags are not valid: {}", e.message)),
        Code::KeyTooLongError => said("That name is too long: keys are at most 1024 bytes."),
        Code::EntityTooLarge => said("That file is larger than this server accepts."),
        Code::InternalError => said("Something went wrong on the server; the server's log has the details."),
        _ if e.message.is_empty() => said(e.code.default_message()),
        _ => said(&e.message),
    }
}

fn access_denied(refusal: Option<&Noted>) -> String {
    let Some(n) = refusal else {
        return "Access denied: your keys may not do this (AccessDenied).".into();
    };
    let action = &n.action;
    match &n.decision.reason {
        Reason::Statement { label, effect: Effect::Deny } => {
            format!("Access denied: statement '{label}' of this bucket's policy forbids {action} here (AccessDenied).")
        }
        _ => format!(
            "Access denied: neither this bucket's policy nor its access control list lets you {action} here (AccessDenied)."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::decision::Decision;

    fn noted(action: &str, allowed: bool, reason: Reason) -> Noted {
        Noted { action: action.into(), decision: Decision { allowed, reason } }
    }

    #[test]
    fn sentences() {
        let deny = Reason::Statement { label: "DenyDeletes".into(), effect: Effect::Deny };
        let allow = Reason::Statement { label: "Reads".into(), effect: Effect::Allow };
        let table: Vec<(S3Error, Vec<Noted>, &str)> = vec![
            (
                S3Error::new(Code::AccessDenied),
                vec![noted("s3:ListBucket", true, allow), noted("s3:DeleteObject", false, deny)],
                "Access denied: statement 'DenyDeletes' of this bucket's policy forbids s3:DeleteObject here (AccessDenied).",
            ),
            (
                S3Error::new(Code::AccessDenied),
                vec![noted("s3:GetObject", false, Reason::Implicit)],
                "Access denied: neither this bucket's policy nor its access control list lets you s3:GetObject here (AccessDenied).",
            ),
            (S3Error::new(Code::AccessDenied), vec![], "Access denied: your keys may not do this (AccessDenied)."),
            (
                S3Error::new(Code::BucketNotEmpty),
                vec![],
                "The bucket is not empty: delete its objects first (in a versioned bucket, every version and delete marker). (BucketNotEmpty)",
            ),
            (
                S3Error::msg(Code::InvalidRequest, "Days must be positive"),
                vec![],
                "Days must be positive (InvalidRequest)",
            ),
        ];
        for (e, notes, want) in table {
            assert_eq!(sentence(&e, &notes), want);
        }
    }
}
