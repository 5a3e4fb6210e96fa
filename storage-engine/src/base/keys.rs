//! Key encoding for the metadata trees. A bucket's objects sit under `bucket 0x00 key`: bucket
//! names never contain 0x00, so that prefix isolates one bucket, and the rest sorts in UTF-8 binary
//! order exactly as S3 lists.

/// Byte that sorts after every byte of valid UTF-8, so `prefix + END` bounds all keys under `prefix`.
pub(crate) const AFTER_UTF8: u8 = 0xFF;

/// 64-bit FNV-1a of a key: a stable spread of keys over lock stripes, lock numbers and delays.
pub(crate) fn fnv64(key: &[u8]) -> u64 {
    key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100_0000_01b3))
}

pub(crate) fn bucket_prefix(bucket: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(bucket.len() + 1);
    k.extend_from_slice(bucket.as_bytes());
    k.push(0);
    k
}

/// The bucket a versions, objects or uploads key belongs to.
pub(crate) fn bucket_of(key: &[u8]) -> Option<&str> {
    let end = key.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&key[..end]).ok()
}

pub(crate) fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = bucket_prefix(bucket);
    k.extend_from_slice(key.as_bytes());
    k
}

/// The smallest encoded key greater than every key that starts with `prefix`.
pub(crate) fn after_prefix(bucket: &str, prefix: &str) -> Vec<u8> {
    let mut k = object_key(bucket, prefix);
    k.push(AFTER_UTF8);
    k
}

pub(crate) fn blob_key(id: u128) -> [u8; 16] {
    id.to_be_bytes()
}

/// Uploads sort by bucket, then key, then upload id (ids begin with their creation time).
pub(crate) fn upload_key(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    let mut k = object_key(bucket, key);
    k.push(0);
    k.extend_from_slice(upload_id.as_bytes());
    k
}

/// Parts sort by upload id, then part number (big-endian, so numeric order is byte order).
pub(crate) fn part_key(upload_id: &str, number: u32) -> Vec<u8> {
    let mut k = part_prefix(upload_id);
    k.extend_from_slice(&number.to_be_bytes());
    k
}

pub(crate) fn part_prefix(upload_id: &str) -> Vec<u8> {
    let mut k = upload_id.as_bytes().to_vec();
    k.push(0);
    k
}

/// Versions sort by key, then newest first: the sequence number is stored inverted.
pub(crate) fn version_key(bucket: &str, key: &str, seq: u64) -> Vec<u8> {
    let mut k = version_prefix(bucket, key);
    k.extend_from_slice(&(!seq).to_be_bytes());
    k
}

/// The prefix of every version of one key.
pub(crate) fn version_prefix(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = object_key(bucket, key);
    k.push(0);
    k
}

/// Greater than every version key of `key`, smaller than any other key's.
pub(crate) fn after_versions(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = version_prefix(bucket, key);
    k.extend_from_slice(&[0xFF; 9]);
    k
}

/// Length of the `0x00 + inverted seq` suffix of a version key.
pub(crate) const VERSION_SUFFIX: usize = 9;

pub(crate) fn seq_of_version_key(k: &[u8]) -> u64 {
    let tail: [u8; 8] = k[k.len() - 8..].try_into().expect("version keys end with 8 bytes");
    !u64::from_be_bytes(tail)
}

/// Keys of the `acls` tree (and of the `locks` tree): a kind byte, then the key of what the ACL
/// (or the lock) governs.
pub(crate) fn acl_bucket_key(bucket: &str) -> Vec<u8> {
    [b"b".as_slice(), bucket.as_bytes()].concat()
}

pub(crate) fn acl_version_key(version_key: &[u8]) -> Vec<u8> {
    [b"o".as_slice(), version_key].concat()
}

pub(crate) fn acl_upload_key(upload_key: &[u8]) -> Vec<u8> {
    [b"u".as_slice(), upload_key].concat()
}
