//! Administration: users and keys, buckets and quotas, tier usage, work queues, GC and scrub.
//!
//! One set of operations with one implementation, [`execute`], run either in-process on the data
//! directory (the server stopped) or by a running server for `POST /-/admin` (root only). The CLI
//! in [`cli`] picks the way and renders the [`Reply`]. Uses `wire`, `auth`, `http` (TLS) and
//! `app` (configuration).

pub mod cli;
pub mod client;

use crate::auth::users::{generate_keys, User, Users, ROOT};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::preconditions::iso_date;
use firn_storage::{AccessKey, BucketName, BucketRecord, Engine, ScrubReport, Versioning};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    UserAdd {
        name: String,
    },
    UserList,
    UserRemove {
        name: String,
    },
    KeyAdd {
        user: String,
    },
    KeyRemove {
        access_key: String,
    },
    BucketList,
    BucketStats {
        bucket: String,
    },
    /// The bucket's lifecycle rules, the worker's last run there and what it has pending.
    BucketLifecycle {
        bucket: String,
    },
    /// The bucket's policy; with `delete`, removes it (for an owner whose policy denies them the
    /// policy calls).
    BucketPolicy {
        bucket: String,
        delete: bool,
    },
    /// `bytes: None` removes the quota.
    BucketQuota {
        bucket: String,
        bytes: Option<u64>,
    },
    Tiers,
    Queues,
    Gc,
    Scrub,
    /// The archive tier: segments, bytes on disk and live, compression, restore jobs.
    Archive,
    /// Compacts archive segments at least `min_dead` (0 to 1) dead, open ones included.
    ArchiveCompact {
        min_dead: f64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub name: String,
    pub canonical_id: String,
    pub access_keys: Vec<String>,
    /// None for root, whose keys come from the configuration.
    pub created: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BucketInfo {
    pub name: String,
    pub owner: String,
    pub created: String,
    pub versioning: String,
    /// Every stored version, noncurrent ones too.
    pub objects: i64,
    pub bytes: i64,
    pub quota: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub name: String,
    pub items: i64,
    pub bytes: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifecycleInfo {
    pub bucket: String,
    /// One line per rule: its ID, status, filter and actions.
    pub rules: Vec<String>,
    /// The worker's last run in this bucket.
    pub last_run: Option<firn_storage::RunStats>,
    pub last_run_at: Option<String>,
    /// Hints waiting in the queue for this bucket, and when the earliest is due.
    pub pending: usize,
    pub next_due: Option<String>,
    pub day_secs: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reply {
    Users {
        users: Vec<UserInfo>,
    },
    /// A new key: the only time its secret is shown.
    Key {
        user: String,
        access_key: String,
        secret_key: String,
    },
    Done {
        message: String,
    },
    Buckets {
        buckets: Vec<BucketInfo>,
    },
    Tiers {
        tiers: Vec<Usage>,
    },
    Queues {
        queues: Vec<Usage>,
    },
    Gc {
        removed: usize,
    },
    Lifecycle {
        lifecycle: LifecycleInfo,
    },
    Archive {
        archive: firn_storage::ArchiveReport,
    },
    Compacted {
        report: firn_storage::CompactReport,
    },
    Scrub {
        report: ScrubReport,
    },
}

fn new_key(root: &User) -> AccessKey {
    loop {
        let (access_key, secret_key) = generate_keys();
        // Drawn keys never collide in practice; the root's key is the one the directory cannot see.
        if access_key != root.access_key {
            return AccessKey { access_key, secret_key, created_ms: chrono::Utc::now().timestamp_millis() };
        }
    }
}

fn key_reply(user: &str, key: &AccessKey) -> Reply {
    Reply::Key { user: user.to_owned(), access_key: key.access_key.clone(), secret_key: key.secret_key.clone() }
}

/// A rule on one line: `ID [Enabled] prefix "logs/": expire after 30 days, ...`.
fn describe_rule(r: &firn_storage::model::lifecycle::Rule) -> String {
    use firn_storage::model::lifecycle::{Expiration, Filter, When};
    let when = |w: &When| match w {
        When::Days(d) => format!("after {d} days"),
        When::Date(ms) => format!("on {}", iso_date(*ms)),
    };
    let filter = match &r.filter {
        Filter::All => "every object".to_owned(),
        Filter::LegacyPrefix(p) | Filter::Prefix(p) => format!("prefix {p:?}"),
        Filter::Tag(k, v) => format!("tag {k}={v}"),
        Filter::SizeGreaterThan(n) => format!("larger than {n} bytes"),
        Filter::SizeLessThan(n) => format!("smaller than {n} bytes"),
        Filter::And { prefix, tags, size_gt, size_lt } => {
            let mut parts: Vec<String> = prefix.iter().map(|p| format!("prefix {p:?}")).collect();
            parts.extend(tags.iter().map(|(k, v)| format!("tag {k}={v}")));
            parts.extend(size_gt.iter().map(|n| format!("larger than {n} bytes")));
            parts.extend(size_lt.iter().map(|n| format!("smaller than {n} bytes")));
            parts.join(" and ")
        }
    };
    let mut actions = Vec::new();
    match &r.expiration {
        Some(Expiration::At(w)) => actions.push(format!("expire {}", when(w))),
        Some(Expiration::ExpiredObjectDeleteMarker(true)) => actions.push("remove expired delete markers".into()),
        _ => {}
    }
    for t in &r.transitions {
        actions.push(format!("transition to {} {}", t.storage_class, when(&t.when)));
    }
    if let Some(nc) = &r.noncurrent_expiration {
        let keep = nc.newer_versions.map_or(String::new(), |n| format!(", keeping the newest {n}"));
        actions.push(format!("delete noncurrent versions after {} days{keep}", nc.days));
    }
    if let Some(d) = r.abort_upload_days {
        actions.push(format!("abort uploads after {d} days"));
    }
    let status = if r.enabled { "Enabled" } else { "Disabled" };
    format!("{} [{status}] {filter}: {}", r.id, actions.join(", "))
}

fn bucket_info(engine: &Engine, users: &Users, b: BucketRecord) -> S3Result<BucketInfo> {
    let name = BucketName::parse(&b.name)?;
    let usage = engine.usage(&name);
    // A bucket whose owner is gone shows the owner's canonical id.
    let owner = Some(users.display_name(&b.owner)).filter(|n| !n.is_empty()).unwrap_or(b.owner);
    Ok(BucketInfo {
        quota: engine.quota(&name)?,
        name: b.name,
        owner,
        created: iso_date(b.created_ms),
        versioning: match b.versioning {
            Versioning::Unversioned => "Unversioned",
            Versioning::Enabled => "Enabled",
            Versioning::Suspended => "Suspended",
        }
        .to_owned(),
        objects: usage.objects,
        bytes: usage.bytes,
    })
}

/// Runs one operation. `progress` hears scrub's running totals (versions, bytes) as it goes.
pub fn execute(engine: &Engine, users: &Users, req: &Request, progress: &mut dyn FnMut(u64, u64)) -> S3Result<Reply> {
    let root = users.root();
    let directory = users.directory();
    let reserved = |name: &str| {
        if name == ROOT {
            Err(S3Error::msg(Code::InvalidInput, "root is configured, not managed here"))
        } else {
            Ok(())
        }
    };
    Ok(match req {
        Request::UserAdd { name } => {
            reserved(name)?;
            let key = new_key(root);
            directory.create(name, key.clone())?;
            key_reply(name, &key)
        }
        Request::UserList => {
            let mut list = vec![UserInfo {
                name: ROOT.to_owned(),
                canonical_id: root.canonical_id.clone(),
                access_keys: vec![root.access_key.clone()],
                created: None,
            }];
            list.extend(directory.list()?.into_iter().map(|u| UserInfo {
                access_keys: u.keys.iter().map(|k| k.access_key.clone()).collect(),
                created: Some(iso_date(u.created_ms)),
                name: u.name,
                canonical_id: u.canonical_id,
            }));
            Reply::Users { users: list }
        }
        Request::UserRemove { name } => {
            reserved(name)?;
            engine.remove_user(name)?;
            Reply::Done { message: format!("removed user {name} and its keys") }
        }
        Request::KeyAdd { user } => {
            reserved(user)?;
            let key = new_key(root);
            directory.add_key(user, key.clone())?;
            key_reply(user, &key)
        }
        Request::KeyRemove { access_key } => {
            if *access_key == root.access_key {
                return Err(S3Error::msg(Code::InvalidInput, "the root key is configured, not managed here"));
            }
            let user = directory.remove_key(access_key)?;
            Reply::Done { message: format!("removed key {access_key} of user {}", user.name) }
        }
        Request::BucketList => Reply::Buckets {
            buckets: engine
                .list_buckets()?
                .into_iter()
                .map(|b| bucket_info(engine, users, b))
                .collect::<S3Result<_>>()?,
        },
        Request::BucketStats { bucket } => {
            let rec = engine.bucket(&BucketName::parse(bucket)?)?;
            Reply::Buckets { buckets: vec![bucket_info(engine, users, rec)?] }
        }
        Request::BucketLifecycle { bucket } => {
            let name = BucketName::parse(bucket)?;
            let rules = engine.lifecycle(&name)?.map(|c| c.rules).unwrap_or_default();
            let last_run = engine.lifecycle_last_run(Some(&name))?;
            let (pending, next) = engine.lifecycle_pending(&name)?;
            Reply::Lifecycle {
                lifecycle: LifecycleInfo {
                    bucket: bucket.clone(),
                    rules: rules.iter().map(describe_rule).collect(),
                    last_run_at: last_run.as_ref().map(|r| iso_date(r.finished_ms)),
                    last_run,
                    pending,
                    next_due: next.map(iso_date),
                    day_secs: engine.lifecycle_day_ms() as f64 / 1000.0,
                },
            }
        }
        Request::BucketPolicy { bucket, delete } => {
            let name = BucketName::parse(bucket)?;
            let message = if *delete {
                engine
                    .update_bucket_access(&name, |s| {
                        s.policy = None;
                        Ok::<(), ()>(())
                    })?
                    .expect("never refused");
                format!("bucket {bucket}: policy removed")
            } else {
                engine.bucket_access(&name)?.policy.unwrap_or_else(|| format!("bucket {bucket}: no policy"))
            };
            Reply::Done { message }
        }
        Request::BucketQuota { bucket, bytes } => {
            let name = BucketName::parse(bucket)?;
            engine.set_quota(&name, *bytes)?;
            Reply::Done {
                message: match bytes {
                    Some(q) => format!("bucket {bucket}: quota {q} bytes"),
                    None => format!("bucket {bucket}: no quota"),
                },
            }
        }
        Request::Tiers => {
            let s = engine.stats();
            Reply::Tiers {
                tiers: vec![
                    Usage { name: "hot".into(), items: s.hot_versions, bytes: Some(s.hot_bytes) },
                    Usage { name: "archive".into(), items: s.archive_versions, bytes: Some(s.archive_bytes) },
                ],
            }
        }
        Request::Queues => {
            let q = engine.queues()?;
            Reply::Queues {
                queues: vec![
                    Usage { name: "gc".into(), items: q.gc as i64, bytes: None },
                    Usage { name: "multipart-uploads".into(), items: q.uploads as i64, bytes: None },
                    Usage { name: "lifecycle".into(), items: q.lifecycle as i64, bytes: None },
                ],
            }
        }
        Request::Gc => Reply::Gc { removed: engine.collect_garbage()? },
        Request::Archive => Reply::Archive { archive: engine.archive_report()? },
        Request::ArchiveCompact { min_dead } => match engine.compact_archive(*min_dead, true, 60_000)? {
            Some(report) => Reply::Compacted { report },
            None => Reply::Done { message: "another node holds the background-work lease; it compacts".into() },
        },
        Request::Scrub => Reply::Scrub { report: engine.scrub(|r| progress(r.versions, r.bytes))? },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_round_trip_as_json() {
        let req = Request::BucketQuota { bucket: "b".into(), bytes: Some(5) };
        let json = serde_json::to_string(&req).unwrap();
        assert_eq!(json, r#"{"op":"bucket-quota","bucket":"b","bytes":5}"#);
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), req);
        let reply = Reply::Gc { removed: 3 };
        assert_eq!(serde_json::from_str::<Reply>(&serde_json::to_string(&reply).unwrap()).unwrap(), reply);
    }

    #[test]
    fn users_keys_quotas_offline() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(&firn_storage::EngineConfig::new(dir.path())).unwrap();
        let users = Users::new(User::new(ROOT, "ROOTKEY".into(), "rootsecret".into()), engine.users().clone());
        let run = |req: Request| execute(&engine, &users, &req, &mut |_, _| {});
        let Reply::Key { access_key, secret_key, .. } = run(Request::UserAdd { name: "alice".into() }).unwrap() else {
            panic!("a key")
        };
        assert_eq!((access_key.len(), secret_key.len()), (20, 40));
        assert_eq!(run(Request::UserAdd { name: "alice".into() }).unwrap_err().code, Code::EntityAlreadyExists);
        assert_eq!(run(Request::UserAdd { name: "root".into() }).unwrap_err().code, Code::InvalidInput);
        run(Request::KeyAdd { user: "alice".into() }).unwrap();
        assert_eq!(run(Request::KeyAdd { user: "alice".into() }).unwrap_err().code, Code::LimitExceeded);
        let Reply::Users { users } = run(Request::UserList).unwrap() else { panic!("users") };
        assert_eq!(
            users.iter().map(|u| (u.name.as_str(), u.access_keys.len())).collect::<Vec<_>>(),
            [("root", 1), ("alice", 2)]
        );
        run(Request::KeyRemove { access_key: access_key.clone() }).unwrap();
        assert_eq!(run(Request::KeyRemove { access_key }).unwrap_err().code, Code::NoSuchEntity);
        assert_eq!(run(Request::KeyRemove { access_key: "ROOTKEY".into() }).unwrap_err().code, Code::InvalidInput);

        let b = BucketName::parse("alices").unwrap();
        engine.create_bucket(&b, &firn_storage::canonical_id("alice"), "us-east-1").unwrap();
        assert_eq!(run(Request::UserRemove { name: "alice".into() }).unwrap_err().code, Code::DeleteConflict);
        run(Request::BucketQuota { bucket: "alices".into(), bytes: Some(1 << 20) }).unwrap();
        let Reply::Buckets { buckets } = run(Request::BucketList).unwrap() else { panic!("buckets") };
        assert_eq!((buckets[0].owner.as_str(), buckets[0].quota), ("alice", Some(1 << 20)));
        assert_eq!(
            run(Request::BucketQuota { bucket: "nope".into(), bytes: None }).unwrap_err().code,
            Code::NoSuchBucket
        );
        engine.delete_bucket(&b).unwrap();
        run(Request::UserRemove { name: "alice".into() }).unwrap();
        assert_eq!(run(Request::UserRemove { name: "alice".into() }).unwrap_err().code, Code::NoSuchEntity);
        assert!(matches!(run(Request::Gc).unwrap(), Reply::Gc { removed: 0 }));
        assert!(matches!(run(Request::Scrub).unwrap(), Reply::Scrub { report } if report.damaged.is_empty()));
    }
}
