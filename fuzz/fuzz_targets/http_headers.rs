//! Range and conditional headers: any string, any object size, never a panic.
#![no_main]
use firn::wire::preconditions::{etag_matches, parse_range, Conditions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let size = text.len() as u64 * 977;
    if let Ok(Some((start, end))) = parse_range(Some(text), size) {
        assert!(start < end && end <= size, "{text:?} gave {start}..{end} of {size}");
    }
    let _ = etag_matches(text, "abc");
    let c = Conditions {
        if_match: Some(text),
        if_none_match: Some(text),
        if_modified_since: Some(text),
        if_unmodified_since: Some(text),
    };
    let _ = c.evaluate("abc", 1_700_000_000_000);
});
