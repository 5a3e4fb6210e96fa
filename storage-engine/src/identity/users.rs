//! Users and their access keys, kept in the metadata store. The daemon decides names and draws the
//! keys; the directory only stores them and answers lookups. The root user is not stored here: its
//! credentials come from the daemon's configuration.

use crate::base::error::{EngineError, Result};
use crate::bucket::registry::Buckets;
use crate::meta::{abort, Keyspace, Meta};
use crate::model::record;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Most access keys one user may hold (as AWS IAM allows).
pub const MAX_KEYS_PER_USER: usize = 2;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AccessKey {
    pub access_key: String,
    pub secret_key: String,
    pub created_ms: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UserRecord {
    pub name: String,
    /// The 64-hex-digit canonical id S3 shows as Owner/ID.
    pub canonical_id: String,
    pub created_ms: i64,
    pub keys: Vec<AccessKey>,
}

/// A user's canonical id: derived from the name, so it is stable and the same on every gateway.
pub fn canonical_id(name: &str) -> String {
    crate::model::record::hex_lower(&Sha256::digest(format!("firn-user:{name}").as_bytes()))
}

/// The 12-digit account id a user has in policies (`arn:aws:iam::<id>:user/<name>`) and in
/// `x-amz-expected-bucket-owner`: each Firn user is an account of its own, as its canonical id is.
pub fn account_id(canonical_id: &str) -> String {
    let digest = Sha256::digest(format!("firn-account:{canonical_id}").as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    format!("{:012}", n % 1_000_000_000_000)
}

/// A user name: 1 to 64 characters of letters, digits and `+=,.@_-` (IAM's rule).
fn check_name(name: &str) -> Result<()> {
    let ok =
        (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(EngineError::InvalidUserName)
    }
}

/// A cheap handle on the user keyspaces: users by canonical id (`Users`), and the name and
/// access-key indexes (`UserNames`, `AccessKeys`).
#[derive(Clone)]
pub struct UserDirectory {
    meta: Meta,
}

impl UserDirectory {
    pub(crate) fn new(meta: Meta) -> UserDirectory {
        UserDirectory { meta }
    }

    /// Creates a user holding one key. Names and access keys are unique (the root's included: the
    /// daemon passes the names and keys it reserves).
    pub fn create(&self, name: &str, key: AccessKey) -> Result<UserRecord> {
        check_name(name)?;
        let rec = UserRecord {
            name: name.to_owned(),
            canonical_id: canonical_id(name),
            created_ms: key.created_ms,
            keys: vec![key],
        };
        self.write(None, Some(&rec))?;
        Ok(rec)
    }

    pub fn by_name(&self, name: &str) -> Result<UserRecord> {
        let id = self.meta.get(Keyspace::UserNames, name)?.ok_or(EngineError::NoSuchUser)?;
        self.by_id(std::str::from_utf8(&id).map_err(|_| EngineError::Corrupt("user index".into()))?)
    }

    pub fn by_id(&self, canonical_id: &str) -> Result<UserRecord> {
        self.meta.get_record(Keyspace::Users, canonical_id)?.ok_or(EngineError::NoSuchUser)
    }

    /// The user holding `access_key` and that key's secret.
    pub fn by_access_key(&self, access_key: &str) -> Result<Option<(UserRecord, String)>> {
        let Some(id) = self.meta.get(Keyspace::AccessKeys, access_key)? else { return Ok(None) };
        let rec = self.by_id(std::str::from_utf8(&id).map_err(|_| EngineError::Corrupt("key index".into()))?)?;
        let secret = rec.keys.iter().find(|k| k.access_key == access_key).map(|k| k.secret_key.clone());
        Ok(secret.map(|s| (rec, s)))
    }

    pub fn list(&self) -> Result<Vec<UserRecord>> {
        let mut all: Vec<UserRecord> =
            self.meta.iter(Keyspace::Users).map(|item| record::decode(&item?.1)).collect::<Result<_>>()?;
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    pub fn add_key(&self, name: &str, key: AccessKey) -> Result<UserRecord> {
        let old = self.by_name(name)?;
        if old.keys.len() >= MAX_KEYS_PER_USER {
            return Err(EngineError::TooManyKeys(MAX_KEYS_PER_USER));
        }
        let mut rec = old.clone();
        rec.keys.push(key);
        self.write(Some(&old), Some(&rec))?;
        Ok(rec)
    }

    /// Removes one access key; its user keeps the others (and may be left with none).
    pub fn remove_key(&self, access_key: &str) -> Result<UserRecord> {
        let (old, _) = self.by_access_key(access_key)?.ok_or(EngineError::NoSuchAccessKey)?;
        let mut rec = old.clone();
        rec.keys.retain(|k| k.access_key != access_key);
        self.write(Some(&old), Some(&rec))?;
        Ok(rec)
    }

    /// Removes a user who owns no bucket; UserOwnsBuckets names the ones they own.
    pub(crate) fn remove_unless_owner(&self, name: &str, buckets: &Buckets) -> Result<()> {
        let id = canonical_id(name);
        let owned: Vec<String> = buckets.list()?.into_iter().filter(|b| b.owner == id).map(|b| b.name).collect();
        if !owned.is_empty() {
            return Err(EngineError::UserOwnsBuckets(owned.join(", ")));
        }
        self.remove(name).map(|_| ())
    }

    /// Removes a user and its keys. The caller checks that it owns nothing.
    pub fn remove(&self, name: &str) -> Result<UserRecord> {
        let old = self.by_name(name)?;
        self.write(Some(&old), None)?;
        Ok(old)
    }

    /// Replaces `old` by `new` in the record tree and both indexes, atomically, and makes it durable.
    /// Fails if a name or access key that `new` adds is taken, or `old` changed meanwhile.
    fn write(&self, old: Option<&UserRecord>, new: Option<&UserRecord>) -> Result<()> {
        let id = new.or(old).map(|r| r.canonical_id.clone()).expect("a record to write");
        let old_bytes = old.map(record::encode);
        self.meta.transaction(|tx| {
            if tx.get(Keyspace::Users, id.as_bytes())? != old_bytes {
                return abort(if old.is_none() { EngineError::UserAlreadyExists } else { EngineError::Conflict });
            }
            if let Some(old) = old {
                tx.remove(Keyspace::UserNames, old.name.as_bytes())?;
                for key in &old.keys {
                    tx.remove(Keyspace::AccessKeys, key.access_key.as_bytes())?;
                }
            }
            match new {
                Some(new) => {
                    if tx.swap(Keyspace::UserNames, new.name.as_bytes(), id.as_bytes())?.is_some() {
                        return abort(EngineError::UserAlreadyExists);
                    }
                    for key in &new.keys {
                        if tx.swap(Keyspace::AccessKeys, key.access_key.as_bytes(), id.as_bytes())?.is_some() {
                            return abort(EngineError::AccessKeyInUse);
                        }
                    }
                    tx.insert(Keyspace::Users, id.as_bytes(), &record::encode(new))?;
                }
                None => {
                    tx.remove(Keyspace::Users, id.as_bytes())?;
                }
            }
            Ok(())
        })?;
        self.meta.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(a: &str) -> AccessKey {
        AccessKey { access_key: a.into(), secret_key: format!("secret-{a}"), created_ms: 1 }
    }

    fn dir() -> UserDirectory {
        UserDirectory::new(Meta::new(std::sync::Arc::new(crate::meta::MemoryStore::default())))
    }

    #[test]
    fn create_lookup_keys_and_remove() {
        let d = dir();
        let alice = d.create("alice", key("AK1")).unwrap();
        assert_eq!(alice.canonical_id, canonical_id("alice"));
        assert!(matches!(d.create("alice", key("AK9")), Err(EngineError::UserAlreadyExists)));
        assert!(matches!(d.create("bob", key("AK1")), Err(EngineError::AccessKeyInUse)));
        assert!(d.by_name("bob").is_err(), "a refused create leaves nothing behind");
        assert!(matches!(d.create("bad name", key("AK2")), Err(EngineError::InvalidUserName)));

        d.add_key("alice", key("AK2")).unwrap();
        assert!(matches!(d.add_key("alice", key("AK3")), Err(EngineError::TooManyKeys(_))));
        let (u, secret) = d.by_access_key("AK2").unwrap().unwrap();
        assert_eq!((u.name.as_str(), secret.as_str()), ("alice", "secret-AK2"));

        d.remove_key("AK1").unwrap();
        assert!(d.by_access_key("AK1").unwrap().is_none());
        assert!(matches!(d.remove_key("AK1"), Err(EngineError::NoSuchAccessKey)));
        assert_eq!(d.by_name("alice").unwrap().keys.len(), 1);

        d.create("bob", key("AK1")).unwrap();
        assert_eq!(d.list().unwrap().iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
        d.remove("alice").unwrap();
        assert!(d.by_access_key("AK2").unwrap().is_none());
        assert!(matches!(d.by_name("alice"), Err(EngineError::NoSuchUser)));
        assert_eq!(d.list().unwrap().len(), 1);
    }
}
