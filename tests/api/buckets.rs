use super::harness::{code, status, with_bucket, Server, ACCESS_KEY, SECRET_KEY};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

#[tokio::test(flavor = "multi_thread")]
async fn create_head_list_location_delete() {
    let server = Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("alpha").send().await.unwrap();
    s3.create_bucket()
        .bucket("beta.example")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from("us-east-1"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let head = s3.head_bucket().bucket("alpha").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));

    let list = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha", "beta.example"]);
    assert!(list.buckets()[0].creation_date().is_some());
    assert_eq!(list.owner().and_then(|o| o.id()).map(str::len), Some(64));

    let page = s3.list_buckets().max_buckets(1).send().await.unwrap();
    assert_eq!(page.buckets().len(), 1);
    let rest = s3.list_buckets().continuation_token(page.continuation_token().unwrap()).send().await.unwrap();
    assert_eq!(rest.buckets().iter().filter_map(|b| b.name()).collect::<Vec<_>>(), ["beta.example"]);
    assert!(rest.continuation_token().is_none());
    let prefixed = s3.list_buckets().prefix("be").send().await.unwrap();
    assert_eq!(prefixed.buckets().len(), 1);

    let loc = s3.get_bucket_location().bucket("alpha").send().await.unwrap();
    assert!(loc.location_constraint().is_none_or(|l| l.as_str().is_empty()));
    let versioning = s3.get_bucket_versioning().bucket("alpha").send().await.unwrap();
    assert!(versioning.status().is_none());

    s3.delete_bucket().bucket("alpha").send().await.unwrap();
    let err = s3.head_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(status(&err), 404);
    let names: Vec<_> =
        s3.list_buckets().send().await.unwrap().buckets().iter().filter_map(|b| b.name().map(str::to_owned)).collect();
    assert_eq!(names, ["beta.example"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_errors() {
    let (server, s3) = with_bucket("taken").await;
    // In us-east-1 S3 answers a repeated create of one's own bucket with 200 (409 elsewhere).
    s3.create_bucket().bucket("taken").send().await.expect("us-east-1: 200");
    let bob = server.user("bob").await;
    let err = bob.client.create_bucket().bucket("taken").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (409, "BucketAlreadyExists"));
    let eu = Server::start_with(&[("FIRN_REGION", "eu-west-1")]);
    let eu_s3 = eu.client_in(ACCESS_KEY, SECRET_KEY, "eu-west-1");
    let in_eu = || {
        eu_s3.create_bucket().bucket("taken").create_bucket_configuration(
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::EuWest1).build(),
        )
    };
    in_eu().send().await.unwrap();
    let err = in_eu().send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (409, "BucketAlreadyOwnedByYou"));

    for bad in ["ab", "Upper", "under_score", "192.168.1.1", "-lead", "a..b"] {
        let err = s3.create_bucket().bucket(bad).send().await.unwrap_err();
        assert_eq!(code(&err), "InvalidBucketName", "{bad}");
    }

    let err = s3
        .create_bucket()
        .bucket("elsewhere")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::EuWest1).build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "IllegalLocationConstraintException");

    s3.put_object().bucket("taken").key("k").body(b"x".to_vec().into()).send().await.unwrap();
    let err = s3.delete_bucket().bucket("taken").send().await.unwrap_err();
    assert_eq!(code(&err), "BucketNotEmpty");

    let err = s3.list_objects_v2().bucket("missing").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
    let err = s3.delete_bucket().bucket("missing").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
    let err = s3.get_object().bucket("missing").key("k").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test(flavor = "multi_thread")]
async fn virtual_hosted_style() {
    let server = Server::start_with(&[("FIRN_DOMAIN", "s3.firn.test")]);
    let s3 = server.client();
    s3.create_bucket().bucket("vhost").send().await.unwrap();
    s3.put_object().bucket("vhost").key("dir/file").body(b"hi".to_vec().into()).send().await.unwrap();
    // The bucket comes from the Host header; the request still goes to the loopback address.
    let host = "vhost.s3.firn.test:9000";
    for (path, query, want) in [("/dir/file", "", "hi"), ("/", "list-type=2", "<Key>dir/file</Key>")] {
        let req = super::raw::V4::new("GET", host, path, query, b"");
        let (mut headers, _) = req.sign();
        headers.push(("host".into(), host.into()));
        let q = if query.is_empty() { String::new() } else { format!("?{query}") };
        let r = super::raw::send("GET", &format!("{}{path}{q}", server.endpoint), &headers, Vec::new()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains(want), "{}", r.body);
    }
}

/// A bucket's own tags (they answered 501): NoSuchTagSet until set, up to 50, replaced whole,
/// removed by DELETE; the owner's alone.
#[tokio::test]
async fn bucket_tagging() {
    use aws_sdk_s3::types::{Tag, Tagging};
    let (server, s3) = with_bucket("tagged").await;
    let err = s3.get_bucket_tagging().bucket("tagged").send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (404, "NoSuchTagSet"));
    let tags = |n: usize| {
        let set: Vec<Tag> =
            (0..n).map(|i| Tag::builder().key(format!("k{i}")).value(format!("v{i}")).build().unwrap()).collect();
        Tagging::builder().set_tag_set(Some(set)).build().unwrap()
    };
    s3.put_bucket_tagging().bucket("tagged").tagging(tags(50)).send().await.unwrap();
    let got = s3.get_bucket_tagging().bucket("tagged").send().await.unwrap();
    assert_eq!(got.tag_set().len(), 50);
    assert_eq!((got.tag_set()[1].key(), got.tag_set()[1].value()), ("k1", "v1"));
    let err = s3.put_bucket_tagging().bucket("tagged").tagging(tags(51)).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "BadRequest"));
    assert!(format!("{err:?}").contains("Bucket tag count cannot be greater than 50"));
    s3.put_bucket_tagging().bucket("tagged").tagging(tags(2)).send().await.unwrap();
    assert_eq!(s3.get_bucket_tagging().bucket("tagged").send().await.unwrap().tag_set().len(), 2);
    let bob = server.user("bob").await;
    let err = bob.client.get_bucket_tagging().bucket("tagged").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.delete_bucket_tagging().bucket("tagged").send().await.unwrap();
    let err = s3.get_bucket_tagging().bucket("tagged").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchTagSet");
}
