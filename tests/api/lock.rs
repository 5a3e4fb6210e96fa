//! Object Lock through aws-sdk-s3: the bucket configuration and the state it pins, retention in both
//! modes with and without bypass, extend vs shorten, legal holds, default retention by Days and
//! Years, DeleteObjects with locked and unlocked versions, multipart and copy with lock headers, new
//! versions on a locked key, and lifecycle leaving locked versions alone.

use super::harness::{code, one_part, status, Server};
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, Delete, ObjectIdentifier, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetention, ObjectLockRetentionMode,
    ObjectLockRule, VersioningConfiguration,
};
use aws_sdk_s3::Client;

fn in_secs(secs: i64) -> DateTime {
    DateTime::from_secs(chrono::Utc::now().timestamp() + secs)
}

async fn locked_bucket(s3: &Client, name: &str) {
    s3.create_bucket().bucket(name).object_lock_enabled_for_bucket(true).send().await.unwrap();
}

async fn put(s3: &Client, b: &str, k: &str, mode: Option<ObjectLockMode>, until: Option<DateTime>) -> String {
    s3.put_object()
        .bucket(b)
        .key(k)
        .set_object_lock_mode(mode)
        .set_object_lock_retain_until_date(until)
        .body(k.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {k}: {e:?}"))
        .version_id()
        .unwrap()
        .to_owned()
}

fn default_retention(mode: ObjectLockRetentionMode, days: Option<i32>, years: Option<i32>) -> ObjectLockConfiguration {
    ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .rule(
            ObjectLockRule::builder()
                .default_retention(DefaultRetention::builder().mode(mode).set_days(days).set_years(years).build())
                .build(),
        )
        .build()
}

#[tokio::test]
async fn configuration_and_the_bucket_state_it_pins() {
    let server = Server::start();
    let s3 = server.client();
    locked_bucket(&s3, "vault").await;
    let v = s3.get_bucket_versioning().bucket("vault").send().await.unwrap();
    assert_eq!(v.status(), Some(&BucketVersioningStatus::Enabled), "Object Lock comes with versioning");
    let got = s3.get_object_lock_configuration().bucket("vault").send().await.unwrap();
    assert_eq!(got.object_lock_configuration().unwrap().object_lock_enabled(), Some(&ObjectLockEnabled::Enabled));
    let suspend = VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
    let err =
        s3.put_bucket_versioning().bucket("vault").versioning_configuration(suspend.clone()).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (409, "InvalidBucketState"));

    s3.put_object_lock_configuration()
        .bucket("vault")
        .object_lock_configuration(default_retention(ObjectLockRetentionMode::Governance, Some(3), None))
        .send()
        .await
        .unwrap();
    let got = s3.get_object_lock_configuration().bucket("vault").send().await.unwrap();
    let rule = got.object_lock_configuration().unwrap().rule().unwrap().default_retention().unwrap();
    assert_eq!((rule.mode(), rule.days(), rule.years()), (Some(&ObjectLockRetentionMode::Governance), Some(3), None));

    // A bucket without Object Lock: 404 for its configuration, 400 for lock requests.
    s3.create_bucket().bucket("plain").send().await.unwrap();
    let err = s3.get_object_lock_configuration().bucket("plain").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "ObjectLockConfigurationNotFoundError"));
    s3.put_object().bucket("plain").key("k").body(b"k".to_vec().into()).send().await.unwrap();
    let err = s3
        .put_object()
        .bucket("plain")
        .key("k2")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_secs(60))
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidRequest"));
    let err = s3.get_object_retention().bucket("plain").key("k").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    // Enabling it later takes versioning first (as AWS now allows on existing buckets).
    let enable = ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).build();
    let err = s3
        .put_object_lock_configuration()
        .bucket("plain")
        .object_lock_configuration(enable.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidBucketState");
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket("plain").versioning_configuration(on).send().await.unwrap();
    s3.put_object_lock_configuration().bucket("plain").object_lock_configuration(enable).send().await.unwrap();
    let err = s3.put_bucket_versioning().bucket("plain").versioning_configuration(suspend).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidBucketState");

    // Bad values.
    for (mode, days, years) in
        [(ObjectLockRetentionMode::Governance, Some(1), Some(1)), (ObjectLockRetentionMode::Compliance, Some(0), None)]
    {
        let err = s3
            .put_object_lock_configuration()
            .bucket("vault")
            .object_lock_configuration(default_retention(mode, days, years))
            .send()
            .await
            .unwrap_err();
        assert_eq!(status(&err), 400, "{days:?} {years:?}: {}", code(&err));
    }
    let bob = server.user("bob").await;
    let err = bob.client.get_object_lock_configuration().bucket("vault").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
}

#[tokio::test]
async fn retention_legal_hold_and_deletes() {
    let server = Server::start();
    let s3 = server.client();
    locked_bucket(&s3, "vault").await;
    let gov = put(&s3, "vault", "gov", Some(ObjectLockMode::Governance), Some(in_secs(3600))).await;
    let comp = put(&s3, "vault", "comp", Some(ObjectLockMode::Compliance), Some(in_secs(3600))).await;
    let free = put(&s3, "vault", "free", None, None).await;

    let head = s3.head_object().bucket("vault").key("gov").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    assert!(head.object_lock_retain_until_date().is_some());
    let r = s3.get_object_retention().bucket("vault").key("comp").send().await.unwrap();
    assert_eq!(r.retention().unwrap().mode(), Some(&ObjectLockRetentionMode::Compliance));
    let err = s3.get_object_retention().bucket("vault").key("free").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "NoSuchObjectLockConfiguration"));

    // Versioned deletes: GOVERNANCE yields to the bypass, COMPLIANCE to nothing.
    let del = |k: &'static str, v: &str, bypass: bool| {
        s3.delete_object().bucket("vault").key(k).version_id(v).set_bypass_governance_retention(bypass.then_some(true))
    };
    let err = del("gov", &gov, false).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "AccessDenied"));
    let err = del("comp", &comp, true).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "AccessDenied"));
    // Someone else may not bypass, even when a policy lets them delete.
    let bob = server.user("bob").await;
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": bob.account_id},
        "Action": ["s3:DeleteObjectVersion", "s3:DeleteObject"], "Resource": "arn:aws:s3:::vault/*"}]});
    s3.put_bucket_policy().bucket("vault").policy(policy.to_string()).send().await.unwrap();
    let err = bob
        .client
        .delete_object()
        .bucket("vault")
        .key("gov")
        .version_id(&gov)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    del("gov", &gov, true).send().await.expect("the owner bypasses GOVERNANCE");
    del("free", &free, false).send().await.unwrap();
    // A plain delete only adds a marker: the locked version stays.
    s3.delete_object().bucket("vault").key("comp").send().await.unwrap();
    s3.head_object().bucket("vault").key("comp").version_id(&comp).send().await.expect("still there");

    // Retention: extend yes, shorten no (COMPLIANCE), shorten GOVERNANCE only with a bypass.
    let set = |k: &'static str, v: &str, mode: ObjectLockRetentionMode, until: DateTime, bypass: bool| {
        s3.put_object_retention()
            .bucket("vault")
            .key(k)
            .version_id(v)
            .retention(ObjectLockRetention::builder().mode(mode).retain_until_date(until).build())
            .set_bypass_governance_retention(bypass.then_some(true))
    };
    set("comp", &comp, ObjectLockRetentionMode::Compliance, in_secs(7200), false).send().await.expect("extend");
    let err = set("comp", &comp, ObjectLockRetentionMode::Compliance, in_secs(60), true).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "COMPLIANCE is never shortened");
    let err = set("comp", &comp, ObjectLockRetentionMode::Governance, in_secs(9000), true).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "nor weakened");
    let g2 = put(&s3, "vault", "g2", Some(ObjectLockMode::Governance), Some(in_secs(3600))).await;
    let err = set("g2", &g2, ObjectLockRetentionMode::Governance, in_secs(60), false).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    set("g2", &g2, ObjectLockRetentionMode::Governance, in_secs(60), true)
        .send()
        .await
        .expect("shortened with a bypass");
    // Right after the PUT, its writer extends it (what Kopia's maintenance does).
    set("g2", &g2, ObjectLockRetentionMode::Governance, in_secs(7200), false).send().await.expect("extended");
    let err = set("g2", &g2, ObjectLockRetentionMode::Governance, in_secs(-60), false).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidArgument"), "a date in the past");
    // GOVERNANCE made COMPLIANCE is a change to a GOVERNANCE lock like any other: it takes the bypass.
    let g3 = put(&s3, "vault", "g3", Some(ObjectLockMode::Governance), Some(in_secs(3600))).await;
    let err = set("g3", &g3, ObjectLockRetentionMode::Compliance, in_secs(7200), false).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "AccessDenied"), "GOVERNANCE to COMPLIANCE unbypassed");
    set("g3", &g3, ObjectLockRetentionMode::Compliance, in_secs(7200), true).send().await.expect("with the bypass");

    // Legal hold: blocks deletion whatever the retention, until lifted.
    let held = put(&s3, "vault", "held", None, None).await;
    let hold = |on: bool| {
        s3.put_object_legal_hold().bucket("vault").key("held").version_id(&held).legal_hold(
            ObjectLockLegalHold::builder()
                .status(if on { ObjectLockLegalHoldStatus::On } else { ObjectLockLegalHoldStatus::Off })
                .build(),
        )
    };
    hold(true).send().await.unwrap();
    let got = s3.get_object_legal_hold().bucket("vault").key("held").version_id(&held).send().await.unwrap();
    assert_eq!(got.legal_hold().unwrap().status(), Some(&ObjectLockLegalHoldStatus::On));
    assert_eq!(
        s3.head_object()
            .bucket("vault")
            .key("held")
            .send()
            .await
            .unwrap()
            .object_lock_legal_hold_status()
            .map(|s| s.as_str()),
        Some("ON")
    );
    let err = del("held", &held, true).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    hold(false).send().await.unwrap();
    let got = s3.get_object_legal_hold().bucket("vault").key("held").version_id(&held).send().await.unwrap();
    assert_eq!(got.legal_hold().unwrap().status(), Some(&ObjectLockLegalHoldStatus::Off), "a lifted hold is OFF");
    let err = s3.get_object_legal_hold().bucket("vault").key("g2").version_id(&g2).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "NoSuchObjectLockConfiguration"), "never held");
    del("held", &held, false).send().await.expect("lifted");

    // Bad lock headers.
    for (mode, until, want) in [
        (Some(ObjectLockMode::from("FOREVER")), Some(in_secs(60)), "InvalidArgument"),
        (Some(ObjectLockMode::Governance), Some(in_secs(-60)), "InvalidArgument"),
        (Some(ObjectLockMode::Governance), None, "InvalidArgument"),
    ] {
        let err = s3
            .put_object()
            .bucket("vault")
            .key("bad")
            .set_object_lock_mode(mode)
            .set_object_lock_retain_until_date(until)
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap_err();
        assert_eq!((status(&err), code(&err).as_str()), (400, want));
    }
    // Lock headers need Content-MD5 or a checksum.
    let host = server.addr.clone();
    let mut raw = super::raw::V4::new("PUT", &host, "/vault/nomd5", "", b"x");
    raw.headers.push(("x-amz-object-lock-mode".into(), "GOVERNANCE".into()));
    raw.headers.push((
        "x-amz-object-lock-retain-until-date".into(),
        (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
    ));
    let r = raw.send(b"x".to_vec()).await;
    assert_eq!((r.status, r.code()), (400, "InvalidRequest"), "{}", r.body);
}

#[tokio::test]
async fn defaults_multipart_copy_delete_objects_and_new_versions() {
    let server = Server::start();
    let s3 = server.client();
    locked_bucket(&s3, "vault").await;
    s3.put_object_lock_configuration()
        .bucket("vault")
        .object_lock_configuration(default_retention(ObjectLockRetentionMode::Governance, Some(1), None))
        .send()
        .await
        .unwrap();
    let v1 = put(&s3, "vault", "day", None, None).await;
    let head = s3.head_object().bucket("vault").key("day").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    let until = head.object_lock_retain_until_date().unwrap().secs();
    let day = chrono::Utc::now().timestamp() + 86_400;
    assert!((until - day).abs() < 60, "a day from now: {until} vs {day}");
    s3.put_object_lock_configuration()
        .bucket("vault")
        .object_lock_configuration(default_retention(ObjectLockRetentionMode::Compliance, None, Some(1)))
        .send()
        .await
        .unwrap();
    put(&s3, "vault", "year", None, None).await;
    let head = s3.head_object().bucket("vault").key("year").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    let year = chrono::Utc::now().timestamp() + 365 * 86_400;
    assert!((head.object_lock_retain_until_date().unwrap().secs() - year).abs() < 2 * 86_400);

    // New versions may always be written on a locked key.
    let v2 = put(&s3, "vault", "day", None, None).await;
    assert_ne!(v1, v2);

    // Multipart: the lock asked for at creation lands on the object.
    let up = s3
        .create_multipart_upload()
        .bucket("vault")
        .key("mp")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_secs(3600))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let done = one_part(&s3, "vault", "mp", id, b"mp").await;
    s3.complete_multipart_upload().bucket("vault").key("mp").upload_id(id).multipart_upload(done).send().await.unwrap();
    let head = s3.head_object().bucket("vault").key("mp").send().await.unwrap();
    assert_eq!(
        (head.object_lock_mode(), head.object_lock_legal_hold_status().map(|s| s.as_str())),
        (Some(&ObjectLockMode::Governance), Some("ON"))
    );
    // Copy with lock headers.
    s3.copy_object()
        .bucket("vault")
        .key("copy")
        .copy_source("vault/day")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(in_secs(600))
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3.head_object().bucket("vault").key("copy").send().await.unwrap().object_lock_mode(),
        Some(&ObjectLockMode::Compliance)
    );

    // DeleteObjects: locked versions refused per key, the rest deleted; without versions, markers.
    s3.put_object_lock_configuration()
        .bucket("vault")
        .object_lock_configuration(
            ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).build(),
        )
        .send()
        .await
        .unwrap();
    let unlocked = put(&s3, "vault", "unlocked", None, None).await;
    let ids = vec![
        ObjectIdentifier::builder().key("day").version_id(&v1).build().unwrap(),
        ObjectIdentifier::builder().key("unlocked").version_id(&unlocked).build().unwrap(),
        ObjectIdentifier::builder().key("year").build().unwrap(),
    ];
    let out = s3
        .delete_objects()
        .bucket("vault")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    let deleted: Vec<&str> = out.deleted().iter().map(|d| d.key().unwrap()).collect();
    assert_eq!(deleted, ["unlocked", "year"]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!((out.errors()[0].key(), out.errors()[0].code()), (Some("day"), Some("AccessDenied")));
    let err = s3.delete_bucket().bucket("vault").send().await.unwrap_err();
    assert_eq!(code(&err), "BucketNotEmpty", "locked versions keep the bucket");
}

#[tokio::test]
async fn lifecycle_leaves_locked_versions_alone() {
    let server = Server::start_with(&[("FIRN_LIFECYCLE_DAY_SECS", "1"), ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.2")]);
    let s3 = server.client();
    locked_bucket(&s3, "vault").await;
    let locked = put(&s3, "vault", "k", Some(ObjectLockMode::Compliance), Some(in_secs(3600))).await;
    let unlocked = s3
        .put_object()
        .bucket("vault")
        .key("j")
        .body(b"j".to_vec().into())
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    put(&s3, "vault", "k", None, None).await;
    put(&s3, "vault", "j", None, None).await;
    let rule = aws_sdk_s3::types::LifecycleRule::builder()
        .id("old")
        .status(aws_sdk_s3::types::ExpirationStatus::Enabled)
        .filter(aws_sdk_s3::types::LifecycleRuleFilter::builder().prefix("").build())
        .noncurrent_version_expiration(
            aws_sdk_s3::types::NoncurrentVersionExpiration::builder().noncurrent_days(1).build(),
        )
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket("vault")
        .lifecycle_configuration(
            aws_sdk_s3::types::BucketLifecycleConfiguration::builder().rules(rule).build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mut gone = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if s3.head_object().bucket("vault").key("j").version_id(&unlocked).send().await.is_err() {
            gone = true;
            break;
        }
    }
    assert!(gone, "the unlocked noncurrent version expires");
    s3.head_object().bucket("vault").key("k").version_id(&locked).send().await.expect("the locked one stays");
}
