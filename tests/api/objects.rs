use super::harness::{bytes, code, md5_hex, status, with_bucket, Server};
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, Delete, MetadataDirective, ObjectIdentifier, Tag, Tagging};

async fn body_of(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn put_get_head_with_metadata_and_headers() {
    let (_server, s3) = with_bucket("objects").await;
    let data = bytes(300_000, 1);
    let put = s3
        .put_object()
        .bucket("objects")
        .key("dir/a file+ü.bin")
        .body(data.clone().into())
        .content_type("application/x-test")
        .content_disposition("attachment")
        .cache_control("max-age=60")
        .content_language("de")
        .metadata("color", "blue")
        .metadata("Shape", "round")
        .tagging("a=1&b=two")
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag(), Some(format!("\"{}\"", md5_hex(&data)).as_str()));

    let got = s3.get_object().bucket("objects").key("dir/a file+ü.bin").send().await.unwrap();
    assert_eq!(got.content_length(), Some(300_000));
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(got.content_disposition(), Some("attachment"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(got.content_language(), Some("de"));
    assert_eq!(got.tag_count(), Some(2));
    let meta = got.metadata().unwrap();
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.get("shape").map(String::as_str), Some("round"));
    assert_eq!(md5_hex(&body_of(got).await), md5_hex(&data));

    let head = s3.head_object().bucket("objects").key("dir/a file+ü.bin").send().await.unwrap();
    assert_eq!(head.content_length(), Some(300_000));
    assert_eq!(head.e_tag(), put.e_tag());
    assert!(head.last_modified().is_some());

    let over = s3
        .get_object()
        .bucket("objects")
        .key("dir/a file+ü.bin")
        .response_content_type("text/plain")
        .response_cache_control("no-cache")
        .send()
        .await
        .unwrap();
    assert_eq!(over.content_type(), Some("text/plain"));
    assert_eq!(over.cache_control(), Some("no-cache"));
    let err = s3
        .get_object()
        .bucket("objects")
        .key("dir/a file+ü.bin")
        .response_content_type("text/plain\r\nx-injected: 1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgument", "a header-breaking override is refused, not sent");

    let empty = s3.put_object().bucket("objects").key("empty").body(Vec::new().into()).send().await.unwrap();
    assert_eq!(empty.e_tag(), Some("\"d41d8cd98f00b204e9800998ecf8427e\""));
    let got = s3.get_object().bucket("objects").key("empty").send().await.unwrap();
    assert_eq!(got.content_length(), Some(0));
    assert!(body_of(got).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn checksums_are_verified_stored_and_returned() {
    let (_server, s3) = with_bucket("sums").await;
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        let key = format!("k-{}", alg.as_str());
        let data = bytes(100_000, 7);
        s3.put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(data.clone().into())
            .send()
            .await
            .unwrap();
        let got = s3.get_object().bucket("sums").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        let present = [
            got.checksum_crc32(),
            got.checksum_crc32_c(),
            got.checksum_crc64_nvme(),
            got.checksum_sha1(),
            got.checksum_sha256(),
        ]
        .iter()
        .filter(|c| c.is_some())
        .count();
        assert_eq!(present, 1, "{alg:?}");
        assert_eq!(body_of(got).await, data);
    }
    // A wrong checksum stores nothing.
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "BadDigest");
    assert_eq!(code(&s3.head_object().bucket("sums").key("bad").send().await.unwrap_err()).as_str(), "NotFound");
    // The same for the wide digests: a well-formed value that does not match is BadDigest.
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_sha256("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "BadDigest"));
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc64_nvme("AAAAAAAAAAA=")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "BadDigest"));
    // A ranged GET never carries the whole-object checksum.
    let ranged = s3
        .get_object()
        .bucket("sums")
        .key("k-CRC32")
        .range("bytes=0-9")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert!(ranged.checksum_crc32().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn large_object_streams_through() {
    let (_server, s3) = with_bucket("large").await;
    let data = bytes(12 << 20, 3);
    s3.put_object().bucket("large").key("big").body(ByteStream::from(data.clone())).send().await.unwrap();
    let got = s3.get_object().bucket("large").key("big").send().await.unwrap();
    assert_eq!(md5_hex(&body_of(got).await), md5_hex(&data));
}

#[tokio::test(flavor = "multi_thread")]
async fn small_io_buffers_carry_large_objects_and_ranges() {
    // 16 KiB buffers: hundreds of gathered writes per upload, hundreds of chunks per download.
    let server = Server::start_with(&[("FIRN_IO_BUFFER_KIB", "16")]);
    let s3 = server.client();
    s3.create_bucket().bucket("bufs").send().await.unwrap();
    let data = bytes((6 << 20) + 12_345, 9);
    let put = s3.put_object().bucket("bufs").key("big").body(ByteStream::from(data.clone())).send().await.unwrap();
    assert_eq!(put.e_tag(), Some(format!("\"{}\"", md5_hex(&data)).as_str()));
    let got = s3.get_object().bucket("bufs").key("big").send().await.unwrap();
    assert_eq!(md5_hex(&body_of(got).await), md5_hex(&data));
    let range = s3.get_object().bucket("bufs").key("big").range("bytes=1000000-5999999").send().await.unwrap();
    assert_eq!(body_of(range).await, &data[1_000_000..6_000_000]);
}

#[tokio::test(flavor = "multi_thread")]
async fn ranges() {
    let (_server, s3) = with_bucket("ranges").await;
    let data = bytes(1000, 2);
    s3.put_object().bucket("ranges").key("k").body(data.clone().into()).send().await.unwrap();
    for (range, from, to) in
        [("bytes=0-9", 0, 10), ("bytes=990-", 990, 1000), ("bytes=-5", 995, 1000), ("bytes=500-5000", 500, 1000)]
    {
        let got = s3.get_object().bucket("ranges").key("k").range(range).send().await.unwrap();
        assert_eq!(got.content_range(), Some(format!("bytes {}-{}/1000", from, to - 1).as_str()));
        assert_eq!(got.content_length(), Some((to - from) as i64));
        assert_eq!(body_of(got).await, &data[from..to]);
    }
    let err = s3.get_object().bucket("ranges").key("k").range("bytes=1000-").send().await.unwrap_err();
    assert_eq!((code(&err).as_str(), status(&err)), ("InvalidRange", 416));
}

#[tokio::test(flavor = "multi_thread")]
async fn conditional_get_and_put() {
    let (_server, s3) = with_bucket("cond").await;
    let put = s3.put_object().bucket("cond").key("k").body(b"v1".to_vec().into()).send().await.unwrap();
    let etag = put.e_tag().unwrap().to_owned();
    let head = s3.head_object().bucket("cond").key("k").send().await.unwrap();
    let modified = *head.last_modified().unwrap();
    let earlier = DateTime::from_secs(modified.secs() - 3600);

    assert!(s3.get_object().bucket("cond").key("k").if_match(&etag).send().await.is_ok());
    let err = s3.get_object().bucket("cond").key("k").if_match("\"nope\"").send().await.unwrap_err();
    assert_eq!(status(&err), 412);
    let err = s3.get_object().bucket("cond").key("k").if_none_match(&etag).send().await.unwrap_err();
    assert_eq!(status(&err), 304);
    let err = s3.get_object().bucket("cond").key("k").if_modified_since(modified).send().await.unwrap_err();
    assert_eq!(status(&err), 304);
    assert!(s3.get_object().bucket("cond").key("k").if_modified_since(earlier).send().await.is_ok());
    let err = s3.get_object().bucket("cond").key("k").if_unmodified_since(earlier).send().await.unwrap_err();
    assert_eq!(status(&err), 412);
    let err = s3.head_object().bucket("cond").key("k").if_none_match(&etag).send().await.unwrap_err();
    assert_eq!(status(&err), 304);

    // Conditional writes.
    let err = s3
        .put_object()
        .bucket("cond")
        .key("k")
        .if_none_match("*")
        .body(b"v2".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PreconditionFailed");
    s3.put_object().bucket("cond").key("new").if_none_match("*").body(b"n".to_vec().into()).send().await.unwrap();
    let err = s3
        .put_object()
        .bucket("cond")
        .key("k")
        .if_match("\"nope\"")
        .body(b"v2".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PreconditionFailed");
    let err = s3
        .put_object()
        .bucket("cond")
        .key("absent")
        .if_match(&etag)
        .body(b"v2".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    s3.put_object().bucket("cond").key("k").if_match(&etag).body(b"v2".to_vec().into()).send().await.unwrap();
    let got = s3.get_object().bucket("cond").key("k").send().await.unwrap();
    assert_eq!(body_of(got).await, b"v2");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_and_missing_keys() {
    let (_server, s3) = with_bucket("del").await;
    s3.put_object().bucket("del").key("k").body(b"x".to_vec().into()).send().await.unwrap();
    s3.delete_object().bucket("del").key("k").send().await.unwrap();
    let err = s3.get_object().bucket("del").key("k").send().await.unwrap_err();
    assert_eq!((code(&err).as_str(), status(&err)), ("NoSuchKey", 404));
    // Deleting a missing key succeeds, as in S3.
    s3.delete_object().bucket("del").key("k").send().await.unwrap();
    let err = s3.put_object().bucket("del").key("k".repeat(1025)).body(b"x".to_vec().into()).send().await.unwrap_err();
    assert_eq!(code(&err), "KeyTooLongError");
    s3.put_object().bucket("del").key("k".repeat(1024)).body(b"x".to_vec().into()).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_object() {
    let (_server, s3) = with_bucket("copy").await;
    s3.create_bucket().bucket("copy-dest").send().await.unwrap();
    let data = bytes(400_000, 9);
    let put = s3
        .put_object()
        .bucket("copy")
        .key("src key")
        .body(data.clone().into())
        .content_type("text/x-src")
        .metadata("m", "1")
        .tagging("t=1")
        .send()
        .await
        .unwrap();

    let out = s3.copy_object().bucket("copy-dest").key("same").copy_source("copy/src%20key").send().await.unwrap();
    assert_eq!(out.copy_object_result().and_then(|r| r.e_tag()), put.e_tag());
    let got = s3.get_object().bucket("copy-dest").key("same").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/x-src"));
    assert_eq!(got.metadata().unwrap().get("m").map(String::as_str), Some("1"));
    assert_eq!(got.tag_count(), Some(1));
    assert_eq!(body_of(got).await, data);

    s3.copy_object()
        .bucket("copy")
        .key("replaced")
        .copy_source("copy/src%20key")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/x-new")
        .metadata("n", "2")
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("copy").key("replaced").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/x-new"));
    assert_eq!(head.metadata().unwrap().get("n").map(String::as_str), Some("2"));
    assert!(head.metadata().unwrap().get("m").is_none());

    let err = s3.copy_object().bucket("copy").key("src key").copy_source("copy/src%20key").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    s3.copy_object()
        .bucket("copy")
        .key("src key")
        .copy_source("copy/src%20key")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("m", "changed")
        .send()
        .await
        .unwrap();

    let err = s3
        .copy_object()
        .bucket("copy")
        .key("x")
        .copy_source("copy/src%20key")
        .copy_source_if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&err).as_str(), status(&err)), ("PreconditionFailed", 412));
    let err = s3
        .copy_object()
        .bucket("copy")
        .key("x")
        .copy_source("copy/src%20key")
        .copy_source_if_none_match(put.e_tag().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    let err = s3.copy_object().bucket("copy").key("x").copy_source("copy/absent").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
}

#[tokio::test(flavor = "multi_thread")]
async fn tagging() {
    let (_server, s3) = with_bucket("tags").await;
    s3.put_object().bucket("tags").key("k").body(b"x".to_vec().into()).send().await.unwrap();
    let tags = Tagging::builder()
        .tag_set(Tag::builder().key("env").value("prod").build().unwrap())
        .tag_set(Tag::builder().key("team").value("a&b <c>").build().unwrap())
        .build()
        .unwrap();
    s3.put_object_tagging().bucket("tags").key("k").tagging(tags).send().await.unwrap();
    let got = s3.get_object_tagging().bucket("tags").key("k").send().await.unwrap();
    let pairs: Vec<_> = got.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("env", "prod"), ("team", "a&b <c>")]);
    s3.delete_object_tagging().bucket("tags").key("k").send().await.unwrap();
    assert!(s3.get_object_tagging().bucket("tags").key("k").send().await.unwrap().tag_set().is_empty());

    let dup = Tagging::builder()
        .tag_set(Tag::builder().key("a").value("1").build().unwrap())
        .tag_set(Tag::builder().key("a").value("2").build().unwrap())
        .build()
        .unwrap();
    let err = s3.put_object_tagging().bucket("tags").key("k").tagging(dup).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidTag");
    let err = s3
        .put_object()
        .bucket("tags")
        .key("k2")
        .tagging((0..11).map(|i| format!("k{i}=1")).collect::<Vec<_>>().join("&"))
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    // What the service answers for too many (its documentation names InvalidTag for a bad tag).
    assert_eq!((status(&err), code(&err).as_str()), (400, "BadRequest"));
    assert!(format!("{err:?}").contains("Object tags cannot be greater than 10"));
    let eleven = Tagging::builder()
        .set_tag_set(Some((0..11).map(|i| Tag::builder().key(format!("k{i}")).value("v").build().unwrap()).collect()))
        .build()
        .unwrap();
    let err = s3.put_object_tagging().bucket("tags").key("k").tagging(eleven).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "BadRequest"));
    let err = s3.get_object_tagging().bucket("tags").key("absent").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_objects() {
    let (_server, s3) = with_bucket("multi").await;
    for i in 0..20 {
        s3.put_object().bucket("multi").key(format!("k{i:02}")).body(b"x".to_vec().into()).send().await.unwrap();
    }
    let ids = |range: std::ops::Range<i32>| -> Vec<ObjectIdentifier> {
        range.map(|i| ObjectIdentifier::builder().key(format!("k{i:02}")).build().unwrap()).collect()
    };
    let out = s3
        .delete_objects()
        .bucket("multi")
        .delete(Delete::builder().set_objects(Some(ids(0..10))).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 10);
    assert!(out.errors().is_empty());
    let out = s3
        .delete_objects()
        .bucket("multi")
        .delete(Delete::builder().set_objects(Some(ids(5..20))).quiet(true).build().unwrap())
        .send()
        .await
        .unwrap();
    assert!(out.deleted().is_empty(), "quiet mode reports only errors");
    assert_eq!(s3.list_objects_v2().bucket("multi").send().await.unwrap().key_count(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_survive_sigkill() {
    let (server, s3) = super::harness::with_bucket_on_disk("durable").await;
    for i in 0..20 {
        s3.put_object().bucket("durable").key(format!("k{i:02}")).body(bytes(5000, i).into()).send().await.unwrap();
    }
    s3.delete_object().bucket("durable").key("k00").send().await.unwrap();
    let dir = server.kill();
    let server = super::harness::Server::start_in(dir, &[super::harness::ON_DISK]);
    let s3 = server.client();
    let listed = s3.list_objects_v2().bucket("durable").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(19));
    for i in 1..20 {
        let got = s3.get_object().bucket("durable").key(format!("k{i:02}")).send().await.unwrap();
        assert_eq!(body_of(got).await, bytes(5000, i));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn corruption_is_an_error_and_scrub_reports_it() {
    let (server, s3) = super::harness::with_bucket_on_disk("scrub").await;
    // Above the inline limit, so both damaged objects are files.
    s3.put_object().bucket("scrub").key("small").body(bytes(100_000, 1).into()).send().await.unwrap();
    s3.put_object().bucket("scrub").key("large").body(bytes(3 << 20, 2).into()).send().await.unwrap();
    s3.put_object().bucket("scrub").key("fine").body(bytes(1000, 3).into()).send().await.unwrap();
    // Flip one byte in the middle of every blob of the two damaged objects.
    let blobs = server.data_dir().join("hot/blobs");
    let mut files: Vec<_> = std::fs::read_dir(&blobs)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .collect();
    files.sort_by_key(|f| std::fs::metadata(f).unwrap().len());
    assert_eq!(files.len(), 2, "the 1,000-byte object is stored inline, in the metadata");
    for f in [&files[0], &files[1]] {
        let mut data = std::fs::read(f).unwrap();
        let mid = data.len() / 2;
        data[mid] ^= 0xFF;
        std::fs::write(f, data).unwrap();
    }
    let err = s3.get_object().bucket("scrub").key("small").send().await.unwrap_err();
    assert_eq!(status(&err), 500, "a corrupt small object is an error, not bad bytes");
    let large = s3.get_object().bucket("scrub").key("large").send().await.unwrap();
    assert!(large.body.collect().await.is_err(), "a corrupt streamed object breaks the transfer");
    assert_eq!(body_of(s3.get_object().bucket("scrub").key("fine").send().await.unwrap()).await, bytes(1000, 3));

    // Offline, on the server's metadata (sled's files, or its PostgreSQL database).
    let env = server.env.clone();
    let dir = server.kill();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["admin", "scrub"])
        .env("FIRN_DATA_DIR", dir.path().join("data"))
        .envs(env)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "scrub exits non-zero when damage is found");
    assert!(stdout.contains("DAMAGED scrub/small") && stdout.contains("DAMAGED scrub/large"), "{stdout}");
    assert!(stdout.contains("3 versions") && stdout.contains("2 damaged"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_keys_stay_keys() {
    let (server, s3) = with_bucket("hostile").await;
    let keys = ["../../../escape", "/etc/passwd", "a/../../b", "..", "k\u{7f}\u{1}ctrl", "日本語/ファイル"];
    for (i, k) in keys.iter().enumerate() {
        s3.put_object().bucket("hostile").key(*k).body(bytes(100, i as u64).into()).send().await.unwrap();
    }
    for (i, k) in keys.iter().enumerate() {
        let got = s3.get_object().bucket("hostile").key(*k).send().await.unwrap();
        assert_eq!(body_of(got).await, bytes(100, i as u64), "{k:?}");
    }
    let listed = s3.list_objects_v2().bucket("hostile").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(keys.len() as i32));
    // Keys never become paths: nothing named after them exists near the data directory.
    let data = server.data_dir();
    for dir in [data.clone(), data.parent().unwrap().to_owned(), data.join("hot")] {
        for name in ["escape", "b", "passwd"] {
            assert!(!dir.join(name).exists(), "{}/{name}", dir.display());
        }
    }
}

/// If-Match and If-None-Match with an ETag on PUT and CompleteMultipartUpload (they were 501), and
/// conditional deletes: If-Match, x-amz-if-match-last-modified-time and x-amz-if-match-size on
/// DeleteObject, and DeleteObjects' per-object ETag, LastModifiedTime and Size (they were ignored).
#[tokio::test]
async fn conditional_writes_and_deletes() {
    let (_server, s3) = with_bucket("condw").await;
    let put =
        |key: &'static str, body: &'static [u8]| s3.put_object().bucket("condw").key(key).body(body.to_vec().into());
    let e1 = put("k", b"one").send().await.unwrap().e_tag().unwrap().to_owned();
    let err = put("k", b"two").if_none_match(&e1).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (412, "PreconditionFailed"));
    let e2 = put("k", b"two").if_none_match("\"0123456789abcdef0123456789abcdef\"").send().await.unwrap();
    let e2 = e2.e_tag().unwrap().to_owned();
    let err = put("k", b"three").if_match(&e1).send().await.unwrap_err();
    assert_eq!(code(&err), "PreconditionFailed");
    put("k", b"three").if_match(&e2).send().await.expect("the current ETag matches");
    let err = put("absent", b"x").if_match(&e2).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");

    // CompleteMultipartUpload takes the same conditions.
    let current = s3.head_object().bucket("condw").key("k").send().await.unwrap().e_tag().unwrap().to_owned();
    for (if_match, if_none_match, ok) in
        [(None, Some(current.clone()), false), (Some(e1.clone()), None, false), (Some(current.clone()), None, true)]
    {
        let up = s3.create_multipart_upload().bucket("condw").key("k").send().await.unwrap();
        let id = up.upload_id().unwrap();
        let done = super::harness::one_part(&s3, "condw", "k", id, b"mp").await;
        let got = s3
            .complete_multipart_upload()
            .bucket("condw")
            .key("k")
            .upload_id(id)
            .multipart_upload(done)
            .set_if_match(if_match)
            .set_if_none_match(if_none_match)
            .send()
            .await;
        match got {
            Ok(_) => assert!(ok),
            Err(e) => assert_eq!((ok, code(&e).as_str()), (false, "PreconditionFailed")),
        }
    }

    // DeleteObject.
    let head = s3.head_object().bucket("condw").key("k").send().await.unwrap();
    let (etag, size, modified) =
        (head.e_tag().unwrap().to_owned(), head.content_length().unwrap(), *head.last_modified().unwrap());
    let err = s3.delete_object().bucket("condw").key("k").if_match(&e1).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (412, "PreconditionFailed"));
    let err = s3.delete_object().bucket("condw").key("k").if_match_size(size + 1).send().await.unwrap_err();
    assert_eq!(code(&err), "PreconditionFailed");
    let earlier = DateTime::from_secs(modified.secs() - 60);
    let err =
        s3.delete_object().bucket("condw").key("k").if_match_last_modified_time(earlier).send().await.unwrap_err();
    assert_eq!(code(&err), "PreconditionFailed");
    s3.delete_object()
        .bucket("condw")
        .key("k")
        .if_match(&etag)
        .if_match_size(size)
        .if_match_last_modified_time(modified)
        .send()
        .await
        .expect("every condition holds");
    let err = s3.delete_object().bucket("condw").key("k").if_match(&etag).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchKey", "an ETag condition needs an object");
    s3.delete_object().bucket("condw").key("k").if_match_size(3).send().await.expect("time and size on nothing: 204");

    // DeleteObjects, per object.
    let ea = put("a", b"aaa").send().await.unwrap().e_tag().unwrap().to_owned();
    put("b", b"bbb").send().await.unwrap();
    let ids = vec![
        ObjectIdentifier::builder().key("a").e_tag(&ea).size(3).build().unwrap(),
        ObjectIdentifier::builder().key("b").e_tag(&ea).build().unwrap(),
        ObjectIdentifier::builder().key("b").size(4).build().unwrap(),
    ];
    let out = s3
        .delete_objects()
        .bucket("condw")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().iter().map(|d| d.key().unwrap()).collect::<Vec<_>>(), ["a"]);
    assert_eq!(out.errors().len(), 2);
    assert!(out.errors().iter().all(|e| e.code() == Some("PreconditionFailed")), "{:?}", out.errors());
    s3.head_object().bucket("condw").key("b").send().await.expect("b stays");
}

/// Headers as S3 returns them: non-ASCII metadata RFC 2047-encoded (it came back mis-encoded),
/// several content codings joined with ", " (they were joined with ","), and no version id from a
/// bucket that never had versioning (a DELETE with `versionId=null` named one).
#[tokio::test]
async fn headers_as_s3_returns_them() {
    let (server, s3) = with_bucket("hdrs").await;
    let host = server.addr.clone();
    let mut put = super::raw::V4::new("PUT", &host, "/hdrs/meta", "", b"x");
    put.headers.push(("x-amz-meta-name".into(), "=?UTF-8?B?Wm/DqyDmnbHkuqw=?=".into()));
    put.headers.push(("x-amz-meta-plain".into(), "ascii".into()));
    assert_eq!(put.send(b"x".to_vec()).await.status, 200);
    let head = s3.head_object().bucket("hdrs").key("meta").send().await.unwrap();
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("name").map(String::as_str), Some("=?UTF-8?B?Wm/DqyDmnbHkuqw=?="));
    assert_eq!(meta.get("plain").map(String::as_str), Some("ascii"));
    // Stored decoded: a copy that replaces nothing keeps the same encoded value.
    s3.copy_object().bucket("hdrs").key("meta2").copy_source("hdrs/meta").send().await.unwrap();
    let head = s3.head_object().bucket("hdrs").key("meta2").send().await.unwrap();
    assert_eq!(head.metadata().unwrap().get("name").map(String::as_str), Some("=?UTF-8?B?Wm/DqyDmnbHkuqw=?="));

    s3.put_object()
        .bucket("hdrs")
        .key("ce")
        .content_encoding("deflate, gzip")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("hdrs").key("ce").send().await.unwrap();
    assert_eq!(head.content_encoding(), Some("deflate, gzip"));

    let del = super::raw::V4::new("DELETE", &host, "/hdrs/ce", "versionId=null", b"").send(Vec::new()).await;
    assert_eq!(del.status, 204);
    assert!(del.headers.get("x-amz-version-id").is_none(), "{:?}", del.headers);
    let put = s3.put_object().bucket("hdrs").key("v").body(b"x".to_vec().into()).send().await.unwrap();
    assert_eq!(put.version_id(), None);
}

/// Until encryption at rest exists, a request that asks for it is refused (501 NotImplemented,
/// naming the header) and nothing is stored: never bytes in the clear under an encryption header,
/// never an SSE-C object readable without its key.
#[tokio::test(flavor = "multi_thread")]
async fn requests_asking_for_encryption_are_not_implemented_and_store_nothing() {
    use aws_sdk_s3::types::ServerSideEncryption;
    let (_server, s3) = with_bucket("enc").await;
    s3.put_object().bucket("enc").key("plain").body(b"plain".to_vec().into()).send().await.unwrap();
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let key_md5 = {
        use md5::Digest;
        base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest([7u8; 32]))
    };
    let refused = |e: &aws_sdk_s3::error::SdkError<_, aws_smithy_runtime_api::http::Response>, header: &str| {
        let raw = e.raw_response().expect("an answer");
        let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default()).to_string();
        (raw.status().as_u16(), body.contains(header))
    };
    use base64::Engine as _;
    let e = s3
        .put_object()
        .bucket("enc")
        .key("sse-s3")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e).as_str(), refused(&e, "x-amz-server-side-encryption")), ("NotImplemented", (501, true)));
    let e = s3
        .put_object()
        .bucket("enc")
        .key("sse-kms")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("alias/mine")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NotImplemented");
    let e = s3
        .put_object()
        .bucket("enc")
        .key("sse-c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&key_md5)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e).as_str(), status(&e)), ("NotImplemented", 501));
    let e = s3
        .copy_object()
        .bucket("enc")
        .key("copied")
        .copy_source("enc/plain")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NotImplemented");
    let e = s3
        .create_multipart_upload()
        .bucket("enc")
        .key("mp")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NotImplemented");
    // Reads naming a customer key: there is no SSE-C object to read with it.
    let e = s3
        .get_object()
        .bucket("enc")
        .key("plain")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&key_md5)
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e).as_str(), status(&e)), ("NotImplemented", 501));
    let e = s3
        .head_object()
        .bucket("enc")
        .key("plain")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&key_md5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 501);
    let listed = s3.list_objects_v2().bucket("enc").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["plain"], "nothing stored");
    assert_eq!(s3.list_multipart_uploads().bucket("enc").send().await.unwrap().uploads().len(), 0);
}

/// The `<Condition>` of an error document.
fn condition<E>(e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> String {
    let body = e.raw_response().and_then(|r| r.body().bytes()).unwrap_or_default();
    let body = String::from_utf8_lossy(body);
    body.split("<Condition>").nth(1).and_then(|r| r.split("</Condition>").next()).unwrap_or("").to_owned()
}

/// A refused conditional write names the header that failed, as reads do (filesystem layers over
/// S3 turn `If-None-Match` into "file exists").
#[tokio::test(flavor = "multi_thread")]
async fn refused_conditional_writes_name_their_condition() {
    let (_server, s3) = with_bucket("cond").await;
    let put = s3.put_object().bucket("cond").key("k").body(b"one".to_vec().into()).send().await.unwrap();
    let err = s3.put_object().bucket("cond").key("k").if_none_match("*").body(b"two".to_vec().into()).send().await;
    let err = err.unwrap_err();
    assert_eq!((status(&err), condition(&err).as_str()), (412, "If-None-Match"));
    let err = s3.put_object().bucket("cond").key("k").if_match("\"0000\"").body(b"two".to_vec().into()).send().await;
    let err = err.unwrap_err();
    assert_eq!((status(&err), condition(&err).as_str()), (412, "If-Match"));
    let err = s3
        .put_object()
        .bucket("cond")
        .key("k")
        .if_none_match(put.e_tag().unwrap())
        .body(b"two".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(condition(&err), "If-None-Match");

    s3.put_object().bucket("cond").key("src").body(b"source".to_vec().into()).send().await.unwrap();
    let err = s3.copy_object().bucket("cond").key("k").copy_source("cond/src").if_none_match("*").send().await;
    let err = err.unwrap_err();
    assert_eq!((status(&err), condition(&err).as_str()), (412, "If-None-Match"));
    let err = s3.copy_object().bucket("cond").key("k").copy_source("cond/src").if_match("\"1111\"").send().await;
    assert_eq!(condition(&err.unwrap_err()), "If-Match");

    let up = s3.create_multipart_upload().bucket("cond").key("k").send().await.unwrap();
    let done = super::harness::one_part(&s3, "cond", "k", up.upload_id().unwrap(), b"three").await;
    let complete = || {
        s3.complete_multipart_upload()
            .bucket("cond")
            .key("k")
            .upload_id(up.upload_id().unwrap())
            .multipart_upload(done.clone())
    };
    let err = complete().if_none_match("*").send().await.unwrap_err();
    assert_eq!((status(&err), condition(&err).as_str()), (412, "If-None-Match"));
    let err = complete().if_match("\"2222\"").send().await.unwrap_err();
    assert_eq!((status(&err), condition(&err).as_str()), (412, "If-Match"));
    complete().if_match(put.e_tag().unwrap()).send().await.unwrap();
}
