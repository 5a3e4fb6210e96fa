use super::harness::{code, status, with_bucket};
use aws_sdk_s3::types::{
    BucketVersioningStatus, Delete, MfaDelete, ObjectIdentifier, Tag, Tagging, VersioningConfiguration,
};
use aws_sdk_s3::Client;

pub(super) async fn enable(s3: &Client, bucket: &str, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .unwrap();
}

async fn put(s3: &Client, bucket: &str, key: &str, body: &str) -> Option<String> {
    let out = s3.put_object().bucket(bucket).key(key).body(body.as_bytes().to_vec().into()).send().await.unwrap();
    out.version_id().map(str::to_owned)
}

async fn get(s3: &Client, bucket: &str, key: &str, version: Option<&str>) -> String {
    let out = s3.get_object().bucket(bucket).key(key).set_version_id(version.map(str::to_owned)).send().await.unwrap();
    String::from_utf8(out.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn enable_delete_markers_and_suspend() {
    let (_server, s3) = with_bucket("ver").await;
    assert_eq!(put(&s3, "ver", "k", "v0").await, None, "unversioned buckets show no version ids");
    assert!(s3.get_bucket_versioning().bucket("ver").send().await.unwrap().status().is_none());

    enable(&s3, "ver", BucketVersioningStatus::Enabled).await;
    let got = s3.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(got.status(), Some(&BucketVersioningStatus::Enabled));
    let v1 = put(&s3, "ver", "k", "v1").await.unwrap();
    let v2 = put(&s3, "ver", "k", "v2").await.unwrap();
    assert!(v1 != v2 && v1 != "null");
    assert_eq!(get(&s3, "ver", "k", None).await, "v2");
    assert_eq!(get(&s3, "ver", "k", Some("null")).await, "v0", "the pre-versioning object is the null version");
    assert_eq!(get(&s3, "ver", "k", Some(&v1)).await, "v1");
    let head = s3.head_object().bucket("ver").key("k").version_id(&v1).send().await.unwrap();
    assert_eq!((head.version_id(), head.content_length()), (Some(v1.as_str()), Some(2)));

    let del = s3.delete_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_owned();
    let err = s3.get_object().bucket("ver").key("k").send().await.unwrap_err();
    assert_eq!((code(&err).as_str(), status(&err)), ("NoSuchKey", 404));
    let headers = err.raw_response().unwrap().headers();
    assert_eq!(headers.get("x-amz-delete-marker"), Some("true"));
    assert_eq!(headers.get("x-amz-version-id"), Some(marker.as_str()));
    let err = s3.head_object().bucket("ver").key("k").version_id(&marker).send().await.unwrap_err();
    assert_eq!(status(&err), 405);
    let err = s3.get_object().bucket("ver").key("k").version_id(&marker).send().await.unwrap_err();
    assert_eq!(status(&err), 405);
    let listed = s3.list_objects_v2().bucket("ver").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0), "a deleted key is not listed");

    // Removing the marker brings the object back; removing v2 makes v1 current.
    let undo = s3.delete_object().bucket("ver").key("k").version_id(&marker).send().await.unwrap();
    assert_eq!(undo.delete_marker(), Some(true));
    assert_eq!(get(&s3, "ver", "k", None).await, "v2");
    s3.delete_object().bucket("ver").key("k").version_id(&v2).send().await.unwrap();
    assert_eq!(get(&s3, "ver", "k", None).await, "v1");
    let err = s3.get_object().bucket("ver").key("k").version_id(&v2).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchVersion");
    let err = s3.get_object().bucket("ver").key("k").version_id("not-a-version").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
    // Deleting a version that does not exist succeeds and names it.
    let gone = s3.delete_object().bucket("ver").key("k").version_id(&v2).send().await.unwrap();
    assert_eq!(gone.version_id(), Some(v2.as_str()));

    // Suspended: writes replace the null version.
    enable(&s3, "ver", BucketVersioningStatus::Suspended).await;
    let got = s3.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(got.status(), Some(&BucketVersioningStatus::Suspended));
    assert_eq!(put(&s3, "ver", "k", "s1").await, None, "a suspended bucket's writes name no version");
    assert_eq!(get(&s3, "ver", "k", Some("null")).await, "s1");
    let head = s3.head_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(head.version_id(), Some("null"), "the object is still the null version");
    let got = s3.get_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(got.version_id(), Some("null"));
    let up = s3.create_multipart_upload().bucket("ver").key("mp").send().await.unwrap();
    let done = super::harness::one_part(&s3, "ver", "mp", up.upload_id().unwrap(), b"part").await;
    let completed = s3
        .complete_multipart_upload()
        .bucket("ver")
        .key("mp")
        .upload_id(up.upload_id().unwrap())
        .multipart_upload(done)
        .send()
        .await
        .unwrap();
    assert_eq!(completed.version_id(), None, "a suspended bucket's completion names no version");
    s3.delete_object().bucket("ver").key("mp").version_id("null").send().await.unwrap();
    assert_eq!(get(&s3, "ver", "k", Some(&v1)).await, "v1", "enabled-era versions are kept");
    let del = s3.delete_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!((del.delete_marker(), del.version_id()), (Some(true), Some("null")));
    let versions = s3.list_object_versions().bucket("ver").send().await.unwrap();
    assert_eq!(versions.versions().len(), 1, "only v1 remains as data");
    assert_eq!(versions.delete_markers().len(), 1);
    assert_eq!(versions.delete_markers()[0].is_latest(), Some(true));

    // Never back to unversioned; MFA delete is refused.
    let raw = s3
        .put_bucket_versioning()
        .bucket("ver")
        .versioning_configuration(VersioningConfiguration::builder().build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&raw), "MalformedXML");
    let err = s3
        .put_bucket_versioning()
        .bucket("ver")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .mfa_delete(MfaDelete::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    let err = s3.delete_bucket().bucket("ver").send().await.unwrap_err();
    assert_eq!(code(&err), "BucketNotEmpty", "versions and markers keep a bucket non-empty");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_versions_pages_through_thousands() {
    let (_server, s3) = with_bucket("many").await;
    enable(&s3, "many", BucketVersioningStatus::Enabled).await;
    let mut expected: Vec<(String, String)> = Vec::new();
    for key in ["alpha", "beta"] {
        let mut ids = Vec::new();
        for i in 0..1100 {
            ids.push(put(&s3, "many", key, &i.to_string()).await.unwrap());
        }
        expected.extend(ids.into_iter().rev().map(|id| (key.to_owned(), id)));
    }
    put(&s3, "many", "dir/x", "x").await;
    s3.delete_object().bucket("many").key("gone").send().await.unwrap();

    let mut seen = Vec::new();
    let mut latest = 0;
    let (mut key_marker, mut version_marker) = (None, None);
    let mut pages = 0;
    loop {
        let out = s3
            .list_object_versions()
            .bucket("many")
            .max_keys(500)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        for v in out.versions() {
            seen.push((v.key().unwrap().to_owned(), v.version_id().unwrap().to_owned()));
            latest += usize::from(v.is_latest() == Some(true));
        }
        latest += out.delete_markers().iter().filter(|m| m.is_latest() == Some(true)).count();
        if out.is_truncated() != Some(true) {
            break;
        }
        key_marker = out.next_key_marker().map(str::to_owned);
        version_marker = out.next_version_id_marker().map(str::to_owned);
    }
    assert_eq!(pages, 5);
    assert_eq!(seen[..2200], expected[..], "key order, newest first within a key");
    assert_eq!(latest, 4, "alpha, beta, dir/x and the marker of gone");

    let out = s3.list_object_versions().bucket("many").delimiter("/").key_marker("beta").send().await.unwrap();
    assert_eq!(out.common_prefixes().iter().filter_map(|p| p.prefix()).collect::<Vec<_>>(), ["dir/"]);
    let listed = s3.list_objects_v2().bucket("many").send().await.unwrap();
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["alpha", "beta", "dir/x"], "plain listings see only current objects");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_objects_copy_and_tagging_by_version() {
    let (_server, s3) = with_bucket("vmulti").await;
    enable(&s3, "vmulti", BucketVersioningStatus::Enabled).await;
    let a1 = put(&s3, "vmulti", "a", "a1").await.unwrap();
    let a2 = put(&s3, "vmulti", "a", "a2").await.unwrap();
    put(&s3, "vmulti", "b", "b1").await;

    let out = s3
        .delete_objects()
        .bucket("vmulti")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("a").version_id(&a2).build().unwrap())
                .objects(ObjectIdentifier::builder().key("b").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let deleted: Vec<_> = out.deleted().iter().map(|d| (d.key().unwrap(), d.delete_marker(), d.version_id())).collect();
    assert_eq!(deleted[0], ("a", None, Some(a2.as_str())));
    assert_eq!(deleted[1].1, Some(true));
    assert!(out.deleted()[1].delete_marker_version_id().is_some());
    assert_eq!(get(&s3, "vmulti", "a", None).await, "a1");

    // Tag an old version; copy it to a new key, and over its own key to restore it.
    let a3 = put(&s3, "vmulti", "a", "a3").await.unwrap();
    let tags = Tagging::builder().tag_set(Tag::builder().key("old").value("yes").build().unwrap()).build().unwrap();
    s3.put_object_tagging().bucket("vmulti").key("a").version_id(&a1).tagging(tags).send().await.unwrap();
    let t = s3.get_object_tagging().bucket("vmulti").key("a").version_id(&a1).send().await.unwrap();
    assert_eq!((t.tag_set().len(), t.version_id()), (1, Some(a1.as_str())));
    assert!(s3.get_object_tagging().bucket("vmulti").key("a").send().await.unwrap().tag_set().is_empty());

    let copied = s3
        .copy_object()
        .bucket("vmulti")
        .key("a-copy")
        .copy_source(format!("vmulti/a?versionId={a1}"))
        .send()
        .await
        .unwrap();
    assert_eq!(copied.copy_source_version_id(), Some(a1.as_str()));
    assert!(copied.version_id().is_some());
    assert_eq!(get(&s3, "vmulti", "a-copy", None).await, "a1");
    let restored = s3
        .copy_object()
        .bucket("vmulti")
        .key("a")
        .copy_source(format!("vmulti/a?versionId={a1}"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "vmulti", "a", None).await, "a1");
    assert_ne!(restored.version_id(), Some(a3.as_str()));
    let versions = s3.list_object_versions().bucket("vmulti").prefix("a").send().await.unwrap();
    assert_eq!(versions.versions().iter().filter(|v| v.key() == Some("a")).count(), 3, "a1, a3 and the restored copy");
}
