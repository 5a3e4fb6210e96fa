//! The additional checksums S3 accepts (`x-amz-checksum-*`): computed while the body streams,
//! compared with the value from a header or a trailer.

use crate::error::{Code, S3Error, S3Result};
use base64::Engine as _;
use sha1::Sha1;
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 5] =
        [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme, Algorithm::Sha1, Algorithm::Sha256];

    /// The name used in `x-amz-sdk-checksum-algorithm` and in stored records.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    pub fn header(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "x-amz-checksum-crc32",
            Algorithm::Crc32c => "x-amz-checksum-crc32c",
            Algorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Algorithm::Sha1 => "x-amz-checksum-sha1",
            Algorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    pub fn from_header(h: &str) -> Option<Algorithm> {
        Self::ALL.into_iter().find(|a| a.header().eq_ignore_ascii_case(h))
    }

    pub fn from_name(n: &str) -> Option<Algorithm> {
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(n))
    }

    fn digest_len(self) -> usize {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
            Algorithm::Crc64Nvme => 8,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
        }
    }
}

pub enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Hasher {
    pub fn new(alg: Algorithm) -> Hasher {
        match alg {
            Algorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => Hasher::Crc32c(0),
            Algorithm::Crc64Nvme => Hasher::Crc64Nvme(crc64fast_nvme::Digest::new()),
            Algorithm::Sha1 => Hasher::Sha1(Sha1::new()),
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(data),
            Hasher::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
            Hasher::Crc64Nvme(h) => h.write(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    /// The digest, base64-encoded as S3 shows it.
    pub fn finish(self) -> String {
        let bytes: Vec<u8> = match self {
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Hasher::Crc32c(c) => c.to_be_bytes().to_vec(),
            Hasher::Crc64Nvme(h) => h.sum64().to_be_bytes().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        };
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// Checks that a claimed value is well-formed base64 of the algorithm's digest length.
pub fn validate(alg: Algorithm, value: &str) -> S3Result<()> {
    match base64::engine::general_purpose::STANDARD.decode(value) {
        Ok(b) if b.len() == alg.digest_len() => Ok(()),
        _ => Err(S3Error::msg(Code::InvalidRequest, format!("Value for {} header is invalid.", alg.header()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(alg: Algorithm, data: &[u8]) -> String {
        let mut h = Hasher::new(alg);
        h.update(data);
        h.finish()
    }

    #[test]
    fn known_values() {
        // Values as the AWS SDKs compute them for "hello".
        assert_eq!(digest(Algorithm::Crc32, b"hello"), "NhCmhg==");
        assert_eq!(digest(Algorithm::Crc32c, b"hello"), "mnG7TA==");
        assert_eq!(digest(Algorithm::Sha1, b"hello"), "qvTGHdzF6KLavt4PO0gs2a6pQ00=");
        assert_eq!(digest(Algorithm::Sha256, b"hello"), "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
        assert_eq!(digest(Algorithm::Crc64Nvme, b""), "AAAAAAAAAAA=");
        assert!(validate(Algorithm::Crc32, "NhCmhg==").is_ok());
        assert!(validate(Algorithm::Crc32, "NhCmhg").is_err());
        assert!(validate(Algorithm::Sha1, "NhCmhg==").is_err());
    }
}
