//! Authentication: turns a request into the user who sent it (or anonymous) and the way its
//! payload must be verified. SigV4 header and presigned, SigV2 header and presigned. Uses `wire`.

pub mod chunked;
pub mod sigv2;
pub mod sigv4;
pub mod users;

use crate::auth::users::{User, Users};
use crate::wire::error::{Code, S3Error, S3Result};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use http::request::Parts;
use sigv4::constant_time_eq;
use std::sync::Arc;

/// Largest clock difference accepted (S3: 15 minutes).
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// Longest validity of a presigned URL (S3: 7 days).
pub const MAX_PRESIGN_SECS: i64 = 7 * 24 * 3600;

/// How the body must be checked while it streams in.
#[derive(Clone)]
pub enum Payload {
    /// Not signed (UNSIGNED-PAYLOAD, presigned, SigV2, anonymous).
    Unsigned,
    /// The body's SHA-256 must be this lowercase hex digest.
    Sha256(String),
    /// aws-chunked; signed chunks verified by the chain signer, trailers expected or not.
    Chunked { signer: Option<chunked::ChainSigner>, trailer: bool },
}

/// How a request proved who sent it: S3's `s3:authType`, `s3:signatureversion` and the signing
/// time `s3:signatureAge` counts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Proof {
    pub kind: AuthKind,
    /// `AWS4-HMAC-SHA256` or `AWS` (SigV2); None when anonymous.
    pub version: Option<&'static str>,
    pub signed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthKind {
    #[default]
    Anonymous,
    /// The Authorization header (`REST-HEADER`).
    Header,
    /// A presigned URL (`REST-QUERY-STRING`).
    Query,
    /// A browser form's signed policy (`POST`).
    Post,
}

impl AuthKind {
    /// The `s3:authType` value.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            AuthKind::Anonymous => None,
            AuthKind::Header => Some("REST-HEADER"),
            AuthKind::Query => Some("REST-QUERY-STRING"),
            AuthKind::Post => Some("POST"),
        }
    }
}

pub struct Auth {
    pub user: Option<Arc<User>>,
    pub payload: Payload,
    pub proof: Proof,
}

impl Auth {
    pub fn anonymous() -> Auth {
        Auth { user: None, payload: Payload::Unsigned, proof: Proof::default() }
    }
}

fn proof(kind: AuthKind, version: &'static str, signed_at: Option<DateTime<Utc>>) -> Proof {
    Proof { kind, version: Some(version), signed_at }
}

/// What authentication needs to know besides the request.
pub struct AuthInput<'a> {
    pub users: &'a Users,
    pub region: &'a str,
    pub now: DateTime<Utc>,
    /// The bucket when addressed virtual-hosted-style (SigV2 signs `/bucket` then).
    pub vhost_bucket: Option<&'a str>,
    pub query: &'a [(String, String)],
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

fn query<'a>(input: &'a AuthInput, name: &str) -> Option<&'a str> {
    input.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub fn authenticate(parts: &Parts, input: &AuthInput) -> S3Result<Auth> {
    if let Some(authz) = parts.headers.get(http::header::AUTHORIZATION) {
        let authz = authz.to_str().map_err(|_| S3Error::new(Code::AuthorizationHeaderMalformed))?;
        if let Some(rest) = authz.strip_prefix("AWS4-HMAC-SHA256 ") {
            return v4_header(parts, input, rest);
        }
        if let Some(rest) = authz.strip_prefix("AWS ") {
            return v2(parts, input, rest, None);
        }
        return Err(S3Error::msg(Code::InvalidArgument, "Unsupported Authorization Type"));
    }
    if let Some(alg) = query(input, "X-Amz-Algorithm") {
        if alg != sigv4::ALGORITHM {
            return Err(S3Error::msg(
                Code::AuthorizationQueryParametersError,
                "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
            ));
        }
        return v4_presigned(parts, input);
    }
    if let (Some(ak), Some(sig)) = (query(input, "AWSAccessKeyId"), query(input, "Signature")) {
        let expires = query(input, "Expires").ok_or_else(|| {
            S3Error::msg(Code::AccessDenied, "Query-string authentication requires the Expires parameter")
        })?;
        return v2(parts, input, &format!("{ak}:{sig}"), Some(expires));
    }
    Ok(Auth::anonymous())
}

struct Credential<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    scope: String,
}

fn parse_credential<'a>(cred: &'a str, input: &AuthInput, err: Code) -> S3Result<Credential<'a>> {
    let parts: Vec<&str> = cred.split('/').collect();
    let [access_key, date, region, service, terminator] = parts[..] else {
        return Err(S3Error::msg(
            err,
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"",
        ));
    };
    if service != "s3" || terminator != "aws4_request" {
        return Err(S3Error::msg(err, format!("the Credential scope is wrong: {service}/{terminator}")));
    }
    if region != input.region {
        return Err(S3Error::msg(err, format!("the region '{region}' is wrong; expecting '{}'", input.region))
            .detail("Region", input.region));
    }
    Ok(Credential { access_key, date, region, scope: format!("{date}/{region}/s3/aws4_request") })
}

fn parse_amz_date(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ").ok().map(|d| Utc.from_utc_datetime(&d))
}

fn check_skew(date: DateTime<Utc>, now: DateTime<Utc>) -> S3Result<()> {
    if (now - date).num_seconds().abs() > MAX_SKEW_SECS {
        return Err(S3Error::new(Code::RequestTimeTooSkewed)
            .detail("RequestTime", date.format("%Y%m%dT%H%M%SZ").to_string())
            .detail("ServerTime", now.to_rfc3339())
            .detail("MaxAllowedSkewMilliseconds", (MAX_SKEW_SECS * 1000).to_string()));
    }
    Ok(())
}

fn lookup(input: &AuthInput, access_key: &str) -> S3Result<Arc<User>> {
    input
        .users
        .by_access_key(access_key)?
        .ok_or_else(|| S3Error::new(Code::InvalidAccessKeyId).detail("AWSAccessKeyId", access_key))
}

fn canonical_headers(parts: &Parts, signed: &str) -> String {
    signed
        .split(';')
        .map(|name| {
            let vals: Vec<String> = parts
                .headers
                .get_all(name)
                .iter()
                .map(|v| sigv4::canonical_header_value(&String::from_utf8_lossy(v.as_bytes())))
                .collect();
            format!("{name}:{}\n", vals.join(","))
        })
        .collect()
}

/// S3 refuses `x-amz-*` headers a SigV4 signature does not cover (only `x-amz-content-sha256`
/// may go unsigned): they would otherwise take effect unsigned, e.g. `x-amz-acl: public-read` added
/// to a presigned PUT by whoever holds its URL.
fn check_all_amz_signed(parts: &Parts, signed_headers: &str) -> S3Result<()> {
    let signed: Vec<&str> = signed_headers.split(';').collect();
    let mut unsigned: Vec<&str> = parts
        .headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-amz-") && *k != "x-amz-content-sha256" && !signed.contains(k))
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    unsigned.sort_unstable();
    unsigned.dedup();
    Err(S3Error::msg(Code::AccessDenied, "There were headers present in the request which were not signed")
        .detail("HeadersNotSigned", unsigned.join(", ")))
}

fn raw_query(parts: &Parts) -> &str {
    parts.uri.query().unwrap_or("")
}

/// The parts of a SigV4 signature that differ between header and presigned requests.
struct V4Claim<'a> {
    amz_date: &'a str,
    signed_headers: &'a str,
    payload_hash: &'a str,
    /// Query parameter left out of the canonical query (the presigned signature itself).
    skip_query: Option<&'a str>,
    signature: &'a str,
}

fn v4_verify(parts: &Parts, user: &User, cred: &Credential, claim: &V4Claim) -> S3Result<[u8; 32]> {
    let creq = sigv4::canonical_request(
        parts.method.as_str(),
        &sigv4::canonical_uri(parts.uri.path()),
        &sigv4::canonical_query(raw_query(parts), claim.skip_query),
        &canonical_headers(parts, claim.signed_headers),
        claim.signed_headers,
        claim.payload_hash,
    );
    let key = sigv4::signing_key(&user.secret_key, cred.date, cred.region, "s3");
    let expected = sigv4::signature(&key, &sigv4::string_to_sign(claim.amz_date, &cred.scope, &creq));
    if !constant_time_eq(expected.as_bytes(), claim.signature.as_bytes()) {
        tracing::debug!(canonical_request = %creq, "signature mismatch");
        return Err(S3Error::new(Code::SignatureDoesNotMatch));
    }
    check_all_amz_signed(parts, claim.signed_headers)?;
    Ok(key)
}

fn v4_header(parts: &Parts, input: &AuthInput, rest: &str) -> S3Result<Auth> {
    let malformed = || S3Error::new(Code::AuthorizationHeaderMalformed);
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for item in rest.split(',') {
        let (k, v) = item.trim().split_once('=').ok_or_else(malformed)?;
        match k {
            "Credential" => cred = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => sig = Some(v),
            _ => return Err(malformed()),
        }
    }
    let (Some(cred), Some(signed), Some(sig)) = (cred, signed, sig) else {
        return Err(malformed());
    };
    let cred = parse_credential(cred, input, Code::AuthorizationHeaderMalformed)?;
    let user = lookup(input, cred.access_key)?;
    let date_str = header(parts, "x-amz-date").ok_or_else(|| {
        S3Error::msg(Code::AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
    })?;
    let date = parse_amz_date(date_str).ok_or_else(|| {
        S3Error::msg(Code::AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
    })?;
    if !date_str.starts_with(cred.date) {
        return Err(S3Error::msg(Code::SignatureDoesNotMatch, "the credential date does not match x-amz-date"));
    }
    check_skew(date, input.now)?;
    let content_sha = header(parts, "x-amz-content-sha256").ok_or_else(|| {
        S3Error::msg(Code::InvalidRequest, "Missing required header for this request: x-amz-content-sha256")
    })?;
    let payload = match content_sha {
        "UNSIGNED-PAYLOAD" => Payload::Unsigned,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Payload::Chunked { signer: None, trailer: true },
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Payload::Chunked {
            signer: Some(chunked::ChainSigner {
                key: [0; 32],
                amz_date: date_str.to_owned(),
                scope: cred.scope.clone(),
                previous: sig.to_owned(),
            }),
            trailer: content_sha.ends_with("-TRAILER"),
        },
        h if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => Payload::Sha256(h.to_ascii_lowercase()),
        _ if content_sha.starts_with("STREAMING-") => {
            return Err(S3Error::msg(Code::NotImplemented, format!("x-amz-content-sha256 {content_sha} is not supported")))
        }
        _ => {
            return Err(S3Error::msg(
                Code::InvalidArgument,
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
            ))
        }
    };
    let claim = V4Claim {
        amz_date: date_str,
        signed_headers: signed,
        payload_hash: content_sha,
        skip_query: None,
        signature: sig,
    };
    let key = v4_verify(parts, &user, &cred, &claim)?;
    let payload = match payload {
        Payload::Chunked { signer: Some(mut s), trailer } => {
            s.key = key;
            Payload::Chunked { signer: Some(s), trailer }
        }
        p => p,
    };
    Ok(Auth { user: Some(user), payload, proof: proof(AuthKind::Header, sigv4::ALGORITHM, Some(date)) })
}

fn v4_presigned(parts: &Parts, input: &AuthInput) -> S3Result<Auth> {
    let need = |name: &str| {
        query(input, name).ok_or_else(|| {
            S3Error::msg(
                Code::AuthorizationQueryParametersError,
                format!("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters. Missing {name}."),
            )
        })
    };
    let (cred, date_str, expires, signed, sig) = (
        need("X-Amz-Credential")?,
        need("X-Amz-Date")?,
        need("X-Amz-Expires")?,
        need("X-Amz-SignedHeaders")?,
        need("X-Amz-Signature")?,
    );
    let cred = parse_credential(cred, input, Code::AuthorizationQueryParametersError)?;
    let user = lookup(input, cred.access_key)?;
    let date = parse_amz_date(date_str).ok_or_else(|| {
        S3Error::msg(
            Code::AuthorizationQueryParametersError,
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        )
    })?;
    let expires: i64 = expires
        .parse()
        .map_err(|_| S3Error::msg(Code::AuthorizationQueryParametersError, "X-Amz-Expires should be a number"))?;
    // Out of range is malformed (400); a zero-second URL is simply expired by the time it arrives.
    if expires < 0 {
        return Err(S3Error::msg(Code::AuthorizationQueryParametersError, "X-Amz-Expires must be non-negative"));
    }
    if expires > MAX_PRESIGN_SECS {
        return Err(S3Error::msg(
            Code::AuthorizationQueryParametersError,
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
        ));
    }
    if date - input.now > chrono::Duration::seconds(MAX_SKEW_SECS) {
        return Err(S3Error::msg(Code::AccessDenied, "Request is not valid yet"));
    }
    let payload_hash = header(parts, "x-amz-content-sha256").unwrap_or("UNSIGNED-PAYLOAD");
    let claim = V4Claim {
        amz_date: date_str,
        signed_headers: signed,
        payload_hash,
        skip_query: Some("X-Amz-Signature"),
        signature: sig,
    };
    v4_verify(parts, &user, &cred, &claim)?;
    // Expiry is checked after the signature so that a forged URL never learns more than "denied".
    let expiry = date + chrono::Duration::seconds(expires);
    if input.now > expiry {
        return Err(S3Error::msg(Code::AccessDenied, "Request has expired")
            .detail("X-Amz-Expires", expires.to_string())
            .detail("Expires", expiry.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .detail("ServerTime", input.now.format("%Y-%m-%dT%H:%M:%SZ").to_string()));
    }
    let payload = match payload_hash {
        h if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => Payload::Sha256(h.to_ascii_lowercase()),
        _ => Payload::Unsigned,
    };
    Ok(Auth { user: Some(user), payload, proof: proof(AuthKind::Query, sigv4::ALGORITHM, Some(date)) })
}

/// A SigV2 `Date` (RFC 2822), its weekday ignored as S3 ignores it (a wrong one is still a date);
/// None for what is no date, or one before 1970.
fn parse_v2_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let without_weekday = match s.split_once(',') {
        Some((day, rest)) if day.trim().chars().all(|c| c.is_ascii_alphabetic()) => rest.trim(),
        _ => s,
    };
    let date = DateTime::parse_from_rfc2822(without_weekday).ok()?.with_timezone(&Utc);
    (date.timestamp() >= 0).then_some(date)
}

/// SigV2: `rest` is `AKID:signature`; `expires` is set for presigned URLs.
fn v2(parts: &Parts, input: &AuthInput, rest: &str, expires: Option<&str>) -> S3Result<Auth> {
    let (ak, given) = rest.rsplit_once(':').ok_or_else(|| S3Error::new(Code::AuthorizationHeaderMalformed))?;
    // The time first: a missing, stale or expired one is refused whatever the signature, as in S3.
    let proof = match expires {
        Some(e) => {
            let e: i64 = e.parse().map_err(|_| S3Error::msg(Code::AccessDenied, "Invalid Expires"))?;
            if input.now.timestamp() > e {
                return Err(S3Error::msg(Code::AccessDenied, "Request has expired"));
            }
            proof(AuthKind::Query, "AWS", None)
        }
        None => {
            let date = header(parts, "x-amz-date").or_else(|| header(parts, "date")).unwrap_or("");
            let date = parse_v2_date(date).ok_or_else(|| {
                S3Error::msg(Code::AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
            })?;
            check_skew(date, input.now)?;
            proof(AuthKind::Header, "AWS", Some(date))
        }
    };
    let user = lookup(input, ak)?;
    let date_line = match expires {
        Some(e) => e.to_owned(),
        // With x-amz-date present, it is signed among the amz headers and the Date line is empty.
        None if parts.headers.contains_key("x-amz-date") => String::new(),
        None => header(parts, "date").unwrap_or("").to_owned(),
    };
    let bucket_prefix = input.vhost_bucket.map(|b| format!("/{b}")).unwrap_or_default();
    let amz_headers = sigv2::canonical_amz_headers(&parts.headers);
    let string_to_sign = |resource: &str| {
        sigv2::string_to_sign(
            parts.method.as_str(),
            header(parts, "content-md5").unwrap_or(""),
            header(parts, "content-type").unwrap_or(""),
            &date_line,
            &amz_headers,
            resource,
        )
    };
    let resources = sigv2::canonical_resources(&bucket_prefix, parts.uri.path(), input.query);
    let signed = resources
        .iter()
        .any(|r| constant_time_eq(sigv2::signature(&user.secret_key, &string_to_sign(r)).as_bytes(), given.as_bytes()));
    if !signed {
        tracing::debug!(string_to_sign = %string_to_sign(&resources[0]), "SigV2 signature mismatch");
        return Err(S3Error::new(Code::SignatureDoesNotMatch));
    }
    Ok(Auth { user: Some(user), payload: Payload::Unsigned, proof })
}

/// Authenticates a browser-form POST: the signature covers the base64 policy document, with
/// SigV4 (`x-amz-*` fields) or SigV2 (`AWSAccessKeyId`, `signature`). `field` looks a form field up
/// by lower-case name. An unsigned form is anonymous.
pub fn authenticate_post_policy(field: impl Fn(&str) -> Option<String>, input: &AuthInput) -> S3Result<Auth> {
    let Some(policy) = field("policy") else { return Ok(Auth::anonymous()) };
    let signed = |user, version, signed_at| Auth {
        user: Some(user),
        payload: Payload::Unsigned,
        proof: proof(AuthKind::Post, version, signed_at),
    };
    let mismatch = || S3Error::new(Code::SignatureDoesNotMatch);
    if let Some(sig) = field("x-amz-signature") {
        if field("x-amz-algorithm").as_deref() != Some(sigv4::ALGORITHM) {
            return Err(S3Error::msg(Code::InvalidArgument, "Only AWS4-HMAC-SHA256 is supported for x-amz-algorithm"));
        }
        let cred = field("x-amz-credential")
            .ok_or_else(|| S3Error::msg(Code::InvalidArgument, "x-amz-credential is required"))?;
        let cred = parse_credential(&cred, input, Code::InvalidArgument)?;
        let user = lookup(input, cred.access_key)?;
        let key = sigv4::signing_key(&user.secret_key, cred.date, cred.region, "s3");
        if !constant_time_eq(sigv4::signature(&key, &policy).as_bytes(), sig.as_bytes()) {
            return Err(mismatch());
        }
        let signed_at = field("x-amz-date").and_then(|d| parse_amz_date(&d));
        return Ok(signed(user, sigv4::ALGORITHM, signed_at));
    }
    // A policy without what signs it is a malformed form, as S3 has it.
    let must_contain = |name: &str| {
        S3Error::msg(
            Code::InvalidArgument,
            format!("Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."),
        )
        .detail("ArgumentName", name.to_owned())
    };
    if field("x-amz-credential").is_some() || field("x-amz-algorithm").is_some() {
        return Err(must_contain("X-Amz-Signature"));
    }
    let ak = field("awsaccesskeyid").ok_or_else(|| must_contain("AWSAccessKeyId"))?;
    let sig = field("signature").ok_or_else(|| must_contain("Signature"))?;
    let user = lookup(input, &ak)?;
    if !constant_time_eq(sigv2::signature(&user.secret_key, &policy).as_bytes(), sig.as_bytes()) {
        return Err(mismatch());
    }
    Ok(signed(user, "AWS", None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigv2_dates_ignore_the_weekday_and_refuse_before_1970() {
        let at = |s: &str| parse_v2_date(s).map(|d| d.to_rfc3339());
        let rows: [(&str, Option<&str>); 7] = [
            ("Mon, 07 Dec 2026 12:00:00 GMT", Some("2026-12-07T12:00:00+00:00")),
            // The 7th of December 2026 is a Monday: the wrong name is ignored.
            ("Fri, 07 Dec 2026 12:00:00 GMT", Some("2026-12-07T12:00:00+00:00")),
            ("Tue, 07 Dec 2030 12:00:00 GMT", Some("2030-12-07T12:00:00+00:00")),
            ("Mon, 31 Dec 9999 23:59:59 GMT", Some("9999-12-31T23:59:59+00:00")),
            ("07 Dec 2026 12:00:00 +0100", Some("2026-12-07T11:00:00+00:00")),
            ("Wed, 31 Dec 1969 23:59:59 GMT", None),
            ("yesterday", None),
        ];
        for (given, want) in rows {
            assert_eq!(at(given).as_deref(), want, "{given}");
        }
    }

    #[test]
    fn a_date_off_by_more_than_15_minutes_is_too_skewed() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        for (date, skewed) in [("Fri, 07 Dec 2026 12:14:00 GMT", false), ("Fri, 31 Dec 9999 00:00:00 GMT", true)] {
            let code = check_skew(parse_v2_date(date).unwrap(), now).err().map(|e| e.code);
            assert_eq!(code, skewed.then_some(Code::RequestTimeTooSkewed), "{date}");
        }
    }
}
