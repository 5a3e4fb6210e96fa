//! The conditions a write or a delete must meet, checked under the key's mutex against the
//! version it replaces or removes (conditional PUT and DELETE).

use crate::base::error::{EngineError, Result};
use crate::model::record::ObjectRecord;

/// Conditions checked atomically with a write (conditional PUT).
#[derive(Clone, Debug, Default)]
pub struct WriteCondition {
    /// `If-Match`: the current ETag (unquoted) must equal this (`*`: any current object).
    pub if_match: Option<String>,
    /// `If-None-Match`: no current object may have this ETag (`*`: no current object at all).
    pub if_none_match: Option<String>,
}

impl WriteCondition {
    /// `If-None-Match: *`: write only where nothing is.
    pub fn if_absent() -> WriteCondition {
        WriteCondition { if_none_match: Some("*".into()), ..Default::default() }
    }

    pub(crate) fn check(&self, current: Option<&ObjectRecord>) -> Result<()> {
        let matches = |want: &str, cur: &ObjectRecord| want == "*" || want == cur.etag;
        match (current, &self.if_match) {
            (None, Some(_)) => return Err(EngineError::NoSuchKey),
            (Some(cur), Some(etag)) if !matches(etag, cur) => {
                return Err(EngineError::WriteConditionFailed("If-Match"))
            }
            _ => {}
        }
        match (current, &self.if_none_match) {
            (Some(cur), Some(etag)) if matches(etag, cur) => Err(EngineError::WriteConditionFailed("If-None-Match")),
            _ => Ok(()),
        }
    }
}

/// Conditions a delete must meet (`If-Match`, `x-amz-if-match-last-modified-time`,
/// `x-amz-if-match-size`, or their DeleteObjects forms), checked under the key's mutex against the
/// version the delete removes: the current one, or the one named.
#[derive(Clone, Debug, Default)]
pub struct DeleteCondition {
    /// Its ETag (unquoted), or `*` for any.
    pub if_match: Option<String>,
    /// Its last-modified time, to the second.
    pub last_modified_ms: Option<i64>,
    pub size: Option<u64>,
    /// `x-amz-bypass-governance-retention`, from a caller allowed it: GOVERNANCE retention does
    /// not keep the version.
    pub bypass_governance: bool,
}

impl DeleteCondition {
    pub(crate) fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.last_modified_ms.is_none() && self.size.is_none()
    }

    /// As S3 has it: an ETag condition needs the object to exist (NoSuchKey); time and size
    /// conditions on a missing object let the (no-op) delete succeed.
    pub(crate) fn check(&self, target: Option<&ObjectRecord>) -> Result<()> {
        let Some(t) = target.filter(|t| !t.delete_marker) else {
            return if self.if_match.is_some() { Err(EngineError::NoSuchKey) } else { Ok(()) };
        };
        let etag_ok = self.if_match.as_deref().is_none_or(|e| e == "*" || e == t.etag);
        let time_ok = self.last_modified_ms.is_none_or(|ms| ms / 1000 == t.last_modified_ms / 1000);
        let size_ok = self.size.is_none_or(|s| s == t.size);
        if etag_ok && time_ok && size_ok {
            Ok(())
        } else {
            Err(EngineError::PreconditionFailed)
        }
    }
}
