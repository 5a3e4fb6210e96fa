//! The lifecycle worker killed with SIGKILL in the middle of a pass over a few thousand due
//! versions, again and again. After the last restart exactly the due versions have expired (one
//! delete marker each, never two) and nothing else was touched.

use super::harness::{Server, ON_DISK};
use super::Rng;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const DUE: usize = 4000;
const KEPT: usize = 1000;
const KILLS: usize = 8;
/// One-second days; the worker looks ten times a second.
const ENV: [(&str, &str); 3] = [ON_DISK, ("FIRN_LIFECYCLE_DAY_SECS", "1"), ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.1")];

/// Per key: (versions, delete markers).
async fn census(s3: &Client) -> BTreeMap<String, (usize, usize)> {
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let page = s3
            .list_object_versions()
            .bucket("lifecycle-crash")
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .unwrap();
        for v in page.versions() {
            out.entry(v.key().unwrap().to_owned()).or_default().0 += 1;
        }
        for m in page.delete_markers() {
            out.entry(m.key().unwrap().to_owned()).or_default().1 += 1;
        }
        if page.is_truncated() != Some(true) {
            return out;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
}

fn markers(census: &BTreeMap<String, (usize, usize)>) -> usize {
    census.values().map(|c| c.1).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_random_moments_during_a_lifecycle_pass() {
    let mut rng = Rng(0x11fe_c7c1_e5ee_d001);
    let mut server = Server::start_with(&ENV);
    let s3 = server.client();
    s3.create_bucket().bucket("lifecycle-crash").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("lifecycle-crash")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    let keys: Vec<String> =
        (0..DUE).map(|i| format!("due/{i:04}")).chain((0..KEPT).map(|i| format!("keep/{i:04}"))).collect();
    let puts = keys.chunks(keys.len() / 32 + 1).map(|chunk| {
        let (s3, chunk) = (s3.clone(), chunk.to_vec());
        tokio::spawn(async move {
            for k in chunk {
                s3.put_object()
                    .bucket("lifecycle-crash")
                    .key(&k)
                    .body(k.as_bytes().to_vec().into())
                    .send()
                    .await
                    .unwrap();
            }
        })
    });
    for t in puts.collect::<Vec<_>>() {
        t.await.unwrap();
    }
    // Every due/ object is at least a day (a second) old once the rule lands, or will be at once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let rule = LifecycleRule::builder()
        .id("due-1d")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("due/").build())
        .expiration(LifecycleExpiration::builder().days(1).build())
        .build()
        .unwrap();
    let config = BucketLifecycleConfiguration::builder().rules(rule).build().unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket("lifecycle-crash")
        .lifecycle_configuration(config)
        .send()
        .await
        .unwrap();

    let mut seen = Vec::new();
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(30 + rng.below(270))).await;
        let dir = server.kill();
        server = Server::start_in(dir, &ENV);
        let now = census(&server.client()).await;
        assert!(now.values().all(|c| c.1 <= 1), "no key ever has a second delete marker");
        seen.push(markers(&now));
    }
    let s3 = server.client();
    let started = Instant::now();
    let final_census = loop {
        let c = census(&s3).await;
        if markers(&c) >= DUE || started.elapsed() > Duration::from_secs(120) {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        seen.iter().any(|&m| m > 0 && m < DUE),
        "some kill landed in the middle of the pass (markers seen after each restart: {seen:?})"
    );
    for k in &keys {
        let got = final_census.get(k).copied().unwrap_or_default();
        let want = if k.starts_with("due/") { (1, 1) } else { (1, 0) };
        assert_eq!(got, want, "{k}: (versions, delete markers)");
    }
    println!(
        "lifecycle crash: {KILLS} kills during a pass over {DUE} due versions ({KEPT} not due); markers after each restart {seen:?}; all {DUE} expired exactly once"
    );
}
