//! The archive tier through the engine, with a hand-moved clock: archived PUTs and uploads,
//! reads refused until a restore, restore jobs with Glacier's timing (scaled), upgrades, the
//! restored copy and its expiry, GLACIER_IR read straight from the archive, and archive bytes
//! freed (as dead space) when versions go.

use firn_storage::{
    BucketName, Clock, CompletedPart, Engine, EngineConfig, EngineError, ObjectKey, ObjectMeta, ObjectRecord,
    RestoreOutcome, Versioning, WriteCondition,
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
        let meta = ObjectMeta { storage_class: class.into(), ..Default::default() };
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
    let meta = ObjectMeta { storage_class: "GLACIER".into(), ..Default::default() };
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
        let meta = ObjectMeta { storage_class: "GLACIER".into(), ..Default::default() };
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
    clock.advance(due - T0);
    assert_eq!(e.run_lifecycle(100, 60_000).unwrap().unwrap().total.actions.get("restore"), Some(&1));
    let rec = e.object(&b, &ObjectKey::parse("k").unwrap()).unwrap();
    let mut out = Vec::new();
    e.reader(&b, &rec, 0, rec.size).unwrap().read_to_end(&mut out).unwrap();
    assert_eq!(out, b"survives");
}
