use super::harness::{code, with_bucket};
use aws_sdk_s3::types::EncodingType;
use aws_sdk_s3::Client;

async fn put_keys(s3: &Client, bucket: &str, keys: &[String]) {
    for k in keys {
        s3.put_object().bucket(bucket).key(k).body(Vec::new().into()).send().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_pagination_prefix_delimiter() {
    let (_server, s3) = with_bucket("list").await;
    let mut keys: Vec<String> = (0..250).map(|i| format!("flat/{i:04}")).collect();
    keys.extend(["a/1", "a/2", "b/x/1", "c", "d/", "é"].map(String::from));
    put_keys(&s3, "list", &keys).await;

    // The paginator walks 250 keys in pages of 100.
    let mut pages = s3.list_objects_v2().bucket("list").prefix("flat/").max_keys(100).into_paginator().send();
    let mut seen = Vec::new();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        page_count += 1;
        seen.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
    }
    assert_eq!(page_count, 3);
    assert_eq!(seen, keys[..250]);

    let out = s3.list_objects_v2().bucket("list").delimiter("/").send().await.unwrap();
    let objects: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(objects, ["c", "é"]);
    assert_eq!(prefixes, ["a/", "b/", "d/", "flat/"]);
    assert_eq!(out.key_count(), Some(6));

    // Common prefixes count against max-keys and pagination resumes after them.
    let first = s3.list_objects_v2().bucket("list").delimiter("/").max_keys(2).send().await.unwrap();
    assert_eq!(first.is_truncated(), Some(true));
    let next = s3
        .list_objects_v2()
        .bucket("list")
        .delimiter("/")
        .max_keys(2)
        .continuation_token(first.next_continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    let objects: Vec<_> = next.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = next.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!((objects, prefixes), (vec!["c"], vec!["d/"]));

    let out = s3.list_objects_v2().bucket("list").start_after("flat/0248").send().await.unwrap();
    let objects: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(objects, ["flat/0249", "é"]);

    let out = s3.list_objects_v2().bucket("list").prefix("b/").delimiter("/").send().await.unwrap();
    assert_eq!(out.common_prefixes()[0].prefix(), Some("b/x/"));

    let owner = s3.list_objects_v2().bucket("list").prefix("c").fetch_owner(true).send().await.unwrap();
    assert!(owner.contents()[0].owner().and_then(|o| o.id()).is_some());
    let no_owner = s3.list_objects_v2().bucket("list").prefix("c").send().await.unwrap();
    assert!(no_owner.contents()[0].owner().is_none());

    let err = s3.list_objects_v2().bucket("list").continuation_token("not a token!").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_markers_and_url_encoding() {
    let (_server, s3) = with_bucket("listv1").await;
    // In UTF-8 binary order.
    let keys: Vec<String> = ["a b", "a&b", "a+b", "dir/one", "dir/two", "z"].map(String::from).to_vec();
    put_keys(&s3, "listv1", &keys).await;

    let mut marker = None;
    let mut seen = Vec::new();
    loop {
        let out = s3.list_objects().bucket("listv1").max_keys(2).set_marker(marker.clone()).send().await.unwrap();
        seen.extend(out.contents().iter().map(|o| o.key().unwrap().to_owned()));
        assert!(out.contents().iter().all(|o| o.owner().is_some()));
        if out.is_truncated() != Some(true) {
            break;
        }
        marker = seen.last().cloned();
    }
    assert_eq!(seen, keys);

    let out = s3.list_objects().bucket("listv1").delimiter("/").max_keys(4).send().await.unwrap();
    assert_eq!(out.is_truncated(), Some(true));
    assert_eq!(out.next_marker(), Some("dir/"));

    // With encoding-type=url keys come percent-encoded (the Rust SDK leaves them so; boto3 decodes).
    let out = s3.list_objects_v2().bucket("listv1").encoding_type(EncodingType::Url).send().await.unwrap();
    let encoded: Vec<_> = out.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(encoded, ["a%20b", "a%26b", "a%2Bb", "dir/one", "dir/two", "z"]);
    assert_eq!(out.encoding_type(), Some(&EncodingType::Url));

    let err = s3.list_objects().bucket("listv1").max_keys(-1).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
}

/// Keys, prefixes and delimiters with control characters come back as they were, with and without
/// `encoding-type=url`.
#[tokio::test]
async fn control_characters_round_trip_in_listings() {
    let (_server, s3) = with_bucket("ctl").await;
    let keys = ["a\nb/x", "c\rd", "e\u{1}f", "tab\there", "sp ace+plus"];
    for k in keys {
        s3.put_object().bucket("ctl").key(k).body(b"x".to_vec().into()).send().await.unwrap();
    }
    for url in [false, true] {
        let enc = url.then_some(aws_sdk_s3::types::EncodingType::Url);
        // With encoding-type=url the values are percent-encoded (this SDK leaves decoding to us).
        let dec = |v: Option<&str>| {
            let v = v.unwrap_or_default();
            if url {
                percent_encoding::percent_decode_str(v).decode_utf8().unwrap().into_owned()
            } else {
                v.to_owned()
            }
        };
        let all = s3.list_objects_v2().bucket("ctl").set_encoding_type(enc.clone()).send().await.unwrap();
        let got: Vec<String> = all.contents().iter().map(|o| dec(o.key())).collect();
        let mut got: Vec<&str> = got.iter().map(String::as_str).collect();
        got.sort();
        let mut want = keys.to_vec();
        want.sort();
        assert_eq!(got, want, "encoding-type=url: {url}");
        let by_prefix =
            s3.list_objects_v2().bucket("ctl").prefix("a\n").set_encoding_type(enc.clone()).send().await.unwrap();
        assert_eq!(dec(by_prefix.prefix()), "a\n", "url: {url}");
        assert_eq!(by_prefix.contents().len(), 1);
        let by_delim =
            s3.list_objects().bucket("ctl").delimiter("\n").set_encoding_type(enc.clone()).send().await.unwrap();
        assert_eq!(dec(by_delim.delimiter()), "\n", "url: {url}");
        let prefixes: Vec<String> = by_delim.common_prefixes().iter().map(|p| dec(p.prefix())).collect();
        assert_eq!(prefixes, ["a\n"], "url: {url}");
        let versions =
            s3.list_object_versions().bucket("ctl").prefix("c\r").set_encoding_type(enc).send().await.unwrap();
        assert_eq!(versions.versions().iter().map(|v| dec(v.key())).collect::<Vec<_>>(), ["c\rd"], "url: {url}");
    }
}
