//! Browser form uploads (POST Object) with hand-built multipart bodies and signed policies.

use super::harness::{with_bucket, ACCESS_KEY, SECRET_KEY};
use super::raw;
use base64::Engine as _;
use chrono::{Duration, Utc};
use firn::auth::sigv4;

const BOUNDARY: &str = "----firnformboundary";

fn form(fields: &[(&str, &str)], file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A SigV4-signed policy and the fields that go with it.
fn signed(conditions: &str, expires_in: Duration) -> Vec<(String, String)> {
    signed_until(conditions, &(Utc::now() + expires_in).format("%Y-%m-%dT%H:%M:%S.000Z").to_string())
}

/// The same with the policy's `expiration` as given.
fn signed_until(conditions: &str, expiration: &str) -> Vec<(String, String)> {
    let now = Utc::now();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let credential = format!("{ACCESS_KEY}/{}/us-east-1/s3/aws4_request", &amz_date[..8]);
    let policy = format!(
        r#"{{"expiration": "{expiration}", "conditions": [{conditions}, {{"x-amz-algorithm": "AWS4-HMAC-SHA256"}}, {{"x-amz-credential": "{credential}"}}, {{"x-amz-date": "{amz_date}"}}]}}"#
    );
    let policy = base64::engine::general_purpose::STANDARD.encode(policy);
    let key = sigv4::signing_key(SECRET_KEY, &amz_date[..8], "us-east-1", "s3");
    vec![
        ("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()),
        ("x-amz-credential".into(), credential),
        ("x-amz-date".into(), amz_date),
        ("x-amz-signature".into(), sigv4::signature(&key, &policy)),
        ("policy".into(), policy),
    ]
}

async fn post(endpoint: &str, fields: &[(String, String)], file: &[u8]) -> raw::Reply {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let headers = vec![("content-type".to_string(), format!("multipart/form-data; boundary={BOUNDARY}"))];
    raw::send("POST", &format!("{endpoint}/forms"), &headers, form(&refs, file)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn form_uploads_follow_the_signed_policy() {
    let (server, s3) = with_bucket("forms").await;
    let conditions = r#"{"bucket": "forms"}, ["starts-with", "$key", "uploads/"], ["content-length-range", 1, 300000], ["starts-with", "$Content-Type", "image/"], {"success_action_status": "201"}"#;
    let data = super::harness::bytes(200_000, 4);
    let mut fields = vec![
        ("key".to_string(), "uploads/${filename}".to_string()),
        ("Content-Type".to_string(), "image/jpeg".to_string()),
        ("success_action_status".to_string(), "201".to_string()),
    ];
    fields.extend(signed(conditions, Duration::minutes(5)));
    let r = post(&server.endpoint, &fields, &data).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body.contains("<Key>uploads/photo.jpg</Key>"), "{}", r.body);
    let got = s3.get_object().bucket("forms").key("uploads/photo.jpg").send().await.unwrap();
    assert_eq!(got.content_type(), Some("image/jpeg"));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), data);

    // The key outside the allowed prefix, a file too large, an extra field, an expired policy,
    // a forged signature: each refused, nothing stored.
    let mut wrong_key = fields.clone();
    wrong_key[0].1 = "elsewhere/x".into();
    assert_eq!(post(&server.endpoint, &wrong_key, &data).await.code(), "AccessDenied");
    assert_eq!(post(&server.endpoint, &fields, &vec![0u8; 300_001]).await.code(), "EntityTooLarge");
    let mut extra = fields.clone();
    extra.insert(0, ("x-amz-meta-sneaky".into(), "1".into()));
    let r = post(&server.endpoint, &extra, &data).await;
    assert!(r.body.contains("Extra input fields"), "{}", r.body);
    let mut expired = fields[..3].to_vec();
    expired.extend(signed(conditions, Duration::minutes(-1)));
    assert!(post(&server.endpoint, &expired, &data).await.body.contains("Policy expired"));
    let mut forged = fields.clone();
    forged.iter_mut().find(|(k, _)| k == "x-amz-signature").unwrap().1 = "0".repeat(64);
    assert_eq!(post(&server.endpoint, &forged, &data).await.code(), "SignatureDoesNotMatch");
    let unsigned = vec![("key".to_string(), "uploads/anon".to_string())];
    assert_eq!(post(&server.endpoint, &unsigned, &data).await.code(), "AccessDenied");
    let listed = s3.list_objects_v2().bucket("forms").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(1));
}

/// A form with an `x-amz-checksum-*` field is verified against the file and stored with it (it was
/// refused with 403); a wrong one is BadDigest and stores nothing.
#[tokio::test(flavor = "multi_thread")]
async fn form_checksums_are_verified_and_stored() {
    use base64::Engine as _;
    use sha2::Digest;
    let (server, s3) = with_bucket("forms").await;
    let conditions = r#"{"bucket": "forms"}, ["starts-with", "$key", "sums/"]"#;
    let data = b"checked form upload";
    let good = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(data));
    let bad = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b"other"));
    for (key, sum, want) in [("sums/good", &good, 204), ("sums/bad", &bad, 400)] {
        let mut fields = vec![("key".to_string(), key.to_string()), ("x-amz-checksum-sha256".to_string(), sum.clone())];
        fields.extend(signed(conditions, Duration::minutes(5)));
        let r = post(&server.endpoint, &fields, data).await;
        assert_eq!(r.status, want, "{key}: {}", r.body);
        if want == 400 {
            assert_eq!(r.code(), "BadDigest");
        }
    }
    let head = s3
        .head_object()
        .bucket("forms")
        .key("sums/good")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_sha256(), Some(good.as_str()));
    assert!(s3.head_object().bucket("forms").key("sums/bad").send().await.is_err());
}

/// A form's `x-amz-object-lock-*` fields lock the object it uploads, as the headers of a PUT do.
#[tokio::test(flavor = "multi_thread")]
async fn form_uploads_take_object_lock_fields() {
    let server = super::harness::Server::start();
    let s3 = server.client();
    s3.create_bucket().bucket("forms").object_lock_enabled_for_bucket(true).send().await.unwrap();
    let until = (Utc::now() + Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let conditions = format!(
        r#"{{"bucket": "forms"}}, ["starts-with", "$key", "locked/"], {{"x-amz-object-lock-mode": "COMPLIANCE"}}, {{"x-amz-object-lock-retain-until-date": "{until}"}}"#
    );
    let mut fields = vec![
        ("key".to_string(), "locked/f".to_string()),
        ("x-amz-object-lock-mode".to_string(), "COMPLIANCE".to_string()),
        ("x-amz-object-lock-retain-until-date".to_string(), until.clone()),
    ];
    fields.extend(signed(&conditions, Duration::minutes(5)));
    let r = post(&server.endpoint, &fields, b"locked by a form").await;
    assert_eq!(r.status, 204, "{}", r.body);
    let head = s3.head_object().bucket("forms").key("locked/f").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&aws_sdk_s3::types::ObjectLockMode::Compliance));
    let v = head.version_id().unwrap();
    assert!(s3.delete_object().bucket("forms").key("locked/f").version_id(v).send().await.is_err());
}

/// A form that asks for server-side encryption is refused (501, naming the field) rather than
/// stored in the clear as if it had been honoured.
#[tokio::test(flavor = "multi_thread")]
async fn form_asking_for_encryption_is_not_implemented_and_stores_nothing() {
    let (server, s3) = with_bucket("forms").await;
    for (field, value) in
        [("x-amz-server-side-encryption", "AES256"), ("x-amz-server-side-encryption-customer-algorithm", "AES256")]
    {
        let conditions = format!(r#"{{"bucket": "forms"}}, ["starts-with", "$key", "enc/"], {{"{field}": "{value}"}}"#);
        let mut fields = vec![("key".to_string(), "enc/f".to_string()), (field.to_string(), value.to_string())];
        fields.extend(signed(&conditions, Duration::minutes(5)));
        let r = post(&server.endpoint, &fields, b"secret").await;
        assert_eq!((r.status, r.code()), (501, "NotImplemented"), "{field}");
        assert!(r.body.contains(field), "{}", r.body);
    }
    assert_eq!(s3.list_objects_v2().bucket("forms").send().await.unwrap().key_count(), Some(0));
}

/// `${filename}` is the file's name in the key before the policy is checked; a redirect after
/// success is one Location; policies that are malformed are 400s, as S3 answers them.
#[tokio::test(flavor = "multi_thread")]
async fn form_policies_see_the_filename_and_malformed_forms_are_400() {
    let (server, s3) = with_bucket("forms").await;
    let conditions = r#"{"bucket": "forms"}, ["starts-with", "$key", "photo"]"#;
    let mut fields = vec![("key".to_string(), "${filename}".to_string())];
    fields.extend(signed(conditions, Duration::minutes(5)));
    let r = post(&server.endpoint, &fields, b"jpeg").await;
    assert_eq!(r.status, 204, "{}", r.body);
    s3.head_object().bucket("forms").key("photo.jpg").send().await.unwrap();

    let conditions = r#"{"bucket": "forms"}, ["starts-with", "$key", "r/"], ["starts-with", "$success_action_redirect", "https://app.example/"]"#;
    let mut fields = vec![
        ("key".to_string(), "r/${filename}".to_string()),
        ("success_action_redirect".to_string(), "https://app.example/done?from=form".to_string()),
    ];
    fields.extend(signed(conditions, Duration::minutes(5)));
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/forms", server.endpoint))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(form(&refs, b"jpeg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let locations: Vec<_> = r.headers().get_all("location").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert_eq!(locations.len(), 1, "{locations:?}");
    assert!(
        locations[0].starts_with("https://app.example/done?from=form&bucket=forms&key=r%2Fphoto.jpg&etag=%22"),
        "{locations:?}"
    );

    // An expiration not in ISO 8601 UTC form.
    for expiration in ["2099-01-01 00:00:00Z", "2099-01-01T00:00:00+01:00"] {
        let mut fields = vec![("key".to_string(), "x".to_string())];
        fields.extend(signed_until(r#"{"bucket": "forms"}"#, expiration));
        let r = post(&server.endpoint, &fields, b"x").await;
        assert_eq!((r.status, r.code()), (400, "InvalidPolicyDocument"), "{expiration}: {}", r.body);
    }
    // An empty condition.
    let mut fields = vec![("key".to_string(), "x".to_string())];
    fields.extend(signed(r#"{"bucket": "forms"}, {}"#, Duration::minutes(5)));
    let r = post(&server.endpoint, &fields, b"x").await;
    assert_eq!((r.status, r.code()), (400, "InvalidPolicyDocument"), "{}", r.body);
    // A policy and an access key, but no signature (SigV2), or a credential without one (SigV4).
    let policy = base64::engine::general_purpose::STANDARD
        .encode(r#"{"expiration": "2099-01-01T00:00:00Z", "conditions": [{"bucket": "forms"}]}"#);
    for (extra, names) in
        [(("AWSAccessKeyId", ACCESS_KEY), "Signature"), (("x-amz-algorithm", "AWS4-HMAC-SHA256"), "X-Amz-Signature")]
    {
        let fields = vec![
            ("key".to_string(), "x".to_string()),
            (extra.0.to_string(), extra.1.to_string()),
            ("policy".to_string(), policy.clone()),
        ];
        let r = post(&server.endpoint, &fields, b"x").await;
        assert_eq!((r.status, r.code()), (400, "InvalidArgument"), "{}", r.body);
        assert!(r.body.contains(&format!("<ArgumentName>{names}</ArgumentName>")), "{}", r.body);
    }
    let listed = s3.list_objects_v2().bucket("forms").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(2), "only the two good forms stored");
}
