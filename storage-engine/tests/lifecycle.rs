//! The lifecycle worker on a real engine with a hand-moved clock: each action on unversioned,
//! versioned and suspended buckets, rules set after the objects, repeated passes that repeat
//! nothing, and passes whose cost follows the work due.

use firn_storage::model::lifecycle::{Expiration, Filter, LifecycleConfig, NoncurrentExpiration, Rule, When};
use firn_storage::{
    Backend, BucketName, Clock, Engine, EngineConfig, ObjectKey, ObjectMeta, UploadListQuery, VersionQuery, Versioning,
    WriteCondition,
};

const DAY: i64 = 86_400_000;
/// 2026-03-01 10:00 UTC.
const T0: i64 = 1_772_359_200_000;

struct Fixture {
    engine: Engine,
    clock: Clock,
    bucket: BucketName,
    _dir: tempfile::TempDir,
}

fn fixture(backend: Backend) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let mut cfg = EngineConfig::new(dir.path());
    cfg.backend = backend;
    cfg.clock = clock.clone();
    cfg.lifecycle_day_ms = DAY;
    let engine = Engine::open(&cfg).unwrap();
    let bucket = BucketName::parse("bkt").unwrap();
    engine.create_bucket(&bucket, "owner", "us-east-1").unwrap();
    Fixture { engine, clock, bucket, _dir: dir }
}

fn rule(id: &str, filter: Filter) -> Rule {
    Rule {
        id: id.into(),
        enabled: true,
        filter,
        expiration: None,
        transitions: vec![],
        noncurrent_expiration: None,
        noncurrent_transitions: vec![],
        abort_upload_days: None,
    }
}

impl Fixture {
    fn rules(&self, rules: Vec<Rule>) {
        let config = LifecycleConfig { rules, transition_default_minimum_object_size: None };
        self.engine.set_lifecycle(&self.bucket, Some(&config)).unwrap();
    }

    fn put(&self, key: &str) -> String {
        let mut w = self.engine.new_blob().unwrap();
        w.write(key.as_bytes()).unwrap();
        let k = ObjectKey::parse(key).unwrap();
        let rec = self
            .engine
            .put_object(&self.bucket, &k, w.finish().unwrap(), ObjectMeta::default(), None, &WriteCondition::default())
            .unwrap();
        rec.version_id
    }

    /// Passes until the queue has nothing due; returns the actions taken, by kind.
    fn run(&self) -> std::collections::BTreeMap<String, u64> {
        let mut total = std::collections::BTreeMap::new();
        loop {
            let report = self.engine.run_lifecycle(100, 60_000).unwrap().expect("the lease is free");
            for (k, n) in report.total.actions {
                *total.entry(k).or_default() += n;
            }
            if !report.more {
                return total;
            }
        }
    }

    fn exists(&self, key: &str) -> bool {
        self.engine.object(&self.bucket, &ObjectKey::parse(key).unwrap()).is_ok_and(|r| !r.delete_marker)
    }

    /// (version id, delete marker) of every version of `key`, newest first.
    fn versions(&self, key: &str) -> Vec<(String, bool)> {
        let q = VersionQuery { prefix: key.into(), max_keys: 1000, ..Default::default() };
        let page = self.engine.list_versions(&self.bucket, &q).unwrap();
        page.entries
            .iter()
            .filter(|e| e.record.key == key)
            .map(|e| (e.record.version_id.clone(), e.record.delete_marker))
            .collect()
    }

    fn advance_to(&self, at_ms: i64) {
        let now = self.clock.now_ms();
        self.clock.advance(at_ms - now);
    }
}

fn midnight_after_days(t: i64, days: i64) -> i64 {
    (t + days * DAY).div_euclid(DAY) * DAY + DAY
}

fn actions(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[test]
fn unversioned_expiration_by_days_and_prefix() {
    for backend in [Backend::Memory, Backend::Sled] {
        let f = fixture(backend);
        f.rules(vec![Rule {
            expiration: Some(Expiration::At(When::Days(1))),
            ..rule("logs", Filter::Prefix("logs/".into()))
        }]);
        f.put("logs/a");
        f.put("keep/b");
        let due = midnight_after_days(T0, 1);
        let obj = f.engine.object(&f.bucket, &ObjectKey::parse("logs/a").unwrap()).unwrap();
        assert_eq!(f.engine.expiration_of(&f.bucket, &obj).unwrap(), Some((due, "logs".into())));
        f.advance_to(due - 1);
        assert_eq!(f.run(), actions(&[]));
        assert!(f.exists("logs/a"), "{backend:?}: not due yet");
        f.advance_to(due);
        assert_eq!(f.run(), actions(&[("expire", 1)]));
        assert!(!f.exists("logs/a") && f.exists("keep/b"), "{backend:?}");
        assert!(f.versions("logs/a").is_empty(), "unversioned: removed, no marker");
        assert_eq!(f.run(), actions(&[]), "nothing is done twice");
        let stats = f.engine.lifecycle_last_run(Some(&f.bucket)).unwrap().unwrap();
        assert_eq!(stats.errors, 0);
    }
}

#[test]
fn versioned_expiration_adds_one_marker_and_noncurrent_versions_go_by_age_and_count() {
    let f = fixture(Backend::Sled);
    f.engine.set_versioning(&f.bucket, Versioning::Enabled).unwrap();
    f.rules(vec![
        Rule { expiration: Some(Expiration::At(When::Days(10))), ..rule("current", Filter::Prefix("doc".into())) },
        Rule {
            noncurrent_expiration: Some(NoncurrentExpiration { days: 2, newer_versions: Some(1) }),
            ..rule("old", Filter::All)
        },
    ]);
    let v1 = f.put("doc");
    f.clock.advance(DAY);
    let v2 = f.put("doc");
    f.clock.advance(DAY);
    let v3 = f.put("doc");
    f.clock.advance(DAY);
    let v4 = f.put("doc");
    // v1 went noncurrent at T0+1d, v2 at +2d, v3 at +3d. At +5d, v1 and v2 are old enough, and each
    // has at least one newer noncurrent version; v3 is the one kept.
    f.advance_to(midnight_after_days(T0 + 2 * DAY, 2));
    assert_eq!(f.run(), actions(&[("delete_noncurrent", 2)]));
    let ids: Vec<String> = f.versions("doc").into_iter().map(|v| v.0).collect();
    assert_eq!(ids, [v4.clone(), v3.clone()]);
    assert!(!ids.contains(&v1) && !ids.contains(&v2));
    // v4 expires 10 days after its creation: one delete marker, however many passes run.
    f.advance_to(midnight_after_days(T0 + 3 * DAY, 10));
    let done = f.run();
    assert_eq!(done.get("expire"), Some(&1));
    assert_eq!(f.run(), actions(&[]));
    let vs = f.versions("doc");
    assert_eq!(vs.iter().filter(|v| v.1).count(), 1, "exactly one delete marker: {vs:?}");
    assert!(vs[0].1, "the marker is current");
}

#[test]
fn expired_delete_markers_go_and_markers_with_versions_stay() {
    let f = fixture(Backend::Memory);
    f.engine.set_versioning(&f.bucket, Versioning::Enabled).unwrap();
    f.rules(vec![Rule { expiration: Some(Expiration::ExpiredObjectDeleteMarker(true)), ..rule("dm", Filter::All) }]);
    let v = f.put("lonely");
    f.put("kept");
    let owner = "owner";
    f.engine.delete_object(&f.bucket, &ObjectKey::parse("lonely").unwrap(), None, owner).unwrap();
    f.engine.delete_object(&f.bucket, &ObjectKey::parse("kept").unwrap(), None, owner).unwrap();
    // The data version under the marker goes by hand; the marker is then alone.
    f.engine.delete_object(&f.bucket, &ObjectKey::parse("lonely").unwrap(), Some(&v), owner).unwrap();
    assert_eq!(f.run(), actions(&[("remove_expired_marker", 1)]));
    assert!(f.versions("lonely").is_empty());
    assert_eq!(f.versions("kept").len(), 2, "a marker over a version is not expired");
}

#[test]
fn suspended_expiration_replaces_the_null_version_with_a_null_marker() {
    let f = fixture(Backend::Memory);
    f.engine.set_versioning(&f.bucket, Versioning::Enabled).unwrap();
    let kept = f.put("k");
    f.engine.set_versioning(&f.bucket, Versioning::Suspended).unwrap();
    f.put("k");
    f.rules(vec![Rule { expiration: Some(Expiration::At(When::Date(T0 - 30 * DAY))), ..rule("past", Filter::All) }]);
    assert_eq!(f.run(), actions(&[("expire", 1)]), "a date in the past applies at once");
    assert_eq!(f.versions("k"), [("null".to_owned(), true), (kept, false)]);
}

#[test]
fn rules_set_after_the_objects_reach_them_and_idle_passes_cost_nothing() {
    let f = fixture(Backend::Sled);
    for i in 0..300 {
        f.put(&format!("old/{i:03}"));
    }
    f.clock.advance(5 * DAY);
    f.rules(vec![Rule {
        expiration: Some(Expiration::At(When::Days(3))),
        ..rule("three", Filter::Prefix("old/".into()))
    }]);
    // The sweep takes the bucket in batches; every object is already past due.
    assert_eq!(f.run(), actions(&[("expire", 300)]));
    // Objects due in a month cost a pass nothing today.
    f.rules(vec![Rule { expiration: Some(Expiration::At(When::Days(30))), ..rule("month", Filter::All) }]);
    f.run();
    for i in 0..200 {
        f.put(&format!("new/{i:03}"));
    }
    let report = f.engine.run_lifecycle(1000, 60_000).unwrap().unwrap();
    assert_eq!(report.total.examined, 0, "nothing due: nothing looked at");
    let (pending, first) = f.engine.lifecycle_pending(&f.bucket).unwrap();
    assert!(pending >= 200);
    assert!(first.unwrap() > f.clock.now_ms());
}

#[test]
fn incomplete_uploads_are_aborted_after_their_days() {
    let f = fixture(Backend::Sled);
    f.rules(vec![Rule { abort_upload_days: Some(7), ..rule("abort", Filter::Prefix("big/".into())) }]);
    let key = ObjectKey::parse("big/file").unwrap();
    let up = f.engine.create_upload(&f.bucket, &key, ObjectMeta::default(), None).unwrap();
    let other =
        f.engine.create_upload(&f.bucket, &ObjectKey::parse("small").unwrap(), ObjectMeta::default(), None).unwrap();
    let mut w = f.engine.new_blob().unwrap();
    w.write(&[7u8; 20_000]).unwrap();
    f.engine.put_part(&f.bucket, &key, &up.upload_id, 1, w.finish().unwrap(), None).unwrap();
    let at = midnight_after_days(T0, 7);
    assert_eq!(f.engine.abort_date_of(&f.bucket, "big/file", up.initiated_ms).unwrap(), Some((at, "abort".into())));
    f.advance_to(at - 1);
    assert_eq!(f.run(), actions(&[]));
    f.advance_to(at);
    assert_eq!(f.run(), actions(&[("abort_upload", 1)]));
    let left = f.engine.list_uploads(&f.bucket, &UploadListQuery { max_uploads: 10, ..Default::default() }).unwrap();
    assert_eq!(left.uploads.iter().map(|u| u.upload_id.as_str()).collect::<Vec<_>>(), [other.upload_id.as_str()]);
    assert_eq!(f.engine.queues().unwrap().gc, 0, "the part's data is gone too");
}

#[test]
fn the_worker_runs_under_the_lifecycle_lease_and_gives_it_up_on_stop() {
    let f = fixture(Backend::Memory);
    assert!(f.engine.run_lifecycle(10, 1000).unwrap().is_some());
    assert!(f.engine.lease("lifecycle", T0).unwrap().is_some(), "held while running");
    assert!(f.engine.lease("lifecycle", T0 + 1000).unwrap().is_none(), "and runs out unless renewed");
    f.engine.stop_lifecycle().unwrap();
    assert!(f.engine.lease("lifecycle", T0).unwrap().is_none());
}
