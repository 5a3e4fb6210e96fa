//! Request bodies (DeleteObjects, tagging, versioning, multipart completion...) go through one
//! XML parser: it must return a tree or MalformedXML, never panic or blow up.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = firn::wire::xml::parse(data);
});
