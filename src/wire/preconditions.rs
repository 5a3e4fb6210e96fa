//! Range and conditional request headers (RFC 9110 as S3 applies them).

use crate::wire::error::{Code, S3Error, S3Result};
use chrono::{DateTime, Utc};

/// HTTP-date, as in Last-Modified.
pub fn http_date(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// ISO 8601 with milliseconds, as in XML documents.
pub fn iso_date(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim()).ok().map(|d| d.with_timezone(&Utc))
}

/// A timestamp as S3 takes one in a header (HTTP-date) or in XML (ISO 8601), in milliseconds.
fn parse_timestamp(s: &str) -> Option<i64> {
    let iso = DateTime::parse_from_rfc3339(s.trim()).ok().map(|d| d.with_timezone(&Utc));
    iso.or_else(|| parse_http_date(s)).map(|d| d.timestamp_millis())
}

/// A delete's conditions: `If-Match`, `x-amz-if-match-last-modified-time`, `x-amz-if-match-size`
/// (or DeleteObjects' ETag, LastModifiedTime and Size of one object).
pub fn delete_condition(
    if_match: Option<&str>,
    last_modified: Option<&str>,
    size: Option<&str>,
) -> S3Result<firn_storage::DeleteCondition> {
    let invalid = |what: &str, v: &str| {
        S3Error::msg(Code::InvalidArgument, format!("Invalid {what}: {v}")).detail("ArgumentName", what.to_owned())
    };
    Ok(firn_storage::DeleteCondition {
        if_match: if_match.map(|m| m.trim().trim_matches('"').to_owned()),
        last_modified_ms: last_modified
            .map(|v| parse_timestamp(v).ok_or_else(|| invalid("x-amz-if-match-last-modified-time", v)))
            .transpose()?,
        size: size.map(|v| v.trim().parse().map_err(|_| invalid("x-amz-if-match-size", v))).transpose()?,
        bypass_governance: false,
    })
}

/// True when an If-Match / If-None-Match list names this ETag (or is `*`).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t.trim_matches('"') == etag
    })
}

/// The four conditional headers, from a GET/HEAD or (with the `x-amz-copy-source-` prefix) a copy.
#[derive(Default, Debug)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
}

pub enum Outcome {
    Proceed,
    NotModified,
}

impl<'a> Conditions<'a> {
    pub fn from_headers(h: &'a http::HeaderMap, prefix: &str) -> Self {
        let get = |n: &str| h.get(format!("{prefix}{n}")).and_then(|v| v.to_str().ok());
        Conditions {
            if_match: get("if-match"),
            if_none_match: get("if-none-match"),
            if_modified_since: get("if-modified-since"),
            if_unmodified_since: get("if-unmodified-since"),
        }
    }

    /// Evaluates in S3's order: If-Match (else If-Unmodified-Since) can fail with 412, then
    /// If-None-Match (else If-Modified-Since) gives 304. Unparsable dates are ignored.
    pub fn evaluate(&self, etag: &str, last_modified_ms: i64) -> S3Result<Outcome> {
        let modified = last_modified_ms / 1000;
        let failed = || S3Error::new(Code::PreconditionFailed);
        if let Some(m) = self.if_match {
            if !etag_matches(m, etag) {
                return Err(failed().detail("Condition", "If-Match"));
            }
        } else if let Some(d) = self.if_unmodified_since.and_then(parse_http_date) {
            if modified > d.timestamp() {
                return Err(failed().detail("Condition", "If-Unmodified-Since"));
            }
        }
        if let Some(m) = self.if_none_match {
            if etag_matches(m, etag) {
                return Ok(Outcome::NotModified);
            }
        } else if let Some(d) = self.if_modified_since.and_then(parse_http_date) {
            if modified <= d.timestamp() {
                return Ok(Outcome::NotModified);
            }
        }
        Ok(Outcome::Proceed)
    }
}

/// Parses a `Range` header against an object size. None: serve the whole object (absent, a
/// syntax S3 ignores, or several ranges). Unsatisfiable ranges are InvalidRange.
pub fn parse_range(header: Option<&str>, size: u64) -> S3Result<Option<(u64, u64)>> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let unsatisfiable = || {
        S3Error::new(Code::InvalidRange)
            .detail("RangeRequested", format!("bytes={spec}"))
            .detail("ActualObjectSize", size.to_string())
    };
    let (start, end) = match (a.trim(), b.trim()) {
        ("", "") => return Ok(None),
        ("", n) => {
            let Ok(n) = n.parse::<u64>() else {
                return Ok(None);
            };
            if n == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            (size.saturating_sub(n), size)
        }
        (s, e) => {
            let Ok(s) = s.parse::<u64>() else {
                return Ok(None);
            };
            let e = if e.is_empty() {
                size
            } else {
                match e.parse::<u64>() {
                    Ok(e) if e >= s => e.saturating_add(1).min(size),
                    _ => return Ok(None),
                }
            };
            if s >= size {
                return Err(unsatisfiable());
            }
            (s, e)
        }
    };
    Ok(Some((start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(Some("bytes=0-9"), 100).unwrap(), Some((0, 10)));
        assert_eq!(parse_range(Some("bytes=90-200"), 100).unwrap(), Some((90, 100)));
        assert_eq!(parse_range(Some("bytes=10-"), 100).unwrap(), Some((10, 100)));
        assert_eq!(parse_range(Some("bytes=-10"), 100).unwrap(), Some((90, 100)));
        assert_eq!(parse_range(Some("bytes=-1000"), 100).unwrap(), Some((0, 100)));
        assert_eq!(parse_range(Some("bytes=5-1"), 100).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100).unwrap(), None);
        assert_eq!(parse_range(Some("items=0-1"), 100).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=100-"), 100).unwrap_err().code, Code::InvalidRange);
        assert_eq!(parse_range(Some("bytes=0-"), 0).unwrap_err().code, Code::InvalidRange);
        assert_eq!(parse_range(Some("bytes=-0"), 100).unwrap_err().code, Code::InvalidRange);
    }

    #[test]
    fn range_ending_at_u64_max_does_not_overflow() {
        // Found by the http_headers fuzz target: `last + 1` overflowed.
        assert_eq!(parse_range(Some("bytes=0-18446744073709551615"), 100).unwrap(), Some((0, 100)));
        assert_eq!(parse_range(Some("bytes=-18446744073709551615"), 100).unwrap(), Some((0, 100)));
    }

    #[test]
    fn conditions_follow_s3_precedence() {
        let lm = 1_700_000_000_000;
        let before = "Tue, 14 Nov 2023 22:00:00 GMT"; // before lm
        let after = "Wed, 15 Nov 2023 00:00:00 GMT";
        let c = |m, nm, ms, us| Conditions {
            if_match: m,
            if_none_match: nm,
            if_modified_since: ms,
            if_unmodified_since: us,
        };
        let ok = |c: Conditions| matches!(c.evaluate("abc", lm), Ok(Outcome::Proceed));
        let not_mod = |c: Conditions| matches!(c.evaluate("abc", lm), Ok(Outcome::NotModified));
        let failed = |c: Conditions| matches!(c.evaluate("abc", lm), Err(e) if e.code == Code::PreconditionFailed);
        assert!(ok(c(Some("\"abc\""), None, None, None)));
        assert!(failed(c(Some("\"x\""), None, None, None)));
        assert!(ok(c(Some("\"abc\""), None, None, Some(before))), "If-Match true wins over If-Unmodified-Since false");
        assert!(failed(c(None, None, None, Some(before))));
        assert!(not_mod(c(None, Some("\"abc\""), None, None)));
        assert!(not_mod(c(None, Some("\"abc\""), Some(before), None)), "If-None-Match false wins");
        assert!(ok(c(None, Some("\"zzz\""), Some(after), None)), "If-None-Match true wins over If-Modified-Since");
        assert!(not_mod(c(None, None, Some(after), None)));
        assert!(ok(c(None, None, Some(before), None)));
        assert!(ok(c(None, None, Some("garbage"), None)));
    }
}
