//! The archive tier through aws-sdk-s3 and raw signed requests, with restores sped up 3600 times
//! (a Standard restore takes 3–5 s) and two-second lifecycle days (a restored copy's day).

use super::harness::{bytes, code, md5_hex, status, Server, ACCESS_KEY, SECRET_KEY};
use super::raw::V4;
use aws_sdk_s3::types::{GlacierJobParameters, RestoreRequest, StorageClass, Tier};
use aws_sdk_s3::Client;
use std::time::{Duration, Instant};

const FAST: [(&str, &str); 3] =
    [("FIRN_ARCHIVE_TIME_SCALE", "3600"), ("FIRN_LIFECYCLE_DAY_SECS", "2"), ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.1")];

async fn cold(name: &str) -> (Server, Client) {
    let server = Server::start_with(&FAST);
    let s3 = server.client();
    s3.create_bucket().bucket(name).send().await.unwrap();
    (server, s3)
}

fn restore_body(days: i32, tier: &str) -> String {
    format!(
        "<RestoreRequest><Days>{days}</Days><GlacierJobParameters><Tier>{tier}</Tier></GlacierJobParameters></RestoreRequest>"
    )
}

/// POST ?restore signed by hand, to see 202 and 200 apart (the SDK reports both as success).
async fn restore_raw(server: &Server, bucket: &str, key: &str, body: &str) -> super::raw::Reply {
    let mut req = V4::new("POST", &server.addr, &format!("/{bucket}/{key}"), "restore", body.as_bytes());
    req.headers.push(("content-type".into(), "application/xml".into()));
    req.send(body.as_bytes().to_vec()).await
}

async fn restore_header(s3: &Client, bucket: &str, key: &str) -> Option<String> {
    s3.head_object().bucket(bucket).key(key).send().await.unwrap().restore().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn glacier_objects_are_refused_until_restored_then_read_until_the_copy_expires() {
    let (server, s3) = cold("cold").await;
    let data = bytes(300_000, 7);
    s3.put_object()
        .bucket("cold")
        .key("backup.tar")
        .storage_class(StorageClass::Glacier)
        .body(data.clone().into())
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("cold").key("backup.tar").send().await.unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::Glacier));
    assert_eq!(head.content_length(), Some(300_000));
    assert!(head.restore().is_none());

    let err = s3.get_object().bucket("cold").key("backup.tar").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "InvalidObjectState"));
    let err = s3.get_object().bucket("cold").key("backup.tar").range("bytes=0-9").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidObjectState", "a ranged GET too");
    let err = s3.copy_object().bucket("cold").key("copy").copy_source("cold/backup.tar").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "InvalidObjectState"));
    let listed = s3.list_objects_v2().bucket("cold").send().await.unwrap();
    assert_eq!(listed.contents()[0].storage_class().map(|c| c.as_str()), Some("GLACIER"));

    // Bad requests first: no Days, a malformed body.
    let reply = restore_raw(&server, "cold", "backup.tar", "<RestoreRequest></RestoreRequest>").await;
    assert_eq!((reply.status, reply.code()), (400, "InvalidArgument"));
    let reply = restore_raw(&server, "cold", "backup.tar", "<RestoreRequest><Days>1</Days>").await;
    assert_eq!((reply.status, reply.code()), (400, "MalformedXML"));

    // Bulk (5-12 s here), then Standard (3-5 s) to speed it up; Bulk again is refused.
    let reply = restore_raw(&server, "cold", "backup.tar", &restore_body(1, "Bulk")).await;
    assert_eq!(reply.status, 202);
    assert_eq!(restore_header(&s3, "cold", "backup.tar").await.as_deref(), Some("ongoing-request=\"true\""));
    let listed = s3
        .list_objects_v2()
        .bucket("cold")
        .optional_object_attributes(aws_sdk_s3::types::OptionalObjectAttributes::RestoreStatus)
        .send()
        .await
        .unwrap();
    let status = listed.contents()[0].restore_status().expect("RestoreStatus when asked for");
    assert_eq!((status.is_restore_in_progress(), status.restore_expiry_date().is_none()), (Some(true), true));
    let reply = restore_raw(&server, "cold", "backup.tar", &restore_body(1, "Bulk")).await;
    assert_eq!((reply.status, reply.code()), (409, "RestoreAlreadyInProgress"));
    let started = Instant::now();
    let reply = restore_raw(&server, "cold", "backup.tar", &restore_body(1, "Standard")).await;
    assert_eq!(reply.status, 202, "a faster tier speeds the job up");

    let mut header = None;
    while started.elapsed() < Duration::from_secs(8) {
        header = restore_header(&s3, "cold", "backup.tar").await;
        if header.as_deref().is_some_and(|h| h.contains("ongoing-request=\"false\"")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    let header = header.unwrap();
    assert!(header.starts_with("ongoing-request=\"false\", expiry-date=\""), "{header}");
    assert!(took >= Duration::from_millis(2900), "Standard takes 3-5 h, here 3-5 s: {took:?}");
    let versions = s3
        .list_object_versions()
        .bucket("cold")
        .optional_object_attributes(aws_sdk_s3::types::OptionalObjectAttributes::RestoreStatus)
        .send()
        .await
        .unwrap();
    let status = versions.versions()[0].restore_status().expect("RestoreStatus in ListObjectVersions");
    assert_eq!((status.is_restore_in_progress(), status.restore_expiry_date().is_some()), (Some(false), true));
    let plain = s3.list_objects_v2().bucket("cold").send().await.unwrap();
    assert!(plain.contents()[0].restore_status().is_none(), "only when asked for");
    let got = s3.get_object().bucket("cold").key("backup.tar").send().await.unwrap();
    assert_eq!(got.storage_class(), Some(&StorageClass::Glacier), "the class stays GLACIER");
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(md5_hex(&body), md5_hex(&data));
    let ranged = s3.get_object().bucket("cold").key("backup.tar").range("bytes=100-199").send().await.unwrap();
    assert_eq!(ranged.body.collect().await.unwrap().into_bytes().as_ref(), &data[100..200]);
    s3.copy_object().bucket("cold").key("copy").copy_source("cold/backup.tar").send().await.unwrap();

    // Again while restored: 200, the expiry counted from now.
    let reply = restore_raw(&server, "cold", "backup.tar", &restore_body(1, "Standard")).await;
    assert_eq!(reply.status, 200);
    // One two-second day (rounded up to the next even second) later the copy is gone.
    let gone = Instant::now();
    let mut refused = false;
    while gone.elapsed() < Duration::from_secs(6) {
        if s3.get_object().bucket("cold").key("backup.tar").send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the restored copy expired");
    assert!(restore_header(&s3, "cold", "backup.tar").await.is_none());
    let err = s3.get_object().bucket("cold").key("backup.tar").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidObjectState");
    let copy = s3.get_object().bucket("cold").key("copy").send().await.unwrap();
    assert_eq!(md5_hex(&copy.body.collect().await.unwrap().into_bytes()), md5_hex(&data), "the copy is a hot object");
}

#[tokio::test(flavor = "multi_thread")]
async fn classes_tiers_and_versions() {
    let (server, s3) = cold("classes").await;
    let put = |key: &'static str, class: StorageClass| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket("classes")
                .key(key)
                .storage_class(class)
                .body(key.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap()
        }
    };
    put("ir", StorageClass::GlacierIr).await;
    let got = s3.get_object().bucket("classes").key("ir").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"ir", "GLACIER_IR reads without a restore");
    let reply = restore_raw(&server, "classes", "ir", &restore_body(1, "Standard")).await;
    assert_eq!((reply.status, reply.code()), (403, "InvalidObjectState"));
    put("ia", StorageClass::StandardIa).await;
    let reply = restore_raw(&server, "classes", "ia", &restore_body(1, "Standard")).await;
    assert_eq!((reply.status, reply.code()), (403, "InvalidObjectState"));
    let err = s3
        .put_object()
        .bucket("classes")
        .key("bad")
        .storage_class(StorageClass::from("PLATINUM"))
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidStorageClass");

    put("deep", StorageClass::DeepArchive).await;
    let reply = restore_raw(&server, "classes", "deep", &restore_body(1, "Expedited")).await;
    assert_eq!((reply.status, reply.code()), (400, "InvalidArgument"));
    assert!(reply.body.contains("Expedited"), "the error names the tier: {}", reply.body);
    let reply = restore_raw(&server, "classes", "deep", "<RestoreRequest><Type>SELECT</Type></RestoreRequest>").await;
    assert_eq!(reply.status, 501);

    // Versioned: the archived version is noncurrent; it restores by its version id.
    super::versioning::enable(&s3, "classes", aws_sdk_s3::types::BucketVersioningStatus::Enabled).await;
    let archived = put("doc", StorageClass::Glacier).await.version_id().unwrap().to_owned();
    put("doc", StorageClass::Standard).await;
    let req = RestoreRequest::builder()
        .days(1)
        .glacier_job_parameters(GlacierJobParameters::builder().tier(Tier::Expedited).build().unwrap())
        .build();
    s3.restore_object().bucket("classes").key("doc").version_id(&archived).restore_request(req).send().await.unwrap();
    let mut read = None;
    for _ in 0..40 {
        if let Ok(o) = s3.get_object().bucket("classes").key("doc").version_id(&archived).send().await {
            read = Some(o.body.collect().await.unwrap().into_bytes());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(read.as_deref(), Some(b"doc".as_slice()), "Expedited: 1-5 min, here well under a second");
    let current = s3.get_object().bucket("classes").key("doc").send().await.unwrap();
    assert_eq!(current.body.collect().await.unwrap().into_bytes().as_ref(), b"doc");

    // The operator's view of the tier.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["admin", "--json", "--endpoint", &server.addr, "archive"])
        .envs(server.env.iter().map(|(k, v)| (k, v)))
        .env("FIRN_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("FIRN_ROOT_SECRET_KEY", SECRET_KEY)
        .output()
        .unwrap();
    let reply: firn::admin::Reply = serde_json::from_slice(&out.stdout).expect("JSON reply");
    let firn::admin::Reply::Archive { archive } = reply else { panic!("{reply:?}") };
    assert_eq!(
        (archive.versions, archive.restored_copies),
        (3, 1),
        "ir, deep and the old doc; doc restored: {archive:?}"
    );
    assert_eq!(archive.logical, 2 + 4 + 3);
    assert!(archive.segments >= 1 && archive.live > 0 && archive.live <= archive.on_disk, "{archive:?}");

    // Deleting an archived object leaves dead space; compaction takes it back, and what is left reads.
    // (Versioning is on by now: deleting the version itself, "null" from before, frees its bytes.)
    s3.delete_object().bucket("classes").key("deep").version_id("null").send().await.unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["admin", "--json", "--endpoint", &server.addr, "archive", "compact", "--min-dead", "10"])
        .envs(server.env.iter().map(|(k, v)| (k, v)))
        .env("FIRN_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("FIRN_ROOT_SECRET_KEY", SECRET_KEY)
        .output()
        .unwrap();
    let reply: firn::admin::Reply = serde_json::from_slice(&out.stdout).expect("JSON reply");
    let firn::admin::Reply::Compacted { report } = reply else { panic!("{reply:?}") };
    assert!(report.segments >= 1 && report.moved_versions >= 1 && report.freed_bytes > 0, "{report:?}");
    let ir = s3.get_object().bucket("classes").key("ir").send().await.unwrap();
    assert_eq!(ir.body.collect().await.unwrap().into_bytes().as_ref(), b"ir", "read from its new segment");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lifecycle_transition_archives_objects_within_seconds() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter, Transition,
        TransitionStorageClass,
    };
    let (server, s3) = cold("tiers").await;
    let rule = LifecycleRule::builder()
        .id("to-glacier")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
        .transitions(Transition::builder().days(1).storage_class(TransitionStorageClass::Glacier).build())
        .build()
        .unwrap();
    let config = BucketLifecycleConfiguration::builder().rules(rule).build().unwrap();
    s3.put_bucket_lifecycle_configuration().bucket("tiers").lifecycle_configuration(config).send().await.unwrap();
    let data = bytes(200_000, 3);
    s3.put_object().bucket("tiers").key("logs/big").body(data.clone().into()).send().await.unwrap();
    s3.put_object().bucket("tiers").key("logs/small").body(b"small".to_vec().into()).send().await.unwrap();
    let started = Instant::now();
    let mut class = None;
    while started.elapsed() < Duration::from_secs(8) {
        class = s3.head_object().bucket("tiers").key("logs/big").send().await.unwrap().storage_class().cloned();
        if class.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(class, Some(StorageClass::Glacier), "a one-day (two-second) transition ran");
    let err = s3.get_object().bucket("tiers").key("logs/big").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidObjectState");
    let small = s3.head_object().bucket("tiers").key("logs/small").send().await.unwrap();
    assert!(small.storage_class().is_none(), "under 128 KiB it stays STANDARD");
    let reply = restore_raw(&server, "tiers", "logs/big", &restore_body(1, "Expedited")).await;
    assert_eq!(reply.status, 202);
    let mut body = None;
    for _ in 0..40 {
        if let Ok(o) = s3.get_object().bucket("tiers").key("logs/big").send().await {
            body = Some(o.body.collect().await.unwrap().into_bytes());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(md5_hex(&body.expect("restored")), md5_hex(&data), "the original bytes, from the archive");
}

/// A receiver for restore notifications: answers 503 to the first request, 200 after, and keeps
/// every body it accepted.
async fn receiver() -> (String, Received) {
    receiver_on("127.0.0.1:0", true).await
}

async fn receiver_on(
    addr: &str,
    refuse_first: bool,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Received = Default::default();
    let seen = got.clone();
    tokio::spawn(async move {
        let mut first = refuse_first;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break Some(buf[end + 4..end + 4 + len].to_vec());
                    }
                }
            };
            let status = if std::mem::take(&mut first) { "503 Service Unavailable" } else { "200 OK" };
            if status.starts_with("200") {
                if let Some(b) = body.and_then(|b| serde_json::from_slice(&b).ok()) {
                    seen.lock().unwrap().push(b);
                }
            }
            let _ = sock
                .write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes())
                .await;
        }
    });
    (url, got)
}

type Received = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// The event names received so far, once there are `n` of them (or `limit` has passed).
async fn event_names(got: &Received, n: usize, limit: Duration) -> Vec<String> {
    let started = Instant::now();
    loop {
        let names: Vec<String> = got
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["Records"][0]["eventName"].as_str().unwrap_or_default().to_owned())
            .collect();
        if names.len() >= n || started.elapsed() > limit {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_events_reach_the_notify_url_with_retries() {
    let (url, got) = receiver().await;
    let mut env = FAST.to_vec();
    env.push(("FIRN_ARCHIVE_NOTIFY_URL", url.as_str()));
    let server = Server::start_with(&env);
    let s3 = server.client();
    s3.create_bucket().bucket("notified").send().await.unwrap();
    s3.put_object()
        .bucket("notified")
        .key("a.tar")
        .storage_class(StorageClass::Glacier)
        .body(b"cold bytes".to_vec().into())
        .send()
        .await
        .unwrap();
    let reply = restore_raw(&server, "notified", "a.tar", &restore_body(1, "Expedited")).await;
    assert_eq!(reply.status, 202);
    let events = event_names(&got, 3, Duration::from_secs(12)).await;
    assert_eq!(
        events,
        ["ObjectRestore:Post", "ObjectRestore:Completed", "ObjectRestore:Delete"],
        "in order, the first after a retry"
    );
    let bodies = got.lock().unwrap().clone();
    let completed = &bodies[1]["Records"][0];
    assert_eq!(completed["s3"]["bucket"]["name"], "notified");
    assert_eq!(completed["s3"]["object"]["key"], "a.tar");
    assert_eq!(completed["s3"]["object"]["size"], 10);
    assert!(completed["glacierEventData"]["restoreEventData"]["lifecycleRestorationExpiryTime"].is_string());
    let metrics = reqwest::get(format!("{}/-/metrics", server.endpoint)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("firn_restore_notifications_total{outcome=\"delivered\"} 3"), "{metrics}");
    assert!(metrics.contains("firn_restore_notifications_total{outcome=\"failed\"} 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn undelivered_restore_events_survive_a_restart() {
    // Nobody listens at first: the events wait in the queue.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let mut env = FAST.to_vec();
    env.push(("FIRN_ARCHIVE_NOTIFY_URL", url.as_str()));
    env.push(super::harness::ON_DISK);
    let server = Server::start_with(&env);
    let s3 = server.client();
    s3.create_bucket().bucket("waiting").send().await.unwrap();
    s3.put_object()
        .bucket("waiting")
        .key("k")
        .storage_class(StorageClass::Glacier)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(restore_raw(&server, "waiting", "k", &restore_body(1, "Expedited")).await.status, 202);
    let mut done = false;
    for _ in 0..40 {
        if restore_header(&s3, "waiting", "k").await.is_some_and(|h| h.contains("\"false\"")) {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the restore completed while its events could not be delivered");
    let dir = server.kill();
    let (_, got) = receiver_on(&format!("127.0.0.1:{port}"), false).await;
    let _server = Server::start_in(dir, &env);
    let names = event_names(&got, 2, Duration::from_secs(15)).await;
    assert_eq!(&names[..2], ["ObjectRestore:Post", "ObjectRestore:Completed"], "delivered after the restart, in order");
}
