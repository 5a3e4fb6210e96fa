//! The archive tier through the engine, with a hand-moved clock: archived PUTs and uploads,
//! reads refused until a restore, restore jobs with Glacier's timing (scaled), upgrades, the
//! restored copy and its expiry, GLACIER_IR read straight from the archive, and archive bytes
//! freed (as dead space) when versions go.

use firn_storage::{
    BucketName, Clock, CompletedPart, Engine, EngineConfig, EngineError, ObjectKey, ObjectMeta, ObjectRecord,
    RestoreOutcome, StorageClass, Versioning, WriteCondition,
};
use std::io::Read;

const DAY: i64 = 86_400_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const T0: i64 = 1_772_359_200_000;

struct Fixture {
    engine: Engine,
    clock: Clock,
    bucket: BucketName,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let mut cfg = EngineConfig::new(dir.path());
    cfg.clock = clock.clone();
    cfg.min_part_size = 1;
    let engine = Engine::open(&cfg).unwrap();
    let bucket = BucketName::parse("cold").unwrap();
    engine.create_bucket(&bucket, "owner", "us-east-1").unwrap();
    Fixture { engine, clock, bucket, _dir: dir }
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

impl Fixture {
    fn put(&self, key: &str, class: &str, bytes: &[u8]) -> ObjectRecord {
        let mut w = self.engine.new_blob().unwrap();
        w.write(bytes).unwrap();
        let meta = ObjectMeta { storage_class: class.parse().unwrap(), ..Default::default() };
        let k = ObjectKey::parse(key).unwrap();
        self.engine.put_object(&self.bucket, &k, w.finish().unwrap(), meta, None, &WriteCondition::default()).unwrap()
    }

    fn read(&self, rec: &ObjectRecord) -> Result<Vec<u8>, EngineError> {
        let mut out = Vec::new();
        self.engine.reader(&self.bucket, rec, 0, rec.size)?.read_to_end(&mut out)?;
        Ok(out)
    }

    fn run(&self) -> std::collections::BTreeMap<String, u64> {
        self.engine.run_lifecycle(1000, 60_000).unwrap().unwrap().total.actions
    }
}

#[test]
fn glacier_reads_only_after_a_restore_and_until_it_expires() {
    let f = fixture();
    let body = data(200_000, 1);
    let rec = f.put("backup.tar", "GLACIER", &body);
    assert!(rec.extents.is_empty(), "the bytes are in the archive tier");
    let stats = f.engine.stats();
    assert_eq!((stats.hot_versions, stats.archive_versions, stats.archive_bytes), (0, 1, 200_000));
    assert!(matches!(f.read(&rec), Err(EngineError::InvalidObjectState(c)) if c == "GLACIER"));
    assert!(f.engine.restore_status(&f.bucket, &rec).unwrap().is_none());

    assert_eq!(f.engine.restore_object(&f.bucket, &rec, 2, "Bulk").unwrap(), RestoreOutcome::Started);
    let job = f.engine.restore_status(&f.bucket, &rec).unwrap().unwrap();
    assert!((T0 + 5 * HOUR..=T0 + 12 * HOUR).contains(&job.due_ms), "Bulk: 5 to 12 hours");
    assert!(matches!(f.engine.restore_object(&f.bucket, &rec, 2, "Bulk"), Err(EngineError::RestoreAlreadyInProgress)));
    assert!(matches!(f.engine.restore_object(&f.bucket, &rec, 2, "Standard"), Ok(RestoreOutcome::Upgraded)));
    let job = f.engine.restore_status(&f.bucket, &rec).unwrap().unwrap();
    assert!((T0 + 3 * HOUR..=T0 + 5 * HOUR).contains(&job.due_ms), "Standard: 3 to 5 hours");
    assert!(matches!(f.engine.restore_object(&f.bucket, &rec, 2, "Bulk"), Err(EngineError::RestoreAlreadyInProgress)));

    f.clock.advance(job.due_ms - T0 - 1);
    assert!(f.run().is_empty(), "not due yet");
    assert!(f.read(&rec).is_err());
    f.clock.advance(1);
    assert_eq!(f.run().get("restore"), Some(&1));
    assert_eq!(f.read(&rec).unwrap(), body, "the restored copy reads with the original bytes");
    let copy = f.engine.restore_status(&f.bucket, &rec).unwrap().unwrap();
    let done = copy.completed_ms.unwrap();
    let expiry = copy.expiry_ms.unwrap();
    assert_eq!(expiry, ((done + 2 * DAY) / DAY + 1) * DAY, "completion + 2 days, rounded up to midnight");

    // Asking again while the copy is there extends it from now.
    f.clock.advance(DAY);
    assert_eq!(f.engine.restore_object(&f.bucket, &rec, 1, "Standard").unwrap(), RestoreOutcome::Extended);
    let extended = f.engine.restore_status(&f.bucket, &rec).unwrap().unwrap().expiry_ms.unwrap();
    assert_eq!(extended, ((f.clock.now_ms() + DAY) / DAY + 1) * DAY);
    f.clock.advance(extended - f.clock.now_ms() - 1);
    assert!(f.run().is_empty());
    assert!(f.read(&rec).is_ok());
    f.clock.advance(1);
    assert_eq!(f.run().get("restore_expired"), Some(&1));
    assert!(matches!(f.read(&rec), Err(EngineError::InvalidObjectState(_))), "archived only again");
    assert_eq!(f.engine.restore_status(&f.bucket, &rec).unwrap(), None);
    assert_eq!(
        f.engine.object(&f.bucket, &ObjectKey::parse("backup.tar").unwrap()).unwrap().meta.storage_class,
        "GLACIER"
    );
}

#[test]
fn deep_archive_has_no_expedited_and_other_classes_refuse_restores() {
    let f = fixture();
    let deep = f.put("deep", "DEEP_ARCHIVE", b"deep bytes");
    assert!(
        matches!(f.engine.restore_object(&f.bucket, &deep, 1, "Expedited"), Err(EngineError::InvalidRestore(m)) if m.contains("Expedited"))
    );
    assert_eq!(f.engine.restore_object(&f.bucket, &deep, 1, "Standard").unwrap(), RestoreOutcome::Started);
    assert_eq!(f.engine.restore_status(&f.bucket, &deep).unwrap().unwrap().due_ms, T0 + 12 * HOUR);

    let ir = f.put("instant", "GLACIER_IR", &data(50_000, 2));
    assert_eq!(f.read(&ir).unwrap(), data(50_000, 2), "GLACIER_IR reads without a restore");
    let mut range = Vec::new();
    f.engine.reader(&f.bucket, &ir, 10, 20).unwrap().read_to_end(&mut range).unwrap();
    assert_eq!(range, &data(50_000, 2)[10..20]);
    assert!(matches!(f.engine.restore_object(&f.bucket, &ir, 1, "Standard"), Err(EngineError::InvalidObjectState(_))));
    let hot = f.put("hot", "STANDARD_IA", b"kept hot");
    assert_eq!(f.read(&hot).unwrap(), b"kept hot");
    assert!(matches!(f.engine.restore_object(&f.bucket, &hot, 1, "Standard"), Err(EngineError::InvalidObjectState(_))));
}

#[test]
fn archived_uploads_versions_and_deletes() {
    let f = fixture();
    f.engine.set_versioning(&f.bucket, Versioning::Enabled).unwrap();
    let key = ObjectKey::parse("mp").unwrap();
    let meta = ObjectMeta { storage_class: StorageClass::Glacier, ..Default::default() };
    let up = f.engine.create_upload(&f.bucket, &key, meta, None).unwrap();
    let mut parts = Vec::new();
    for n in 1..=3u32 {
        let mut w = f.engine.new_blob().unwrap();
        w.write(&data(30_000, n as u8)).unwrap();
        let p = f.engine.put_part(&f.bucket, &key, &up.upload_id, n, w.finish().unwrap(), None).unwrap();
        parts.push(CompletedPart { number: n, etag: p.etag });
    }
    let chosen = f.engine.check_completion(&up.upload_id, &parts).unwrap();
    let rec = f.engine.complete_upload(&f.bucket, &key, &up, &chosen, None, &WriteCondition::default()).unwrap();
    assert!(rec.extents.is_empty() && rec.etag.ends_with("-3"));
    assert_eq!(f.engine.queues().unwrap().gc, 0, "the parts' hot bytes are gone");
    let (_, live) = f.engine.archive_bytes().unwrap();
    assert!(live > 0);

    // A newer hot version; the archived one, now noncurrent, restores by version id.
    f.put("mp", "STANDARD", b"new");
    f.engine.restore_object(&f.bucket, &rec, 1, "Expedited").unwrap();
    f.clock.advance(5 * MINUTE);
    assert_eq!(f.run().get("restore"), Some(&1));
    let want: Vec<u8> = (1..=3).flat_map(|n| data(30_000, n)).collect();
    assert_eq!(f.read(&rec).unwrap(), want);

    // Deleting the archived version frees its bytes in the archive (dead space now) and its copy.
    f.engine.delete_object(&f.bucket, &key, Some(&rec.version_id), "owner").unwrap();
    let (on_disk, live) = f.engine.archive_bytes().unwrap();
    assert_eq!(live, 0);
    assert!(on_disk > 0, "dead space until compaction");
    assert_eq!(f.engine.queues().unwrap().gc, 0);
    assert!(f.run().is_empty(), "the expiry hint of a gone copy finds nothing");
}

#[test]
fn restore_jobs_survive_a_restart_with_their_times() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(T0);
    let open = || {
        let mut cfg = EngineConfig::new(dir.path());
        cfg.clock = clock.clone();
        cfg.archive_time_scale = 60.0;
        Engine::open(&cfg).unwrap()
    };
    let b = BucketName::parse("cold").unwrap();
    let due = {
        let e = open();
        e.create_bucket(&b, "owner", "us-east-1").unwrap();
        let mut w = e.new_blob().unwrap();
        w.write(b"survives").unwrap();
        let meta = ObjectMeta { storage_class: StorageClass::Glacier, ..Default::default() };
        let rec = e
            .put_object(
                &b,
                &ObjectKey::parse("k").unwrap(),
                w.finish().unwrap(),
                meta,
                None,
                &WriteCondition::default(),
            )
            .unwrap();
        e.restore_object(&b, &rec, 1, "Standard").unwrap();
        e.restore_status(&b, &rec).unwrap().unwrap().due_ms
    };
    assert!((T0 + 3 * MINUTE..=T0 + 5 * MINUTE).contains(&due), "Standard's 3-5 hours at a time scale of 60");
    let e = open();
    assert_eq!(e.stats().archive_versions, 1, "counted at start-up as the running count had it");
    clock.advance(due - T0);
    assert_eq!(e.run_lifecycle(100, 60_000).unwrap().unwrap().total.actions.get("restore"), Some(&1));
    let rec = e.object(&b, &ObjectKey::parse("k").unwrap()).unwrap();
    let mut out = Vec::new();
    e.reader(&b, &rec, 0, rec.size).unwrap().read_to_end(&mut out).unwrap();
    assert_eq!(out, b"survives");
}

fn transition_rule(id: &str, prefix: &str, steps: &[(u32, &str)]) -> firn_storage::model::lifecycle::Rule {
    use firn_storage::model::lifecycle::{Filter, Rule, Transition, When};
    Rule {
        id: id.into(),
        enabled: true,
        filter: Filter::Prefix(prefix.into()),
        expiration: None,
        transitions: steps
            .iter()
            .map(|(d, c)| Transition { when: When::Days(*d), storage_class: c.parse().unwrap() })
            .collect(),
        noncurrent_expiration: None,
        noncurrent_transitions: vec![],
        abort_upload_days: None,
    }
}

impl Fixture {
    fn rules(&self, rules: Vec<firn_storage::model::lifecycle::Rule>, min_size: Option<&str>) {
        let config = firn_storage::LifecycleConfig {
            rules,
            transition_default_minimum_object_size: min_size.map(str::to_owned),
        };
        self.engine.set_lifecycle(&self.bucket, Some(&config)).unwrap();
    }

    fn current(&self, key: &str) -> ObjectRecord {
        self.engine.object(&self.bucket, &ObjectKey::parse(key).unwrap()).unwrap()
    }

    fn at_day(&self, days: i64) {
        let target = (T0 / DAY + days) * DAY + 1;
        self.clock.advance(target - self.clock.now_ms());
    }
}

#[test]
fn lifecycle_transitions_move_versions_down_the_tiers_keeping_their_bytes() {
    let f = fixture();
    f.rules(vec![transition_rule("down", "old/", &[(30, "GLACIER_IR"), (180, "DEEP_ARCHIVE")])], None);
    let big = data(200_000, 9);
    let before = f.put("old/a", "STANDARD", &big);
    f.put("old/small", "STANDARD", b"under 128 KiB");
    f.put("new/b", "STANDARD", &big);
    let scheduled = f.engine.archive_report().unwrap().pending_transitions;
    assert_eq!(scheduled.len(), 1, "old/a only (old/small is too small, new/b under no rule): {scheduled:?}");
    assert_eq!((scheduled[0].0.as_str(), scheduled[0].2.as_str()), ("cold/old/a", "GLACIER_IR"));
    assert_eq!(scheduled[0].3, (T0 / DAY + 31) * DAY, "the midnight after day 30");
    f.at_day(30);
    assert!(f.run().is_empty(), "not before day 30 has ended (midnight after)");
    f.at_day(31);
    assert_eq!(f.run().get("transition"), Some(&1));
    let ir = f.current("old/a");
    assert_eq!((ir.meta.storage_class.as_str(), ir.extents.len()), ("GLACIER_IR", 0));
    assert_eq!(
        (ir.etag.as_str(), ir.version_id.as_str(), ir.size),
        (before.etag.as_str(), before.version_id.as_str(), before.size)
    );
    assert_eq!(f.read(&ir).unwrap(), big, "GLACIER_IR reads from the archive");
    assert_eq!(f.current("old/small").meta.storage_class, "STANDARD", "small objects stay (128 KiB minimum)");
    assert_eq!(f.current("new/b").meta.storage_class, "STANDARD");
    assert_eq!(f.engine.queues().unwrap().gc, 0, "the hot bytes are freed");
    let stats = f.engine.stats();
    assert_eq!((stats.hot_versions, stats.archive_versions), (2, 1), "counted in the archive tier now");
    f.at_day(181);
    assert_eq!(f.run().get("transition"), Some(&1));
    let deep = f.current("old/a");
    assert_eq!(deep.meta.storage_class, "DEEP_ARCHIVE");
    let usage = f.engine.usage(&f.bucket);
    assert_eq!(
        (usage.objects, usage.archived_objects, usage.archived_bytes),
        (3, 1, big.len() as i64),
        "per bucket too"
    );
    assert!(matches!(f.read(&deep), Err(EngineError::InvalidObjectState(_))));
    f.engine.restore_object(&f.bucket, &deep, 1, "Bulk").unwrap();
    f.clock.advance(48 * HOUR);
    assert_eq!(f.run().get("restore"), Some(&1));
    assert_eq!(f.read(&deep).unwrap(), big);
    assert!(f.run().is_empty());
}

#[test]
fn small_objects_noncurrent_versions_and_expiration_first() {
    use firn_storage::model::lifecycle::{Expiration, NoncurrentTransition, When};
    let f = fixture();
    f.engine.set_versioning(&f.bucket, Versioning::Enabled).unwrap();
    let mut rule = transition_rule("cold", "", &[(10, "GLACIER")]);
    rule.noncurrent_transitions =
        vec![NoncurrentTransition { days: 1, newer_versions: None, storage_class: StorageClass::Glacier }];
    let mut both = transition_rule("gone", "tmp/", &[(5, "GLACIER")]);
    both.expiration = Some(Expiration::At(When::Days(5)));
    f.rules(vec![rule, both], Some("varies_by_storage_class"));
    let old = f.put("doc", "STANDARD", b"first, small");
    f.put("doc", "STANDARD", b"second");
    f.put("tmp/x", "STANDARD", b"short-lived");
    f.at_day(2);
    assert_eq!(f.run().get("transition"), Some(&1), "the noncurrent version, small as it is");
    let noncurrent = f.engine.object_version(&f.bucket, &ObjectKey::parse("doc").unwrap(), &old.version_id).unwrap();
    assert_eq!(noncurrent.meta.storage_class, "GLACIER");
    assert_eq!(f.current("doc").meta.storage_class, "STANDARD");
    f.at_day(6);
    let done = f.run();
    assert_eq!(done.get("expire"), Some(&1), "expiration wins over a transition due at once: {done:?}");
    assert!(f.current("tmp/x").delete_marker);
    f.at_day(11);
    assert_eq!(
        f.run().get("transition"),
        Some(&2),
        "the current doc after 10 days, and tmp/x's version, noncurrent since its expiration"
    );
    assert_eq!(f.current("doc").meta.storage_class, "GLACIER");
}

#[test]
fn compaction_reclaims_dead_space_and_every_remaining_object_reads_back() {
    let f = fixture();
    let mut kept = Vec::new();
    for i in 0..10u8 {
        let body = data(40_000 + i as usize * 1000, i);
        let class = if i % 2 == 0 { "GLACIER_IR" } else { "GLACIER" };
        let rec = f.put(&format!("obj/{i}"), class, &body);
        if i < 6 {
            f.engine.delete_object(&f.bucket, &ObjectKey::parse(&format!("obj/{i}")).unwrap(), None, "owner").unwrap();
        } else {
            kept.push((rec, body));
        }
    }
    let (on_disk, live) = f.engine.archive_bytes().unwrap();
    assert!(live * 2 < on_disk, "mostly dead: {live} of {on_disk}");
    let nothing = f.engine.compact_archive(0.99, true, 60_000).unwrap().unwrap();
    assert_eq!(nothing.segments, 0, "not dead enough for that threshold");
    let report = f.engine.compact_archive(0.5, true, 60_000).unwrap().unwrap();
    assert_eq!((report.segments, report.moved_versions), (1, 4), "{report:?}");
    let (on_disk, after) = f.engine.archive_bytes().unwrap();
    assert_eq!((on_disk, after), (live, live), "only the live bytes are left on disk");
    for (rec, _) in &kept {
        if rec.meta.storage_class == "GLACIER" {
            f.engine.restore_object(&f.bucket, rec, 1, "Expedited").unwrap();
        }
    }
    f.clock.advance(5 * MINUTE);
    f.run();
    for (rec, body) in &kept {
        assert_eq!(&f.read(rec).unwrap(), body, "{}", rec.key);
    }
    let scrub = f.engine.scrub(|_| {}).unwrap();
    assert!(scrub.damaged.is_empty(), "{:?}", scrub.damaged);
    assert_eq!(f.engine.compact_archive(0.5, true, 60_000).unwrap().unwrap().segments, 0, "nothing more to do");
}

#[test]
fn puts_racing_a_transition_of_the_same_key_are_never_lost_or_mixed() {
    let f = std::sync::Arc::new(fixture());
    f.engine.set_versioning(&f.bucket, Versioning::Enabled).unwrap();
    f.rules(vec![transition_rule("cold", "", &[(1, "GLACIER")])], None);
    let big = |i: u8| data(600_000, i);
    for k in 0..8 {
        f.put(&format!("k{k}"), "STANDARD", &big(k));
    }
    f.at_day(3);
    // The worker moves the eight versions while writers add new ones to the same keys.
    let writer = {
        let f = f.clone();
        std::thread::spawn(move || {
            for round in 0..3u8 {
                for k in 0..8u8 {
                    f.put(&format!("k{k}"), "STANDARD", &big(100 + round * 8 + k));
                }
            }
        })
    };
    // A transition applies to a current version: whichever of the two gets the key first wins it.
    let mut moved = 0;
    for _ in 0..50 {
        moved += f.run().get("transition").copied().unwrap_or(0);
        if moved == 8 {
            break;
        }
    }
    writer.join().unwrap();
    for k in 0..8u8 {
        let key = format!("k{k}");
        let q = firn_storage::VersionQuery { prefix: key.clone(), max_keys: 100, ..Default::default() };
        let versions = f.engine.list_versions(&f.bucket, &q).unwrap().entries;
        assert_eq!(versions.len(), 4, "{key}: the first version and three racing ones, none lost");
        let current = f.current(&key);
        assert_eq!(current.meta.storage_class, "STANDARD", "the newest PUT is current and hot");
        assert_eq!(f.read(&current).unwrap(), big(100 + 16 + k), "{key}: its own bytes");
        let oldest = &versions.last().unwrap().record;
        use md5::Digest;
        let want: String = md5::Md5::digest(big(k)).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(oldest.etag, want, "{key}: the first version keeps its ETag wherever it is");
        match oldest.meta.storage_class.as_str() {
            // Moved before the racing PUT: archived, its bytes in the archive.
            "GLACIER" => assert!(matches!(f.read(oldest), Err(EngineError::InvalidObjectState(_)))),
            // The PUT came first: it is noncurrent and stays hot, readable.
            _ => assert_eq!(f.read(oldest).unwrap(), big(k), "{key}"),
        }
    }
    assert!(moved <= 8);
}
