//! Archive tier figures for the notes: bytes on disk for compressible (log text) and
//! incompressible data, transition throughput over 1 GiB, and restore-to-readable latency once a
//! job is due. Ignored by the test command; run with
//! `cargo test --release -p firn-storage --test archive_scale -- --ignored --nocapture`.

use firn_storage::model::lifecycle::{Filter, Rule, Transition, When};
use firn_storage::{
    BucketName, Clock, Engine, EngineConfig, LifecycleConfig, ObjectKey, ObjectMeta, StorageClass, WriteCondition,
};
use std::io::Read;
use std::time::Instant;

const DAY: i64 = 86_400_000;
const OBJECT: usize = 64 << 20;

fn text_chunk(seed: usize) -> Vec<u8> {
    (0..)
        .flat_map(|i: usize| {
            format!(
                "2026-12-04T03:{:02}:{:02}.{:03}Z 10.0.{}.{} GET /api/v1/items/{} 200 {} \"Mozilla/5.0\"\n",
                (i / 60) % 60,
                i % 60,
                (i * 7) % 1000,
                (seed + i) % 256,
                i % 251,
                i * 31 % 100_000,
                512 + i % 9000
            )
            .into_bytes()
        })
        .take(1 << 20)
        .collect()
}

fn noise_chunk(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
#[ignore]
fn archive_bytes_transition_throughput_and_restore_latency() {
    let base = std::env::var("FIRN_BENCH_DIR").unwrap_or_else(|_| "../target".into());
    let dir = tempfile::tempdir_in(base).unwrap();
    let clock = Clock::manual(1_772_359_200_000);
    let mut cfg = EngineConfig::new(dir.path());
    cfg.clock = clock.clone();
    let engine = Engine::open(&cfg).unwrap();
    let b = BucketName::parse("bench").unwrap();
    engine.create_bucket(&b, "owner", "us-east-1").unwrap();
    let rule = |prefix: &str| Rule {
        id: prefix.into(),
        enabled: true,
        filter: Filter::Prefix(prefix.into()),
        expiration: None,
        transitions: vec![Transition { when: When::Days(1), storage_class: StorageClass::Glacier }],
        noncurrent_expiration: None,
        noncurrent_transitions: vec![],
        abort_upload_days: None,
    };
    engine
        .set_lifecycle(
            &b,
            Some(&LifecycleConfig {
                rules: vec![rule("a-text/"), rule("b-noise/")],
                transition_default_minimum_object_size: None,
            }),
        )
        .unwrap();
    engine.run_lifecycle(100, 60_000).unwrap();
    // 512 MiB of each, in 64 MiB objects.
    for (prefix, make) in [("a-text/", 0usize), ("b-noise/", 1)] {
        for o in 0..8 {
            let mut w = engine.new_blob().unwrap();
            for c in 0..OBJECT >> 20 {
                let chunk = if make == 0 { text_chunk(o * 64 + c) } else { noise_chunk((o * 64 + c) as u64) };
                w.write(&chunk).unwrap();
            }
            let key = ObjectKey::parse(&format!("{prefix}{o}")).unwrap();
            engine
                .put_object(&b, &key, w.finish().unwrap(), ObjectMeta::default(), None, &WriteCondition::default())
                .unwrap();
        }
    }
    clock.advance(2 * DAY + 1);
    let mut figures = Vec::new();
    let mut prev = 0;
    let started = Instant::now();
    let mut transitions = 0;
    loop {
        let report = engine.run_lifecycle(4, 60_000).unwrap().unwrap();
        transitions += report.total.actions.get("transition").copied().unwrap_or(0);
        let (on_disk, _) = engine.archive_bytes().unwrap();
        if transitions == 8 && figures.is_empty() {
            figures.push(on_disk);
            prev = on_disk;
        }
        if !report.more {
            break;
        }
    }
    let took = started.elapsed();
    let (on_disk, live) = engine.archive_bytes().unwrap();
    assert_eq!(transitions, 16);
    let text_bytes = figures.first().copied().unwrap_or(prev);
    // Restore one 64 MiB text object and time the job from due to readable.
    let rec = engine.object(&b, &ObjectKey::parse("a-text/0").unwrap()).unwrap();
    engine.restore_object(&b, &rec, 1, "Expedited").unwrap();
    clock.advance(5 * 60_000);
    let restore_started = Instant::now();
    engine.run_lifecycle(100, 60_000).unwrap();
    let mut out = Vec::new();
    engine.reader(&b, &rec, 0, rec.size).unwrap().read_to_end(&mut out).unwrap();
    let restore_took = restore_started.elapsed();
    assert_eq!(out.len(), OBJECT);
    let gib = 1u64 << 30;
    println!(
        "archive figures: 1 GiB transitioned to GLACIER in {:.2} s ({:.0} MiB/s); 512 MiB of log text take {:.1} MiB on disk ({:.1}x), 512 MiB of random bytes {:.1} MiB (raw frames); {live} live of {on_disk} bytes; a due 64 MiB Expedited restore readable in {:.2} s",
        took.as_secs_f64(),
        gib as f64 / (1 << 20) as f64 / took.as_secs_f64(),
        text_bytes as f64 / (1 << 20) as f64,
        (512u64 << 20) as f64 / text_bytes.max(1) as f64,
        (on_disk - text_bytes) as f64 / (1 << 20) as f64,
        restore_took.as_secs_f64()
    );
}
