//! Crash consistency: a mixed workload against `firn`, killed with SIGKILL at random moments over
//! many rounds. After each restart every acknowledged write must be readable with its MD5, nothing
//! unacknowledged may be half-visible, listings must match, and at the end no orphan data remains.

mod archive;
mod group;
#[path = "../api/harness.rs"]
#[allow(dead_code)]
mod harness;
mod lifecycle;
mod lock;

use aws_sdk_s3::types::{BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, VersioningConfiguration};
use aws_sdk_s3::Client;
use harness::{bytes, md5_hex, Server};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ROUNDS: usize = 12;
const WORKERS: usize = 6;
const KEYS_PER_WORKER: usize = 4;

/// What we know of one key: its acknowledged content (None: absent) and the outcome of an
/// operation that was in flight when the server died, which may or may not have happened.
#[derive(Clone, Debug, Default)]
struct KeyState {
    acked: Option<String>,
    pending: Option<Option<String>>,
}

#[derive(Default)]
struct Model {
    keys: BTreeMap<String, KeyState>,
    /// Versions acknowledged in the versioned bucket: (key, version id) → MD5.
    versions: BTreeMap<(String, String), String>,
}

struct Shared {
    model: Mutex<Model>,
    stopping: AtomicBool,
    unexpected: Mutex<Vec<String>>,
    acked_ops: AtomicUsize,
}

/// A tiny deterministic generator, so a failing seed can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn key_of(worker: usize, i: usize) -> String {
    format!("w{worker}/k{i}")
}

async fn multipart(s3: &Client, key: &str, data: &[u8]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Debug| format!("{e:?}");
    let up = s3.create_multipart_upload().bucket("crash").key(key).send().await.map_err(|e| err(&e))?;
    let id = up.upload_id().unwrap_or_default().to_owned();
    let split = 5 << 20;
    let mut parts = Vec::new();
    for (n, chunk) in [&data[..split], &data[split..]].into_iter().enumerate() {
        let out = s3
            .upload_part()
            .bucket("crash")
            .key(key)
            .upload_id(&id)
            .part_number(n as i32 + 1)
            .body(chunk.to_vec().into())
            .send()
            .await
            .map_err(|e| err(&e))?;
        parts.push(CompletedPart::builder().part_number(n as i32 + 1).e_tag(out.e_tag().unwrap_or_default()).build());
    }
    s3.complete_multipart_upload()
        .bucket("crash")
        .key(key)
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .map_err(|e| err(&e))?;
    Ok(())
}

/// One worker: operations on its own keys until the server dies.
async fn worker(s3: Client, shared: Arc<Shared>, w: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    while !shared.stopping.load(Ordering::SeqCst) {
        let key = key_of(w, rng.below(KEYS_PER_WORKER as u64) as usize);
        let roll = rng.below(100);
        let source = key_of(w, rng.below(KEYS_PER_WORKER as u64) as usize);
        let source_md5 = {
            let m = shared.model.lock().unwrap();
            m.keys.get(&source).filter(|s| s.pending.is_none() && source != key).and_then(|s| s.acked.clone())
        };
        let data = match roll {
            0..=9 => bytes((5 << 20) + rng.below(100_000) as usize, rng.next()),
            _ => bytes(rng.below(300_000) as usize, rng.next()),
        };
        // The outcome this operation would have, recorded as possible before it is sent.
        let (outcome, kind) = match roll {
            0..=9 => (Some(md5_hex(&data)), "multipart"),
            10..=29 => (None, "delete"),
            30..=44 if source_md5.is_some() => (source_md5.clone(), "copy"),
            45..=54 => (Some(md5_hex(&data)), "versioned"),
            _ => (Some(md5_hex(&data)), "put"),
        };
        if kind != "versioned" {
            shared.model.lock().unwrap().keys.entry(key.clone()).or_default().pending = Some(outcome.clone());
        }
        let result: Result<Option<String>, String> = match kind {
            "multipart" => multipart(&s3, &key, &data).await.map(|_| None),
            "delete" => {
                s3.delete_object().bucket("crash").key(&key).send().await.map(|_| None).map_err(|e| format!("{e:?}"))
            }
            "copy" => s3
                .copy_object()
                .bucket("crash")
                .key(&key)
                .copy_source(format!("crash/{source}"))
                .send()
                .await
                .map(|_| None)
                .map_err(|e| format!("{e:?}")),
            "versioned" => s3
                .put_object()
                .bucket("crash-versions")
                .key(&key)
                .body(data.clone().into())
                .send()
                .await
                .map(|o| o.version_id().map(str::to_owned))
                .map_err(|e| format!("{e:?}")),
            _ => s3
                .put_object()
                .bucket("crash")
                .key(&key)
                .body(data.clone().into())
                .send()
                .await
                .map(|_| None)
                .map_err(|e| format!("{e:?}")),
        };
        match result {
            Ok(version) => {
                let mut m = shared.model.lock().unwrap();
                if kind == "versioned" {
                    m.versions.insert((key.clone(), version.expect("versioned put has an id")), outcome.unwrap());
                } else {
                    let state = m.keys.entry(key.clone()).or_default();
                    state.acked = outcome;
                    state.pending = None;
                }
                shared.acked_ops.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                if !shared.stopping.load(Ordering::SeqCst) {
                    shared.unexpected.lock().unwrap().push(format!("{kind} {key}: {e}"));
                }
                return;
            }
        }
    }
}

async fn content_md5(s3: &Client, bucket: &str, key: &str, version: Option<&str>) -> Option<String> {
    match s3.get_object().bucket(bucket).key(key).set_version_id(version.map(str::to_owned)).send().await {
        Ok(out) => Some(md5_hex(&out.body.collect().await.expect("body").into_bytes())),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => None,
        Err(e) => panic!("GET {bucket}/{key}: {e:?}"),
    }
}

/// Checks the restarted server against the model and settles every pending outcome.
async fn verify(s3: &Client, shared: &Shared) -> usize {
    let mut checked = 0;
    let keys: Vec<(String, KeyState)> = shared.model.lock().unwrap().keys.clone().into_iter().collect();
    for (key, state) in keys {
        let actual = content_md5(s3, "crash", &key, None).await;
        let allowed = actual == state.acked || state.pending.as_ref() == Some(&actual);
        assert!(allowed, "{key}: found {actual:?}, acknowledged {:?}, in flight {:?}", state.acked, state.pending);
        let mut m = shared.model.lock().unwrap();
        let s = m.keys.get_mut(&key).unwrap();
        s.acked = actual;
        s.pending = None;
        checked += 1;
    }
    let versions: Vec<_> = shared.model.lock().unwrap().versions.clone().into_iter().collect();
    for ((key, id), md5) in versions {
        assert_eq!(content_md5(s3, "crash-versions", &key, Some(&id)).await.as_ref(), Some(&md5), "{key} version {id}");
        checked += 1;
    }
    // The listing shows exactly the keys that exist.
    let listed: BTreeSet<String> = s3
        .list_objects_v2()
        .bucket("crash")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    let present: BTreeSet<String> =
        shared.model.lock().unwrap().keys.iter().filter(|(_, s)| s.acked.is_some()).map(|(k, _)| k.clone()).collect();
    assert_eq!(listed, present, "listing matches the objects");
    checked
}

/// Removes every version, marker and unfinished upload, so that no data may remain on disk.
async fn empty_everything(s3: &Client) {
    for bucket in ["crash", "crash-versions"] {
        let uploads = s3.list_multipart_uploads().bucket(bucket).send().await.unwrap();
        for u in uploads.uploads() {
            s3.abort_multipart_upload()
                .bucket(bucket)
                .key(u.key().unwrap())
                .upload_id(u.upload_id().unwrap())
                .send()
                .await
                .unwrap();
        }
        let versions = s3.list_object_versions().bucket(bucket).send().await.unwrap();
        let ids = versions
            .versions()
            .iter()
            .map(|v| (v.key().unwrap(), v.version_id().unwrap()))
            .chain(versions.delete_markers().iter().map(|m| (m.key().unwrap(), m.version_id().unwrap())));
        for (key, id) in ids {
            s3.delete_object().bucket(bucket).key(key).version_id(id).send().await.unwrap();
        }
        s3.delete_bucket().bucket(bucket).send().await.unwrap();
    }
}

fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let seed = std::env::var("FIRN_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_f12e_u64);
    let mut rng = Rng(seed);
    let shared = Arc::new(Shared {
        model: Mutex::new(Model::default()),
        stopping: AtomicBool::new(false),
        unexpected: Mutex::new(Vec::new()),
        acked_ops: AtomicUsize::new(0),
    });
    let mut server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("crash").send().await.unwrap();
    s3.create_bucket().bucket("crash-versions").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("crash-versions")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    let mut checked = 0;
    for round in 0..ROUNDS {
        shared.stopping.store(false, Ordering::SeqCst);
        let s3 = server.client();
        let tasks: Vec<_> =
            (0..WORKERS).map(|w| tokio::spawn(worker(s3.clone(), shared.clone(), w, rng.next()))).collect();
        tokio::time::sleep(Duration::from_millis(200 + rng.below(800))).await;
        shared.stopping.store(true, Ordering::SeqCst);
        let dir = server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        let unexpected = shared.unexpected.lock().unwrap().clone();
        assert!(unexpected.is_empty(), "round {round}: errors while the server was up: {unexpected:#?}");
        server = Server::start_in(dir, &[]);
        checked += verify(&server.client(), &shared).await;
    }
    let s3 = server.client();
    empty_everything(&s3).await;
    // Orphans are swept at start-up: restart once more and nothing may be left.
    let dir = server.kill();
    let server = Server::start_in(dir, &[]);
    let data = server.data_dir();
    assert_eq!(files_under(&data.join("hot/blobs")), 0, "no blob outlives its objects");
    assert_eq!(files_under(&data.join("hot/tmp")), 0, "no temporary file survives a restart");
    println!(
        "crash harness: {ROUNDS} kill rounds, {} operations acknowledged, {checked} states verified (seed {seed:#x})",
        shared.acked_ops.load(Ordering::SeqCst)
    );
}
