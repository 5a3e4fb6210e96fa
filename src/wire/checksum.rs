//! The additional checksums S3 accepts (`x-amz-checksum-*`): computed while the body streams,
//! compared with the value from a header or a trailer.

use crate::wire::error::{Code, S3Error, S3Result};
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

    /// The element that carries this checksum in XML documents.
    pub fn xml_element(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "ChecksumCRC32",
            Algorithm::Crc32c => "ChecksumCRC32C",
            Algorithm::Crc64Nvme => "ChecksumCRC64NVME",
            Algorithm::Sha1 => "ChecksumSHA1",
            Algorithm::Sha256 => "ChecksumSHA256",
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

/// The headers that show a stored checksum: (`x-amz-checksum-<alg>`, value, checksum type).
/// Composite checksums end in `-N`.
pub fn stored_headers(stored: &(String, String)) -> Option<(&'static str, &str, &'static str)> {
    let alg = Algorithm::from_name(&stored.0)?;
    let kind = if stored.1.contains('-') { "COMPOSITE" } else { "FULL_OBJECT" };
    Some((alg.header(), stored.1.as_str(), kind))
}

fn b64(value: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(value).ok()
}

/// The checksum of a multipart object of type COMPOSITE: the algorithm over the concatenated
/// binary part checksums, then `-N`.
pub fn composite(alg: Algorithm, parts: &[&str]) -> Option<String> {
    let mut h = Hasher::new(alg);
    for p in parts {
        h.update(&b64(p)?);
    }
    Some(format!("{}-{}", h.finish(), parts.len()))
}

/// Multiplies a GF(2) matrix (one u64 column per bit) by a vector.
fn gf2_times(mat: &[u64; 64], mut vec: u64) -> u64 {
    let mut sum = 0;
    let mut i = 0;
    while vec != 0 {
        if vec & 1 != 0 {
            sum ^= mat[i];
        }
        vec >>= 1;
        i += 1;
    }
    sum
}

fn gf2_square(mat: &[u64; 64], width: usize) -> [u64; 64] {
    let mut sq = [0u64; 64];
    for n in 0..width {
        sq[n] = gf2_times(mat, mat[n]);
    }
    sq
}

/// CRC of A||B from CRC(A), CRC(B) and len(B), for reflected CRCs with all-ones init and xor-out
/// (CRC32, CRC32C and CRC64NVME all are). Zero-extends crc_a by len_b bytes with squared operators.
fn crc_combine(crc_a: u64, crc_b: u64, mut len_b: u64, reflected_poly: u64, width: usize) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    let mut odd = [0u64; 64];
    odd[0] = reflected_poly;
    for (n, slot) in odd.iter_mut().enumerate().take(width).skip(1) {
        *slot = 1 << (n - 1);
    }
    let mut even = gf2_square(&odd, width);
    odd = gf2_square(&even, width);
    let mut crc = crc_a;
    loop {
        even = gf2_square(&odd, width);
        if len_b & 1 != 0 {
            crc = gf2_times(&even, crc);
        }
        len_b >>= 1;
        if len_b == 0 {
            break;
        }
        odd = gf2_square(&even, width);
        if len_b & 1 != 0 {
            crc = gf2_times(&odd, crc);
        }
        len_b >>= 1;
        if len_b == 0 {
            break;
        }
    }
    crc ^ crc_b
}

/// The FULL_OBJECT checksum of a multipart object from its parts' CRCs and sizes. None for the
/// SHA algorithms, which cannot be combined.
pub fn full_object(alg: Algorithm, parts: &[(&str, u64)]) -> Option<String> {
    let (poly, width) = match alg {
        Algorithm::Crc32 => (0xEDB8_8320, 32),
        Algorithm::Crc32c => (0x82F6_3B78, 32),
        Algorithm::Crc64Nvme => (0x9A6C_9329_AC4B_C9B5, 64),
        Algorithm::Sha1 | Algorithm::Sha256 => return None,
    };
    let mut crc: Option<u64> = None;
    for (value, len) in parts {
        let bytes = b64(value)?;
        let part = match width {
            32 => u32::from_be_bytes(bytes.try_into().ok()?) as u64,
            _ => u64::from_be_bytes(bytes.try_into().ok()?),
        };
        crc = Some(match crc {
            None => part,
            Some(c) => crc_combine(c, part, *len, poly, width),
        });
    }
    let crc = crc?;
    let bytes = if width == 32 { (crc as u32).to_be_bytes().to_vec() } else { crc.to_be_bytes().to_vec() };
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
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

    #[test]
    fn full_object_crc_combines_parts() {
        let a = vec![7u8; 1000];
        let b = b"the second part, shorter".to_vec();
        let whole = [a.clone(), b.clone()].concat();
        for alg in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let (ca, cb) = (digest(alg, &a), digest(alg, &b));
            let combined = full_object(alg, &[(&ca, a.len() as u64), (&cb, b.len() as u64)]).unwrap();
            assert_eq!(combined, digest(alg, &whole), "{alg:?}");
        }
        assert!(full_object(Algorithm::Sha256, &[("x", 1)]).is_none());
    }

    #[test]
    fn composite_is_hash_of_part_hashes() {
        let parts = [digest(Algorithm::Sha256, b"a"), digest(Algorithm::Sha256, b"b")];
        let mut raw = Vec::new();
        for p in &parts {
            raw.extend(b64(p).unwrap());
        }
        let want = format!("{}-2", digest(Algorithm::Sha256, &raw));
        assert_eq!(composite(Algorithm::Sha256, &[&parts[0], &parts[1]]).unwrap(), want);
    }
}
