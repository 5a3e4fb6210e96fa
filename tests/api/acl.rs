//! ACLs: canned and granted, on buckets, objects and versions; what they let other users and
//! anonymous requests do; and the errors of bad ACL requests.

use super::harness::{code, status, Server};
use super::raw::{send, V4};
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, Grant, Grantee, ObjectCannedAcl, Owner, Permission, Type,
};
use aws_sdk_s3::Client;

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

/// A new user "alice": her client and canonical id.
async fn alice(server: &Server) -> (Client, String) {
    let alice = server.user("alice").await;
    (alice.client, alice.canonical_id)
}

async fn anonymous_get(server: &Server, path: &str) -> (u16, String) {
    let r = send("GET", &format!("{}{path}", server.endpoint), &[], Vec::new()).await;
    (r.status, if r.status == 200 { r.body } else { r.code().to_owned() })
}

#[tokio::test]
async fn canned_acls_open_objects_and_buckets_to_anonymous_reads_only() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("site").send().await.unwrap();
    s3.put_object()
        .bucket("site")
        .key("public.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
    s3.put_object().bucket("site").key("private.txt").body(b"secret".to_vec().into()).send().await.unwrap();

    assert_eq!(anonymous_get(&server, "/site/public.txt").await, (200, "hello".into()));
    assert_eq!(anonymous_get(&server, "/site/private.txt").await, (403, "AccessDenied".into()));
    assert_eq!(anonymous_get(&server, "/site?list-type=2").await.0, 403, "the bucket itself is private");
    let put = send("PUT", &format!("{}/site/x", server.endpoint), &[], b"x".to_vec()).await;
    assert_eq!((put.status, put.code()), (403, "AccessDenied"));

    let acl = s3.get_object_acl().bucket("site").key("public.txt").send().await.unwrap();
    assert_eq!(acl.owner().and_then(|o| o.display_name()), Some("root"));
    let grants: Vec<_> = acl
        .grants()
        .iter()
        .map(|g| {
            let who = g.grantee().unwrap();
            (who.r#type().clone(), who.uri().or(who.id()).unwrap().to_owned(), g.permission().unwrap().clone())
        })
        .collect();
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[1], (Type::Group, ALL_USERS.to_owned(), Permission::Read));
    assert_eq!(grants[0].2, Permission::FullControl);

    // A public-read bucket lists for anyone; making the object private again closes it.
    s3.put_bucket_acl().bucket("site").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    let (st, body) = anonymous_get(&server, "/site?list-type=2").await;
    assert_eq!(st, 200);
    assert!(body.contains("<Key>private.txt</Key>"));
    assert_eq!(anonymous_get(&server, "/site/private.txt").await.0, 403, "bucket READ is not object READ");
    s3.put_object_acl().bucket("site").key("public.txt").acl(ObjectCannedAcl::Private).send().await.unwrap();
    assert_eq!(anonymous_get(&server, "/site/public.txt").await.0, 403);

    // Multipart uploads and copies take the ACL they are created with; a copy does not inherit.
    let up = s3
        .create_multipart_upload()
        .bucket("site")
        .key("mp.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    let done = super::harness::one_part(&s3, "site", "mp.txt", up.upload_id().unwrap(), b"multi").await;
    s3.complete_multipart_upload()
        .bucket("site")
        .key("mp.txt")
        .upload_id(up.upload_id().unwrap())
        .multipart_upload(done)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&server, "/site/mp.txt").await, (200, "multi".into()));
    s3.copy_object().bucket("site").key("copy.txt").copy_source("site/mp.txt").send().await.unwrap();
    assert_eq!(anonymous_get(&server, "/site/copy.txt").await.0, 403);
    s3.copy_object()
        .bucket("site")
        .key("copy2.txt")
        .copy_source("site/mp.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&server, "/site/copy2.txt").await.0, 200);

    // CreateBucket takes an ACL too.
    s3.create_bucket().bucket("open").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    assert_eq!(anonymous_get(&server, "/open?list-type=2").await.0, 200);
    let err = s3.create_bucket().bucket("bad-acl").acl(BucketCannedAcl::from("nonsense")).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    let err = s3.head_bucket().bucket("bad-acl").send().await.unwrap_err();
    assert_eq!(status(&err), 404, "a refused ACL creates no bucket");
}

#[tokio::test]
async fn grants_let_other_users_in_as_far_as_they_say() {
    let server = Server::start();
    let root = server.client();
    let (alice, alice_id) = alice(&server).await;
    root.create_bucket().bucket("shared").send().await.unwrap();
    root.put_object().bucket("shared").key("roots.txt").body(b"r".to_vec().into()).send().await.unwrap();

    let err = alice.list_objects_v2().bucket("shared").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = alice.get_object().bucket("shared").key("missing").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "who may not list learns nothing of what is absent");
    root.put_bucket_acl().bucket("shared").grant_read(format!("id=\"{alice_id}\"")).send().await.unwrap();
    assert_eq!(alice.list_objects_v2().bucket("shared").send().await.unwrap().key_count(), Some(1));
    let err = alice.get_object().bucket("shared").key("missing").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    let err = alice.put_object().bucket("shared").key("a").body(b"a".to_vec().into()).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "READ is not WRITE");
    let err = alice.get_bucket_acl().bucket("shared").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "nor READ_ACP");
    let err = alice.get_object().bucket("shared").key("roots.txt").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "the object's own ACL decides GET");

    // A full document: root keeps FULL_CONTROL, alice gets READ and WRITE.
    let root_id = firn_storage::canonical_id("root");
    let grant = |id: &str, p: Permission| {
        Grant::builder()
            .grantee(Grantee::builder().r#type(Type::CanonicalUser).id(id).build().unwrap())
            .permission(p)
            .build()
    };
    let policy = AccessControlPolicy::builder()
        .owner(Owner::builder().id(&root_id).build())
        .grants(grant(&root_id, Permission::FullControl))
        .grants(grant(&alice_id, Permission::Read))
        .grants(grant(&alice_id, Permission::Write))
        .build();
    root.put_bucket_acl().bucket("shared").access_control_policy(policy).send().await.unwrap();
    assert_eq!(root.get_bucket_acl().bucket("shared").send().await.unwrap().grants().len(), 3);
    alice.put_object().bucket("shared").key("alices.txt").body(b"a".to_vec().into()).send().await.unwrap();
    // Alice owns what she wrote: root, the bucket owner, may delete it but not read it...
    let err = root.get_object().bucket("shared").key("alices.txt").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // ...unless she says so.
    alice
        .put_object()
        .bucket("shared")
        .key("alices.txt")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(b"a2".to_vec().into())
        .send()
        .await
        .unwrap();
    root.get_object().bucket("shared").key("alices.txt").send().await.unwrap();
    let listed = root.list_objects_v2().bucket("shared").fetch_owner(true).send().await.unwrap();
    let owners: Vec<_> = listed.contents().iter().filter_map(|o| o.owner()?.display_name()).collect();
    assert_eq!(owners, ["alice", "root"]);
    // Copying needs READ on the source: root's private object stays root's.
    let err =
        alice.copy_object().bucket("shared").key("stolen").copy_source("shared/roots.txt").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    root.delete_object().bucket("shared").key("alices.txt").send().await.unwrap();
    let err = alice
        .put_bucket_versioning()
        .bucket("shared")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "bucket configuration stays the owner's");
}

#[tokio::test]
async fn object_acls_are_per_version() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("vers").send().await.unwrap();
    super::versioning::enable(&s3, "vers", aws_sdk_s3::types::BucketVersioningStatus::Enabled).await;
    let v1 = s3.put_object().bucket("vers").key("k").body(b"one".to_vec().into()).send().await.unwrap();
    let v2 = s3.put_object().bucket("vers").key("k").body(b"two".to_vec().into()).send().await.unwrap();
    let v1 = v1.version_id().unwrap();
    s3.put_object_acl().bucket("vers").key("k").version_id(v1).acl(ObjectCannedAcl::PublicRead).send().await.unwrap();
    assert_eq!(anonymous_get(&server, &format!("/vers/k?versionId={v1}")).await, (200, "one".into()));
    assert_eq!(anonymous_get(&server, "/vers/k").await.0, 403, "the current version is still private");
    let acl = s3.get_object_acl().bucket("vers").key("k").version_id(v2.version_id().unwrap()).send().await.unwrap();
    assert_eq!(acl.grants().len(), 1);
    let err = s3.get_object_acl().bucket("vers").key("k").version_id("nosuchversion").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    s3.delete_object().bucket("vers").key("k").version_id(v1).send().await.unwrap();
    let err = s3.get_object_acl().bucket("vers").key("k").version_id(v1).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchVersion");
}

#[tokio::test]
async fn bad_acl_requests_get_s3_errors() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("errs").send().await.unwrap();
    s3.put_object().bucket("errs").key("k").body(b"k".to_vec().into()).send().await.unwrap();
    let host = server.addr.clone();
    let put_acl = |headers: Vec<(&str, &str)>, body: &str| {
        let mut req = V4::new("PUT", &host, "/errs", "acl", body.as_bytes());
        req.headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let (headers, _) = req.sign();
        let url = req.url();
        let body = body.as_bytes().to_vec();
        async move { send("PUT", &url, &headers, body).await }
    };
    let r = put_acl(
        vec![
            ("x-amz-acl", "public-read"),
            ("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""),
        ],
        "",
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "InvalidRequest"));
    let r = put_acl(vec![("x-amz-acl", "world-writable")], "").await;
    assert_eq!((r.status, r.code()), (400, "InvalidArgument"));
    let r = put_acl(
        vec![("x-amz-grant-read", "id=\"0000000000000000000000000000000000000000000000000000000000000000\"")],
        "",
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "InvalidArgument"));
    let r = put_acl(vec![("x-amz-grant-write", "emailAddress=\"a@example.com\"")], "").await;
    assert_eq!((r.status, r.code()), (400, "UnresolvableGrantByEmailAddress"));
    let r = put_acl(vec![], "<AccessControlPolicy><Owner>").await;
    assert_eq!((r.status, r.code()), (400, "MalformedACLError"));
    let r = put_acl(vec![], "<AccessControlPolicy><AccessControlList/></AccessControlPolicy>").await;
    assert_eq!((r.status, r.code()), (400, "MalformedACLError"));
    let other = "<AccessControlPolicy><Owner><ID>someoneelse</ID></Owner><AccessControlList/></AccessControlPolicy>";
    let r = put_acl(vec![], other).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    let r = put_acl(vec![], "").await;
    assert_eq!((r.status, r.code()), (400, "MissingSecurityHeader"));
    let err = s3
        .put_object()
        .bucket("errs")
        .key("k2")
        .acl(ObjectCannedAcl::from("nonsense"))
        .body(b"".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidArgument"));
    let err = s3.get_object().bucket("errs").key("k2").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey", "a refused ACL stores nothing");
    // The bucket ACL is untouched by all of it.
    assert_eq!(s3.get_bucket_acl().bucket("errs").send().await.unwrap().grants().len(), 1);
}

/// Every CanonicalUser grantee carries ID and DisplayName, as in S3's documented ACLs: the owner's
/// grant and the ones bucket-owner-read and bucket-owner-full-control add.
#[tokio::test]
async fn grantees_carry_id_and_display_name() {
    let server = Server::start();
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.client.create_bucket().bucket("owned").send().await.unwrap();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": bob.account_id},
        "Action": "s3:PutObject", "Resource": "arn:aws:s3:::owned/*"}]});
    alice.client.put_bucket_policy().bucket("owned").policy(policy.to_string()).send().await.unwrap();
    for (key, canned, alice_gets) in [
        ("full", ObjectCannedAcl::BucketOwnerFullControl, Permission::FullControl),
        ("read", ObjectCannedAcl::BucketOwnerRead, Permission::Read),
    ] {
        bob.client.put_object().bucket("owned").key(key).acl(canned).body(b"x".to_vec().into()).send().await.unwrap();
        let acl = bob.client.get_object_acl().bucket("owned").key(key).send().await.unwrap();
        let owner = acl.owner().unwrap();
        assert_eq!((owner.id(), owner.display_name()), (Some(bob.canonical_id.as_str()), Some("bob")));
        type Row<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a Type>, Option<&'a Permission>);
        let grants: Vec<Row> = acl
            .grants()
            .iter()
            .map(|g| {
                let who = g.grantee().unwrap();
                (who.id(), who.display_name(), Some(who.r#type()), g.permission())
            })
            .collect();
        assert_eq!(
            grants,
            [
                (
                    Some(bob.canonical_id.as_str()),
                    Some("bob"),
                    Some(&Type::CanonicalUser),
                    Some(&Permission::FullControl)
                ),
                (Some(alice.canonical_id.as_str()), Some("alice"), Some(&Type::CanonicalUser), Some(&alice_gets)),
            ],
            "{key}"
        );
    }
}
