//! Object Lock killed with SIGKILL: while locked versions are being written, and again while their
//! retentions are being extended. After each restart every acknowledged version is there with the
//! lock it was acknowledged with (never weaker: an extension acknowledged is kept), every version
//! stored at all is locked (the lock is committed with the version), and none can be deleted.

use super::harness::{bytes, Server, ON_DISK};
use super::Rng;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{ObjectLockMode, ObjectLockRetention, ObjectLockRetentionMode};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const OBJECTS: usize = 240;
const ENV: [(&str, &str); 1] = [ON_DISK];

/// Key → (version id, mode, retain-until seconds) as acknowledged.
type Acked = BTreeMap<String, (String, ObjectLockMode, i64)>;

async fn verify(s3: &aws_sdk_s3::Client, acked: &Acked) {
    for (key, (version, mode, until)) in acked {
        let head = s3
            .head_object()
            .bucket("lock-crash")
            .key(key)
            .version_id(version)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key} {version} acknowledged, gone: {e:?}"));
        assert_eq!(head.object_lock_mode(), Some(mode), "{key}");
        let stored = head.object_lock_retain_until_date().map(|d| d.secs()).unwrap_or(0);
        assert!(stored >= *until, "{key}: retain-until {stored} weaker than the acknowledged {until}");
        let del = s3.delete_object().bucket("lock-crash").key(key).version_id(version).send().await;
        assert!(del.is_err(), "{key}: a locked version was deleted");
    }
    // Whatever was stored at all is locked: the lock lands with the version, never after it.
    let listed = s3.list_object_versions().bucket("lock-crash").send().await.unwrap();
    for v in listed.versions() {
        let head = s3.head_object().bucket("lock-crash").key(v.key().unwrap()).version_id(v.version_id().unwrap());
        let head = head.send().await.unwrap();
        assert!(head.object_lock_mode().is_some(), "{:?} stored without its lock", v.key());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_while_locking_and_extending() {
    let mut rng = Rng(0x10c4_ed0b_7e57_0001);
    let server = Server::start_with(&ENV);
    let s3 = server.client();
    s3.create_bucket().bucket("lock-crash").object_lock_enabled_for_bucket(true).send().await.unwrap();
    let base = chrono::Utc::now().timestamp() + 3600;

    // Phase 1: locked PUTs from 8 writers, killed in the middle.
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (s3, acked) = (s3.clone(), acked.clone());
            tokio::spawn(async move {
                for i in (w..OBJECTS).step_by(8) {
                    let key = format!("k/{i:04}");
                    let mode = if i % 2 == 0 { ObjectLockMode::Governance } else { ObjectLockMode::Compliance };
                    let until = base + i as i64;
                    let put = s3
                        .put_object()
                        .bucket("lock-crash")
                        .key(&key)
                        .object_lock_mode(mode.clone())
                        .object_lock_retain_until_date(DateTime::from_secs(until))
                        .body(bytes(2000 + i, i as u64).into())
                        .send()
                        .await;
                    let Ok(put) = put else { return };
                    acked.lock().unwrap().insert(key, (put.version_id().unwrap().to_owned(), mode, until));
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300 + rng.below(400))).await;
    let mut dir = server.kill();
    for w in writers {
        w.await.unwrap();
    }
    let acked_now = acked.lock().unwrap().clone();
    assert!(!acked_now.is_empty() && acked_now.len() < OBJECTS, "the kill came in the middle ({})", acked_now.len());
    let mut server = Server::start_in(dir, &ENV);
    verify(&server.client(), &acked_now).await;

    // Phase 2: retentions extended by 8 writers, killed three times.
    for round in 0..3 {
        let s3 = server.client();
        let extenders: Vec<_> = (0..8)
            .map(|w| {
                let (s3, acked) = (s3.clone(), acked.clone());
                let keys: Vec<(String, (String, ObjectLockMode, i64))> =
                    acked.lock().unwrap().iter().skip(w).step_by(8).map(|(k, v)| (k.clone(), v.clone())).collect();
                tokio::spawn(async move {
                    for (key, (version, mode, until)) in keys {
                        let longer = until + 600 * (round + 1);
                        let retention = ObjectLockRetention::builder()
                            .mode(ObjectLockRetentionMode::from(mode.as_str()))
                            .retain_until_date(DateTime::from_secs(longer))
                            .build();
                        let r = s3
                            .put_object_retention()
                            .bucket("lock-crash")
                            .key(&key)
                            .version_id(&version)
                            .retention(retention)
                            .send()
                            .await;
                        if r.is_err() {
                            return;
                        }
                        acked.lock().unwrap().insert(key, (version, mode, longer));
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100 + rng.below(300))).await;
        dir = server.kill();
        for e in extenders {
            e.await.unwrap();
        }
        server = Server::start_in(dir, &ENV);
        let acked_now = acked.lock().unwrap().clone();
        verify(&server.client(), &acked_now).await;
    }
    let extended = acked.lock().unwrap().values().filter(|(_, _, until)| *until > base + OBJECTS as i64).count();
    println!(
        "lock crash: {} locked versions acknowledged, {extended} extensions kept across 4 kills",
        acked.lock().unwrap().len()
    );
    server.terminate();
}
