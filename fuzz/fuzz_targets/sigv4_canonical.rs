//! SigV4 canonicalisation of untrusted paths, queries and header values; form boundaries.
#![no_main]
use firn::auth::sigv4;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let uri = sigv4::canonical_uri(text);
    // Canonical forms are stable: canonicalising again changes nothing.
    assert_eq!(sigv4::canonical_uri(&uri), uri);
    let _ = sigv4::canonical_query(text, Some("X-Amz-Signature"));
    let _ = sigv4::canonical_header_value(text);
    let _ = firn::http::form::boundary(text);
    let _ = firn::s3::router::Query::parse(Some(text));
});
