//! Crash consistency of the shared commit path: many connections of small PUTs and DELETEs (and
//! PUTs whose precondition fails, aborting inside a shared transaction), killed at random moments
//! over many rounds: mid-batch, mid-flush, between them. Every acknowledged write must be there
//! after the restart, every failed precondition must have changed nothing, and the listing must
//! show exactly the keys that exist.

use super::harness::{bytes, md5_hex, Server};
use super::{content_md5, KeyState, Rng};
use aws_sdk_s3::Client;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ROUNDS: usize = 12;
const WORKERS: usize = 24;
const KEYS_PER_WORKER: u64 = 6;

struct Shared {
    keys: Mutex<BTreeMap<String, KeyState>>,
    stopping: AtomicBool,
    unexpected: Mutex<Vec<String>>,
    acked: AtomicUsize,
    refused: AtomicUsize,
}

async fn worker(s3: Client, shared: Arc<Shared>, w: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    while !shared.stopping.load(Ordering::SeqCst) {
        let key = format!("w{w:02}/k{}", rng.below(KEYS_PER_WORKER));
        let roll = rng.below(100);
        // Mostly inline-sized bodies (one metadata commit each), some with a blob file.
        let len = if roll % 5 == 0 { 20_000 + rng.below(20_000) } else { rng.below(4096) };
        let data = bytes(len as usize, rng.next());
        if roll < 10 {
            // A precondition that cannot hold: refused, and nothing may change.
            let r = s3
                .put_object()
                .bucket("group")
                .key(&key)
                .if_match("\"00000000000000000000000000000000\"")
                .body(data.into())
                .send()
                .await;
            match r {
                Err(e) if e.raw_response().is_some_and(|r| matches!(r.status().as_u16(), 404 | 412)) => {
                    shared.refused.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                Err(e) if shared.stopping.load(Ordering::SeqCst) => {
                    let _ = e;
                    return;
                }
                other => {
                    shared.unexpected.lock().unwrap().push(format!("conditional PUT {key}: {other:?}"));
                    return;
                }
            }
        }
        let outcome = if roll < 35 { None } else { Some(md5_hex(&data)) };
        shared.keys.lock().unwrap().entry(key.clone()).or_default().pending = Some(outcome.clone());
        let result = match &outcome {
            None => s3.delete_object().bucket("group").key(&key).send().await.map(|_| ()).map_err(|e| format!("{e:?}")),
            Some(_) => s3
                .put_object()
                .bucket("group")
                .key(&key)
                .body(data.into())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:?}")),
        };
        match result {
            Ok(()) => {
                let mut keys = shared.keys.lock().unwrap();
                let state = keys.get_mut(&key).unwrap();
                state.acked = outcome;
                state.pending = None;
                shared.acked.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                if !shared.stopping.load(Ordering::SeqCst) {
                    shared.unexpected.lock().unwrap().push(format!("{key}: {e}"));
                }
                return;
            }
        }
    }
}

async fn verify(s3: &Client, shared: &Shared) {
    let keys: Vec<(String, KeyState)> = shared.keys.lock().unwrap().clone().into_iter().collect();
    for (key, state) in keys {
        let actual = content_md5(s3, "group", &key, None).await;
        let allowed = actual == state.acked || state.pending.as_ref() == Some(&actual);
        assert!(allowed, "{key}: found {actual:?}, acknowledged {:?}, in flight {:?}", state.acked, state.pending);
        let mut all = shared.keys.lock().unwrap();
        let s = all.get_mut(&key).unwrap();
        s.acked = actual;
        s.pending = None;
    }
    let mut listed = BTreeSet::new();
    let mut pages = s3.list_objects_v2().bucket("group").into_paginator().send();
    while let Some(page) = pages.next().await {
        listed.extend(page.unwrap().contents().iter().filter_map(|o| o.key().map(str::to_owned)));
    }
    let present: BTreeSet<String> =
        shared.keys.lock().unwrap().iter().filter(|(_, s)| s.acked.is_some()).map(|(k, _)| k.clone()).collect();
    assert_eq!(listed, present, "listing matches the objects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_during_shared_commits() {
    let seed = std::env::var("FIRN_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x6e0u64);
    let mut rng = Rng(seed | 1);
    let shared = Arc::new(Shared {
        keys: Mutex::new(BTreeMap::new()),
        stopping: AtomicBool::new(false),
        unexpected: Mutex::new(Vec::new()),
        acked: AtomicUsize::new(0),
        refused: AtomicUsize::new(0),
    });
    let mut server = Server::start_with(&[super::harness::ON_DISK]);
    server.client().create_bucket().bucket("group").send().await.unwrap();
    for round in 0..ROUNDS {
        shared.stopping.store(false, Ordering::SeqCst);
        let s3 = server.client();
        let tasks: Vec<_> =
            (0..WORKERS).map(|w| tokio::spawn(worker(s3.clone(), shared.clone(), w, rng.next()))).collect();
        tokio::time::sleep(Duration::from_millis(150 + rng.below(600))).await;
        shared.stopping.store(true, Ordering::SeqCst);
        let dir = server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        let unexpected = shared.unexpected.lock().unwrap().clone();
        assert!(unexpected.is_empty(), "round {round}: errors while the server was up: {unexpected:#?}");
        server = Server::start_in(dir, &[super::harness::ON_DISK]);
        verify(&server.client(), &shared).await;
    }
    println!(
        "shared commits: {ROUNDS} kill rounds, {} writes acknowledged, {} refused by their precondition (seed {seed:#x})",
        shared.acked.load(Ordering::SeqCst),
        shared.refused.load(Ordering::SeqCst)
    );
    assert!(shared.refused.load(Ordering::SeqCst) > 0, "failed preconditions were exercised");
}
