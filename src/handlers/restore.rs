//! RestoreObject: the `RestoreRequest` document, and the `x-amz-restore` header that tells how a
//! restore stands. The jobs themselves are the engine's (`restore.rs` there).

use super::{blocking, empty, Ctx};
use crate::body::Body;
use crate::conditions::http_date;
use crate::error::{Code, S3Error, S3Result};
use crate::xml::Element;
use firn_storage::{needs_restore, RestoreOutcome, RestoreRecord};
use http::{Response, StatusCode};

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

/// `ongoing-request="true"` while the job runs; then `ongoing-request="false", expiry-date="…"`.
pub fn header(r: &RestoreRecord) -> String {
    match (r.completed_ms, r.expiry_ms) {
        (Some(_), Some(expiry)) => format!("ongoing-request=\"false\", expiry-date=\"{}\"", http_date(expiry)),
        _ => "ongoing-request=\"true\"".to_owned(),
    }
}

/// Whether a listing asked for `RestoreStatus` (`x-amz-optional-object-attributes`).
pub fn listing_wants_status(ctx: &Ctx) -> bool {
    ctx.header("x-amz-optional-object-attributes").is_some_and(|v| v.split(',').any(|a| a.trim() == "RestoreStatus"))
}

/// `<RestoreStatus>` of a listed version that is being or has been restored.
pub fn status_element(w: &mut crate::xml::XmlWriter, ctx: &Ctx, rec: &firn_storage::ObjectRecord) -> S3Result<()> {
    if !needs_restore(&rec.meta.storage_class) {
        return Ok(());
    }
    if let Some(r) = ctx.app.engine.restore_status(ctx.bucket(), rec)? {
        w.open("RestoreStatus").elem("IsRestoreInProgress", r.completed_ms.is_none().to_string());
        w.opt("RestoreExpiryDate", r.expiry_ms.map(crate::conditions::iso_date)).close();
    }
    Ok(())
}

pub async fn restore(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let req = parse(&ctx.xml_body().await?)?;
    let rec = ctx.load_object(ctx.bucket(), ctx.key(), ctx.version(), None)?;
    if !needs_restore(&rec.meta.storage_class) {
        return Err(S3Error::new(Code::InvalidObjectState).detail("StorageClass", rec.meta.storage_class.clone()));
    }
    let days = match req.days {
        Some(d) if (1..=i64::from(u32::MAX)).contains(&d) => d as u32,
        Some(_) => {
            return Err(S3Error::msg(Code::InvalidArgument, "Days must be at least 1").detail("ArgumentName", "Days"))
        }
        None => {
            return Err(S3Error::msg(Code::InvalidArgument, "Days is required to restore an archived object")
                .detail("ArgumentName", "Days"))
        }
    };
    let outcome = blocking(|| ctx.app.engine.restore_object(ctx.bucket(), &rec, days, &req.tier))?;
    Ok(empty(match outcome {
        RestoreOutcome::Started | RestoreOutcome::Upgraded => StatusCode::ACCEPTED,
        RestoreOutcome::Extended => StatusCode::OK,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(xml: &str) -> S3Result<Request> {
        parse(&crate::xml::parse(xml.as_bytes()).unwrap())
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
        assert_eq!(header(&r), "ongoing-request=\"true\"");
        r.completed_ms = Some(10);
        r.expiry_ms = Some(1_796_428_800_000);
        assert_eq!(header(&r), "ongoing-request=\"false\", expiry-date=\"Sat, 05 Dec 2026 00:00:00 GMT\"");
    }
}
