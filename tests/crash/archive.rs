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
