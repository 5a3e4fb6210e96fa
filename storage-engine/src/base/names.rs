//! Validated names: a bucket name or key that exists as one of these types has passed S3's rules.

use crate::base::error::{EngineError, Result};
use std::fmt;

/// S3's limit on the UTF-8 length of a key.
pub const MAX_KEY_LEN: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketName(String);

impl BucketName {
    /// Applies Amazon S3's general-purpose bucket naming rules.
    pub fn parse(name: &str) -> Result<Self> {
        let err = EngineError::InvalidBucketName;
        if !(3..=63).contains(&name.len()) {
            return Err(err("bucket names must be between 3 and 63 characters long"));
        }
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
        if !name.chars().all(ok_char) {
            return Err(err("bucket names may contain only lowercase letters, digits, dots and hyphens"));
        }
        let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
            return Err(err("bucket names must begin and end with a letter or digit"));
        }
        if name.contains("..") || name.contains(".-") || name.contains("-.") {
            return Err(err("bucket names must not contain adjacent periods or a period next to a hyphen"));
        }
        if name.parse::<std::net::Ipv4Addr>().is_ok() {
            return Err(err("bucket names must not be formatted as an IP address"));
        }
        const BAD_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
        const BAD_SUFFIXES: [&str; 3] = ["-s3alias", "--ol-s3", "--x-s3"];
        if BAD_PREFIXES.iter().any(|p| name.starts_with(p)) || BAD_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            return Err(err("bucket names must not use a reserved prefix or suffix"));
        }
        Ok(BucketName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An object key: non-empty UTF-8 of at most [`MAX_KEY_LEN`] bytes. Keys never become file paths,
/// so `../` or a leading `/` are just bytes here.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn parse(key: &str) -> Result<Self> {
        if key.is_empty() {
            return Err(EngineError::EmptyKey);
        }
        if key.len() > MAX_KEY_LEN {
            return Err(EngineError::KeyTooLong);
        }
        Ok(ObjectKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_rules() {
        for good in ["abc", "my-bucket.v2", "0123456789", &"a".repeat(63)] {
            assert!(BucketName::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "ABC",
            "a_b",
            "-abc",
            "abc-",
            "a..b",
            "a.-b",
            "192.168.5.4",
            "xn--abc",
            "abc-s3alias",
            &"a".repeat(64),
        ] {
            assert!(BucketName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_rules() {
        assert!(ObjectKey::parse("../../etc/passwd").is_ok());
        assert!(matches!(ObjectKey::parse(""), Err(EngineError::EmptyKey)));
        assert!(ObjectKey::parse(&"k".repeat(1024)).is_ok());
        assert!(matches!(ObjectKey::parse(&"k".repeat(1025)), Err(EngineError::KeyTooLong)));
    }
}
