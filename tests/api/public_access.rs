//! Block Public Access, Object Ownership, anonymous writes and the expected bucket owner, through
//! aws-sdk-s3 and anonymous HTTP.

use super::harness::{code, status, Server};
use super::raw::send;
use aws_sdk_s3::types::{
    BucketCannedAcl, ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration,
};
use aws_sdk_s3::Client;
use serde_json::json;

fn block(acls: bool, ignore: bool, policy: bool, restrict: bool) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(acls)
        .ignore_public_acls(ignore)
        .block_public_policy(policy)
        .restrict_public_buckets(restrict)
        .build()
}

async fn set_block(s3: &Client, bucket: &str, b: PublicAccessBlockConfiguration) {
    s3.put_public_access_block().bucket(bucket).public_access_block_configuration(b).send().await.unwrap();
}

async fn anonymous_get(server: &Server, path: &str) -> u16 {
    send("GET", &format!("{}{path}", server.endpoint), &[], Vec::new()).await.status
}

fn public_read_policy(bucket: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}]})
        .to_string()
}

/// The canonical id of who owns `key`, as ListObjectsV2 with fetch-owner shows it.
async fn owner_of(s3: &Client, bucket: &str, key: &str) -> String {
    let list = s3.list_objects_v2().bucket(bucket).prefix(key).fetch_owner(true).send().await.unwrap();
    list.contents()[0].owner().and_then(|o| o.id()).unwrap().to_owned()
}

async fn set_ownership(s3: &Client, bucket: &str, o: ObjectOwnership) -> Result<(), String> {
    let controls = OwnershipControls::builder()
        .rules(OwnershipControlsRule::builder().object_ownership(o).build().unwrap())
        .build();
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(controls.unwrap())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e))
}

#[tokio::test]
async fn each_block_public_access_flag() {
    let server = Server::start();
    let s3 = server.client();
    let bob = server.user("bob").await;
    s3.create_bucket().bucket("pab").send().await.unwrap();
    let err = s3.get_public_access_block().bucket("pab").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "NoSuchPublicAccessBlockConfiguration"));
    s3.put_object()
        .bucket("pab")
        .key("old")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"o".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&server, "/pab/old").await, 200);

    // BlockPublicAcls: no new public ACL, existing ones still work.
    set_block(&s3, "pab", block(true, false, false, false)).await;
    let got = s3.get_public_access_block().bucket("pab").send().await.unwrap();
    let c = got.public_access_block_configuration().unwrap();
    assert_eq!(
        (c.block_public_acls(), c.ignore_public_acls(), c.block_public_policy(), c.restrict_public_buckets()),
        (Some(true), Some(false), Some(false), Some(false))
    );
    let err = s3
        .put_object()
        .bucket("pab")
        .key("new")
        .acl(ObjectCannedAcl::PublicRead)
        .body(Vec::new().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "AccessDenied"));
    let err = s3.put_bucket_acl().bucket("pab").acl(BucketCannedAcl::PublicRead).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err =
        s3.put_object_acl().bucket("pab").key("old").acl(ObjectCannedAcl::AuthenticatedRead).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.put_object()
        .bucket("pab")
        .key("new")
        .acl(ObjectCannedAcl::Private)
        .body(Vec::new().into())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&server, "/pab/old").await, 200, "existing ACLs are untouched");

    // IgnorePublicAcls: public grants stop counting.
    set_block(&s3, "pab", block(false, true, false, false)).await;
    assert_eq!(anonymous_get(&server, "/pab/old").await, 403);
    s3.put_object_acl()
        .bucket("pab")
        .key("old")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .expect("not blocked, just ignored");
    assert_eq!(anonymous_get(&server, "/pab/old").await, 403);

    // BlockPublicPolicy: public policies refused, others taken.
    set_block(&s3, "pab", block(false, false, true, false)).await;
    let err = s3.put_bucket_policy().bucket("pab").policy(public_read_policy("pab")).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (403, "AccessDenied"));
    let err = s3.get_bucket_policy().bucket("pab").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucketPolicy", "nothing was stored");
    let for_bob = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": bob.account_id}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pab/*"}]});
    s3.put_bucket_policy().bucket("pab").policy(for_bob.to_string()).send().await.expect("not public");

    // RestrictPublicBuckets: a public policy then serves the owner alone.
    s3.delete_public_access_block().bucket("pab").send().await.unwrap();
    s3.put_bucket_policy().bucket("pab").policy(public_read_policy("pab")).send().await.unwrap();
    s3.put_object().bucket("pab").key("p").body(b"p".to_vec().into()).send().await.unwrap();
    assert_eq!(anonymous_get(&server, "/pab/p").await, 200);
    bob.client.get_object().bucket("pab").key("p").send().await.expect("public policy");
    set_block(&s3, "pab", block(false, false, false, true)).await;
    assert_eq!(anonymous_get(&server, "/pab/p").await, 403);
    let err = bob.client.get_object().bucket("pab").key("p").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "other accounts are cut off too");
    s3.get_object().bucket("pab").key("p").send().await.expect("the owner keeps access");
    let st = s3.get_bucket_policy_status().bucket("pab").send().await.unwrap();
    assert_eq!(st.policy_status().and_then(|p| p.is_public()), Some(true));

    // Others may not change the settings.
    let err = bob.client.delete_public_access_block().bucket("pab").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.delete_public_access_block().bucket("pab").send().await.unwrap();
    assert_eq!(anonymous_get(&server, "/pab/p").await, 200);
}

#[tokio::test]
async fn the_server_wide_default_blocks_public_access_on_new_buckets() {
    let server = Server::start_with(&[("FIRN_BLOCK_PUBLIC_ACCESS_DEFAULT", "true")]);
    let s3 = server.client();
    let err = s3.create_bucket().bucket("open").acl(BucketCannedAcl::PublicRead).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.create_bucket().bucket("closed").send().await.unwrap();
    let got = s3.get_public_access_block().bucket("closed").send().await.unwrap();
    let c = got.public_access_block_configuration().unwrap();
    assert_eq!(
        (c.block_public_acls(), c.ignore_public_acls(), c.block_public_policy(), c.restrict_public_buckets()),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let err = s3
        .put_object()
        .bucket("closed")
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .body(Vec::new().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // The owner may lift it, bucket by bucket.
    s3.delete_public_access_block().bucket("closed").send().await.unwrap();
    s3.put_object()
        .bucket("closed")
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"k".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&server, "/closed/k").await, 200);
}

#[tokio::test]
async fn object_ownership_modes() {
    let server = Server::start();
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let s3 = &alice.client;
    let let_bob_write = |bucket: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": bob.account_id}, "Action": ["s3:PutObject", "s3:GetObject"], "Resource": format!("arn:aws:s3:::{bucket}/*")}]})
            .to_string()
    };

    // ObjectWriter (no controls): the writer owns it; the bucket owner may delete, not read.
    s3.create_bucket().bucket("writer").send().await.unwrap();
    let err = s3.get_bucket_ownership_controls().bucket("writer").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "OwnershipControlsNotFoundError"));
    s3.put_bucket_policy().bucket("writer").policy(let_bob_write("writer")).send().await.unwrap();
    bob.client.put_object().bucket("writer").key("b").body(b"b".to_vec().into()).send().await.unwrap();
    assert_eq!(owner_of(s3, "writer", "b").await, bob.canonical_id);
    let err = s3.get_object().bucket("writer").key("b").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "bob's object, bob's ACL");
    bob.client.get_object().bucket("writer").key("b").send().await.unwrap();

    // BucketOwnerPreferred: handing over full control hands over the object.
    s3.create_bucket().bucket("preferred").send().await.unwrap();
    set_ownership(s3, "preferred", ObjectOwnership::BucketOwnerPreferred).await.unwrap();
    let got = s3.get_bucket_ownership_controls().bucket("preferred").send().await.unwrap();
    assert_eq!(got.ownership_controls().unwrap().rules()[0].object_ownership(), &ObjectOwnership::BucketOwnerPreferred);
    s3.put_bucket_policy().bucket("preferred").policy(let_bob_write("preferred")).send().await.unwrap();
    let full = ObjectCannedAcl::BucketOwnerFullControl;
    bob.client
        .put_object()
        .bucket("preferred")
        .key("given")
        .acl(full.clone())
        .body(b"g".to_vec().into())
        .send()
        .await
        .unwrap();
    bob.client.put_object().bucket("preferred").key("kept").body(b"k".to_vec().into()).send().await.unwrap();
    assert_eq!(owner_of(s3, "preferred", "given").await, alice.canonical_id);
    assert_eq!(owner_of(s3, "preferred", "kept").await, bob.canonical_id);
    s3.get_object().bucket("preferred").key("given").send().await.expect("alice's now");

    // BucketOwnerEnforced: ACLs off, the bucket owner owns everything.
    s3.create_bucket().bucket("enforced").object_ownership(ObjectOwnership::BucketOwnerEnforced).send().await.unwrap();
    let got = s3.get_bucket_ownership_controls().bucket("enforced").send().await.unwrap();
    assert_eq!(got.ownership_controls().unwrap().rules()[0].object_ownership(), &ObjectOwnership::BucketOwnerEnforced);
    s3.put_bucket_policy().bucket("enforced").policy(let_bob_write("enforced")).send().await.unwrap();
    bob.client.put_object().bucket("enforced").key("b").body(b"b".to_vec().into()).send().await.unwrap();
    assert_eq!(owner_of(s3, "enforced", "b").await, alice.canonical_id);
    s3.get_object().bucket("enforced").key("b").send().await.expect("the bucket owner owns it");
    bob.client.get_object().bucket("enforced").key("b").send().await.expect("and the policy grants bob");
    let err = bob
        .client
        .put_object()
        .bucket("enforced")
        .key("p")
        .acl(ObjectCannedAcl::PublicRead)
        .body(Vec::new().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "AccessControlListNotSupported"));
    bob.client
        .put_object()
        .bucket("enforced")
        .key("f")
        .acl(full)
        .body(Vec::new().into())
        .send()
        .await
        .expect("bucket-owner-full-control is accepted");
    let err = s3.put_bucket_acl().bucket("enforced").acl(BucketCannedAcl::PublicRead).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessControlListNotSupported");
    let err =
        s3.put_object_acl().bucket("enforced").key("b").acl(ObjectCannedAcl::PublicRead).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessControlListNotSupported");
    // Whatever the ACL, even one that names the owner alone: ACLs are off.
    let err = s3.put_bucket_acl().bucket("enforced").acl(BucketCannedAcl::Private).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "AccessControlListNotSupported"));
    let err = s3.put_object_acl().bucket("enforced").key("b").acl(ObjectCannedAcl::Private).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "AccessControlListNotSupported"));
    let err = s3
        .put_object()
        .bucket("enforced")
        .key("private")
        .acl(ObjectCannedAcl::Private)
        .body(Vec::new().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&err),
        "AccessControlListNotSupported",
        "an object write with an ACL but bucket-owner-full-control"
    );
    let acl = s3.get_object_acl().bucket("enforced").key("b").send().await.unwrap();
    assert_eq!(acl.owner().and_then(|o| o.id()), Some(alice.canonical_id.as_str()));
    assert_eq!(acl.grants().len(), 1);
    assert_eq!(acl.grants()[0].permission().map(|p| p.as_str()), Some("FULL_CONTROL"));

    // Enforced needs a bucket ACL that grants nobody else; deleting the controls turns ACLs back on.
    s3.create_bucket().bucket("public").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    assert_eq!(
        set_ownership(s3, "public", ObjectOwnership::BucketOwnerEnforced).await,
        Err("InvalidBucketAclWithObjectOwnership".into())
    );
    let err = s3
        .create_bucket()
        .bucket("both")
        .acl(BucketCannedAcl::PublicRead)
        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidBucketAclWithObjectOwnership");
    s3.delete_bucket_ownership_controls().bucket("enforced").send().await.unwrap();
    s3.put_object()
        .bucket("enforced")
        .key("p")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"p".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&server, "/enforced/p").await, 200);
    let err = bob
        .client
        .put_bucket_ownership_controls()
        .bucket("enforced")
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder().object_ownership(ObjectOwnership::ObjectWriter).build().unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
}

#[tokio::test]
async fn anonymous_writes_where_an_acl_allows_them() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("dropbox").acl(BucketCannedAcl::PublicReadWrite).send().await.unwrap();
    s3.create_bucket().bucket("closed").send().await.unwrap();
    let url = |path: &str| format!("{}{path}", server.endpoint);
    let r = send("PUT", &url("/dropbox/drop.txt"), &[], b"anonymous".to_vec()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send("PUT", &url("/closed/drop.txt"), &[], b"anonymous".to_vec()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));

    // The object belongs to S3's anonymous user; its ACL decides reads, the bucket owner may delete.
    let list = s3.list_objects_v2().bucket("dropbox").fetch_owner(true).send().await.unwrap();
    assert_eq!(list.contents()[0].owner().and_then(|o| o.id()), Some(firn_storage::model::acl::ANONYMOUS_ID));
    let err = s3.get_object().bucket("dropbox").key("drop.txt").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied", "the bucket owner is not the object's owner");
    assert_eq!(anonymous_get(&server, "/dropbox/drop.txt").await, 200, "its owner is the anonymous user");
    s3.delete_object().bucket("dropbox").key("drop.txt").send().await.unwrap();

    // An unsigned form POST, likewise.
    let boundary = "----anon";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nform.txt\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nfrom a form\r\n--{boundary}--\r\n"
    );
    let headers = vec![("content-type".to_string(), format!("multipart/form-data; boundary={boundary}"))];
    let r = send("POST", &url("/dropbox"), &headers, body.clone().into_bytes()).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = send("POST", &url("/closed"), &headers, body.into_bytes()).await;
    assert_eq!((r.status, r.code()), (403, "AccessDenied"));
    let err = s3.head_object().bucket("dropbox").key("form.txt").send().await.unwrap_err();
    assert_eq!(status(&err), 403, "anonymous's object, anonymous's ACL");
    assert_eq!(s3.list_objects_v2().bucket("dropbox").send().await.unwrap().key_count(), Some(1));

    // Anonymous requests still never list buckets or make them.
    assert_eq!(anonymous_get(&server, "/").await, 403);
    assert_eq!(send("PUT", &url("/newbucket"), &[], Vec::new()).await.status, 403);
}

#[tokio::test]
async fn expected_bucket_owner() {
    let server = Server::start();
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let s3 = &alice.client;
    s3.create_bucket().bucket("mine").send().await.unwrap();
    s3.put_object().bucket("mine").key("k").body(b"k".to_vec().into()).send().await.unwrap();
    s3.head_bucket().bucket("mine").expected_bucket_owner(&alice.account_id).send().await.unwrap();
    let err = s3.head_bucket().bucket("mine").expected_bucket_owner(&bob.account_id).send().await.unwrap_err();
    assert_eq!(status(&err), 403);
    let err = s3.get_object().bucket("mine").key("k").expected_bucket_owner("111122223333").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = s3
        .put_object()
        .bucket("mine")
        .key("k2")
        .expected_bucket_owner(&bob.account_id)
        .body(Vec::new().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.get_object().bucket("mine").key("k").expected_bucket_owner(&alice.account_id).send().await.unwrap();
    s3.copy_object()
        .bucket("mine")
        .key("c")
        .copy_source("mine/k")
        .expected_source_bucket_owner(&alice.account_id)
        .send()
        .await
        .unwrap();
    let err = s3
        .copy_object()
        .bucket("mine")
        .key("c")
        .copy_source("mine/k")
        .expected_source_bucket_owner(&bob.account_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let err = s3.get_bucket_policy().bucket("mine").expected_bucket_owner(&bob.account_id).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
}
