//! Object Lock on a real engine with a hand-moved clock: locked versions survive every path that
//! destroys versions (a versioned DELETE, the lifecycle worker, a reopen), GOVERNANCE yields only to
//! a bypass, COMPLIANCE to no one, legal holds until lifted; the lock is stored with the version.

use firn_storage::model::lifecycle::{Filter, LifecycleConfig, NoncurrentExpiration, Rule};
use firn_storage::{
    AccessSettings, BucketName, Clock, DeleteCondition, Engine, EngineConfig, EngineError, LockMode, ObjectKey,
    ObjectLockConfig, ObjectMeta, ObjectRecord, Retention, VersionLock, Versioning, WriteCondition,
};

const DAY: i64 = 86_400_000;
const T0: i64 = 1_772_359_200_000;

fn open(dir: &std::path::Path, clock: &Clock) -> Engine {
    let mut cfg = EngineConfig::new(dir);
    cfg.clock = clock.clone();
    cfg.lifecycle_day_ms = DAY;
    Engine::open(&cfg).unwrap()
}

fn put(e: &Engine, b: &BucketName, key: &str, lock: Option<VersionLock>) -> ObjectRecord {
    let mut w = e.new_blob().unwrap();
    w.write(key.as_bytes()).unwrap();
    let meta = ObjectMeta { lock, ..Default::default() };
    e.put_object(b, &ObjectKey::parse(key).unwrap(), w.finish().unwrap(), meta, None, &WriteCondition::default())
        .unwrap()
}

fn delete(e: &Engine, b: &BucketName, rec: &ObjectRecord, bypass: bool) -> Result<(), EngineError> {
    let cond = DeleteCondition { bypass_governance: bypass, ..Default::default() };
    e.delete_object_if(b, &ObjectKey::parse(&rec.key).unwrap(), Some(&rec.version_id), "owner", &cond).map(|_| ())
}

fn retention(mode: LockMode, until_ms: i64) -> Option<VersionLock> {
    Some(VersionLock { retention: Some(Retention { mode, until_ms }), legal_hold: false, hold_set: false })
}

#[test]
fn locked_versions_survive_every_path_that_destroys_versions() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let b = BucketName::parse("vault").unwrap();
    let e = open(dir.path(), &clock);
    let access = AccessSettings { object_lock: Some(ObjectLockConfig::default()), ..Default::default() };
    let rec = e.create_bucket_with(&b, "owner", "us-east-1", None, &access).unwrap();
    assert_eq!(rec.versioning, Versioning::Enabled, "Object Lock comes with versioning");
    assert!(matches!(e.set_versioning(&b, Versioning::Suspended), Err(EngineError::InvalidBucketState)));

    let gov = put(&e, &b, "gov", retention(LockMode::Governance, T0 + 10 * DAY));
    let comp = put(&e, &b, "comp", retention(LockMode::Compliance, T0 + 10 * DAY));
    let held = put(&e, &b, "held", Some(VersionLock { retention: None, legal_hold: true, hold_set: true }));
    let free = put(&e, &b, "free", None);
    assert_eq!(e.version_lock(&b, &comp).unwrap(), retention(LockMode::Compliance, T0 + 10 * DAY).unwrap());

    // A versioned delete: refused while locked; GOVERNANCE yields to a bypass only.
    assert!(matches!(delete(&e, &b, &gov, false), Err(EngineError::ObjectLocked(_))));
    assert!(matches!(delete(&e, &b, &comp, true), Err(EngineError::ObjectLocked(_))));
    assert!(matches!(delete(&e, &b, &held, true), Err(EngineError::ObjectLocked(_))));
    delete(&e, &b, &free, false).unwrap();
    // A plain delete adds a marker and destroys nothing.
    e.delete_object(&b, &ObjectKey::parse("comp").unwrap(), None, "owner").unwrap();
    assert!(e.object_version(&b, &ObjectKey::parse("comp").unwrap(), &comp.version_id).is_ok());

    // Retention: extended always, shortened only from GOVERNANCE with a bypass, COMPLIANCE never.
    let later = Retention { mode: LockMode::Compliance, until_ms: T0 + 20 * DAY };
    e.set_retention(&b, &comp, Some(later), false).unwrap();
    let shorter = Retention { mode: LockMode::Compliance, until_ms: T0 + DAY };
    assert!(matches!(e.set_retention(&b, &comp, Some(shorter), true), Err(EngineError::ObjectLocked(_))));
    assert!(matches!(e.set_retention(&b, &comp, None, true), Err(EngineError::ObjectLocked(_))));
    assert!(matches!(e.set_retention(&b, &gov, None, false), Err(EngineError::ObjectLocked(_))));

    // The lifecycle worker leaves locked noncurrent versions alone, and acts once the lock ends.
    let rule = Rule {
        id: "old".into(),
        enabled: true,
        filter: Filter::All,
        expiration: None,
        transitions: vec![],
        noncurrent_expiration: Some(NoncurrentExpiration { days: 1, newer_versions: None }),
        noncurrent_transitions: vec![],
        abort_upload_days: None,
    };
    e.set_lifecycle(&b, Some(&LifecycleConfig { rules: vec![rule], transition_default_minimum_object_size: None }))
        .unwrap();
    put(&e, &b, "gov", None);
    clock.advance(5 * DAY);
    while e.run_lifecycle(100, 60_000).unwrap().unwrap().more {}
    let k = |s: &str| ObjectKey::parse(s).unwrap();
    assert!(e.object_version(&b, &k("comp"), &comp.version_id).is_ok(), "COMPLIANCE holds against lifecycle");
    assert!(e.object_version(&b, &k("gov"), &gov.version_id).is_ok(), "GOVERNANCE holds against lifecycle");

    // Survives a reopen: the lock is stored with the version.
    drop(e);
    let e = open(dir.path(), &clock);
    assert!(matches!(delete(&e, &b, &gov, false), Err(EngineError::ObjectLocked(_))));
    assert!(e.version_lock(&b, &held).unwrap().legal_hold);

    // Once the retention ends, lifecycle and deletes act; a legal hold lasts until lifted.
    clock.advance(30 * DAY);
    while e.run_lifecycle(100, 60_000).unwrap().unwrap().more {}
    assert!(e.object_version(&b, &k("gov"), &gov.version_id).is_err(), "the lifecycle removed it after its lock");
    assert!(e.object_version(&b, &k("comp"), &comp.version_id).is_err());
    assert!(matches!(delete(&e, &b, &held, false), Err(EngineError::ObjectLocked(_))));
    e.set_legal_hold(&b, &held, false).unwrap();
    delete(&e, &b, &held, false).unwrap();
}

#[test]
fn lock_is_enabled_only_on_versioned_buckets_and_uploads_carry_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let e = open(dir.path(), &clock);
    let b = BucketName::parse("later").unwrap();
    e.create_bucket(&b, "owner", "us-east-1").unwrap();
    assert!(matches!(e.set_object_lock(&b, ObjectLockConfig::default()), Err(EngineError::InvalidBucketState)));
    e.set_versioning(&b, Versioning::Enabled).unwrap();
    e.set_object_lock(&b, ObjectLockConfig::default()).unwrap();
    assert!(e.bucket_access(&b).unwrap().object_lock.is_some());
    assert!(matches!(e.set_versioning(&b, Versioning::Suspended), Err(EngineError::InvalidBucketState)));

    // A lock given at CreateMultipartUpload lands on the completed object.
    let k = ObjectKey::parse("mp").unwrap();
    let meta = ObjectMeta { lock: retention(LockMode::Governance, T0 + DAY), ..Default::default() };
    let up = e.create_upload(&b, &k, meta, None).unwrap();
    let done = e.complete_upload(&b, &k, &up, &[], None, &WriteCondition::default()).unwrap();
    assert_eq!(e.version_lock(&b, &done).unwrap().retention.map(|r| r.mode), Some(LockMode::Governance));
    assert!(matches!(delete(&e, &b, &done, false), Err(EngineError::ObjectLocked(_))));
}
