//! The request body as the handlers see it: decoded from aws-chunked if need be, counted against
//! its declared length and the size limit, and hashed (SHA-256 when signed, the additional
//! checksum when one is declared) in the same pass. `finish` does the final verification.

use crate::auth::chunked::ChunkDecoder;
use crate::auth::Payload;
use crate::http::body::RequestBody;
use crate::wire::checksum::{self, Algorithm, Hasher};
use crate::wire::error::{Code, S3Error, S3Result};
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http_body_util::BodyExt;
use md5::{Digest as _, Md5};
use sha2::Sha256;

struct PendingChecksum {
    alg: Algorithm,
    hasher: Hasher,
    /// From the header; None when the value comes in a trailer.
    expected: Option<String>,
}

pub struct Ingest {
    incoming: RequestBody,
    decoder: Option<ChunkDecoder>,
    sha256: Option<(Sha256, String)>,
    checksum: Option<PendingChecksum>,
    content_md5: Option<[u8; 16]>,
    declared: Option<u64>,
    received: u64,
    limit: u64,
    /// How long the body may stall between frames.
    idle: std::time::Duration,
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The additional checksum a request declares for its body: a value header (unless `values` is
/// false: on CompleteMultipartUpload that header is the object's checksum), or a trailer that
/// will carry it.
fn declared_checksum(parts: &Parts, values: bool) -> S3Result<Option<PendingChecksum>> {
    let mut found = None;
    for alg in Algorithm::ALL.into_iter().filter(|_| values) {
        if let Some(v) = header(parts, alg.header()) {
            if found.is_some() {
                return Err(S3Error::msg(
                    Code::InvalidRequest,
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            checksum::validate(alg, v)?;
            found = Some(PendingChecksum { alg, hasher: Hasher::new(alg), expected: Some(v.to_owned()) });
        }
    }
    if let Some(trailer) = header(parts, "x-amz-trailer") {
        let alg = Algorithm::from_header(trailer.trim()).ok_or_else(|| {
            S3Error::msg(
                Code::InvalidRequest,
                format!("The value specified in the x-amz-trailer header is not supported: {trailer}"),
            )
        })?;
        if found.is_some() {
            return Err(S3Error::msg(
                Code::InvalidRequest,
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        found = Some(PendingChecksum { alg, hasher: Hasher::new(alg), expected: None });
    }
    Ok(found)
}

pub fn content_md5(parts: &Parts) -> S3Result<Option<[u8; 16]>> {
    let Some(v) = header(parts, "content-md5") else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .map(Some)
        .ok_or_else(|| S3Error::new(Code::InvalidDigest))
}

impl Ingest {
    /// `checksum_headers`: whether `x-amz-checksum-*` value headers describe this body.
    pub fn new(
        incoming: RequestBody,
        parts: &Parts,
        payload: &Payload,
        limit: u64,
        checksum_headers: bool,
    ) -> S3Result<Ingest> {
        let chunked = matches!(payload, Payload::Chunked { .. });
        let declared: Option<u64> = if chunked {
            Some(
                header(parts, "x-amz-decoded-content-length")
                    .ok_or_else(|| {
                        S3Error::msg(
                            Code::MissingContentLength,
                            "You must provide the x-amz-decoded-content-length header.",
                        )
                    })?
                    .parse()
                    .map_err(|_| S3Error::msg(Code::InvalidArgument, "Invalid x-amz-decoded-content-length"))?,
            )
        } else {
            match header(parts, "content-length") {
                Some(v) => Some(v.parse().map_err(|_| S3Error::msg(Code::InvalidArgument, "Invalid Content-Length"))?),
                None => None,
            }
        };
        if declared.is_some_and(|d| d > limit) {
            return Err(S3Error::new(Code::EntityTooLarge)
                .detail("ProposedSize", declared.unwrap_or_default().to_string())
                .detail("MaxSizeAllowed", limit.to_string()));
        }
        let decoder = match payload {
            Payload::Chunked { signer, trailer } => Some(ChunkDecoder::new(signer.clone(), *trailer)),
            _ => None,
        };
        let sha256 = match payload {
            Payload::Sha256(h) => Some((Sha256::new(), h.clone())),
            _ => None,
        };
        Ok(Ingest {
            incoming,
            decoder,
            sha256,
            checksum: declared_checksum(parts, checksum_headers)?,
            content_md5: content_md5(parts)?,
            declared,
            received: 0,
            limit,
            idle: std::time::Duration::from_secs(60),
        })
    }

    pub fn with_idle_timeout(mut self, idle: std::time::Duration) -> Self {
        self.idle = idle;
        self
    }

    /// The body's declared (decoded) length, when known.
    pub fn expected_len(&self) -> Option<u64> {
        self.declared
    }

    pub fn content_md5(&self) -> Option<[u8; 16]> {
        self.content_md5
    }

    fn account(&mut self, data: &[u8]) -> S3Result<()> {
        self.received += data.len() as u64;
        if self.received > self.limit {
            return Err(S3Error::new(Code::EntityTooLarge).detail("MaxSizeAllowed", self.limit.to_string()));
        }
        if self.declared.is_some_and(|d| self.received > d) {
            return Err(S3Error::msg(Code::IncompleteBody, "The request body is longer than its declared length."));
        }
        if let Some((h, _)) = &mut self.sha256 {
            sha2::Digest::update(h, data);
        }
        if let Some(c) = &mut self.checksum {
            c.hasher.update(data);
        }
        Ok(())
    }

    /// The next piece of the (decoded) body; None at its end.
    pub async fn next(&mut self) -> S3Result<Option<Bytes>> {
        loop {
            if let Some(dec) = &mut self.decoder {
                if let Some(data) = dec.next_data()? {
                    self.account(&data)?;
                    return Ok(Some(data));
                }
            }
            let frame = tokio::time::timeout(self.idle, self.incoming.frame())
                .await
                .map_err(|_| S3Error::new(Code::RequestTimeout))?;
            match frame {
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    match &mut self.decoder {
                        Some(dec) => dec.push(&data),
                        None => {
                            self.account(&data)?;
                            return Ok(Some(data));
                        }
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "request body failed");
                    return Err(S3Error::msg(Code::IncompleteBody, "The request body was cut short."));
                }
                None => {
                    if self.decoder.as_ref().is_some_and(|d| !d.is_done()) {
                        return Err(S3Error::msg(
                            Code::IncompleteBody,
                            "The aws-chunked body ended before its final chunk.",
                        ));
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// Checks length, payload hash and checksum once the body has ended. Returns the verified
    /// additional checksum as (algorithm name, base64 value).
    pub fn finish(self) -> S3Result<Option<(String, String)>> {
        if self.declared.is_some_and(|d| d != self.received) {
            return Err(S3Error::new(Code::IncompleteBody));
        }
        if let Some((h, expected)) = self.sha256 {
            let got = hex::encode(sha2::Digest::finalize(h));
            if got != expected {
                return Err(S3Error::new(Code::XAmzContentSHA256Mismatch)
                    .detail("ClientComputedContentSHA256", expected)
                    .detail("S3ComputedContentSHA256", got));
            }
        }
        let Some(c) = self.checksum else {
            return Ok(None);
        };
        let expected = match c.expected {
            Some(v) => v,
            None => {
                let trailers = self.decoder.as_ref().map(|d| d.trailers()).unwrap_or_default();
                let v =
                    trailers.iter().find(|(n, _)| n == c.alg.header()).map(|(_, v)| v.clone()).ok_or_else(|| {
                        S3Error::msg(
                            Code::InvalidRequest,
                            format!("The trailer {} was declared but not sent.", c.alg.header()),
                        )
                    })?;
                checksum::validate(c.alg, &v)?;
                v
            }
        };
        let got = c.hasher.finish();
        if got != expected {
            return Err(S3Error::msg(
                Code::BadDigest,
                format!("The {} you specified did not match the calculated checksum.", c.alg.name()),
            ));
        }
        Ok(Some((c.alg.name().to_owned(), got)))
    }

    /// Reads a whole (small) body, such as an XML document, verifying Content-MD5 if sent.
    pub async fn read_all(mut self, max: usize) -> S3Result<Bytes> {
        let mut buf = BytesMut::new();
        while let Some(data) = self.next().await? {
            if buf.len() + data.len() > max {
                return Err(S3Error::new(Code::MaxMessageLengthExceeded));
            }
            buf.extend_from_slice(&data);
        }
        let md5 = self.content_md5;
        self.finish()?;
        if let Some(expected) = md5 {
            if Md5::digest(&buf).as_slice() != expected {
                return Err(S3Error::new(Code::BadDigest));
            }
        }
        Ok(buf.freeze())
    }
}
