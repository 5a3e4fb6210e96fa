//! The lifecycle worker's cost at scale, for the figures in the notes: a bucket of 1,000,000 objects
//! written under rules, of which 1 % fall due; how long the passes take and what they add to memory.
//! Ignored by the test command (it writes a million objects); run it with
//! `cargo test --release -p firn-storage --test lifecycle_scale -- --ignored --nocapture`.
//! `FIRN_SCALE_OBJECTS` sets the bucket's size.

use firn_storage::model::lifecycle::{Expiration, Filter, LifecycleConfig, Rule, When};
use firn_storage::{BucketName, Clock, Engine, EngineConfig, ObjectKey, ObjectMeta, WriteCondition};
use std::time::Instant;

const DAY: i64 = 86_400_000;

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn rule(id: &str, prefix: &str, days: u32) -> Rule {
    Rule {
        id: id.into(),
        enabled: true,
        filter: Filter::Prefix(prefix.into()),
        expiration: Some(Expiration::At(When::Days(days))),
        transitions: vec![],
        noncurrent_expiration: None,
        noncurrent_transitions: vec![],
        abort_upload_days: None,
    }
}

#[test]
#[ignore]
fn a_pass_over_a_million_objects_with_one_percent_due() {
    let total: usize = std::env::var("FIRN_SCALE_OBJECTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let due = total / 100;
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        tempfile::tempdir_in("/dev/shm").unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let clock = Clock::manual(1_772_359_200_000);
    let mut cfg = EngineConfig::new(dir.path());
    cfg.clock = clock.clone();
    let engine = Engine::open(&cfg).unwrap();
    let b = BucketName::parse("scale").unwrap();
    engine.create_bucket(&b, "owner", "us-east-1").unwrap();
    let config = LifecycleConfig {
        rules: vec![rule("soon", "due/", 1), rule("later", "keep/", 3650)],
        transition_default_minimum_object_size: None,
    };
    engine.set_lifecycle(&b, Some(&config)).unwrap();
    engine.run_lifecycle(1000, 60_000).unwrap();

    let started = Instant::now();
    let threads = 8;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (engine, b) = (&engine, &b);
            s.spawn(move || {
                for i in (t..total).step_by(threads) {
                    let key = if i % 100 == 0 { format!("due/{i:08}") } else { format!("keep/{i:08}") };
                    let mut w = engine.new_blob().unwrap();
                    w.write(b"x").unwrap();
                    let k = ObjectKey::parse(&key).unwrap();
                    engine
                        .put_object(b, &k, w.finish().unwrap(), ObjectMeta::default(), None, &WriteCondition::default())
                        .unwrap();
                }
            });
        }
    });
    let fill = started.elapsed();
    clock.advance(2 * DAY + 1);
    let (rss_before, hwm_before) = (rss_kib("VmRSS:"), rss_kib("VmHWM:"));
    let started = Instant::now();
    let (mut passes, mut examined, mut expired) = (0, 0, 0);
    loop {
        let report = engine.run_lifecycle(1000, 60_000).unwrap().unwrap();
        passes += 1;
        examined += report.total.examined;
        expired += report.total.actions.get("expire").copied().unwrap_or(0);
        if !report.more {
            break;
        }
    }
    let took = started.elapsed();
    let idle_started = Instant::now();
    let idle = engine.run_lifecycle(1000, 60_000).unwrap().unwrap();
    let idle_took = idle_started.elapsed();
    assert_eq!(expired as usize, due);
    assert_eq!(idle.total.examined, 0);
    println!(
        "lifecycle scale: {total} objects (filled in {:.1} s), {due} due: {passes} passes examined {examined} keys and expired {expired} in {:.2} s ({:.0} µs per expiry); RSS {} -> {} KiB (peak {} -> {} KiB); an idle pass afterwards {:.1} ms",
        fill.as_secs_f64(),
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / expired.max(1) as f64,
        rss_before,
        rss_kib("VmRSS:"),
        hwm_before,
        rss_kib("VmHWM:"),
        idle_took.as_secs_f64() * 1000.0
    );
}
