//! Form posts: an `application/x-www-form-urlencoded` body, read whole up to a small limit.

use http_body_util::BodyExt;

/// Forms are short: names, tags, a few settings.
const MAX_FORM: usize = 64 << 10;

#[derive(Debug, Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    /// Reads a form body; None when it is too long or breaks off.
    pub async fn read(body: hyper::body::Incoming) -> Option<Form> {
        let limited = http_body_util::Limited::new(body, MAX_FORM);
        let bytes = limited.collect().await.ok()?.to_bytes();
        Some(Form::parse(&bytes))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name`, or "".
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The rows of a tag editor (`layout::tag_table`) that are not left empty.
    pub fn tags(&self) -> Vec<(String, String)> {
        let rows = self.all("tag_key").zip(self.all("tag_value"));
        rows.filter(|(k, v)| !k.is_empty() || !v.is_empty()).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let t = Form::parse(b"tag_key=a&tag_value=1&tag_key=&tag_value=&tag_key=&tag_value=v");
        assert_eq!(t.tags(), [("a".to_owned(), "1".to_owned()), (String::new(), "v".to_owned())]);
        let f = Form::parse(b"name=a+b%2Fc&tag=1&tag=2&on=on&empty=");
        assert_eq!(f.text("name"), "a b/c");
        assert_eq!(f.all("tag").collect::<Vec<_>>(), ["1", "2"]);
        assert!(f.checked("on") && f.checked("empty") && !f.checked("off"));
        assert_eq!(f.text("missing"), "");
    }
}
