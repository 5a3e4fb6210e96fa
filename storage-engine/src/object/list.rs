//! Listing in key order. A page seeks once to its start and reads forward; a common prefix is
//! skipped with one more seek, so a page costs O(page) however large the bucket.

use crate::base::error::Result;
use crate::base::keys;
use crate::base::names::BucketName;
use crate::bucket::registry::Buckets;
use crate::meta::{Keyspace, Meta};
use crate::model::record::{self, ObjectRecord};
use std::ops::Bound;

#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// List only keys (and common prefixes) strictly after this one.
    pub after: Option<String>,
    pub max_keys: usize,
}

#[derive(Clone, Debug, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectRecord>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or common prefix of this page: where the next page starts after.
    pub last: Option<String>,
}

#[derive(Clone)]
pub(crate) struct Listing {
    meta: Meta,
    buckets: Buckets,
}

impl Listing {
    pub(crate) fn new(meta: Meta, buckets: Buckets) -> Listing {
        Listing { meta, buckets }
    }

    pub(crate) fn list(&self, bucket: &BucketName, q: &ListQuery) -> Result<ListPage> {
        self.buckets.get(bucket)?;
        let b = bucket.as_str();
        let mut page = ListPage::default();
        if q.max_keys == 0 {
            return Ok(page);
        }
        let base_len = keys::bucket_prefix(b).len();
        let mut from = match &q.after {
            Some(after) if after.as_str() >= q.prefix.as_str() => Bound::Excluded(keys::object_key(b, after)),
            _ => Bound::Included(keys::object_key(b, &q.prefix)),
        };
        let end = keys::after_prefix(b, &q.prefix);
        let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
        'seek: loop {
            for item in
                self.meta.range(Keyspace::Objects, from.as_ref().map(Vec::as_slice), Bound::Excluded(end.as_slice()))
            {
                let (k, v) = item?;
                let key = std::str::from_utf8(&k[base_len..])
                    .map_err(|_| crate::EngineError::Corrupt("non-UTF-8 key".into()))?;
                if let Some(d) = delimiter {
                    if let Some(pos) = key[q.prefix.len()..].find(d) {
                        let cp = &key[..q.prefix.len() + pos + d.len()];
                        let seen = q.after.as_deref().is_some_and(|a| cp <= a);
                        if !seen {
                            if page.common_prefixes.len() + page.objects.len() == q.max_keys {
                                page.is_truncated = true;
                                break 'seek;
                            }
                            page.common_prefixes.push(cp.to_owned());
                            page.last = Some(cp.to_owned());
                        }
                        from = Bound::Included(keys::after_prefix(b, cp));
                        continue 'seek;
                    }
                }
                if page.common_prefixes.len() + page.objects.len() == q.max_keys {
                    page.is_truncated = true;
                    break 'seek;
                }
                page.objects.push(record::decode(&v)?);
                page.last = Some(key.to_owned());
            }
            break;
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, EngineConfig, ObjectKey, ObjectMeta, WriteCondition};

    fn setup(keys: &[&str]) -> (tempfile::TempDir, Engine, BucketName) {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(&EngineConfig::new(dir.path().to_owned())).unwrap();
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "r").unwrap();
        for k in keys {
            let w = e.new_blob().unwrap();
            let k = ObjectKey::parse(k).unwrap();
            e.put_object(&b, &k, w.finish().unwrap(), ObjectMeta::default(), None, &WriteCondition::default()).unwrap();
        }
        (dir, e, b)
    }

    fn names(p: &ListPage) -> (Vec<&str>, Vec<&str>) {
        (p.objects.iter().map(|o| o.key.as_str()).collect(), p.common_prefixes.iter().map(String::as_str).collect())
    }

    #[test]
    fn delimiter_and_pagination() {
        let (_d, e, b) = setup(&["a", "b/1", "b/2", "b/3", "c", "d/x/y", "é"]);
        let q = |after: Option<&str>, max| ListQuery {
            prefix: String::new(),
            delimiter: Some("/".into()),
            after: after.map(str::to_owned),
            max_keys: max,
        };
        let p = e.list_objects(&b, &q(None, 1000)).unwrap();
        assert_eq!(names(&p), (vec!["a", "c", "é"], vec!["b/", "d/"]));
        assert!(!p.is_truncated);
        let p1 = e.list_objects(&b, &q(None, 2)).unwrap();
        assert_eq!(names(&p1), (vec!["a"], vec!["b/"]));
        assert!(p1.is_truncated);
        assert_eq!(p1.last.as_deref(), Some("b/"));
        let p2 = e.list_objects(&b, &q(Some("b/"), 2)).unwrap();
        assert_eq!(names(&p2), (vec!["c"], vec!["d/"]));
        let p3 = e.list_objects(&b, &q(Some("d/"), 2)).unwrap();
        assert_eq!(names(&p3), (vec!["é"], vec![]));
        assert!(!p3.is_truncated);
    }

    #[test]
    fn prefix_bounds_the_scan() {
        let (_d, e, b) = setup(&["b/1", "b/2", "ba", "c"]);
        let q = ListQuery { prefix: "b/".into(), max_keys: 1000, ..Default::default() };
        assert_eq!(names(&e.list_objects(&b, &q).unwrap()).0, vec!["b/1", "b/2"]);
        let q = ListQuery { prefix: "b".into(), after: Some("b/1".into()), max_keys: 1000, ..Default::default() };
        assert_eq!(names(&e.list_objects(&b, &q).unwrap()).0, vec!["b/2", "ba"]);
        let q = ListQuery { prefix: "z".into(), after: Some("a".into()), max_keys: 1000, ..Default::default() };
        assert!(names(&e.list_objects(&b, &q).unwrap()).0.is_empty());
    }
}
