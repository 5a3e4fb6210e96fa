//! `firn admin`: users and keys, quotas, usage and scrub, through a running server and offline on
//! its data directory; and what the users it makes may do over S3.

use super::harness::{code, status, Server, ACCESS_KEY, SECRET_KEY, SLED};
use firn::admin::client::Remote;
use firn::admin::{Reply, Request};
use std::process::{Command, Output};

fn admin(server: &Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firn"))
        .arg("admin")
        .args(args)
        .env("FIRN_DATA_DIR", server.data_dir())
        .env("FIRN_LISTEN", &server.addr)
        .env("FIRN_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("FIRN_ROOT_SECRET_KEY", SECRET_KEY)
        .env("RUST_LOG", "warn")
        .envs(server.env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run firn admin")
}

/// Runs `firn admin --json ARGS`, expects success, and decodes the reply.
fn admin_json(server: &Server, args: &[&str]) -> Reply {
    let out = admin(server, &[&["--json"], args].concat());
    assert!(out.status.success(), "firn admin {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON reply")
}

fn new_key(server: &Server, args: &[&str]) -> (String, String) {
    match admin_json(server, args) {
        Reply::Key { access_key, secret_key, .. } => (access_key, secret_key),
        other => panic!("expected a key, got {other:?}"),
    }
}

#[tokio::test]
async fn users_keys_and_access_through_a_running_server() {
    // sled: its lock on the data directory is how the CLI knows a server runs.
    let mut server = Server::start_with(&[SLED]);
    let root = server.client();
    root.create_bucket().bucket("roots").send().await.unwrap();

    // No --endpoint: the data directory is held by the server, so the CLI asks it.
    let (ak, sk) = new_key(&server, &["user", "add", "alice"]);
    let out = admin(&server, &["user", "add", "alice"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("EntityAlreadyExists"), "a second alice is refused");

    let alice = server.client_as(&ak, &sk);
    assert!(alice.list_buckets().send().await.unwrap().buckets().is_empty(), "alice sees none of root's buckets");
    let err = alice.list_objects_v2().bucket("roots").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "AccessDenied"));
    let err = alice.put_object().bucket("roots").key("k").body(b"x".to_vec().into()).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    alice.create_bucket().bucket("alices").send().await.unwrap();
    let err = root.get_object().bucket("alices").key("k").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "root is a user like others over S3: alice's bucket is hers");
    let listed = alice.list_buckets().send().await.unwrap();
    assert_eq!(listed.owner().and_then(|o| o.display_name()), Some("alice"));

    // The admin API is root's alone.
    let as_alice = Remote {
        authority: server.addr.clone(),
        region: "us-east-1".into(),
        access_key: ak.clone(),
        secret_key: sk,
        tls: None,
    };
    let err = as_alice.send(&Request::UserList).await.unwrap_err();
    assert!(err.starts_with("AccessDenied"), "{err}");

    // A second key works; a removed one stops at once.
    let (ak2, sk2) = new_key(&server, &["key", "add", "alice"]);
    assert!(!admin(&server, &["key", "add", "alice"]).status.success(), "two keys at most");
    admin_json(&server, &["key", "remove", &ak]);
    let err = alice.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidAccessKeyId");
    let alice2 = server.client_as(&ak2, &sk2);
    alice2.put_object().bucket("alices").key("k").body(b"hello".to_vec().into()).send().await.unwrap();

    let Reply::Users { users } = admin_json(&server, &["user", "list"]) else { panic!("users") };
    let names: Vec<_> = users.iter().map(|u| (u.name.as_str(), u.access_keys.clone())).collect();
    assert_eq!(names, [("root", vec![ACCESS_KEY.to_owned()]), ("alice", vec![ak2.clone()])]);
    let text = admin(&server, &["user", "list"]);
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("NAME"), "a table without --json");

    let out = admin(&server, &["user", "remove", "alice"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("DeleteConflict"), "alice still owns a bucket");

    // Offline: the server stopped, the CLI opens the data directory itself; alice is still there.
    server.terminate();
    let Reply::Users { users } = admin_json(&server, &["user", "list"]) else { panic!("users") };
    assert_eq!(users.len(), 2);
    let Reply::Buckets { buckets } = admin_json(&server, &["bucket", "list"]) else { panic!("buckets") };
    let alices = buckets.iter().find(|b| b.name == "alices").unwrap();
    assert_eq!((alices.owner.as_str(), alices.objects, alices.bytes), ("alice", 1, 5));
    let Reply::Scrub { report } = admin_json(&server, &["scrub"]) else { panic!("scrub") };
    assert_eq!((report.versions, report.damaged.len()), (1, 0));
}

#[tokio::test]
async fn bucket_quota_refuses_writes_past_it() {
    let server = Server::start_with(&[("FIRN_MIN_PART_SIZE", "1024")]);
    let s3 = server.client();
    s3.create_bucket().bucket("capped").send().await.unwrap();
    let endpoint = server.addr.clone();
    admin_json(&server, &["--endpoint", &endpoint, "bucket", "quota", "capped", "10KiB"]);
    s3.put_object().bucket("capped").key("a").body(vec![1u8; 8 << 10].into()).send().await.unwrap();
    let err = s3.put_object().bucket("capped").key("b").body(vec![2u8; 4 << 10].into()).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "QuotaExceeded"));
    let err = s3.get_object().bucket("capped").key("b").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey", "nothing of the refused write is visible");
    let err = s3.copy_object().bucket("capped").key("c").copy_source("capped/a").send().await.unwrap_err();
    assert_eq!(code(&err), "QuotaExceeded", "a copy counts too");

    let Reply::Buckets { buckets } = admin_json(&server, &["bucket", "stats", "capped"]) else { panic!("buckets") };
    assert_eq!((buckets[0].bytes, buckets[0].quota), (8 << 10, Some(10 << 10)));
    assert!(String::from_utf8_lossy(&admin(&server, &["bucket", "stats", "nosuch"]).stderr).contains("NoSuchBucket"));
    let Reply::Tiers { tiers } = admin_json(&server, &["tiers"]) else { panic!("tiers") };
    assert_eq!((tiers[0].name.as_str(), tiers[0].items, tiers[0].bytes), ("hot", 1, Some(8 << 10)));

    admin_json(&server, &["bucket", "quota", "capped", "none"]);
    s3.put_object().bucket("capped").key("b").body(vec![2u8; 4 << 10].into()).send().await.unwrap();
    let out = admin(&server, &["bucket", "quota", "capped", "12XB"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("unknown size unit"));
    let out = admin(&server, &["bucket", "quota", "nosuch", "1MB"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("NoSuchBucket"));

    let s3_upload = s3.create_multipart_upload().bucket("capped").key("mp").send().await.unwrap();
    let Reply::Queues { queues } = admin_json(&server, &["queues"]) else { panic!("queues") };
    assert!(queues.iter().any(|q| q.name == "multipart-uploads" && q.items == 1), "{queues:?}");
    assert!(s3_upload.upload_id().is_some());
    assert!(matches!(admin_json(&server, &["gc"]), Reply::Gc { .. }));
}
