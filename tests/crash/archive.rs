//! The archive tier killed with SIGKILL: while GLACIER objects are being written, and again and
//! again while their restores are pending. After the restarts every acknowledged object is there,
//! archived, each restore completes on its original schedule, every object reads back with its
//! MD5, and the archive's live bytes are exactly what the stored objects take.

use super::harness::{bytes, md5_hex, Server, ON_DISK};
use super::Rng;
use aws_sdk_s3::types::{GlacierJobParameters, RestoreRequest, StorageClass, Tier};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const OBJECTS: usize = 240;
/// Restores 3600 times faster than AWS's (Standard: 3-5 s).
const ENV: [(&str, &str); 3] = [ON_DISK, ("FIRN_ARCHIVE_TIME_SCALE", "3600"), ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.1")];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_while_archiving_and_restoring() {
    let mut rng = Rng(0xa4c1_1ffe_d00d_0001);
    let server = Server::start_with(&ENV);
    let s3 = server.client();
    s3.create_bucket().bucket("archive-crash").send().await.unwrap();
    // Phase 1: GLACIER PUTs from 8 writers, the server killed in the middle.
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (s3, acked) = (s3.clone(), acked.clone());
            tokio::spawn(async move {
                for i in (w..OBJECTS).step_by(8) {
                    let key = format!("cold/{i:04}");
                    let data = bytes(20_000 + i * 97, i as u64);
                    let put = s3
                        .put_object()
                        .bucket("archive-crash")
                        .key(&key)
                        .storage_class(StorageClass::Glacier)
                        .body(data.clone().into())
                        .send()
                        .await;
                    if put.is_err() {
                        return;
                    }
                    acked.lock().unwrap().insert(key, md5_hex(&data));
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400 + rng.below(400))).await;
    let dir = server.kill();
    for w in writers {
        w.await.unwrap();
    }
    let mut server = Server::start_in(dir, &ENV);
    let s3 = server.client();
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty() && acked.len() < OBJECTS, "the kill came in the middle ({} acknowledged)", acked.len());
    let mut stored = Vec::new();
    let mut token = None;
    loop {
        let page =
            s3.list_objects_v2().bucket("archive-crash").set_continuation_token(token.take()).send().await.unwrap();
        stored.extend(page.contents().iter().map(|o| (o.key().unwrap().to_owned(), o.storage_class().cloned())));
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    for key in acked.keys() {
        assert!(stored.iter().any(|(k, _)| k == key), "{key} was acknowledged");
    }
    assert!(stored.iter().all(|(_, c)| c.as_ref().map(|c| c.as_str()) == Some("GLACIER")));

    // Phase 2: restore everything, and kill the server over and over while the jobs are pending.
    let req = RestoreRequest::builder()
        .days(1)
        .glacier_job_parameters(GlacierJobParameters::builder().tier(Tier::Standard).build().unwrap())
        .build();
    let started = Instant::now();
    for (key, _) in &stored {
        s3.restore_object().bucket("archive-crash").key(key).restore_request(req.clone()).send().await.unwrap();
    }
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(300 + rng.below(700))).await;
        let dir = server.kill();
        server = Server::start_in(dir, &ENV);
    }
    let s3 = server.client();
    let mut pending: Vec<String> = stored.iter().map(|(k, _)| k.clone()).collect();
    while !pending.is_empty() && started.elapsed() < Duration::from_secs(30) {
        let mut still = Vec::new();
        for key in pending {
            let head = s3.head_object().bucket("archive-crash").key(&key).send().await.unwrap();
            if !head.restore().is_some_and(|r| r.contains("ongoing-request=\"false\"")) {
                still.push(key);
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = started.elapsed();
    assert!(pending.is_empty(), "every restore completed: {} left after {took:?}", pending.len());
    assert!(took >= Duration::from_millis(2900), "none sooner than Standard's 3 h (3 s here): {took:?}");
    for (key, _) in &stored {
        let got = s3.get_object().bucket("archive-crash").key(key).send().await.unwrap();
        let body = got.body.collect().await.unwrap().into_bytes();
        if let Some(md5) = acked.get(key) {
            assert_eq!(&md5_hex(&body), md5, "{key}");
        }
        let i: usize = key[5..].parse().unwrap();
        assert_eq!(md5_hex(&body), md5_hex(&bytes(20_000 + i * 97, i as u64)), "{key}: original bytes");
    }
    println!(
        "archive crash: killed once while {} of {OBJECTS} GLACIER PUTs were acknowledged ({} stored), then 5 times while their restores were pending; all restored in {took:?} with their original MD5",
        acked.len(),
        stored.len()
    );
}

/// Per key: its storage class as listed.
async fn classes(s3: &aws_sdk_s3::Client, bucket: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = s3.list_objects_v2().bucket(bucket).set_continuation_token(token.take()).send().await.unwrap();
        for o in page.contents() {
            out.insert(
                o.key().unwrap().to_owned(),
                o.storage_class().map_or("STANDARD".into(), |c| c.as_str().to_owned()),
            );
        }
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_owned()),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_during_a_transition_run() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter, Transition,
        TransitionDefaultMinimumObjectSize, TransitionStorageClass,
    };
    const DUE: usize = 1500;
    const KEPT: usize = 500;
    let env = [
        ON_DISK,
        ("FIRN_ARCHIVE_TIME_SCALE", "3600"),
        ("FIRN_LIFECYCLE_DAY_SECS", "1"),
        ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.1"),
    ];
    let mut rng = Rng(0x7a45_1710_0000_0001);
    let mut server = Server::start_with(&env);
    let s3 = server.client();
    s3.create_bucket().bucket("transition-crash").send().await.unwrap();
    let keys: Vec<String> =
        (0..DUE).map(|i| format!("due/{i:04}")).chain((0..KEPT).map(|i| format!("keep/{i:04}"))).collect();
    let body = |k: &str| bytes(3000, k.bytes().map(u64::from).sum());
    let puts: Vec<_> = keys
        .chunks(keys.len() / 16 + 1)
        .map(|chunk| {
            let (s3, chunk) = (s3.clone(), chunk.to_vec());
            tokio::spawn(async move {
                for k in chunk {
                    let data = bytes(3000, k.bytes().map(u64::from).sum());
                    s3.put_object().bucket("transition-crash").key(&k).body(data.into()).send().await.unwrap();
                }
            })
        })
        .collect();
    for p in puts {
        p.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let rule = LifecycleRule::builder()
        .id("to-glacier")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("due/").build())
        .transitions(Transition::builder().days(1).storage_class(TransitionStorageClass::Glacier).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket("transition-crash")
        .transition_default_minimum_object_size(TransitionDefaultMinimumObjectSize::VariesByStorageClass)
        .lifecycle_configuration(BucketLifecycleConfiguration::builder().rules(rule).build().unwrap())
        .send()
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(30 + rng.below(270))).await;
        let dir = server.kill();
        server = Server::start_in(dir, &env);
        let c = classes(&server.client(), "transition-crash").await;
        assert_eq!(c.len(), DUE + KEPT, "every object is listed, in exactly one tier");
        seen.push(c.values().filter(|c| *c == "GLACIER").count());
    }
    let s3 = server.client();
    let started = Instant::now();
    let last = loop {
        let c = classes(&s3, "transition-crash").await;
        if c.values().filter(|c| *c == "GLACIER").count() >= DUE || started.elapsed() > Duration::from_secs(60) {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(seen.iter().any(|&n| n > 0 && n < DUE), "some kill landed in the middle of the run: {seen:?}");
    for k in &keys {
        let want = if k.starts_with("due/") { "GLACIER" } else { "STANDARD" };
        assert_eq!(last.get(k).map(String::as_str), Some(want), "{k}");
    }
    // Every 50th archived object restored and read: its original bytes from the archive.
    let req = RestoreRequest::builder()
        .days(1)
        .glacier_job_parameters(GlacierJobParameters::builder().tier(Tier::Expedited).build().unwrap())
        .build();
    let sample: Vec<&String> = keys.iter().filter(|k| k.starts_with("due/")).step_by(50).collect();
    for k in &sample {
        s3.restore_object().bucket("transition-crash").key(*k).restore_request(req.clone()).send().await.unwrap();
    }
    for k in &sample {
        let mut got = None;
        for _ in 0..100 {
            if let Ok(o) = s3.get_object().bucket("transition-crash").key(*k).send().await {
                got = Some(o.body.collect().await.unwrap().into_bytes());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(md5_hex(&got.expect("restored")), md5_hex(&body(k)), "{k}");
    }
    for k in keys.iter().filter(|k| k.starts_with("keep/")).step_by(50) {
        let o = s3.get_object().bucket("transition-crash").key(k).send().await.unwrap();
        assert_eq!(md5_hex(&o.body.collect().await.unwrap().into_bytes()), md5_hex(&body(k)));
    }
    println!(
        "transition crash: 6 kills during a run moving {DUE} objects to GLACIER ({KEPT} not due); archived after each restart {seen:?}; all moved once, {} sampled restores read their original bytes",
        sample.len()
    );
}

/// The archive report through the admin API.
fn archive_report(server: &Server) -> firn_storage::ArchiveReport {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["admin", "--json", "--endpoint", &server.addr, "archive"])
        .envs(server.env.iter().map(|(k, v)| (k, v)))
        .env("FIRN_ROOT_ACCESS_KEY", super::harness::ACCESS_KEY)
        .env("FIRN_ROOT_SECRET_KEY", super::harness::SECRET_KEY)
        .output()
        .unwrap();
    match serde_json::from_slice(&out.stdout).expect("JSON reply") {
        firn::admin::Reply::Archive { archive } => archive,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_during_compaction() {
    const OBJECTS: usize = 800;
    let env = [ON_DISK, ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.1")];
    let mut rng = Rng(0xc0_4ac7_0000_0001);
    let server = Server::start_with(&env);
    let s3 = server.client();
    s3.create_bucket().bucket("compact-crash").send().await.unwrap();
    let body = |i: usize| bytes(10_000 + i * 13, i as u64 + 7);
    let puts: Vec<_> = (0..4)
        .map(|w| {
            let s3 = s3.clone();
            tokio::spawn(async move {
                for i in (w..OBJECTS).step_by(4) {
                    let data = bytes(10_000 + i * 13, i as u64 + 7);
                    s3.put_object()
                        .bucket("compact-crash")
                        .key(format!("k{i:04}"))
                        .storage_class(StorageClass::GlacierIr)
                        .body(data.into())
                        .send()
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for p in puts {
        p.await.unwrap();
    }
    // Three in four go, leaving the segments mostly dead; a restart seals them, and the worker
    // compacts on its own from then on.
    for i in (0..OBJECTS).filter(|i| i % 4 != 0) {
        s3.delete_object().bucket("compact-crash").key(format!("k{i:04}")).send().await.unwrap();
    }
    let before = archive_report(&server);
    assert!(before.live * 2 < before.on_disk, "{before:?}");
    let mut server = Server::start_in(server.kill(), &env);
    let mut seen = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(20 + rng.below(200))).await;
        seen.push(archive_report(&server).segments);
        server = Server::start_in(server.kill(), &env);
    }
    let started = Instant::now();
    let after = loop {
        let r = archive_report(&server);
        if (r.on_disk - r.live) * 10 <= r.on_disk || started.elapsed() > Duration::from_secs(30) {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // What a kill cut short (a copy made, not yet switched) is dead space in a new segment, too
    // little to be worth compacting again; the mostly dead segments themselves are gone.
    assert!((after.on_disk - after.live) * 10 <= after.on_disk, "the dead space was reclaimed: {after:?}");
    assert_eq!(after.versions as usize, OBJECTS / 4);
    assert_eq!(after.live, before.live, "live bytes unchanged by compaction");
    let s3 = server.client();
    for i in (0..OBJECTS).step_by(4) {
        let o = s3.get_object().bucket("compact-crash").key(format!("k{i:04}")).send().await.unwrap();
        assert_eq!(md5_hex(&o.body.collect().await.unwrap().into_bytes()), md5_hex(&body(i)), "k{i:04}");
    }
    println!(
        "compaction crash: {} live of {} bytes in {} segments before; 5 kills during compaction (segments seen {seen:?}); after: {} of {} bytes live in {} segments, every remaining object intact",
        before.live, before.on_disk, before.segments, after.live, after.on_disk, after.segments
    );
}
