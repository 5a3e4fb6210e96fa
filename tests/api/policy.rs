//! Bucket policies through aws-sdk-s3 and anonymous HTTP: the configuration calls and their errors,
//! and the policies people copy from AWS's documentation, with two users and anonymous clients.

use super::harness::{code, status, Server, ACCESS_KEY, SECRET_KEY};
use super::raw::{self, send};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use firn::admin::{Reply, Request};
use serde_json::json;

async fn put_policy(s3: &Client, bucket: &str, policy: serde_json::Value) {
    s3.put_bucket_policy().bucket(bucket).policy(policy.to_string()).send().await.expect("put policy");
}

async fn put(s3: &Client, bucket: &str, key: &str, body: &str) {
    s3.put_object().bucket(bucket).key(key).body(body.as_bytes().to_vec().into()).send().await.expect("put");
}

async fn anonymous(server: &Server, method: &str, path: &str, body: &str) -> raw::Reply {
    send(method, &format!("{}{path}", server.endpoint), &[], body.as_bytes().to_vec()).await
}

/// `{"Version": …, "Statement": [statement]}`.
fn one(statement: serde_json::Value) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

#[tokio::test]
async fn configuration_round_trip_and_malformed_policies() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("docs").send().await.unwrap();
    let err = s3.get_bucket_policy().bucket("docs").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "NoSuchBucketPolicy"));
    let err = s3.get_bucket_policy_status().bucket("docs").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucketPolicy");

    let good = one(
        json!({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*"}),
    );
    put_policy(&s3, "docs", good.clone()).await;
    let got = s3.get_bucket_policy().bucket("docs").send().await.unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(got.policy().unwrap()).unwrap(), good);
    let st = s3.get_bucket_policy_status().bucket("docs").send().await.unwrap();
    assert_eq!(st.policy_status().and_then(|p| p.is_public()), Some(true));

    let big_sid = "x".repeat(21 * 1024);
    let cases: Vec<(String, &str)> = vec![
        ("{\"Version\": ".into(), "invalid Json"),
        ("not json".into(), "first byte must be '{'"),
        (one(json!({"Effect": "Allow", "Principal": "*", "Action": "s3:Fly", "Resource": "arn:aws:s3:::docs/*"})).to_string(), "invalid action"),
        (one(json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*", "Condition": {"StringEqualz": {"aws:username": "a"}}})).to_string(), "Invalid Condition type"),
        (one(json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"})).to_string(), "invalid resource"),
        (one(json!({"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*"})).to_string(), "Missing required field Effect"),
        (one(json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/nobody"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*"})).to_string(), "Invalid principal"),
        (one(json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs"})).to_string(), "Action does not apply"),
        (one(json!({"Sid": big_sid, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*"})).to_string(), "maximum allowed document size"),
    ];
    for (doc, want) in cases {
        let err = s3.put_bucket_policy().bucket("docs").policy(&doc).send().await.unwrap_err();
        assert_eq!((status(&err), code(&err).as_str()), (400, "MalformedPolicy"), "{doc:.80}");
        let msg =
            err.as_service_error().and_then(|e| aws_sdk_s3::error::ProvideErrorMetadata::message(e)).unwrap_or("");
        assert!(msg.contains(want), "{doc:.80}: '{msg}' lacks '{want}'");
    }
    let got = s3.get_bucket_policy().bucket("docs").send().await.unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(got.policy().unwrap()).unwrap(),
        good,
        "refused puts change nothing"
    );

    // A policy that pins the caller's source address is not public.
    let pinned = one(
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*", "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}),
    );
    put_policy(&s3, "docs", pinned).await;
    let st = s3.get_bucket_policy_status().bucket("docs").send().await.unwrap();
    assert_eq!(st.policy_status().and_then(|p| p.is_public()), Some(false));

    // Others may not touch it; the owner may delete it.
    let bob = server.user("bob").await;
    let err = bob.client.get_bucket_policy().bucket("docs").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = bob.client.delete_bucket_policy().bucket("docs").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.delete_bucket_policy().bucket("docs").send().await.unwrap();
    let err = s3.get_bucket_policy().bucket("docs").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucketPolicy");
    let err = s3.put_bucket_policy().bucket("nope").policy(good.to_string()).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn public_read_policy_hosts_a_site_without_object_acls() {
    let server = Server::start_with(&[("RUST_LOG", "warn,firn::access::decision=info")]);
    let s3 = server.client();
    s3.create_bucket().bucket("site").send().await.unwrap();
    put(&s3, "site", "index.html", "<h1>home</h1>").await;
    assert_eq!(anonymous(&server, "GET", "/site/index.html", "").await.status, 403, "private until the policy");
    put_policy(
        &s3,
        "site",
        one(json!({"Sid": "PublicReadGetObject", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"})),
    )
    .await;
    let r = anonymous(&server, "GET", "/site/index.html", "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "<h1>home</h1>"));
    let r = anonymous(&server, "GET", "/site?list-type=2", "").await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"), "listing is not granted");
    let r = anonymous(&server, "GET", "/site/missing.html", "").await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"), "without s3:ListBucket a missing key is a 403");
    let r = anonymous(&server, "PUT", "/site/defaced.html", "x").await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));

    // The website endpoint serves it too.
    s3.put_bucket_website()
        .bucket("site")
        .website_configuration(
            aws_sdk_s3::types::WebsiteConfiguration::builder()
                .index_document(aws_sdk_s3::types::IndexDocument::builder().suffix("index.html").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let addr: std::net::SocketAddr = server.addr.parse().unwrap();
    let host = "site.s3-website.localhost";
    let web = reqwest::Client::builder().resolve(host, addr).build().unwrap();
    let page = web.get(format!("http://{host}:{}/", addr.port())).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.text().await.unwrap(), "<h1>home</h1>");

    let log = server.log();
    assert!(log.contains("s3:GetObject allowed: policy statement PublicReadGetObject (Allow)"), "{log}");
    assert!(log.contains("s3:ListBucket denied: no statement or grant allows it"), "{log}");
}

#[tokio::test]
async fn read_only_for_another_user() {
    let server = Server::start();
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    alice.client.create_bucket().bucket("reports").send().await.unwrap();
    put(&alice.client, "reports", "q1.csv", "a,b").await;
    put_policy(
        &alice.client,
        "reports",
        one(json!({
            "Sid": "BobReads",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{}:user/bob", bob.account_id)},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
        })),
    )
    .await;
    let list = bob.client.list_objects_v2().bucket("reports").send().await.unwrap();
    assert_eq!(list.key_count(), Some(1));
    let got = bob.client.get_object().bucket("reports").key("q1.csv").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"a,b");
    let err = bob.client.get_object().bucket("reports").key("q2.csv").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey", "who may list learns what is absent");
    let err = bob.client.put_object().bucket("reports").key("b.csv").body(Vec::new().into()).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = bob.client.delete_object().bucket("reports").key("q1.csv").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = bob.client.get_bucket_acl().bucket("reports").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = carol.client.get_object().bucket("reports").key("q1.csv").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "the policy names bob alone");
}

#[tokio::test]
async fn deny_unless_https_and_deny_deletes() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("vault").send().await.unwrap();
    put(&s3, "vault", "a", "1").await;
    put(&s3, "vault", "b", "2").await;
    put_policy(
        &s3,
        "vault",
        one(json!({"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": "arn:aws:s3:::vault/*"})),
    )
    .await;
    let err = s3.delete_object().bucket("vault").key("a").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "an explicit deny binds the owner too");
    let ids = ["a", "b"].map(|k| ObjectIdentifier::builder().key(k).build().unwrap());
    let out = s3
        .delete_objects()
        .bucket("vault")
        .delete(Delete::builder().set_objects(Some(ids.to_vec())).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 0);
    assert!(out.errors().iter().all(|e| e.code() == Some("AccessDenied")) && out.errors().len() == 2);
    put(&s3, "vault", "c", "3").await;
    assert_eq!(s3.list_objects_v2().bucket("vault").send().await.unwrap().key_count(), Some(3));

    // Firn speaks plain HTTP, so aws:SecureTransport is false and everything else is denied now.
    put_policy(
        &s3,
        "vault",
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "HttpsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::vault/*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ]}),
    )
    .await;
    let err = s3.get_object().bucket("vault").key("a").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.delete_object().bucket("vault").key("a").send().await.expect("the delete deny is gone");
}

#[tokio::test]
async fn allow_only_from_an_ip_range_and_list_only_a_prefix() {
    let server = Server::start();
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let s3 = &alice.client;
    s3.create_bucket().bucket("team").send().await.unwrap();
    for key in ["shared/plan.txt", "shared/2026/notes.txt", "private/diary.txt"] {
        put(s3, "team", key, key).await;
    }
    let bob_arn = format!("arn:aws:iam::{}:user/bob", bob.account_id);
    put_policy(
        s3,
        "team",
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "ListShared", "Effect": "Allow", "Principal": {"AWS": bob_arn}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::team",
             "Condition": {"StringLike": {"s3:prefix": ["shared/", "shared/*"]}}},
            {"Sid": "ReadSharedFromLoopback", "Effect": "Allow", "Principal": {"AWS": bob_arn}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team/shared/*",
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
            {"Sid": "ReadPrivateFromElsewhere", "Effect": "Allow", "Principal": {"AWS": bob_arn}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team/private/*",
             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
        ]}),
    )
    .await;
    let b = &bob.client;
    let list = b.list_objects_v2().bucket("team").prefix("shared/").send().await.unwrap();
    assert_eq!(list.key_count(), Some(2));
    let list = b.list_objects_v2().bucket("team").prefix("shared/").delimiter("/").send().await.unwrap();
    assert_eq!(list.common_prefixes().len(), 1);
    for prefix in [None, Some("private/"), Some("sha")] {
        let err = b.list_objects_v2().bucket("team").set_prefix(prefix.map(str::to_owned)).send().await.unwrap_err();
        assert_eq!(code(&err), "AccessDenied", "prefix {prefix:?}");
    }
    b.get_object().bucket("team").key("shared/plan.txt").send().await.expect("loopback is in 127.0.0.0/8");
    let err = b.get_object().bucket("team").key("private/diary.txt").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "loopback is not in 10.0.0.0/8");

    // A deny from outside a range binds everyone, the owner included.
    put_policy(
        s3,
        "team",
        one(json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::team", "arn:aws:s3:::team/*"],
                   "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})),
    )
    .await;
    let err = s3.list_objects_v2().bucket("team").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = s3.delete_bucket_policy().bucket("team").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "an explicit deny takes even the owner's policy calls");

    // The operator's way back.
    let root = firn::admin::client::Remote {
        authority: server.addr.clone(),
        region: "us-east-1".into(),
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        tls: None,
    };
    let shown = root.send(&Request::BucketPolicy { bucket: "team".into(), delete: false }).await.unwrap();
    assert!(matches!(&shown, Reply::Done { message } if message.contains("NotIpAddress")), "{shown:?}");
    root.send(&Request::BucketPolicy { bucket: "team".into(), delete: true }).await.unwrap();
    s3.list_objects_v2().bucket("team").send().await.expect("the policy is gone");
}

#[tokio::test]
async fn home_folders_with_policy_variables_and_conditions_on_requests() {
    let server = Server::start();
    let s3 = server.client();
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    s3.create_bucket().bucket("homes").send().await.unwrap();
    put_policy(
        &s3,
        "homes",
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "OwnFolder", "Effect": "Allow", "Principal": {"AWS": [alice.account_id, bob.account_id]},
             "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::homes/home/${aws:username}/*"},
            {"Sid": "NoPublicAcls", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::homes/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": ["public-read", "public-read-write"]}}},
            {"Sid": "TaggedOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::homes/*",
             "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "secret"}}}
        ]}),
    )
    .await;
    put(&alice.client, "homes", "home/alice/cv.txt", "cv").await;
    let err =
        alice.client.put_object().bucket("homes").key("home/bob/x").body(Vec::new().into()).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    bob.client.put_object().bucket("homes").key("home/bob/x").body(Vec::new().into()).send().await.unwrap();
    let err = bob
        .client
        .put_object()
        .bucket("homes")
        .key("home/bob/y")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .body(Vec::new().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "s3:x-amz-acl");
    alice.client.get_object().bucket("homes").key("home/alice/cv.txt").send().await.unwrap();
    alice
        .client
        .put_object()
        .bucket("homes")
        .key("home/alice/s.txt")
        .tagging("classification=secret")
        .body(b"s".to_vec().into())
        .send()
        .await
        .unwrap();
    let err = alice.client.get_object().bucket("homes").key("home/alice/s.txt").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "s3:ExistingObjectTag");
}

#[tokio::test]
async fn presigned_urls_and_signature_conditions() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("links").send().await.unwrap();
    put(&s3, "links", "f", "data").await;
    put_policy(
        &s3,
        "links",
        one(json!({"Sid": "NoPresigned", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::links/*",
                   "Condition": {"StringEquals": {"s3:authType": "REST-QUERY-STRING"}}})),
    )
    .await;
    s3.get_object().bucket("links").key("f").send().await.expect("signed in the header");
    let presigned = s3
        .get_object()
        .bucket("links")
        .key("f")
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let r = send("GET", presigned.uri(), &[], Vec::new()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
}

/// PutObjectTagging and DeleteObjectTagging are decided with the target version's current tags as
/// `s3:ExistingObjectTag` (they were decided before the object was read, so such a policy never
/// matched): a retention tag that pins an object's tags holds, even for the bucket's owner.
#[tokio::test]
async fn tagging_requests_see_the_existing_tags() {
    use aws_sdk_s3::types::{Tag, Tagging};
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("tags").send().await.unwrap();
    put_policy(
        &s3,
        "tags",
        one(json!({"Sid": "KeepRetentionTags", "Effect": "Deny", "Principal": "*",
                   "Action": ["s3:PutObjectTagging", "s3:DeleteObjectTagging"], "Resource": "arn:aws:s3:::tags/*",
                   "Condition": {"StringEquals": {"s3:ExistingObjectTag/retention": "legal"}}})),
    )
    .await;
    let tagging =
        |k: &str, v: &str| Tagging::builder().tag_set(Tag::builder().key(k).value(v).build().unwrap()).build().unwrap();
    put(&s3, "tags", "held", "h").await;
    put(&s3, "tags", "free", "f").await;
    s3.put_object_tagging().bucket("tags").key("held").tagging(tagging("retention", "legal")).send().await.unwrap();
    let err = s3.put_object_tagging().bucket("tags").key("held").tagging(tagging("x", "y")).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "PutObjectTagging on a version tagged retention=legal");
    let err = s3.delete_object_tagging().bucket("tags").key("held").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "DeleteObjectTagging on a version tagged retention=legal");
    let got = s3.get_object_tagging().bucket("tags").key("held").send().await.unwrap();
    assert_eq!(got.tag_set()[0].value(), "legal", "the tags stand");
    s3.put_object_tagging().bucket("tags").key("free").tagging(tagging("x", "y")).send().await.unwrap();
    s3.delete_object_tagging().bucket("tags").key("free").send().await.unwrap();
}
