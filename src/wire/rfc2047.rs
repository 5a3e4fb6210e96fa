//! RFC 2047 encoded words, as S3 uses them for user metadata that is not US-ASCII: values sent as
//! `=?UTF-8?B?...?=` (or `?Q?`) are decoded before they are stored, and stored values that are not
//! ASCII go back out encoded, since an HTTP header cannot carry them as they are.

use base64::Engine as _;
use std::borrow::Cow;

/// The value with its encoded words decoded; anything else as it is. Whitespace between two
/// encoded words is dropped, as the RFC says.
pub fn decode(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let Some((text, len)) = word(&rest[start..]) else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            last_was_word = false;
            continue;
        };
        let between = &rest[..start];
        if !(last_was_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        out.push_str(&text);
        rest = &rest[start + len..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = &inner[..end];
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD.decode(payload).ok()?,
        "Q" | "q" => q_decode(payload)?,
        _ => return None,
    };
    let text = match charset.to_ascii_lowercase().as_str() {
        "utf-8" | "us-ascii" => String::from_utf8(bytes).ok()?,
        "iso-8859-1" | "latin1" => bytes.iter().map(|&b| b as char).collect(),
        _ => return None,
    };
    Some((text, 2 + charset.len() + 1 + encoding.len() + 1 + end + 2))
}

fn q_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b => out.push(b),
        }
    }
    Some(out)
}

/// The value as a header can carry it: as it is when it is printable ASCII, else one UTF-8 B word.
pub fn encode(value: &str) -> Cow<'_, str> {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t') {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_decode_and_encode() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("=?UTF-8?B?Wm/DqyDmnbHkuqw=?=", "Zoë 東京"),
            ("=?utf-8?q?Zo=C3=AB_x?=", "Zoë x"),
            ("=?UTF-8?B?Wm/Dqw==?= =?UTF-8?B?IOadseS6rA==?=", "Zoë 東京"),
            ("before =?UTF-8?B?w6k=?= after", "before é after"),
            ("=?ISO-8859-1?Q?caf=E9?=", "café"),
            ("=?bogus", "=?bogus"),
            ("a =? b ?= c", "a =? b ?= c"),
            ("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="),
        ];
        for (input, want) in cases {
            assert_eq!(decode(input), *want, "{input}");
        }
        assert_eq!(encode("ascii value"), "ascii value");
        assert_eq!(encode("Zoë 東京"), "=?UTF-8?B?Wm/DqyDmnbHkuqw=?=");
        assert_eq!(decode(&encode("Zoë 東京")), "Zoë 東京");
        assert_eq!(encode("line\nbreak"), "=?UTF-8?B?bGluZQpicmVhaw==?=");
    }
}
