//! Object Lock on the wire: Put/GetObjectLockConfiguration, Put/GetObjectRetention,
//! Put/GetObjectLegalHold, the `x-amz-object-lock-*` headers of writes and reads, and the governance
//! bypass of deletes. The rules and their enforcement are the engine's (`firn_storage::lock`).

use super::authz::Need;
use super::{blocking, empty, with_version, xml_response, Ctx};
use crate::body::Body;
use crate::checksum::Algorithm;
use crate::error::{Code, S3Error, S3Result};
use crate::xml::{Element, XmlWriter};
use firn_storage::lock::iso;
use firn_storage::{DefaultRetention, LockMode, ObjectLockConfig, ObjectRecord, Retention, VersionLock};
use http::response::Builder;
use http::{Response, StatusCode};

fn malformed() -> S3Error {
    S3Error::new(Code::MalformedXML)
}

fn no_lock_on_bucket() -> S3Error {
    S3Error::msg(Code::InvalidRequest, "Bucket is missing Object Lock Configuration")
}

/// AWS requires a Content-MD5 or a checksum on requests that set Object Lock; either will do.
pub fn require_integrity(ctx: &Ctx) -> S3Result<()> {
    let present = ctx.header("content-md5").is_some()
        || ctx.header("x-amz-trailer").is_some()
        || ctx.header("x-amz-sdk-checksum-algorithm").is_some()
        || Algorithm::ALL.iter().any(|a| ctx.header(a.header()).is_some());
    if present {
        Ok(())
    } else {
        Err(S3Error::msg(
            Code::InvalidRequest,
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
        ))
    }
}

fn parse_date(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim()).ok().map(|d| d.timestamp_millis())
}

/// The lock a write asks for: its `x-amz-object-lock-*` headers, else the bucket's default
/// retention. None on buckets without Object Lock (where the headers are refused).
pub fn requested(ctx: &Ctx, now_ms: i64) -> S3Result<Option<VersionLock>> {
    let asked = LOCK_FIELDS.iter().any(|f| ctx.header(f).is_some());
    // A body that sets a lock must come with its integrity checked (copies and uploads' creations
    // carry no body).
    if asked && ctx.op == crate::router::Op::PutObject {
        require_integrity(ctx)?;
    }
    from_fields(ctx.access.object_lock, now_ms, |name| ctx.header(name))
}

const LOCK_FIELDS: [&str; 3] =
    ["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"];

/// The lock that `x-amz-object-lock-*` values (headers, or a POST form's fields) ask for on a
/// bucket with `config`, else its default retention.
pub fn from_fields<'a>(
    config: Option<ObjectLockConfig>,
    now_ms: i64,
    field: impl Fn(&str) -> Option<&'a str>,
) -> S3Result<Option<VersionLock>> {
    let [mode, until, hold] = LOCK_FIELDS.map(&field);
    let asked = mode.is_some() || until.is_some() || hold.is_some();
    let Some(config) = config else {
        return if asked { Err(no_lock_on_bucket()) } else { Ok(None) };
    };
    let invalid = |m: &str| S3Error::msg(Code::InvalidArgument, m);
    let retention = match (mode, until) {
        (None, None) => config.default_retention.map(|d| d.from(now_ms)),
        (Some(m), Some(u)) => {
            let mode = LockMode::parse(m).ok_or_else(|| invalid("Unknown wormMode directive."))?;
            let until_ms = parse_date(u).ok_or_else(|| invalid("The retain until date is not valid."))?;
            if until_ms <= now_ms {
                return Err(invalid("The retain until date must be in the future!"));
            }
            Some(Retention { mode, until_ms })
        }
        _ => {
            return Err(invalid("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"))
        }
    };
    let legal_hold = match hold {
        None | Some("OFF") => false,
        Some("ON") => true,
        Some(_) => return Err(invalid("Legal Hold must be either of 'ON' or 'OFF'")),
    };
    Ok(Some(VersionLock { retention, legal_hold, hold_set: hold.is_some() }))
}

/// `x-amz-object-lock-*` on GET and HEAD of a version that has a lock.
pub fn headers(mut b: Builder, ctx: &Ctx, rec: &ObjectRecord) -> Builder {
    if ctx.access.object_lock.is_none() {
        return b;
    }
    let Ok(lock) = ctx.app.engine.version_lock(ctx.bucket(), rec) else { return b };
    if let Some(r) = lock.retention {
        b = b
            .header("x-amz-object-lock-mode", r.mode.as_str())
            .header("x-amz-object-lock-retain-until-date", iso(r.until_ms));
    }
    if lock.legal_hold {
        b = b.header("x-amz-object-lock-legal-hold", "ON");
    }
    b
}

/// Whether the request may bypass GOVERNANCE retention: it asks to, and may
/// (`s3:BypassGovernanceRetention`, the bucket owner's unless a policy says otherwise).
pub fn bypass(ctx: &Ctx, key: &str) -> bool {
    let asked = ctx.header("x-amz-bypass-governance-retention").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    asked && ctx.authorize(ctx.bucket(), Some(key), "s3:BypassGovernanceRetention", Need::Owner).is_ok()
}

pub fn config_from_document(doc: &Element) -> S3Result<ObjectLockConfig> {
    if doc.name != "ObjectLockConfiguration" || doc.child_text("ObjectLockEnabled").map(str::trim) != Some("Enabled") {
        return Err(malformed());
    }
    let Some(rule) = doc.child("Rule") else { return Ok(ObjectLockConfig::default()) };
    let d = rule.child("DefaultRetention").ok_or_else(malformed)?;
    let mode = d.child_text("Mode").and_then(|m| LockMode::parse(m.trim())).ok_or_else(malformed)?;
    let number = |name: &str| -> S3Result<Option<u32>> {
        let Some(v) = d.child_text(name) else { return Ok(None) };
        match v.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(S3Error::msg(Code::InvalidArgument, "Default retention period must be a positive integer value")),
        }
    };
    let (days, years) = (number("Days")?, number("Years")?);
    if days.is_some() == years.is_some() {
        return Err(malformed());
    }
    Ok(ObjectLockConfig { default_retention: Some(DefaultRetention { mode, days, years }) })
}

pub fn config_to_document(c: &ObjectLockConfig) -> String {
    let mut w = XmlWriter::new("ObjectLockConfiguration");
    w.elem("ObjectLockEnabled", "Enabled");
    if let Some(d) = &c.default_retention {
        w.open("Rule").open("DefaultRetention").elem("Mode", d.mode.as_str());
        w.opt("Days", d.days.map(|n| n.to_string())).opt("Years", d.years.map(|n| n.to_string()));
        w.close().close();
    }
    w.finish()
}

pub async fn put_config(mut ctx: Ctx) -> S3Result<Response<Body>> {
    require_integrity(&ctx)?;
    let config = config_from_document(&ctx.xml_body().await?)?;
    blocking(|| ctx.app.engine.set_object_lock(ctx.bucket(), config)).map_err(|e| match e {
        firn_storage::EngineError::InvalidBucketState => S3Error::msg(
            Code::InvalidBucketState,
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
        ),
        e => e.into(),
    })?;
    Ok(empty(StatusCode::OK))
}

pub async fn get_config(ctx: Ctx) -> S3Result<Response<Body>> {
    let config = ctx.access.object_lock.ok_or_else(|| S3Error::new(Code::ObjectLockConfigurationNotFoundError))?;
    Ok(xml_response(StatusCode::OK, config_to_document(&config)))
}

/// The request's version, on a bucket with Object Lock.
fn locked_version(ctx: &Ctx) -> S3Result<ObjectRecord> {
    if ctx.access.object_lock.is_none() {
        return Err(no_lock_on_bucket());
    }
    ctx.load_requested()
}

pub async fn put_retention(mut ctx: Ctx) -> S3Result<Response<Body>> {
    require_integrity(&ctx)?;
    let rec = locked_version(&ctx)?;
    let doc = ctx.xml_body().await?;
    if doc.name != "Retention" {
        return Err(malformed());
    }
    let retention = match (doc.child_text("Mode"), doc.child_text("RetainUntilDate")) {
        // An empty document removes the retention (GOVERNANCE, with a bypass).
        (None, None) => None,
        (Some(m), Some(u)) => {
            let mode = LockMode::parse(m.trim()).ok_or_else(malformed)?;
            let until_ms = parse_date(u).ok_or_else(malformed)?;
            if until_ms <= ctx.app.engine.now_ms() {
                return Err(S3Error::msg(Code::InvalidArgument, "The retain until date must be in the future!"));
            }
            Some(Retention { mode, until_ms })
        }
        _ => return Err(malformed()),
    };
    let bypass = bypass(&ctx, ctx.key().as_str());
    blocking(|| ctx.app.engine.set_retention(ctx.bucket(), &rec, retention, bypass))?;
    Ok(with_version(Response::builder(), &ctx, &rec.version_id).body(Body::Empty).expect("valid response"))
}

pub async fn get_retention(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = locked_version(&ctx)?;
    let lock = ctx.app.engine.version_lock(ctx.bucket(), &rec)?;
    let r = lock.retention.ok_or_else(|| S3Error::new(Code::NoSuchObjectLockConfiguration))?;
    let mut w = XmlWriter::new("Retention");
    w.elem("Mode", r.mode.as_str()).elem("RetainUntilDate", iso(r.until_ms));
    Ok(xml_response(StatusCode::OK, w.finish()))
}

pub async fn put_legal_hold(mut ctx: Ctx) -> S3Result<Response<Body>> {
    require_integrity(&ctx)?;
    let rec = locked_version(&ctx)?;
    let doc = ctx.xml_body().await?;
    let on = match (doc.name.as_str(), doc.child_text("Status").map(str::trim)) {
        ("LegalHold", Some("ON")) => true,
        ("LegalHold", Some("OFF")) => false,
        _ => return Err(malformed()),
    };
    blocking(|| ctx.app.engine.set_legal_hold(ctx.bucket(), &rec, on))?;
    Ok(with_version(Response::builder(), &ctx, &rec.version_id).body(Body::Empty).expect("valid response"))
}

pub async fn get_legal_hold(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = locked_version(&ctx)?;
    let lock = ctx.app.engine.version_lock(ctx.bucket(), &rec)?;
    if !lock.hold_set {
        return Err(S3Error::new(Code::NoSuchObjectLockConfiguration));
    }
    let mut w = XmlWriter::new("LegalHold");
    w.elem("Status", if lock.legal_hold { "ON" } else { "OFF" });
    Ok(xml_response(StatusCode::OK, w.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> S3Result<ObjectLockConfig> {
        config_from_document(&crate::xml::parse(xml.as_bytes()).unwrap())
    }

    #[test]
    fn configuration_documents() {
        let ns = "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>7</Days></DefaultRetention></Rule></ObjectLockConfiguration>";
        let c = parse(ns).unwrap();
        assert_eq!(
            c.default_retention,
            Some(DefaultRetention { mode: LockMode::Governance, days: Some(7), years: None })
        );
        assert_eq!(
            parse(&ns.replace(" xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"", "")).unwrap(),
            c,
            "no namespace"
        );
        assert_eq!(parse(&config_to_document(&c)).unwrap(), c);
        let bare =
            parse("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>");
        assert_eq!(bare.unwrap(), ObjectLockConfig::default());
        let cases: &[(&str, Code)] = &[
            ("<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>", Code::MalformedXML),
            ("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>SOMETIMES</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>", Code::MalformedXML),
            ("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>", Code::MalformedXML),
            ("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention></Rule></ObjectLockConfiguration>", Code::MalformedXML),
            ("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>0</Days></DefaultRetention></Rule></ObjectLockConfiguration>", Code::InvalidArgument),
            ("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>-1</Years></DefaultRetention></Rule></ObjectLockConfiguration>", Code::InvalidArgument),
        ];
        for (xml, code) in cases {
            assert_eq!(parse(xml).unwrap_err().code, *code, "{xml}");
        }
    }
}
