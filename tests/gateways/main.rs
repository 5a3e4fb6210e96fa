//! Several gateways on one namespace: two `firn serve` processes with one PostgreSQL database and
//! one data directory. Writes through one are read through the other at once; concurrent PUTs of
//! the same keys through both leave one whole object per key and no orphaned file; lifecycle work
//! is done once; a gateway killed mid-upload loses nothing the other acknowledged, and its lease
//! is taken over.
//!
//! Needs PostgreSQL (throw-away clusters, see testkit): where it cannot start, SKIP (not under CI).

#[path = "../api/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../api/raw.rs"]
#[allow(dead_code)]
mod raw;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, ObjectCannedAcl, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use harness::{bytes, md5_hex, Server};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Two gateways on one database and one data directory, with fast lifecycle days.
struct Pair {
    a: Server,
    b: Server,
    env: Vec<(String, String)>,
    _data: tempfile::TempDir,
}

impl Pair {
    fn start(name: &str) -> Option<Pair> {
        let cluster = firn_testkit::pg::cluster()?;
        let url = cluster.database(&format!("{name}_{}", std::process::id()));
        let data = tempfile::tempdir().unwrap();
        let env: Vec<(String, String)> = [
            ("FIRN_METADATA_BACKEND", "postgres"),
            ("FIRN_METADATA_URL", url.as_str()),
            ("FIRN_DATA_DIR", data.path().to_str().unwrap()),
            ("FIRN_LIFECYCLE_DAY_SECS", "2"),
            ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.2"),
            ("FIRN_SETTLE_SECS", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let a = Pair::gateway(&env);
        let b = Pair::gateway(&env);
        Some(Pair { a, b, env, _data: data })
    }

    fn gateway(env: &[(String, String)]) -> Server {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Server::start_with(&env)
    }

    fn data(&self) -> &Path {
        self._data.path()
    }
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

async fn get_md5(s3: &Client, bucket: &str, key: &str) -> Option<String> {
    let out = s3.get_object().bucket(bucket).key(key).send().await.ok()?;
    Some(md5_hex(&out.body.collect().await.unwrap().into_bytes()))
}

async fn lifecycle_actions(server: &Server) -> u64 {
    let text = reqwest::get(format!("{}/-/metrics", server.endpoint)).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("firn_lifecycle_actions_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_through_one_gateway_is_read_through_the_other_at_once() {
    let Some(pair) = Pair::start("rw") else { return };
    let (a, b) = (pair.a.client(), pair.b.client());
    a.create_bucket().bucket("shared").send().await.unwrap();
    for i in 0..20u64 {
        // Small (inline in the metadata) and large (a file in the shared directory) alike.
        let body = bytes(if i % 2 == 0 { 1000 } else { 100_000 }, i);
        let key = format!("k{i}");
        a.put_object().bucket("shared").key(&key).body(ByteStream::from(body.clone())).send().await.unwrap();
        assert_eq!(get_md5(&b, "shared", &key).await, Some(md5_hex(&body)), "{key} through the other gateway");
        b.delete_object().bucket("shared").key(&key).send().await.unwrap();
        assert_eq!(get_md5(&a, "shared", &key).await, None, "{key}'s delete through the other gateway");
    }
    b.put_object().bucket("shared").key("listed").body(ByteStream::from_static(b"x")).send().await.unwrap();
    let listed = a.list_objects_v2().bucket("shared").send().await.unwrap();
    assert_eq!(listed.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["listed"]);

    // Users and ACLs changed through one gateway apply on the other.
    let alice = pair.a.user("alice").await;
    alice.client.create_bucket().bucket("alices").send().await.unwrap();
    let through_b = pair.b.client_as(&alice.access_key, &alice.secret_key);
    through_b.put_object().bucket("alices").key("mine").body(ByteStream::from_static(b"hers")).send().await.unwrap();
    a.put_object()
        .bucket("shared")
        .key("public")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"for all"))
        .send()
        .await
        .unwrap();
    let anonymous = reqwest::get(format!("{}/shared/public", pair.b.endpoint)).await.unwrap();
    assert_eq!(anonymous.status(), 200, "a public-read ACL set through one gateway holds on the other");
    assert_eq!(anonymous.text().await.unwrap(), "for all");
    let private = reqwest::get(format!("{}/shared/listed", pair.b.endpoint)).await.unwrap();
    assert_eq!(private.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_of_the_same_keys_through_both_leave_one_whole_object_each() {
    let Some(pair) = Pair::start("race") else { return };
    let clients = [pair.a.client(), pair.b.client()];
    clients[0].create_bucket().bucket("race").send().await.unwrap();
    // 400 PUTs of 20 keys, 20 at a time on each gateway; sizes on both sides of the inline limit.
    let mut sent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut tasks = Vec::new();
    for i in 0..400u64 {
        let key = format!("key-{}", i % 20);
        let body = bytes([3_000, 40_000, 300_000][(i % 3) as usize] + i as usize, i);
        sent.entry(key.clone()).or_default().insert(md5_hex(&body));
        let s3 = clients[(i % 2) as usize].clone();
        tasks.push(tokio::spawn(async move {
            s3.put_object().bucket("race").key(&key).body(ByteStream::from(body)).send().await.map(|_| ())
        }));
        if tasks.len() == 40 {
            for t in tasks.drain(..) {
                t.await.unwrap().expect("every PUT is acknowledged");
            }
        }
    }
    for t in tasks {
        t.await.unwrap().expect("every PUT is acknowledged");
    }
    let mut files = 0;
    for (key, md5s) in &sent {
        let through_a = get_md5(&clients[0], "race", key).await.expect("the key exists");
        let through_b = get_md5(&clients[1], "race", key).await.expect("the key exists");
        assert_eq!(through_a, through_b, "{key}: both gateways serve the same winner");
        assert!(md5s.contains(&through_a), "{key}: the winner is one of the bodies PUT, whole");
        let head = clients[1].head_object().bucket("race").key(key).send().await.unwrap();
        assert_eq!(head.e_tag(), Some(format!("\"{through_a}\"").as_str()), "{key}: ETag of the body served");
        let versions = clients[0].list_object_versions().bucket("race").prefix(key).send().await.unwrap();
        let exact = versions.versions().iter().filter(|v| v.key() == Some(key)).count();
        assert_eq!(exact, 1, "{key}: one version in an unversioned bucket");
        files += usize::from(head.content_length().unwrap() > 16 * 1024);
    }
    // Every replaced body was deleted by the gateway whose commit replaced it: the files left are
    // exactly the winners kept in files, and nothing is left half-written.
    assert_eq!(files_under(&pair.data().join("hot/blobs")), files, "no orphaned blob");
    assert_eq!(files_under(&pair.data().join("hot/tmp")), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifecycle_work_is_done_once_and_taken_over_when_its_gateway_dies() {
    let Some(pair) = Pair::start("lifecycle") else { return };
    let s3 = pair.a.client();
    s3.create_bucket().bucket("cold").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("cold")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    let rule = LifecycleRule::builder()
        .id("expire")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
        .expiration(LifecycleExpiration::builder().days(1).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket("cold")
        .lifecycle_configuration(BucketLifecycleConfiguration::builder().rules(rule).build().unwrap())
        .send()
        .await
        .unwrap();
    for i in 0..10 {
        let via = if i % 2 == 0 { &s3 } else { &pair.b.client() };
        via.put_object()
            .bucket("cold")
            .key(format!("tmp/{i}"))
            .body(ByteStream::from_static(b"t"))
            .send()
            .await
            .unwrap();
    }
    // Expiring a current version in a versioned bucket adds a delete marker: done twice, it would
    // add two.
    let markers = |s3: Client| async move {
        let v = s3.list_object_versions().bucket("cold").send().await.unwrap();
        v.delete_markers().len()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while markers(s3.clone()).await < 10 {
        assert!(Instant::now() < deadline, "the rule expired everything within a minute");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Passes keep running on the lease holder; give a second one every chance to act again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(markers(s3.clone()).await, 10, "one delete marker per object");
    let (on_a, on_b) = (lifecycle_actions(&pair.a).await, lifecycle_actions(&pair.b).await);
    assert_eq!(on_a + on_b, 10, "ten actions in all ({on_a} on one gateway, {on_b} on the other)");
    assert!(on_a == 0 || on_b == 0, "one gateway held the lease and did the work: {on_a} and {on_b}");

    // The gateway doing the work dies: the other takes its lease over once it runs out.
    let (survivor, dead) = if on_a > 0 { (pair.b, pair.a) } else { (pair.a, pair.b) };
    drop(dead.kill());
    let s3 = survivor.client();
    s3.put_object().bucket("cold").key("tmp/late").body(ByteStream::from_static(b"t")).send().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while markers(s3.clone()).await < 11 {
        assert!(Instant::now() < deadline, "the survivor took the lifecycle work over");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(lifecycle_actions(&survivor).await, 1);
    drop(pair.env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gateway_killed_mid_upload_loses_nothing_the_other_acknowledged() {
    let Some(pair) = Pair::start("kill") else { return };
    let (a, b) = (pair.a.client(), pair.b.client());
    let data = pair.data().to_owned();
    a.create_bucket().bucket("kept").send().await.unwrap();
    // Acknowledged writes through both gateways.
    let mut acked = BTreeMap::new();
    for i in 0..40u64 {
        let body = bytes(if i % 2 == 0 { 2_000 } else { 200_000 }, i);
        let key = format!("acked-{i}");
        let via = if i % 2 == 0 { &a } else { &b };
        via.put_object().bucket("kept").key(&key).body(ByteStream::from(body.clone())).send().await.unwrap();
        acked.insert(key, md5_hex(&body));
    }
    // A large upload into gateway b, killed with SIGKILL while its body is still arriving.
    let mut upload = raw::start_put(&pair.b.addr, "/kept/half-sent", 64 << 20);
    for i in 0..8u64 {
        upload.write_all(&bytes(1 << 20, i)).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let env = pair.env.clone();
    drop(pair.b.kill());
    drop(upload);
    // Writes through the survivor go on meanwhile.
    a.put_object().bucket("kept").key("after").body(ByteStream::from_static(b"later")).send().await.unwrap();
    acked.insert("after".into(), md5_hex(b"later"));
    for (key, md5) in &acked {
        assert_eq!(get_md5(&a, "kept", key).await.as_ref(), Some(md5), "{key} survives its gateway's death");
    }
    assert_eq!(get_md5(&a, "kept", "half-sent").await, None, "nothing of the unacknowledged upload shows");

    // The dead gateway's half-written file: swept by the next gateway to start once it has lain
    // untouched for `settle` (1 s here; an hour by default).
    assert!(files_under(&data.join("hot/tmp")) > 0, "the killed upload left its temporary file");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restarted = Pair::gateway(&env);
    assert_eq!(files_under(&data.join("hot/tmp")), 0, "swept at start-up");
    let c = restarted.client();
    for (key, md5) in &acked {
        assert_eq!(get_md5(&c, "kept", key).await.as_ref(), Some(md5), "{key} through the restarted gateway");
    }
    let files = acked.keys().filter(|k| k.starts_with("acked-") && k[6..].parse::<u64>().unwrap() % 2 == 1).count();
    assert_eq!(files_under(&data.join("hot/blobs")), files, "no orphaned blob");
    drop(pair.a);
    drop(pair._data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_reaches_postgresql_over_tls() {
    let Some(cluster) = firn_testkit::pg::tls_cluster() else { return };
    let url = format!("{}?sslmode=require", cluster.database("gateway_tls"));
    let ca = cluster.ca_file.as_ref().unwrap().to_str().unwrap().to_owned();
    let env = [
        ("FIRN_METADATA_BACKEND", "postgres"),
        ("FIRN_METADATA_URL", url.as_str()),
        ("FIRN_METADATA_CA_FILE", ca.as_str()),
    ];
    let server = Server::start_with(&env);
    let s3 = server.client();
    s3.create_bucket().bucket("sealed").send().await.unwrap();
    s3.put_object().bucket("sealed").key("k").body(ByteStream::from_static(b"over TLS")).send().await.unwrap();
    assert_eq!(get_md5(&s3, "sealed", "k").await, Some(md5_hex(b"over TLS")));

    // Without the CA, the server's certificate is not trusted: Firn says so and does not start.
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .arg("serve")
        .env("FIRN_LISTEN", "127.0.0.1:0")
        .env("FIRN_CONSOLE_LISTEN", "127.0.0.1:0")
        .env("FIRN_DATA_DIR", data.path())
        .env("FIRN_METADATA_BACKEND", "postgres")
        .env("FIRN_METADATA_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid peer certificate"), "{stderr}");
}
