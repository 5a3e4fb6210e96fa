//! The `<RestoreRequest>` document.

use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::Element;

/// What a RestoreRequest asks for: days of a restored copy (required for archived classes) and
/// the tier.
#[derive(Debug, PartialEq)]
pub struct Request {
    pub days: Option<i64>,
    pub tier: String,
}

pub fn parse(doc: &Element) -> S3Result<Request> {
    if doc.name != "RestoreRequest" {
        return Err(S3Error::msg(Code::MalformedXML, "The root element must be RestoreRequest"));
    }
    if doc.child_text("Type").is_some_and(|t| t == "SELECT") || doc.child("SelectParameters").is_some() {
        return Err(S3Error::msg(Code::NotImplemented, "Restores of type SELECT are not implemented"));
    }
    let days = doc
        .child_text("Days")
        .map(|d| d.trim().parse::<i64>().map_err(|_| S3Error::msg(Code::MalformedXML, "Days must be a whole number")))
        .transpose()?;
    let tier = doc
        .child("GlacierJobParameters")
        .and_then(|g| g.child_text("Tier"))
        .or_else(|| doc.child_text("Tier"))
        .unwrap_or("Standard");
    if !matches!(tier, "Expedited" | "Standard" | "Bulk") {
        return Err(S3Error::msg(Code::MalformedXML, format!("Tier must be Expedited, Standard or Bulk, not {tier}")));
    }
    Ok(Request { days, tier: tier.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use firn_storage::RestoreRecord;

    fn doc(xml: &str) -> S3Result<Request> {
        parse(&crate::wire::xml::parse(xml.as_bytes()).unwrap())
    }

    #[test]
    fn restore_requests() {
        let r = doc("<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>");
        assert_eq!(r.unwrap(), Request { days: Some(2), tier: "Bulk".into() });
        assert_eq!(doc("<RestoreRequest><Days>1</Days></RestoreRequest>").unwrap().tier, "Standard");
        assert_eq!(doc("<RestoreRequest/>").unwrap().days, None);
        assert_eq!(doc("<RestoreRequest><Days>x</Days></RestoreRequest>").unwrap_err().code, Code::MalformedXML);
        let bad_tier = "<RestoreRequest><Days>1</Days><GlacierJobParameters><Tier>Fast</Tier></GlacierJobParameters></RestoreRequest>";
        assert_eq!(doc(bad_tier).unwrap_err().code, Code::MalformedXML);
        assert_eq!(doc("<RestoreRequest><Type>SELECT</Type></RestoreRequest>").unwrap_err().code, Code::NotImplemented);
        assert_eq!(doc("<Other/>").unwrap_err().code, Code::MalformedXML);
    }

    #[test]
    fn restore_header_values() {
        let mut r = RestoreRecord {
            tier: "Standard".into(),
            days: 1,
            requested_ms: 0,
            due_ms: 10,
            completed_ms: None,
            expiry_ms: None,
            extents: vec![],
        };
        assert_eq!(crate::s3::respond::restore_header(&r), "ongoing-request=\"true\"");
        r.completed_ms = Some(10);
        r.expiry_ms = Some(1_796_428_800_000);
        assert_eq!(
            crate::s3::respond::restore_header(&r),
            "ongoing-request=\"false\", expiry-date=\"Sat, 05 Dec 2026 00:00:00 GMT\""
        );
    }
}
