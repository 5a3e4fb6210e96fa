//! The `<ObjectLockConfiguration>` document.

use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::{Element, XmlWriter};
use firn_storage::{DefaultRetention, LockMode, ObjectLockConfig};

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

pub fn malformed() -> S3Error {
    S3Error::new(Code::MalformedXML)
}

pub fn no_lock_on_bucket() -> S3Error {
    S3Error::msg(Code::InvalidRequest, "Bucket is missing Object Lock Configuration")
}

pub fn parse_date(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim()).ok().map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> S3Result<ObjectLockConfig> {
        config_from_document(&crate::wire::xml::parse(xml.as_bytes()).unwrap())
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
