//! Decoder of `Content-Encoding: aws-chunked` bodies: `hex-size[;chunk-signature=sig]\r\n data \r\n`
//! chunks, a zero-size final chunk, then optional trailers. Signed chunks are verified as a chain,
//! each signature over the previous one and the chunk's SHA-256; the data of a chunk is released
//! as it arrives and the chunk's signature checked at its end, so a bad chunk fails the request
//! before anything is committed.

use super::sigv4;
use crate::wire::error::{Code, S3Error, S3Result};
use bytes::{Buf, Bytes, BytesMut};
use sha2::{Digest, Sha256};

/// What verifies the signature chain of a signed streaming body.
#[derive(Clone)]
pub struct ChainSigner {
    pub key: [u8; 32],
    pub amz_date: String,
    pub scope: String,
    /// The signature of the previous chunk; the request's own signature before the first chunk.
    pub previous: String,
}

enum State {
    Header,
    Data { left: u64 },
    DataEnd,
    Trailers,
    Done,
}

pub struct ChunkDecoder {
    buf: BytesMut,
    state: State,
    signer: Option<ChainSigner>,
    expect_trailer: bool,
    chunk_signature: Option<String>,
    chunk_hash: Sha256,
    trailers: Vec<(String, String)>,
}

/// Longest chunk header or trailer line we accept.
const MAX_LINE: usize = 4096;
/// Largest chunk size we accept (clients use 8 KiB to a few MiB).
const MAX_CHUNK: u64 = 64 << 20;

fn bad(msg: &str) -> S3Error {
    S3Error::msg(Code::IncompleteBody, format!("malformed aws-chunked body: {msg}"))
}

impl ChunkDecoder {
    pub fn new(signer: Option<ChainSigner>, expect_trailer: bool) -> Self {
        ChunkDecoder {
            buf: BytesMut::new(),
            state: State::Header,
            signer,
            expect_trailer,
            chunk_signature: None,
            chunk_hash: Sha256::new(),
            trailers: Vec::new(),
        }
    }

    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    fn take_line(&mut self) -> S3Result<Option<String>> {
        match self.buf.windows(2).position(|w| w == b"\r\n") {
            Some(pos) => {
                let line = self.buf.split_to(pos);
                self.buf.advance(2);
                String::from_utf8(line.to_vec()).map(Some).map_err(|_| bad("non-UTF-8 line"))
            }
            None if self.buf.len() > MAX_LINE => Err(bad("line too long")),
            None => Ok(None),
        }
    }

    /// The next piece of decoded data, or None when more input is needed or the body is done.
    pub fn next_data(&mut self) -> S3Result<Option<Bytes>> {
        loop {
            match self.state {
                State::Header => {
                    let Some(line) = self.take_line()? else {
                        return Ok(None);
                    };
                    let (size, ext) = line.split_once(';').unwrap_or((&line, ""));
                    let size = u64::from_str_radix(size.trim(), 16).map_err(|_| bad("chunk size"))?;
                    if size > MAX_CHUNK {
                        return Err(bad("chunk too large"));
                    }
                    self.chunk_signature = ext.trim().strip_prefix("chunk-signature=").map(str::to_owned);
                    if self.signer.is_some() && self.chunk_signature.is_none() {
                        return Err(S3Error::msg(Code::SignatureDoesNotMatch, "chunk signature missing"));
                    }
                    self.chunk_hash = Sha256::new();
                    if size == 0 {
                        self.verify_chunk()?;
                        self.state = State::Trailers;
                    } else {
                        self.state = State::Data { left: size };
                    }
                }
                State::Data { left } => {
                    if self.buf.is_empty() {
                        return Ok(None);
                    }
                    let n = (left as usize).min(self.buf.len());
                    let data = self.buf.split_to(n).freeze();
                    if self.signer.is_some() {
                        self.chunk_hash.update(&data);
                    }
                    self.state = if left == n as u64 { State::DataEnd } else { State::Data { left: left - n as u64 } };
                    return Ok(Some(data));
                }
                State::DataEnd => {
                    if self.buf.len() < 2 {
                        return Ok(None);
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Err(bad("chunk not followed by CRLF"));
                    }
                    self.buf.advance(2);
                    self.verify_chunk()?;
                    self.state = State::Header;
                }
                State::Trailers => {
                    let Some(line) = self.take_line()? else {
                        return Ok(None);
                    };
                    if line.is_empty() {
                        self.finish_trailers()?;
                        self.state = State::Done;
                        continue;
                    }
                    if !self.expect_trailer {
                        return Err(bad("unexpected trailer"));
                    }
                    let (name, value) = line.split_once(':').ok_or_else(|| bad("trailer without colon"))?;
                    if self.trailers.len() > 16 {
                        return Err(bad("too many trailers"));
                    }
                    self.trailers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
                State::Done => {
                    if !self.buf.is_empty() {
                        return Err(bad("data after the final chunk"));
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn verify_chunk(&mut self) -> S3Result<()> {
        let Some(signer) = &mut self.signer else {
            return Ok(());
        };
        let hash = hex::encode(std::mem::take(&mut self.chunk_hash).finalize());
        let sts = sigv4::chunk_string_to_sign(&signer.amz_date, &signer.scope, &signer.previous, &hash);
        let expected = sigv4::signature(&signer.key, &sts);
        let given = self.chunk_signature.take().unwrap_or_default();
        if !sigv4::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return Err(S3Error::msg(Code::SignatureDoesNotMatch, "chunk signature does not match"));
        }
        signer.previous = expected;
        Ok(())
    }

    /// Verifies the trailer signature of a signed trailer, and that the signature is present only then.
    fn finish_trailers(&mut self) -> S3Result<()> {
        let sig_pos = self.trailers.iter().position(|(n, _)| n == "x-amz-trailer-signature");
        let given = sig_pos.map(|p| self.trailers.remove(p).1);
        let Some(signer) = &self.signer else {
            return Ok(());
        };
        if !self.expect_trailer {
            return Ok(());
        }
        let given = given.ok_or_else(|| S3Error::msg(Code::SignatureDoesNotMatch, "trailer signature missing"))?;
        let canonical: String = self.trailers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let sts = sigv4::trailer_string_to_sign(
            &signer.amz_date,
            &signer.scope,
            &signer.previous,
            &sigv4::sha256_hex(canonical.as_bytes()),
        );
        let expected = sigv4::signature(&signer.key, &sts);
        if !sigv4::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return Err(S3Error::msg(Code::SignatureDoesNotMatch, "trailer signature does not match"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(d: &mut ChunkDecoder, input: &[u8], step: usize) -> S3Result<Vec<u8>> {
        let mut out = Vec::new();
        for piece in input.chunks(step) {
            d.push(piece);
            while let Some(b) = d.next_data()? {
                out.extend_from_slice(&b);
            }
        }
        Ok(out)
    }

    fn signer() -> ChainSigner {
        ChainSigner {
            key: sigv4::signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"),
            amz_date: "20130524T000000Z".into(),
            scope: "20130524/us-east-1/s3/aws4_request".into(),
            previous: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".into(),
        }
    }

    /// AWS's documented example: 66560 bytes of 'a' in a 65536-byte and a 1024-byte chunk.
    fn aws_example_body() -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(
            b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
        );
        body.extend(std::iter::repeat_n(b'a', 65536));
        body.extend_from_slice(
            b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
        );
        body.extend(std::iter::repeat_n(b'a', 1024));
        body.extend_from_slice(
            b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
        );
        body
    }

    #[test]
    fn aws_signed_example_decodes_in_any_split() {
        for step in [1, 7, 4096, 1 << 20] {
            let mut d = ChunkDecoder::new(Some(signer()), false);
            let out = decode_all(&mut d, &aws_example_body(), step).unwrap();
            assert_eq!(out.len(), 66560);
            assert!(d.is_done());
        }
    }

    #[test]
    fn tampered_chunk_is_rejected() {
        let mut body = aws_example_body();
        body[200] = b'b';
        let mut d = ChunkDecoder::new(Some(signer()), false);
        assert_eq!(decode_all(&mut d, &body, 1000).unwrap_err().code, Code::SignatureDoesNotMatch);
    }

    #[test]
    fn unsigned_with_trailer() {
        let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        let mut d = ChunkDecoder::new(None, true);
        assert_eq!(decode_all(&mut d, body, 3).unwrap(), b"hello");
        assert!(d.is_done());
        assert_eq!(d.trailers(), &[("x-amz-checksum-crc32".to_string(), "NhCmhg==".to_string())]);
    }

    #[test]
    fn malformed_bodies() {
        for body in [&b"zz\r\nhello\r\n0\r\n\r\n"[..], b"5\r\nhelloXX0\r\n\r\n", b"0\r\n\r\nextra"] {
            let mut d = ChunkDecoder::new(None, false);
            assert!(decode_all(&mut d, body, 64).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
    }
}
