use super::harness::{bytes, code, md5_hex, status, with_bucket};
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;

const MIB: usize = 1 << 20;

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts.iter().map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(*e).build()).collect(),
        ))
        .build()
}

async fn upload_part(s3: &Client, bucket: &str, key: &str, id: &str, n: i32, data: &[u8]) -> String {
    let out = s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .part_number(n)
        .body(data.to_vec().into())
        .send()
        .await
        .unwrap();
    out.e_tag().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn full_upload_list_complete_and_read_parts() {
    let (_server, s3) = with_bucket("mpu").await;
    let create = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big/file")
        .content_type("video/x-test")
        .metadata("m", "v")
        .send()
        .await
        .unwrap();
    let id = create.upload_id().unwrap().to_owned();
    let parts = [bytes(5 * MIB, 1), bytes(5 * MIB, 2), bytes(1000, 3)];
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        etags.push(upload_part(&s3, "mpu", "big/file", &id, i as i32 + 1, p).await);
    }
    // Re-uploading a part replaces it.
    etags[2] = upload_part(&s3, "mpu", "big/file", &id, 3, &parts[2]).await;

    let listed = s3.list_parts().bucket("mpu").key("big/file").upload_id(&id).max_parts(2).send().await.unwrap();
    assert_eq!(listed.parts().len(), 2);
    assert_eq!(listed.is_truncated(), Some(true));
    let rest = s3
        .list_parts()
        .bucket("mpu")
        .key("big/file")
        .upload_id(&id)
        .part_number_marker(listed.next_part_number_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.parts().iter().map(|p| (p.part_number(), p.size())).collect::<Vec<_>>(), [(Some(3), Some(1000))]);

    let uploads = s3.list_multipart_uploads().bucket("mpu").send().await.unwrap();
    assert_eq!(uploads.uploads().iter().map(|u| u.upload_id().unwrap()).collect::<Vec<_>>(), [id.as_str()]);

    let pairs: Vec<(i32, &str)> = etags.iter().enumerate().map(|(i, e)| (i as i32 + 1, e.as_str())).collect();
    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big/file")
        .upload_id(&id)
        .multipart_upload(completed(&pairs))
        .send()
        .await
        .unwrap();
    assert!(done.e_tag().unwrap().ends_with("-3\""), "{:?}", done.e_tag());

    let whole: Vec<u8> = parts.concat();
    let got = s3.get_object().bucket("mpu").key("big/file").send().await.unwrap();
    assert_eq!(got.content_type(), Some("video/x-test"));
    assert_eq!(got.metadata().unwrap().get("m").map(String::as_str), Some("v"));
    assert_eq!(got.e_tag(), done.e_tag());
    assert_eq!(md5_hex(&got.body.collect().await.unwrap().into_bytes()), md5_hex(&whole));

    let part2 = s3.get_object().bucket("mpu").key("big/file").part_number(2).send().await.unwrap();
    assert_eq!(part2.parts_count(), Some(3));
    assert_eq!(part2.content_range(), Some(format!("bytes {}-{}/{}", 5 * MIB, 10 * MIB - 1, whole.len()).as_str()));
    assert_eq!(md5_hex(&part2.body.collect().await.unwrap().into_bytes()), md5_hex(&parts[1]));
    let head = s3.head_object().bucket("mpu").key("big/file").part_number(3).send().await.unwrap();
    assert_eq!(head.content_length(), Some(1000));
    // Out of range is S3's 400 InvalidPartNumber (it was a 416).
    let err = s3.get_object().bucket("mpu").key("big/file").part_number(4).send().await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidPartNumber"));
    let err = s3.head_object().bucket("mpu").key("big/file").part_number(4).send().await.unwrap_err();
    assert_eq!(status(&err), 400);

    let attrs = s3
        .get_object_attributes()
        .bucket("mpu")
        .key("big/file")
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::Etag)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::ObjectParts)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::ObjectSize)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::StorageClass)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.e_tag().map(|e| format!("\"{e}\"")), done.e_tag().map(str::to_owned));
    assert_eq!(attrs.object_size(), Some(whole.len() as i64));
    assert_eq!(attrs.object_parts().and_then(|p| p.total_parts_count()), Some(3));
    assert_eq!(attrs.storage_class().map(|c| c.as_str()), Some("STANDARD"));

    assert!(s3.list_multipart_uploads().bucket("mpu").send().await.unwrap().uploads().is_empty());
    // The upload is gone; a retry of its completion gets the same answer, as from S3.
    let again = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big/file")
        .upload_id(&id)
        .multipart_upload(completed(&pairs))
        .send()
        .await
        .unwrap();
    assert_eq!(again.e_tag(), done.e_tag());
    let err = s3.list_parts().bucket("mpu").key("big/file").upload_id(&id).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
}

#[tokio::test(flavor = "multi_thread")]
async fn completion_and_part_errors() {
    let (_server, s3) = with_bucket("mpuerr").await;
    let id =
        s3.create_multipart_upload().bucket("mpuerr").key("k").send().await.unwrap().upload_id().unwrap().to_owned();
    let small = upload_part(&s3, "mpuerr", "k", &id, 1, &bytes(1000, 1)).await;
    let last = upload_part(&s3, "mpuerr", "k", &id, 2, &bytes(1000, 2)).await;

    let complete = |parts: Vec<(i32, String)>| {
        let s3 = s3.clone();
        let id = id.clone();
        async move {
            let refs: Vec<(i32, &str)> = parts.iter().map(|(n, e)| (*n, e.as_str())).collect();
            s3.complete_multipart_upload()
                .bucket("mpuerr")
                .key("k")
                .upload_id(&id)
                .multipart_upload(completed(&refs))
                .send()
                .await
        }
    };
    let err = complete(vec![(1, small.clone()), (2, last.clone())]).await.unwrap_err();
    assert_eq!(code(&err), "EntityTooSmall");
    let err = complete(vec![(1, "\"0000\"".into())]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidPart");
    let err = complete(vec![(2, last.clone()), (1, small.clone())]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidPartOrder");
    let err = complete(vec![(3, last.clone())]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidPart");

    for bad in [0, 10_001] {
        let err = s3
            .upload_part()
            .bucket("mpuerr")
            .key("k")
            .upload_id(&id)
            .part_number(bad)
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidArgument", "part {bad}");
    }
    let err = s3
        .upload_part()
        .bucket("mpuerr")
        .key("k")
        .upload_id("nope")
        .part_number(1)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
    let err = s3
        .upload_part()
        .bucket("mpuerr")
        .key("other")
        .upload_id(&id)
        .part_number(1)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload", "an upload id belongs to its key");

    // A single small part is a valid (last) part.
    complete(vec![(2, last.clone())]).await.unwrap();
    let got = s3.get_object().bucket("mpuerr").key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), bytes(1000, 2));

    let id2 =
        s3.create_multipart_upload().bucket("mpuerr").key("gone").send().await.unwrap().upload_id().unwrap().to_owned();
    upload_part(&s3, "mpuerr", "gone", &id2, 1, &bytes(100, 1)).await;
    let err = s3.delete_bucket().bucket("mpuerr").send().await.unwrap_err();
    assert_eq!(code(&err), "BucketNotEmpty");
    s3.abort_multipart_upload().bucket("mpuerr").key("gone").upload_id(&id2).send().await.unwrap();
    let err = s3.list_parts().bucket("mpuerr").key("gone").upload_id(&id2).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
    let err = s3.abort_multipart_upload().bucket("mpuerr").key("gone").upload_id(&id2).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
    s3.delete_object().bucket("mpuerr").key("k").send().await.unwrap();
    s3.delete_bucket().bucket("mpuerr").send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_part_copy_with_ranges() {
    let (_server, s3) = with_bucket("mpucopy").await;
    let src = bytes(7 * MIB, 5);
    s3.put_object().bucket("mpucopy").key("src").body(src.clone().into()).send().await.unwrap();
    let id =
        s3.create_multipart_upload().bucket("mpucopy").key("dst").send().await.unwrap().upload_id().unwrap().to_owned();
    let p1 = s3
        .upload_part_copy()
        .bucket("mpucopy")
        .key("dst")
        .upload_id(&id)
        .part_number(1)
        .copy_source("mpucopy/src")
        .copy_source_range(format!("bytes=0-{}", 5 * MIB - 1))
        .send()
        .await
        .unwrap();
    let p2 = s3
        .upload_part_copy()
        .bucket("mpucopy")
        .key("dst")
        .upload_id(&id)
        .part_number(2)
        .copy_source("mpucopy/src")
        .copy_source_range(format!("bytes={}-{}", 6 * MIB, 7 * MIB - 1))
        .send()
        .await
        .unwrap();
    let e1 = p1.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    let e2 = p2.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    let err = s3
        .upload_part_copy()
        .bucket("mpucopy")
        .key("dst")
        .upload_id(&id)
        .part_number(3)
        .copy_source("mpucopy/src")
        .copy_source_range(format!("bytes=0-{}", 7 * MIB))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRange", "beyond the source: S3's InvalidRange (it was InvalidArgument)");
    for malformed in ["bytes=abc", "bytes=5-1", "0-1"] {
        let err = s3
            .upload_part_copy()
            .bucket("mpucopy")
            .key("dst")
            .upload_id(&id)
            .part_number(3)
            .copy_source("mpucopy/src")
            .copy_source_range(malformed)
            .send()
            .await
            .unwrap_err();
        assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidArgument"), "{malformed}");
    }
    s3.complete_multipart_upload()
        .bucket("mpucopy")
        .key("dst")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (2, &e2)]))
        .send()
        .await
        .unwrap();
    let got = s3.get_object().bucket("mpucopy").key("dst").send().await.unwrap();
    let want = [&src[..5 * MIB], &src[6 * MIB..]].concat();
    assert_eq!(md5_hex(&got.body.collect().await.unwrap().into_bytes()), md5_hex(&want));
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_checksums_composite_and_full_object() {
    let (_server, s3) = with_bucket("mpusum").await;
    let parts = [bytes(5 * MIB, 8), bytes(3000, 9)];
    let whole = parts.concat();
    let cases = [
        (ChecksumAlgorithm::Crc32, None, "COMPOSITE"),
        (ChecksumAlgorithm::Crc32, Some(ChecksumType::FullObject), "FULL_OBJECT"),
        (ChecksumAlgorithm::Crc32C, Some(ChecksumType::FullObject), "FULL_OBJECT"),
        (ChecksumAlgorithm::Crc64Nvme, None, "FULL_OBJECT"),
        (ChecksumAlgorithm::Sha256, None, "COMPOSITE"),
        (ChecksumAlgorithm::Sha1, Some(ChecksumType::Composite), "COMPOSITE"),
        (ChecksumAlgorithm::Crc32C, None, "COMPOSITE"),
    ];
    for (alg, kind, want_kind) in cases {
        let key = format!("{}-{want_kind}", alg.as_str());
        let create = s3
            .create_multipart_upload()
            .bucket("mpusum")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .set_checksum_type(kind.clone())
            .send()
            .await
            .unwrap();
        let id = create.upload_id().unwrap().to_owned();
        let mut done = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            let out = s3
                .upload_part()
                .bucket("mpusum")
                .key(&key)
                .upload_id(&id)
                .part_number(i as i32 + 1)
                .checksum_algorithm(alg.clone())
                .body(p.clone().into())
                .send()
                .await
                .unwrap();
            done.push(
                CompletedPart::builder()
                    .part_number(i as i32 + 1)
                    .e_tag(out.e_tag().unwrap())
                    .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                    .set_checksum_crc32_c(out.checksum_crc32_c().map(str::to_owned))
                    .set_checksum_crc64_nvme(out.checksum_crc64_nvme().map(str::to_owned))
                    .set_checksum_sha256(out.checksum_sha256().map(str::to_owned))
                    .set_checksum_sha1(out.checksum_sha1().map(str::to_owned))
                    .build(),
            );
        }
        s3.complete_multipart_upload()
            .bucket("mpusum")
            .key(&key)
            .upload_id(&id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
        let head =
            s3.head_object().bucket("mpusum").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        assert_eq!(head.checksum_type().map(|t| t.as_str()), Some(want_kind), "{key}");
        let value = [
            head.checksum_crc32(),
            head.checksum_crc32_c(),
            head.checksum_crc64_nvme(),
            head.checksum_sha256(),
            head.checksum_sha1(),
        ]
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_else(|| panic!("{key}: no checksum"))
        .to_owned();
        if want_kind == "COMPOSITE" {
            assert!(value.ends_with("-2"), "{key}: {value}");
        } else {
            // A full-object CRC equals the CRC of the whole object: check it independently.
            let expected = match alg {
                ChecksumAlgorithm::Crc32 => b64(&crc32fast::hash(&whole).to_be_bytes()),
                ChecksumAlgorithm::Crc32C => b64(&crc32c::crc32c(&whole).to_be_bytes()),
                _ => {
                    let mut d = crc64fast_nvme::Digest::new();
                    d.write(&whole);
                    b64(&d.sum64().to_be_bytes())
                }
            };
            assert_eq!(value, expected, "{key}");
        }
        let attrs = s3
            .get_object_attributes()
            .bucket("mpusum")
            .key(&key)
            .object_attributes(aws_sdk_s3::types::ObjectAttributes::Checksum)
            .object_attributes(aws_sdk_s3::types::ObjectAttributes::ObjectParts)
            .send()
            .await
            .unwrap();
        assert_eq!(attrs.checksum().and_then(|c| c.checksum_type()).map(|t| t.as_str()), Some(want_kind), "{key}");
        let part_sums = attrs.object_parts().map(|p| p.parts().len()).unwrap_or(0);
        assert_eq!(part_sums, 2, "{key}");
        // The SDK validates the full-object checksum of the body it downloads, too.
        let got = s3.get_object().bucket("mpusum").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        assert_eq!(md5_hex(&got.body.collect().await.unwrap().into_bytes()), md5_hex(&whole));
    }

    // A part without the upload's checksum is refused.
    let id = s3
        .create_multipart_upload()
        .bucket("mpusum")
        .key("strict")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let err = s3
        .upload_part()
        .bucket("mpusum")
        .key("strict")
        .upload_id(&id)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    let err = s3
        .create_multipart_upload()
        .bucket("mpusum")
        .key("bad")
        .checksum_algorithm(ChecksumAlgorithm::Sha1)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread")]
async fn min_part_size_is_a_named_option() {
    let server = super::harness::Server::start_with(&[("FIRN_MIN_PART_SIZE", "1")]);
    let s3 = server.client();
    s3.create_bucket().bucket("tiny").send().await.unwrap();
    let id = s3.create_multipart_upload().bucket("tiny").key("k").send().await.unwrap().upload_id().unwrap().to_owned();
    let e1 = upload_part(&s3, "tiny", "k", &id, 1, b"ab").await;
    let e2 = upload_part(&s3, "tiny", "k", &id, 2, b"cd").await;
    s3.complete_multipart_upload()
        .bucket("tiny")
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1), (2, &e2)]))
        .send()
        .await
        .unwrap();
    let got = s3.get_object().bucket("tiny").key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"abcd");
}

/// A retried CompleteMultipartUpload of an upload that just completed answers 200 with the same
/// result (it answered NoSuchUpload), while the object it made is there and for a lifecycle day.
#[tokio::test]
async fn a_retried_completion_gets_the_same_answer() {
    let server = super::harness::Server::start_with(&[
        ("FIRN_MIN_PART_SIZE", "1"),
        ("FIRN_LIFECYCLE_DAY_SECS", "2"),
        ("FIRN_LIFECYCLE_INTERVAL_SECS", "0.2"),
    ]);
    let s3 = server.client();
    s3.create_bucket().bucket("retry").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("retry")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let up = s3.create_multipart_upload().bucket("retry").key("k").send().await.unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let e1 = upload_part(&s3, "retry", "k", &id, 1, b"first part").await;
    let complete = || {
        s3.complete_multipart_upload().bucket("retry").key("k").upload_id(&id).multipart_upload(completed(&[(1, &e1)]))
    };
    let first = complete().send().await.unwrap();
    let again = complete().send().await.expect("a retry succeeds");
    assert_eq!((again.e_tag(), again.version_id()), (first.e_tag(), first.version_id()));
    // Another upload id, never completed, is still unknown.
    let err = s3
        .complete_multipart_upload()
        .bucket("retry")
        .key("k")
        .upload_id("nope")
        .multipart_upload(completed(&[(1, &e1)]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
    // Once the version it made is gone, so is the answer.
    s3.delete_object().bucket("retry").key("k").version_id(first.version_id().unwrap()).send().await.unwrap();
    assert_eq!(code(&complete().send().await.unwrap_err()), "NoSuchUpload");

    // And a lifecycle day after the completion, it is forgotten.
    let up = s3.create_multipart_upload().bucket("retry").key("k2").send().await.unwrap();
    let id2 = up.upload_id().unwrap().to_owned();
    let e = upload_part(&s3, "retry", "k2", &id2, 1, b"part").await;
    let complete2 = || {
        s3.complete_multipart_upload().bucket("retry").key("k2").upload_id(&id2).multipart_upload(completed(&[(1, &e)]))
    };
    complete2().send().await.unwrap();
    complete2().send().await.expect("within the day");
    let mut forgotten = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if complete2().send().await.is_err() {
            forgotten = true;
            break;
        }
    }
    assert!(forgotten, "the completion is forgotten after a lifecycle day");
    assert_eq!(s3.get_object().bucket("retry").key("k2").send().await.unwrap().content_length(), Some(4));
}

/// CompleteMultipartUpload's `x-amz-checksum-<alg>` header is the whole object's checksum: checked
/// against the one computed (a composite with or without its `-N`, or the full-object CRC); a
/// mismatch is BadDigest and completes nothing. A part read by number shows the part's checksum.
#[tokio::test(flavor = "multi_thread")]
async fn completion_checksum_header_is_the_objects_and_parts_show_their_own() {
    use base64::Engine as _;
    let (_server, s3) = with_bucket("mpuhdr").await;
    let parts = [bytes(5 * MIB, 21), bytes(1000, 22)];
    let whole = parts.concat();
    // A composite claimed with its `-2` and without it, and a full-object CRC.
    for (kind, suffixed) in
        [(ChecksumType::Composite, true), (ChecksumType::Composite, false), (ChecksumType::FullObject, false)]
    {
        let key = format!("obj-{}-{suffixed}", kind.as_str());
        let id = s3
            .create_multipart_upload()
            .bucket("mpuhdr")
            .key(&key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .checksum_type(kind.clone())
            .send()
            .await
            .unwrap()
            .upload_id()
            .unwrap()
            .to_owned();
        let mut done = Vec::new();
        let mut part_sums = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            let out = s3
                .upload_part()
                .bucket("mpuhdr")
                .key(&key)
                .upload_id(&id)
                .part_number(i as i32 + 1)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .body(p.clone().into())
                .send()
                .await
                .unwrap();
            part_sums.push(out.checksum_crc32().unwrap().to_owned());
            done.push(
                CompletedPart::builder()
                    .part_number(i as i32 + 1)
                    .e_tag(out.e_tag().unwrap())
                    .checksum_crc32(out.checksum_crc32().unwrap())
                    .build(),
            );
        }
        let object_sum = match kind {
            ChecksumType::FullObject => b64(&crc32fast::hash(&whole).to_be_bytes()),
            _ => {
                let mut h = crc32fast::Hasher::new();
                for s in &part_sums {
                    h.update(&base64::engine::general_purpose::STANDARD.decode(s).unwrap());
                }
                b64(&h.finalize().to_be_bytes())
            }
        };
        let complete = |sum: &str| {
            s3.complete_multipart_upload()
                .bucket("mpuhdr")
                .key(&key)
                .upload_id(&id)
                .checksum_crc32(sum)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done.clone())).build())
        };
        let wrong = b64(&crc32fast::hash(b"something else").to_be_bytes());
        let err = complete(&wrong).send().await.unwrap_err();
        assert_eq!((status(&err), code(&err).as_str()), (400, "BadDigest"), "{key}");
        s3.head_object().bucket("mpuhdr").key(&key).send().await.expect_err("nothing completed");
        let claimed = if suffixed { format!("{object_sum}-2") } else { object_sum.clone() };
        complete(&claimed).send().await.unwrap_or_else(|e| panic!("{key}: {e:?}"));
        let stored = if kind == ChecksumType::Composite { format!("{object_sum}-2") } else { object_sum.clone() };
        let head =
            s3.head_object().bucket("mpuhdr").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        assert_eq!(head.checksum_crc32(), Some(stored.as_str()), "{key}");
        for (n, sum) in part_sums.iter().enumerate() {
            let part = s3
                .head_object()
                .bucket("mpuhdr")
                .key(&key)
                .part_number(n as i32 + 1)
                .checksum_mode(ChecksumMode::Enabled)
                .send()
                .await
                .unwrap();
            assert_eq!(part.checksum_crc32(), Some(sum.as_str()), "{key} part {}", n + 1);
            assert_eq!(part.checksum_type(), Some(&kind), "{key} part {}", n + 1);
            assert_eq!(part.parts_count(), Some(2));
        }
    }
}
