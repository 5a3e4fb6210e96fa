//! POST Object: uploads from an HTML form (boto3's `generate_presigned_post`). The form carries a
//! base64 policy document, signed like a request; every field must satisfy the policy.

use super::AclPermission;
use crate::access::decision;
use crate::auth::{self, AuthInput};
use crate::http::body::Body;
use crate::http::form::{self, FormReader};
use crate::s3::authz::Need;
use crate::s3::context::{blocking, Ctx};
use crate::s3::request::{self, check_storage_class, header_value};
use crate::s3::respond;
use crate::wire::checksum::{self, Algorithm};
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::XmlWriter;
use base64::Engine as _;
use bytes::BytesMut;
use firn_storage::{Acl, ContentHeaders, ObjectKey, ObjectMeta, StorageClass, WriteCondition};
use http::{Response, StatusCode};

/// Total size of the fields before the file.
const MAX_FIELDS: usize = 64 << 10;

/// Fields that the policy need not mention.
fn exempt(name: &str) -> bool {
    matches!(name, "file" | "policy" | "x-amz-signature" | "signature" | "awsaccesskeyid" | "x-amz-security-token")
        || name.starts_with("x-ignore-")
        || name.starts_with("x-amz-checksum-")
}

fn denied(why: impl std::fmt::Display) -> S3Error {
    S3Error::msg(Code::AccessDenied, format!("Invalid according to Policy: {why}"))
}

/// A policy's `expiration`: ISO 8601 in UTC (`2026-12-07T12:00:00.000Z`, the fraction optional),
/// the only form S3 takes.
fn parse_expiration(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.fZ").ok()?;
    Some(naive.and_utc())
}

/// Checks the policy's expiration and conditions against the form. Returns the allowed size range.
fn check_policy(policy_b64: &str, fields: &[(String, String)], bucket: &str) -> S3Result<(u64, u64)> {
    let bad = || S3Error::msg(Code::InvalidPolicyDocument, "Invalid Policy: Invalid JSON.");
    let raw = base64::engine::general_purpose::STANDARD.decode(policy_b64.trim()).map_err(|_| bad())?;
    let doc: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let expiration = doc.get("expiration").and_then(|e| e.as_str()).ok_or_else(bad)?;
    let expires = parse_expiration(expiration).ok_or_else(|| {
        S3Error::msg(Code::InvalidPolicyDocument, format!("Invalid Policy: Invalid 'expiration' value: '{expiration}'"))
    })?;
    if expires < chrono::Utc::now() {
        return Err(denied("Policy expired."));
    }
    let value_of = |name: &str| -> Option<&str> {
        if name == "bucket" {
            return Some(bucket);
        }
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    };
    let mut covered: Vec<String> = vec!["bucket".into()];
    let mut range = (0, u64::MAX);
    for cond in doc.get("conditions").and_then(|c| c.as_array()).ok_or_else(bad)? {
        match cond {
            serde_json::Value::Object(map) => {
                if map.len() != 1 {
                    return Err(S3Error::msg(
                        Code::InvalidPolicyDocument,
                        "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
                    ));
                }
                for (name, want) in map {
                    let name = name.to_ascii_lowercase();
                    let want = want.as_str().ok_or_else(bad)?;
                    if value_of(&name) != Some(want) {
                        return Err(denied(format!("Policy Condition failed: [\"eq\", \"${name}\", \"{want}\"]")));
                    }
                    covered.push(name);
                }
            }
            serde_json::Value::Array(items) => {
                let op = items.first().and_then(|o| o.as_str()).ok_or_else(bad)?.to_ascii_lowercase();
                if op == "content-length-range" {
                    let n = |i: usize| items.get(i).and_then(|v| v.as_u64()).ok_or_else(bad);
                    range = (n(1)?, n(2)?);
                    continue;
                }
                let name = items.get(1).and_then(|v| v.as_str()).ok_or_else(bad)?;
                let name = name.strip_prefix('$').ok_or_else(bad)?.to_ascii_lowercase();
                let want = items.get(2).and_then(|v| v.as_str()).ok_or_else(bad)?;
                let have = value_of(&name).unwrap_or("");
                let ok = match op.as_str() {
                    "eq" => have == want,
                    // Content-Type may be a comma-separated list, each value checked.
                    "starts-with" if name == "content-type" => have.split(',').all(|v| v.trim().starts_with(want)),
                    "starts-with" => have.starts_with(want),
                    _ => return Err(bad()),
                };
                if !ok {
                    return Err(denied(format!("Policy Condition failed: [\"{op}\", \"${name}\", \"{want}\"]")));
                }
                covered.push(name);
            }
            _ => return Err(bad()),
        }
    }
    if let Some((extra, _)) = fields.iter().find(|(k, _)| !exempt(k) && !covered.contains(k)) {
        return Err(denied(format!("Extra input fields: {extra}")));
    }
    Ok(range)
}

pub async fn post_object(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let boundary = ctx.header("content-type").and_then(form::boundary).ok_or_else(|| {
        S3Error::msg(Code::PreconditionFailed, "Bucket POST must be of the enclosure-type multipart/form-data")
            .detail("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")
    })?;
    let limit = ctx.app.config.limits.max_object_size + (1 << 20);
    let mut form = FormReader::new(ctx.ingest(limit)?, &boundary);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut used = 0;
    let file = loop {
        let Some(part) = form.next_part().await? else {
            return Err(S3Error::msg(Code::InvalidArgument, "POST requires exactly one file upload per request."));
        };
        if part.name == "file" {
            break part;
        }
        let value = form.value(MAX_FIELDS - used.min(MAX_FIELDS)).await?;
        used += part.name.len() + value.len();
        fields.push((part.name, value));
    };
    // `${filename}` stands for the file's name in every field, the policy checking the result.
    let filename = file.filename.clone().unwrap_or_default();
    for (_, value) in fields.iter_mut() {
        if value.contains("${filename}") {
            *value = value.replace("${filename}", &filename);
        }
    }
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if let Some(name) = request::encryption_asked(fields.iter().map(|(k, _)| k.as_str())) {
        return Err(request::encryption_not_implemented(name));
    }

    let input = AuthInput {
        users: &ctx.app.users,
        region: &ctx.app.config.region,
        now: chrono::Utc::now(),
        vhost_bucket: None,
        query: &[],
    };
    // A signed form writes as its signer; an unsigned one (no policy) anonymously, where the
    // bucket's ACL or policy lets anyone write.
    let auth = auth::authenticate_post_policy(field, &input)?;
    ctx.user = auth.user;
    ctx.proof = auth.proof;
    let key = field("key").ok_or_else(|| {
        S3Error::msg(
            Code::InvalidArgument,
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
        )
    })?;
    let key = ObjectKey::parse(&key)?;
    let (bucket, settings) =
        ctx.authorize(ctx.bucket(), Some(key.as_str()), ctx.action(), Need::Bucket(AclPermission::Write))?;
    ctx.check_expected_owner("x-amz-expected-bucket-owner", &bucket)?;
    let range = match field("policy") {
        Some(policy) => check_policy(&policy, &fields, ctx.bucket().as_str())?,
        None => (0, u64::MAX),
    };
    let writer = ctx.owner_id().to_owned();
    let canned = field("acl");
    let requested = match &canned {
        Some(name) => Some(Acl::canned(name, &writer, &bucket.owner).ok_or_else(|| {
            S3Error::msg(Code::InvalidArgument, format!("Invalid canned ACL: {name}")).detail("ArgumentName", "acl")
        })?),
        None => None,
    };
    let (owner, acl) = decision::new_object_owner(&settings, &bucket.owner, &writer, canned.as_deref(), requested)?;
    ctx.bucket_record = Some(bucket);
    ctx.access = settings;
    let headers = ContentHeaders {
        content_type: field("content-type").or(file.content_type.clone()),
        content_encoding: field("content-encoding"),
        content_disposition: field("content-disposition"),
        content_language: field("content-language"),
        cache_control: field("cache-control"),
        expires: field("expires"),
    };
    // Metadata is stored decoded and goes out RFC 2047-encoded where it is not ASCII (as from a PUT).
    let mut user_meta: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("x-amz-meta-")?.to_owned(), crate::wire::rfc2047::decode(v))))
        .collect();
    user_meta.sort();
    let tags = match field("tagging") {
        Some(xml) => crate::s3::documents::tagging::from_document(&crate::wire::xml::parse(xml.as_bytes())?)?,
        None => Vec::new(),
    };
    // Form fields become response headers later: they must be valid ones.
    for (name, value) in [
        ("Content-Type", &headers.content_type),
        ("Content-Encoding", &headers.content_encoding),
        ("Content-Disposition", &headers.content_disposition),
        ("Content-Language", &headers.content_language),
        ("Cache-Control", &headers.cache_control),
        ("Expires", &headers.expires),
        ("x-amz-website-redirect-location", &field("x-amz-website-redirect-location")),
        ("success_action_redirect", &field("success_action_redirect")),
        ("redirect", &field("redirect")),
    ] {
        if let Some(v) = value {
            header_value(name, v)?;
        }
    }
    for (k, v) in &user_meta {
        let name = format!("x-amz-meta-{k}");
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(S3Error::msg(Code::InvalidArgument, format!("{name} is not a valid header name")));
        }
        header_value(&name, &crate::wire::rfc2047::encode(v))?;
    }
    let new = ObjectMeta {
        owner,
        headers,
        user_meta,
        tags,
        storage_class: field("x-amz-storage-class").map_or(Ok(StorageClass::Standard), |c| check_storage_class(&c))?,
        website_redirect: field("x-amz-website-redirect-location"),
        acl,
        // The form's x-amz-object-lock-* fields, else the bucket's default retention.
        lock: request::from_fields(ctx.access.object_lock, ctx.app.engine.now_ms(), |name| {
            fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
        })?,
    };

    // A checksum field (`x-amz-checksum-sha256`, ...) is verified against the file and stored.
    let claimed = Algorithm::ALL.into_iter().find_map(|a| Some((a, field(a.header())?)));
    if let Some((alg, value)) = &claimed {
        checksum::validate(*alg, value)?;
    }
    let mut hasher = claimed.as_ref().map(|(alg, _)| checksum::Hasher::new(*alg));

    // The file, streamed into a blob.
    let engine = &ctx.app.engine;
    let mut writer = blocking(|| engine.new_blob())?;
    let mut buf = BytesMut::with_capacity(1 << 20);
    let mut size = 0u64;
    while let Some(chunk) = form.file_chunk().await? {
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        size += chunk.len() as u64;
        if size > range.1 || size > ctx.app.config.limits.max_object_size {
            return Err(S3Error::new(Code::EntityTooLarge));
        }
        buf.extend_from_slice(&chunk);
        if buf.len() >= 1 << 20 {
            blocking(|| writer.write(&buf))?;
            buf.clear();
        }
    }
    if size < range.0 {
        return Err(S3Error::new(Code::EntityTooSmall));
    }
    blocking(|| writer.write(&buf))?;
    form.finish().await?;
    let stored = match (claimed, hasher) {
        (Some((alg, value)), Some(h)) => {
            if h.finish() != value {
                return Err(S3Error::msg(
                    Code::BadDigest,
                    format!("The {} you specified did not match the calculated checksum.", alg.name()),
                ));
            }
            Some((alg.name().to_owned(), value))
        }
        _ => None,
    };
    let staged = blocking(|| writer.finish())?;
    let rec = blocking(|| engine.put_object(ctx.bucket(), &key, staged, new, stored, &WriteCondition::default()))?;

    let etag = format!("\"{}\"", rec.etag);
    let location = format!("/{}/{}", ctx.bucket(), crate::auth::sigv4::uri_encode(key.as_str(), true));
    let b = respond::with_new_version(Response::builder().header(http::header::ETAG, &etag), &ctx, &rec.version_id);
    if let Some(url) = field("success_action_redirect").or_else(|| field("redirect")).filter(|u| !u.is_empty()) {
        let sep = if url.contains('?') { '&' } else { '?' };
        let enc = |s: &str| crate::auth::sigv4::uri_encode(s, false);
        let target =
            format!("{url}{sep}bucket={}&key={}&etag={}", enc(ctx.bucket().as_str()), enc(key.as_str()), enc(&etag));
        return Ok(b
            .status(StatusCode::SEE_OTHER)
            .header(http::header::LOCATION, target)
            .body(Body::Empty)
            .expect("valid response"));
    }
    let b = b.header(http::header::LOCATION, &location);
    match field("success_action_status").as_deref() {
        Some("200") => Ok(b.status(StatusCode::OK).body(Body::Empty).expect("valid response")),
        Some("201") => {
            let mut w = XmlWriter::bare("PostResponse");
            w.elem("Location", &location)
                .elem("Bucket", ctx.bucket().as_str())
                .elem("Key", key.as_str())
                .elem("ETag", &etag);
            Ok(b.status(StatusCode::CREATED)
                .header(http::header::CONTENT_TYPE, "application/xml")
                .body(Body::full(w.finish()))
                .expect("valid response"))
        }
        _ => Ok(b.status(StatusCode::NO_CONTENT).body(Body::Empty).expect("valid response")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    #[test]
    fn policy_conditions() {
        let p = policy(
            r#"{"expiration": "2099-01-01T00:00:00Z", "conditions": [{"bucket": "b"}, ["starts-with", "$key", "up/"], ["content-length-range", 1, 10], {"x-amz-meta-a": "1"}]}"#,
        );
        let fields = |key: &str| vec![("key".to_string(), key.to_string()), ("x-amz-meta-a".into(), "1".into())];
        assert_eq!(check_policy(&p, &fields("up/x"), "b").unwrap(), (1, 10));
        assert_eq!(check_policy(&p, &fields("down/x"), "b").unwrap_err().code, Code::AccessDenied);
        assert_eq!(check_policy(&p, &fields("up/x"), "other").unwrap_err().code, Code::AccessDenied);
        let mut extra = fields("up/x");
        extra.push(("acl".into(), "public-read".into()));
        assert!(check_policy(&p, &extra, "b").unwrap_err().message.contains("Extra input fields: acl"));
        let expired = policy(r#"{"expiration": "2000-01-01T00:00:00Z", "conditions": []}"#);
        assert!(check_policy(&expired, &[], "b").unwrap_err().message.contains("expired"));
        assert_eq!(check_policy("!!", &[], "b").unwrap_err().code, Code::InvalidPolicyDocument);
    }

    #[test]
    fn expiration_is_iso_8601_in_utc_only() {
        let rows: [(&str, Option<&str>); 7] = [
            ("2026-12-07T12:00:00.000Z", Some("2026-12-07T12:00:00+00:00")),
            ("2026-12-07T12:00:00Z", Some("2026-12-07T12:00:00+00:00")),
            ("2026-12-07T12:00:00.5Z", Some("2026-12-07T12:00:00.500+00:00")),
            ("2026-12-07 12:00:00Z", None),
            ("2026-12-07T12:00:00+01:00", None),
            ("2026-12-07T12:00:00", None),
            ("Mon, 07 Dec 2026 12:00:00 GMT", None),
        ];
        for (given, want) in rows {
            assert_eq!(parse_expiration(given).map(|d| d.to_rfc3339()).as_deref(), want, "{given}");
        }
        let spaced = policy(r#"{"expiration": "2099-01-01 00:00:00Z", "conditions": []}"#);
        let err = check_policy(&spaced, &[], "b").unwrap_err();
        assert_eq!((err.code, err.message.contains("expiration")), (Code::InvalidPolicyDocument, true));
    }

    #[test]
    fn a_simple_condition_has_exactly_one_property() {
        for conditions in [r#"{}"#, r#"{"bucket": "b", "key": "k"}"#] {
            let p = policy(&format!(r#"{{"expiration": "2099-01-01T00:00:00Z", "conditions": [{conditions}]}}"#));
            let fields = [("key".to_string(), "k".to_string())];
            assert_eq!(check_policy(&p, &fields, "b").unwrap_err().code, Code::InvalidPolicyDocument, "{conditions}");
        }
    }
}
