//! Versions by id, and ListObjectVersions: every version and delete marker, in key order, newest
//! first within a key. Like listing, a page seeks once and reads forward; a common prefix is skipped
//! with one seek.

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::base::names::{BucketName, ObjectKey};
use crate::bucket::registry::Buckets;
use crate::meta::{Keyspace, Meta};
use crate::model::record::{self, ObjectRecord};
use std::ops::Bound;

/// Version ids carry their sequence number (to find the record) and a random tail (so they
/// cannot be guessed from one another).
pub(crate) fn new_version_id(seq: u64) -> String {
    format!("{seq:016x}{:016x}", uuid::Uuid::new_v4().as_u128() as u64)
}

fn parse_version_id(id: &str) -> Option<u64> {
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| u64::from_str_radix(&id[..16], 16).ok())?
}

#[derive(Clone)]
pub(crate) struct Versions {
    meta: Meta,
    buckets: Buckets,
}

#[derive(Clone, Debug, Default)]
pub struct VersionQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: Option<String>,
    pub version_id_marker: Option<String>,
    pub max_keys: usize,
}

#[derive(Clone, Debug)]
pub struct VersionEntry {
    pub record: ObjectRecord,
    pub is_latest: bool,
}

#[derive(Clone, Debug, Default)]
pub struct VersionPage {
    pub entries: Vec<VersionEntry>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// Where the next page starts: a key (or common prefix) and, after a version, its id.
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
}

impl Versions {
    pub(crate) fn new(meta: Meta, buckets: Buckets) -> Versions {
        Versions { meta, buckets }
    }

    /// The sequence number of a version id of `key` ("null" included), if it names one.
    pub(crate) fn resolve(&self, okey: &[u8], id: &str) -> Result<Option<u64>> {
        if id == "null" {
            // Both read in one transaction: a write moving a current null version below a newer
            // one changes the two together.
            return self.meta.transaction(|tx| {
                let pointed = tx.get(Keyspace::Nulls, okey)?;
                let current = match pointed {
                    Some(_) => None,
                    None => tx.get_record::<ObjectRecord>(Keyspace::Objects, okey)?,
                };
                Ok(crate::object::null_version::null_seq(pointed.as_deref(), current.as_ref()))
            });
        }
        parse_version_id(id).map(Some).ok_or(EngineError::InvalidVersionId)
    }

    /// One version (or delete marker) by id.
    pub(crate) fn get(&self, bucket: &BucketName, key: &ObjectKey, id: &str) -> Result<ObjectRecord> {
        let (b, k) = (bucket.as_str(), key.as_str());
        let found = match self.resolve(&keys::object_key(b, k), id)? {
            Some(seq) => self.meta.get_record::<ObjectRecord>(Keyspace::Versions, keys::version_key(b, k, seq))?,
            None => None,
        };
        match found {
            Some(rec) if rec.version_id == id => Ok(rec),
            _ => {
                self.buckets.get(bucket)?;
                Err(EngineError::NoSuchVersion)
            }
        }
    }

    /// The newest version or delete marker of `key`, if it has any.
    pub(crate) fn latest(&self, bucket: &BucketName, key: &ObjectKey) -> Result<Option<ObjectRecord>> {
        let prefix = keys::version_prefix(bucket.as_str(), key.as_str());
        self.meta
            .scan_prefix(Keyspace::Versions, &prefix)
            .next()
            .transpose()?
            .map(|(_, v)| record::decode(&v))
            .transpose()
    }

    pub(crate) fn list(&self, bucket: &BucketName, q: &VersionQuery) -> Result<VersionPage> {
        self.buckets.get(bucket)?;
        let b = bucket.as_str();
        let mut page = VersionPage::default();
        if q.max_keys == 0 {
            return Ok(page);
        }
        let base_len = keys::bucket_prefix(b).len();
        // The key whose versions were partly listed already: its next ones are not the latest.
        let mut previous_key: Option<String> = None;
        let mut from = Bound::Included(keys::object_key(b, &q.prefix));
        if let Some(marker) = q.key_marker.as_deref().filter(|m| *m >= q.prefix.as_str()) {
            from = Bound::Included(keys::after_versions(b, marker));
            if let Some(id) = &q.version_id_marker {
                let marked = self.get(bucket, &ObjectKey::parse(marker)?, id);
                if let Ok(rec) = marked {
                    from = Bound::Excluded(keys::version_key(b, marker, rec.seq));
                    previous_key = Some(marker.to_owned());
                }
            }
        }
        let end = keys::after_prefix(b, &q.prefix);
        let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
        let full = |page: &VersionPage| page.entries.len() + page.common_prefixes.len() == q.max_keys;
        'seek: loop {
            for item in
                self.meta.range(Keyspace::Versions, from.as_ref().map(Vec::as_slice), Bound::Excluded(end.as_slice()))
            {
                let (k, v) = item?;
                let key = std::str::from_utf8(&k[base_len..k.len() - keys::VERSION_SUFFIX])
                    .map_err(|_| EngineError::Corrupt("non-UTF-8 key".into()))?;
                if let Some(d) = delimiter {
                    if let Some(pos) = key[q.prefix.len()..].find(d) {
                        let cp = &key[..q.prefix.len() + pos + d.len()];
                        if q.key_marker.as_deref().is_none_or(|m| cp > m) {
                            if full(&page) {
                                page.is_truncated = true;
                                break 'seek;
                            }
                            page.common_prefixes.push(cp.to_owned());
                            page.next_key_marker = Some(cp.to_owned());
                            page.next_version_id_marker = None;
                        }
                        from = Bound::Included(keys::after_prefix(b, cp));
                        continue 'seek;
                    }
                }
                if full(&page) {
                    page.is_truncated = true;
                    break 'seek;
                }
                let record: ObjectRecord = record::decode(&v)?;
                debug_assert_eq!(record.seq, keys::seq_of_version_key(&k));
                let is_latest = previous_key.as_deref() != Some(key);
                previous_key = Some(key.to_owned());
                page.next_key_marker = Some(key.to_owned());
                page.next_version_id_marker = Some(record.version_id.clone());
                page.entries.push(VersionEntry { record, is_latest });
            }
            break;
        }
        if !page.is_truncated {
            page.next_key_marker = None;
            page.next_version_id_marker = None;
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, EngineConfig, ObjectMeta, Versioning, WriteCondition};

    #[test]
    fn versions_in_order_with_latest_flags_and_paging() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(&EngineConfig::new(dir.path().to_owned())).unwrap();
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "r").unwrap();
        e.set_versioning(&b, Versioning::Enabled).unwrap();
        let put = |k: &str| {
            let w = e.new_blob().unwrap();
            let k = ObjectKey::parse(k).unwrap();
            e.put_object(&b, &k, w.finish().unwrap(), ObjectMeta::default(), None, &WriteCondition::default()).unwrap()
        };
        let a1 = put("a");
        let a2 = put("a");
        let dm = e.delete_object(&b, &ObjectKey::parse("a").unwrap(), None, "me").unwrap();
        put("d/1");
        put("d/2");
        let z = put("z");

        let all = e.list_versions(&b, &VersionQuery { max_keys: 1000, ..Default::default() }).unwrap();
        let seen: Vec<(&str, &str, bool, bool)> = all
            .entries
            .iter()
            .map(|v| (v.record.key.as_str(), v.record.version_id.as_str(), v.is_latest, v.record.delete_marker))
            .collect();
        let dm_id = dm.version_id.as_deref().unwrap();
        assert_eq!(
            seen[..3],
            [("a", dm_id, true, true), ("a", &a2.version_id, false, false), ("a", &a1.version_id, false, false)]
        );
        assert_eq!(seen.len(), 6);

        let q = VersionQuery { delimiter: Some("/".into()), max_keys: 1000, ..Default::default() };
        let page = e.list_versions(&b, &q).unwrap();
        assert_eq!(page.common_prefixes, ["d/"]);
        assert_eq!(page.entries.len(), 4);

        // Page through two at a time: the continuation inside key "a" keeps IsLatest right.
        let mut q = VersionQuery { max_keys: 2, ..Default::default() };
        let p1 = e.list_versions(&b, &q).unwrap();
        assert!(p1.is_truncated);
        q.key_marker = p1.next_key_marker.clone();
        q.version_id_marker = p1.next_version_id_marker.clone();
        let p2 = e.list_versions(&b, &q).unwrap();
        assert_eq!(p2.entries[0].record.version_id, a1.version_id);
        assert!(!p2.entries[0].is_latest);
        assert!(p2.entries[1].is_latest, "d/1 is latest");
        let q = VersionQuery { key_marker: Some("d/2".into()), max_keys: 10, ..Default::default() };
        let p3 = e.list_versions(&b, &q).unwrap();
        assert_eq!(
            p3.entries.iter().map(|v| v.record.version_id.as_str()).collect::<Vec<_>>(),
            [z.version_id.as_str()]
        );
        assert!(!p3.is_truncated);
    }
}
