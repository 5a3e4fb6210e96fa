//! Key encoding for the metadata trees. A bucket's objects sit under `bucket 0x00 key`: bucket
//! names never contain 0x00, so that prefix isolates one bucket, and the rest sorts in UTF-8 binary
//! order exactly as S3 lists.

/// Byte that sorts after every byte of valid UTF-8, so `prefix + END` bounds all keys under `prefix`.
pub(crate) const AFTER_UTF8: u8 = 0xFF;

pub(crate) fn bucket_prefix(bucket: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(bucket.len() + 1);
    k.extend_from_slice(bucket.as_bytes());
    k.push(0);
    k
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
