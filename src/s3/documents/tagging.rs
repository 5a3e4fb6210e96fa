//! Tag sets: the `x-amz-tagging` header's query-string form and the `<Tagging>` document, with
//! S3's limits on count and length.

use crate::auth::sigv4::uri_decode;
use crate::wire::error::{Code, S3Error, S3Result};
use crate::wire::xml::{Element, XmlWriter};

/// An object takes at most 10 tags, a bucket 50.
pub const MAX_OBJECT_TAGS: usize = 10;

pub const MAX_BUCKET_TAGS: usize = 50;

const MAX_TAG_KEY: usize = 128;

const MAX_TAG_VALUE: usize = 256;

/// S3's tag rules: at most `max`, keys up to 128 and values up to 256 characters, keys unique and
/// non-empty.
fn validate(tags: &[(String, String)], max: usize) -> S3Result<()> {
    // Too many is S3's BadRequest (what the service answers; its documentation names InvalidTag
    // only for a tag that is itself wrong).
    if tags.len() > max {
        let what = if max == MAX_BUCKET_TAGS { "Bucket tag count" } else { "Object tags" };
        return Err(S3Error::msg(Code::BadRequest, format!("{what} cannot be greater than {max}")));
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
    validate(&tags, MAX_OBJECT_TAGS)?;
    Ok(tags)
}

/// A `<Tagging><TagSet><Tag>` document of an object's tags, validated.
pub fn from_document(doc: &Element) -> S3Result<Vec<(String, String)>> {
    tag_set(doc, MAX_OBJECT_TAGS)
}

pub fn tag_set(doc: &Element, max: usize) -> S3Result<Vec<(String, String)>> {
    let set = doc.child("TagSet").filter(|_| doc.name == "Tagging").ok_or_else(|| S3Error::new(Code::MalformedXML))?;
    let tags = set
        .children_named("Tag")
        .map(|t| match (t.child_text("Key"), t.child_text("Value")) {
            (Some(k), v) => Ok((k.to_owned(), v.unwrap_or("").to_owned())),
            _ => Err(S3Error::new(Code::MalformedXML)),
        })
        .collect::<S3Result<Vec<_>>>()?;
    validate(&tags, max)?;
    Ok(tags)
}

pub fn to_document(tags: &[(String, String)]) -> String {
    let mut w = XmlWriter::new("Tagging");
    w.open("TagSet");
    for (k, v) in tags {
        w.open("Tag").elem("Key", k).elem("Value", v).close();
    }
    w.close();
    w.finish()
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
        assert_eq!(from_header(Some(&many.join("&"))).unwrap_err().code, Code::BadRequest);
        assert_eq!(from_header(Some(&format!("{}=v", "k".repeat(129)))).unwrap_err().code, Code::InvalidTag);
        // Empty values, '+' as a space, encoded '=' and '&', a key without '='.
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert_eq!(
            from_header(Some("a=&b=c+d&k%3Dx=v%3Dy%26z&e&f=%2B")).unwrap(),
            pairs(&[("a", ""), ("b", "c d"), ("k=x", "v=y&z"), ("e", ""), ("f", "+")])
        );
        let fifty: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(validate(&fifty, MAX_BUCKET_TAGS).is_ok());
        assert_eq!(validate(&fifty, MAX_OBJECT_TAGS).unwrap_err().code, Code::BadRequest);
    }
}
