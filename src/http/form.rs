//! A streaming reader of `multipart/form-data` bodies (S3's POST Object): small fields are read
//! into memory, the file part is streamed out chunk by chunk.

use crate::http::payload::Ingest;
use crate::wire::error::{Code, S3Error, S3Result};
use bytes::{Buf, Bytes, BytesMut};

fn malformed() -> S3Error {
    S3Error::msg(Code::MalformedPOSTRequest, "The body of your POST request is not well-formed multipart/form-data.")
}

/// The boundary parameter of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_owned())
    })
}

pub struct PartHead {
    /// Field name, lower-cased (S3 form field names are case-insensitive).
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

pub struct FormReader {
    body: Ingest,
    buf: BytesMut,
    /// `\r\n--boundary`: what ends every part.
    delimiter: Vec<u8>,
    ended: bool,
    in_part: bool,
}

/// Largest part header block we accept.
const MAX_HEAD: usize = 8 << 10;

impl FormReader {
    pub fn new(body: Ingest, boundary: &str) -> Self {
        // The first boundary has no CRLF before it; seed the buffer with one so every boundary looks alike.
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"\r\n");
        FormReader { body, buf, delimiter: format!("\r\n--{boundary}").into_bytes(), ended: false, in_part: false }
    }

    async fn fill(&mut self) -> S3Result<bool> {
        match self.body.next().await? {
            Some(data) => {
                self.buf.extend_from_slice(&data);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn find(&self, needle: &[u8]) -> Option<usize> {
        self.buf.windows(needle.len()).position(|w| w == needle)
    }

    /// The next part's headers, or None after the closing boundary.
    pub async fn next_part(&mut self) -> S3Result<Option<PartHead>> {
        if self.in_part {
            // Skip what is left of the current part.
            while self.file_chunk().await?.is_some() {}
        }
        if self.ended {
            return Ok(None);
        }
        // Find the boundary line.
        let at = loop {
            if let Some(at) = self.find(&self.delimiter) {
                break at;
            }
            if self.buf.len() > MAX_HEAD + self.delimiter.len() || !self.fill().await? {
                return Err(malformed());
            }
        };
        self.buf.advance(at + self.delimiter.len());
        while self.buf.len() < 2 {
            if !self.fill().await? {
                return Err(malformed());
            }
        }
        if &self.buf[..2] == b"--" {
            self.ended = true;
            return Ok(None);
        }
        let head_end = loop {
            if let Some(at) = self.find(b"\r\n\r\n") {
                break at;
            }
            if self.buf.len() > MAX_HEAD || !self.fill().await? {
                return Err(malformed());
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.advance(head_end + 4);
        self.in_part = true;
        let mut part = PartHead { name: String::new(), filename: None, content_type: None };
        for line in head.split("\r\n").filter(|l| !l.is_empty()) {
            let Some((name, value)) = line.split_once(':') else { continue };
            if name.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            } else if name.trim().eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').skip(1) {
                    let Some((k, v)) = param.trim().split_once('=') else { continue };
                    let v = v.trim().trim_matches('"').to_owned();
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => part.name = v.to_ascii_lowercase(),
                        "filename" => part.filename = Some(v),
                        _ => {}
                    }
                }
            }
        }
        if part.name.is_empty() {
            return Err(malformed());
        }
        Ok(Some(part))
    }

    /// The next chunk of the current part's content; None at its end.
    pub async fn file_chunk(&mut self) -> S3Result<Option<Bytes>> {
        if !self.in_part {
            return Ok(None);
        }
        loop {
            if let Some(at) = self.find(&self.delimiter) {
                self.in_part = false;
                let data = self.buf.split_to(at).freeze();
                return Ok((!data.is_empty()).then_some(data));
            }
            // Everything but a possible partial delimiter at the end can go out.
            let safe = self.buf.len().saturating_sub(self.delimiter.len());
            if safe >= 64 << 10 {
                return Ok(Some(self.buf.split_to(safe).freeze()));
            }
            if !self.fill().await? {
                return Err(malformed());
            }
        }
    }

    /// The whole value of a (small) field.
    pub async fn value(&mut self, max: usize) -> S3Result<String> {
        let mut out = Vec::new();
        while let Some(chunk) = self.file_chunk().await? {
            out.extend_from_slice(&chunk);
            if out.len() > max {
                return Err(S3Error::new(Code::MaxPostPreDataLengthExceeded));
            }
        }
        String::from_utf8(out).map_err(|_| malformed())
    }

    /// Checks the rest of the body (fields after the file are ignored, as in S3) and the payload.
    pub async fn finish(mut self) -> S3Result<()> {
        while self.next_part().await?.is_some() {}
        while self.fill().await? {}
        self.body.finish().map(|_| ())
    }
}
