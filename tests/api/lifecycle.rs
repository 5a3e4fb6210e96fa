//! Lifecycle through aws-sdk-s3 on a server whose lifecycle day lasts two seconds: the
//! configuration calls and their errors, each action on versioned and unversioned buckets, the
//! headers, and objects no rule selects surviving.

use super::harness::{code, status, Server, ACCESS_KEY, SECRET_KEY};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration,
    Tag,
};
use aws_sdk_s3::Client;
use std::time::{Duration, Instant};

/// Two-second days, and a worker that looks five times a second.
const FAST: [(&str, &str); 2] = [("FIRN_LIFECYCLE_DAY_SECS", "2"), ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.2")];

async fn fast_bucket(name: &str) -> (Server, Client) {
    let server = Server::start_with(&FAST);
    let s3 = server.client();
    s3.create_bucket().bucket(name).send().await.unwrap();
    (server, s3)
}

fn rule(id: &str, prefix: &str) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
}

async fn set_rules(s3: &Client, bucket: &str, rules: Vec<LifecycleRule>) {
    let config = BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().unwrap();
    s3.put_bucket_lifecycle_configuration().bucket(bucket).lifecycle_configuration(config).send().await.unwrap();
}

fn expire_days(id: &str, prefix: &str, days: i32) -> LifecycleRule {
    rule(id, prefix).expiration(LifecycleExpiration::builder().days(days).build()).build().unwrap()
}

async fn put(s3: &Client, bucket: &str, key: &str) -> aws_sdk_s3::operation::put_object::PutObjectOutput {
    s3.put_object().bucket(bucket).key(key).body(key.as_bytes().to_vec().into()).send().await.unwrap()
}

async fn exists(s3: &Client, bucket: &str, key: &str) -> bool {
    s3.head_object().bucket(bucket).key(key).send().await.is_ok()
}

/// Waits until `done` holds, at most `limit`; returns how long it took.
async fn until<F, Fut>(limit: Duration, mut done: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if done().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn configuration_round_trip_errors_and_access() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("cfg").send().await.unwrap();
    let err = s3.get_bucket_lifecycle_configuration().bucket("cfg").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "NoSuchLifecycleConfiguration"));

    let tagged = rule("tagged", "")
        .filter(
            LifecycleRuleFilter::builder()
                .and(
                    LifecycleRuleAndOperator::builder()
                        .prefix("logs/")
                        .tags(Tag::builder().key("class").value("tmp").build().unwrap())
                        .object_size_greater_than(10)
                        .build(),
                )
                .build(),
        )
        .expiration(LifecycleExpiration::builder().days(30).build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder().noncurrent_days(7).newer_noncurrent_versions(2).build(),
        )
        .build()
        .unwrap();
    let uploads = LifecycleRule::builder()
        .status(ExpirationStatus::Disabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(7).build())
        .build()
        .unwrap();
    set_rules(&s3, "cfg", vec![tagged, uploads]).await;
    let got = s3.get_bucket_lifecycle_configuration().bucket("cfg").send().await.unwrap();
    let rules = got.rules();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].id(), Some("tagged"));
    assert_eq!(rules[0].expiration().and_then(|e| e.days()), Some(30));
    let and = rules[0].filter().and_then(|f| f.and()).unwrap();
    assert_eq!((and.prefix(), and.tags().len(), and.object_size_greater_than()), (Some("logs/"), 1, Some(10)));
    assert_eq!(rules[0].noncurrent_version_expiration().and_then(|n| n.newer_noncurrent_versions()), Some(2));
    assert!(rules[1].id().is_some_and(|id| !id.is_empty()), "a missing ID is generated");
    assert_eq!(rules[1].status(), &ExpirationStatus::Disabled);
    assert_eq!(got.transition_default_minimum_object_size().map(|m| m.as_str()), Some("all_storage_classes_128K"));

    // Bad rules change nothing.
    let bad = |r: LifecycleRule| BucketLifecycleConfiguration::builder().rules(r).build().unwrap();
    let zero = rule("zero", "").expiration(LifecycleExpiration::builder().days(0).build()).build().unwrap();
    let err = s3
        .put_bucket_lifecycle_configuration()
        .bucket("cfg")
        .lifecycle_configuration(bad(zero))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidArgument"));
    let lower = rule("lower", "")
        .status(ExpirationStatus::from("enabled"))
        .expiration(LifecycleExpiration::builder().days(1).build())
        .build()
        .unwrap();
    let err = s3
        .put_bucket_lifecycle_configuration()
        .bucket("cfg")
        .lifecycle_configuration(bad(lower))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "MalformedXML");
    let nothing = rule("nothing", "").build().unwrap();
    let err = s3
        .put_bucket_lifecycle_configuration()
        .bucket("cfg")
        .lifecycle_configuration(bad(nothing))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    // More than S3's 1,000 rules: MalformedXML.
    let many = BucketLifecycleConfiguration::builder()
        .set_rules(Some((0..1001).map(|i| expire_days(&format!("r{i}"), &format!("p{i}/"), 1)).collect()))
        .build()
        .unwrap();
    let err =
        s3.put_bucket_lifecycle_configuration().bucket("cfg").lifecycle_configuration(many).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "MalformedXML"));
    let got = s3.get_bucket_lifecycle_configuration().bucket("cfg").send().await.unwrap();
    assert_eq!(got.rules().len(), 2, "the refused configurations changed nothing");

    // Only the owner configures the bucket.
    let other = {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
            .args(["admin", "--json", "--endpoint", &server.addr, "user", "add", "mallory"])
            .envs(server.env.iter().map(|(k, v)| (k, v)))
            .env("FIRN_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("FIRN_ROOT_SECRET_KEY", SECRET_KEY)
            .output()
            .unwrap();
        let reply: firn::admin::Reply = serde_json::from_slice(&out.stdout).expect("JSON reply");
        let firn::admin::Reply::Key { access_key, secret_key, .. } = reply else { panic!("a key: {reply:?}") };
        server.client_as(&access_key, &secret_key)
    };
    let err = other.get_bucket_lifecycle_configuration().bucket("cfg").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = other.delete_bucket_lifecycle().bucket("cfg").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");

    s3.delete_bucket_lifecycle().bucket("cfg").send().await.unwrap();
    let err = s3.get_bucket_lifecycle_configuration().bucket("cfg").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchLifecycleConfiguration");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_day_rule_expires_within_seconds_and_spares_other_objects() {
    let (server, s3) = fast_bucket("fast").await;
    set_rules(&s3, "fast", vec![expire_days("tmp-1d", "tmp/", 1)]).await;
    put(&s3, "fast", "keep/a").await;
    let out = put(&s3, "fast", "tmp/a").await;
    let created = Instant::now();
    let header = out.expiration().expect("x-amz-expiration on PUT");
    assert!(header.starts_with("expiry-date=\"") && header.ends_with("rule-id=\"tmp-1d\""), "{header}");
    let head = s3.head_object().bucket("fast").key("tmp/a").send().await.unwrap();
    assert_eq!(head.expiration(), Some(header));
    assert!(s3.head_object().bucket("fast").key("keep/a").send().await.unwrap().expiration().is_none());
    let got = s3.get_object().bucket("fast").key("tmp/a").send().await.unwrap();
    assert!(got.expiration().is_some_and(|e| e.contains("rule-id=\"tmp-1d\"")), "on GET too");
    let copied = s3.copy_object().bucket("fast").key("tmp/copy").copy_source("fast/keep/a").send().await.unwrap();
    assert!(copied.expiration().is_some_and(|e| e.contains("tmp-1d")), "on CopyObject, for the copy's own key");
    let up = s3.create_multipart_upload().bucket("fast").key("tmp/mp").send().await.unwrap();
    let part = s3
        .upload_part()
        .bucket("fast")
        .key("tmp/mp")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .body(b"part".to_vec().into())
        .send()
        .await
        .unwrap();
    let done = s3
        .complete_multipart_upload()
        .bucket("fast")
        .key("tmp/mp")
        .upload_id(up.upload_id().unwrap())
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(done.expiration().is_some_and(|e| e.contains("tmp-1d")), "on CompleteMultipartUpload");

    tokio::time::sleep(Duration::from_millis(1500).saturating_sub(created.elapsed())).await;
    assert!(exists(&s3, "fast", "tmp/a").await, "still there 1.5 s after its creation");
    let limit = Duration::from_secs(5).saturating_sub(created.elapsed());
    until(limit, || async { !exists(&s3, "fast", "tmp/a").await }).await;
    assert!(!exists(&s3, "fast", "tmp/a").await, "gone within 5 s of its creation");
    assert!(exists(&s3, "fast", "keep/a").await, "an object under no rule survives");
    let versions = s3.list_object_versions().bucket("fast").send().await.unwrap();
    assert!(versions.delete_markers().is_empty(), "an unversioned bucket gets no delete marker");

    // The operator asks what the rules did and when they act next.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["admin", "--endpoint", &server.addr, "bucket", "lifecycle", "fast"])
        .envs(server.env.iter().map(|(k, v)| (k, v)))
        .env("FIRN_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("FIRN_ROOT_SECRET_KEY", SECRET_KEY)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("rule: tmp-1d [Enabled] prefix \"tmp/\": expire after 1 days"), "{text}");
    assert!(text.contains("(a lifecycle day is 2 s)"), "{text}");
    put(&s3, "fast", "tmp/b").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["admin", "--json", "--endpoint", &server.addr, "bucket", "lifecycle", "fast"])
        .envs(server.env.iter().map(|(k, v)| (k, v)))
        .env("FIRN_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("FIRN_ROOT_SECRET_KEY", SECRET_KEY)
        .output()
        .unwrap();
    let reply: firn::admin::Reply = serde_json::from_slice(&out.stdout).expect("JSON reply");
    let firn::admin::Reply::Lifecycle { lifecycle } = reply else { panic!("{reply:?}") };
    assert!(lifecycle.pending >= 1 && lifecycle.next_due.is_some(), "tmp/b is scheduled: {lifecycle:?}");
    let run = lifecycle.last_run.as_ref().expect("the worker ran in the bucket");
    assert!(run.errors == 0 && run.actions.get("expire").is_some_and(|n| *n >= 1), "{lifecycle:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn versioned_buckets_get_one_marker_then_lose_old_versions_and_expired_markers() {
    let (_server, s3) = fast_bucket("ver").await;
    super::versioning::enable(&s3, "ver", BucketVersioningStatus::Enabled).await;
    for _ in 0..3 {
        put(&s3, "ver", "doc").await;
    }
    set_rules(
        &s3,
        "ver",
        vec![
            expire_days("current", "doc", 1),
            rule("old", "doc")
                .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(1).build())
                .build()
                .unwrap(),
            rule("markers", "doc")
                .expiration(LifecycleExpiration::builder().expired_object_delete_marker(true).build())
                .build()
                .unwrap(),
        ],
    )
    .await;
    // Day 1: the current version expires (one marker); day 2: the noncurrent versions go, which
    // leaves the marker alone, and it is removed too.
    let emptied = until(Duration::from_secs(12), || async {
        let v = s3.list_object_versions().bucket("ver").send().await.unwrap();
        v.versions().is_empty() && v.delete_markers().is_empty()
    })
    .await;
    assert!(emptied.is_some(), "every version and the marker are gone");

    // Watch the marker step on its own: no rule for noncurrent versions this time.
    set_rules(&s3, "ver", vec![expire_days("current", "", 1)]).await;
    put(&s3, "ver", "two").await;
    let marked = until(Duration::from_secs(8), || async {
        let v = s3.list_object_versions().bucket("ver").prefix("two").send().await.unwrap();
        !v.delete_markers().is_empty()
    })
    .await;
    assert!(marked.is_some());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let v = s3.list_object_versions().bucket("ver").prefix("two").send().await.unwrap();
    assert_eq!((v.versions().len(), v.delete_markers().len()), (1, 1), "one delete marker, never a second");
}

#[tokio::test(flavor = "multi_thread")]
async fn incomplete_uploads_are_aborted_and_say_when() {
    let (_server, s3) = fast_bucket("mpu").await;
    set_rules(
        &s3,
        "mpu",
        vec![rule("abort", "big/")
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build(),
            )
            .build()
            .unwrap()],
    )
    .await;
    let up = s3.create_multipart_upload().bucket("mpu").key("big/file").send().await.unwrap();
    assert_eq!(up.abort_rule_id(), Some("abort"));
    assert!(up.abort_date().is_some());
    let keep = s3.create_multipart_upload().bucket("mpu").key("small").send().await.unwrap();
    assert!(keep.abort_date().is_none());
    let gone = until(Duration::from_secs(8), || async {
        let list = s3.list_multipart_uploads().bucket("mpu").send().await.unwrap();
        list.uploads().len() == 1
    })
    .await;
    assert!(gone.is_some(), "the upload under the rule was aborted");
    let list = s3.list_multipart_uploads().bucket("mpu").send().await.unwrap();
    assert_eq!(list.uploads()[0].upload_id(), keep.upload_id());
}
