//! Object tagging: Get/Put/DeleteObjectTagging and the `x-amz-tagging` header of PUT and copy.

use super::{blocking, with_version, Ctx};
use crate::auth::sigv4::uri_decode;
use crate::body::Body;
use crate::error::{Code, S3Error, S3Result};
use crate::xml::{Element, XmlWriter};
use http::{Response, StatusCode};

const MAX_TAGS: usize = 10;
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;

/// S3's tag rules: at most 10, keys up to 128 and values up to 256 characters, keys unique and non-empty.
pub fn validate(tags: &[(String, String)]) -> S3Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(S3Error::msg(Code::InvalidTag, "Object tags cannot be greater than 10"));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > MAX_TAG_KEY {
            return Err(S3Error::msg(Code::InvalidTag, "The TagKey you have provided is invalid"));
        }
        if v.chars().count() > MAX_TAG_VALUE {
            return Err(S3Error::msg(Code::InvalidTag, "The TagValue you have provided is invalid"));
        }
        if tags[..i].iter().any(|(other, _)| other == k) {
            return Err(S3Error::msg(Code::InvalidTag, "Cannot provide multiple Tags with the same key"));
        }
    }
    Ok(())
}

/// `x-amz-tagging: k1=v1&k2=v2`, URL-encoded.
pub fn from_header(header: Option<&str>) -> S3Result<Vec<(String, String)>> {
    let Some(h) = header else {
        return Ok(Vec::new());
    };
    let tags: Vec<(String, String)> = h
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_decode(&k.replace('+', " ")), uri_decode(&v.replace('+', " ")))
        })
        .collect();
    validate(&tags)?;
    Ok(tags)
}

pub async fn get(ctx: Ctx) -> S3Result<Response<Body>> {
    let rec = ctx.load_requested()?;
    let mut w = XmlWriter::new("Tagging");
    w.open("TagSet");
    for (k, v) in &rec.meta.tags {
        w.open("Tag").elem("Key", k).elem("Value", v).close();
    }
    let resp =
        with_version(Response::builder().header(http::header::CONTENT_TYPE, "application/xml"), &ctx, &rec.version_id);
    Ok(resp.body(Body::full(w.finish())).expect("valid response"))
}

/// Replaces the tags of the current object or of the version asked for.
async fn replace(ctx: &Ctx, tags: Vec<(String, String)>, status: StatusCode) -> S3Result<Response<Body>> {
    // Writing tags takes WRITE on the bucket, as overwriting the object would.
    let rec = ctx.load_object(ctx.bucket(), ctx.key(), ctx.version(), None)?;
    blocking(|| ctx.app.engine.set_tags(ctx.bucket(), ctx.key(), &rec.version_id, tags))?;
    Ok(with_version(Response::builder().status(status), ctx, &rec.version_id)
        .body(Body::Empty)
        .expect("valid response"))
}

/// A `<Tagging><TagSet><Tag>` document, validated.
pub fn from_document(doc: &Element) -> S3Result<Vec<(String, String)>> {
    let set = doc.child("TagSet").filter(|_| doc.name == "Tagging").ok_or_else(|| S3Error::new(Code::MalformedXML))?;
    let tags = set
        .children_named("Tag")
        .map(|t| match (t.child_text("Key"), t.child_text("Value")) {
            (Some(k), v) => Ok((k.to_owned(), v.unwrap_or("").to_owned())),
            _ => Err(S3Error::new(Code::MalformedXML)),
        })
        .collect::<S3Result<Vec<_>>>()?;
    validate(&tags)?;
    Ok(tags)
}

pub async fn put(mut ctx: Ctx) -> S3Result<Response<Body>> {
    let tags = from_document(&ctx.xml_body().await?)?;
    replace(&ctx, tags, StatusCode::OK).await
}

pub async fn delete(ctx: Ctx) -> S3Result<Response<Body>> {
    replace(&ctx, Vec::new(), StatusCode::NO_CONTENT).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing_and_limits() {
        assert_eq!(
            from_header(Some("a=1&b=x%20y")).unwrap(),
            vec![("a".into(), "1".into()), ("b".into(), "x y".into())]
        );
        assert_eq!(from_header(Some("a=1&a=2")).unwrap_err().code, Code::InvalidTag);
        let many: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
        assert_eq!(from_header(Some(&many.join("&"))).unwrap_err().code, Code::InvalidTag);
        assert_eq!(from_header(Some(&format!("{}=v", "k".repeat(129)))).unwrap_err().code, Code::InvalidTag);
    }
}
