//! XML in and out. Output is written by a small builder that escapes every text node; input is
//! parsed with quick-xml into a tiny element tree, with limits on size and depth.

use crate::wire::error::{Code, S3Error, S3Result};
use quick_xml::events::Event;
use quick_xml::Reader;

pub const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Builds an XML document. Element names are our own literals; text is always escaped.
pub struct XmlWriter {
    out: String,
    stack: Vec<&'static str>,
}

impl XmlWriter {
    /// Starts a document whose root element carries the S3 namespace.
    pub fn new(root: &'static str) -> Self {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<{root} xmlns=\"{XMLNS}\">"));
        XmlWriter { out, stack: vec![root] }
    }

    /// Starts a document whose root has no namespace (error documents).
    pub fn bare(root: &'static str) -> Self {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<{root}>"));
        XmlWriter { out, stack: vec![root] }
    }

    pub fn open(&mut self, name: &'static str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.stack.push(name);
        self
    }

    /// Opens an element with attributes; names and values are our own literals (not escaped).
    pub fn open_attrs(&mut self, name: &'static str, attrs: &[(&'static str, &'static str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push_str(&format!(" {k}=\"{v}\""));
        }
        self.out.push('>');
        self.stack.push(name);
        self
    }

    pub fn close(&mut self) -> &mut Self {
        let name = self.stack.pop().expect("close without open");
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn elem(&mut self, name: &'static str, text: impl AsRef<str>) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text.as_ref());
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.out, text);
        self
    }

    pub fn opt(&mut self, name: &'static str, text: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(t) = text {
            self.elem(name, t);
        }
        self
    }

    pub fn finish(mut self) -> String {
        while !self.stack.is_empty() {
            self.close();
        }
        self.out
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry literally are written as references.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n') => out.push_str(&format!("&#x{:X};", c as u32)),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// A parsed element: its local name, text and children.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

const MAX_DEPTH: usize = 16;
const MAX_ELEMENTS: usize = 100_000;

/// Parses a request body. Documents with a DOCTYPE (entity bombs), too deep, or malformed are MalformedXML.
pub fn parse(body: &[u8]) -> S3Result<Element> {
    let malformed = || S3Error::new(Code::MalformedXML);
    let text = std::str::from_utf8(body).map_err(|_| malformed())?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Element> = Vec::new();
    let mut count = 0;
    loop {
        match reader.read_event().map_err(|_| malformed())? {
            Event::Start(s) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(malformed());
                }
                let name = String::from_utf8(s.local_name().as_ref().to_vec()).map_err(|_| malformed())?;
                stack.push(Element { name, ..Default::default() });
            }
            Event::Empty(s) => {
                count += 1;
                let name = String::from_utf8(s.local_name().as_ref().to_vec()).map_err(|_| malformed())?;
                let el = Element { name, ..Default::default() };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|_| malformed())?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t);
                }
            }
            Event::CData(t) => {
                let t = std::str::from_utf8(&t).map_err(|_| malformed())?.to_owned();
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t);
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(malformed)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::DocType(_) => return Err(malformed()),
            Event::Eof => return Err(malformed()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_escapes_and_closes() {
        let mut w = XmlWriter::new("Root");
        w.open("A").elem("B", "x<&>\"'y").close().opt("C", None::<&str>).elem("D", "\u{1}");
        assert_eq!(
            w.finish(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Root xmlns=\"{XMLNS}\"><A><B>x&lt;&amp;&gt;&quot;&apos;y</B></A><D>&#x1;</D></Root>"
            )
        );
    }

    #[test]
    fn parse_tree() {
        let doc = parse(b"<?xml version=\"1.0\"?><Delete xmlns=\"x\"><Object><Key>a&amp;b</Key></Object><Quiet>true</Quiet><E/></Delete>").unwrap();
        assert_eq!(doc.name, "Delete");
        assert_eq!(doc.child("Object").unwrap().child_text("Key"), Some("a&b"));
        assert_eq!(doc.child_text("Quiet"), Some("true"));
        assert!(doc.child("E").is_some());
    }

    #[test]
    fn parse_rejects_bad_documents() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><a>&a;</a>",
            "<a>".repeat(40).as_bytes(),
        ] {
            assert_eq!(parse(bad).unwrap_err().code, Code::MalformedXML);
        }
    }
}
