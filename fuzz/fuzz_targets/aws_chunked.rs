//! The aws-chunked decoder, fed arbitrary bytes in arbitrary splits, signed and unsigned.
#![no_main]
use firn::auth::chunked::{ChainSigner, ChunkDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else { return };
    let signer = (split & 1 == 1).then(|| ChainSigner {
        key: [7; 32],
        amz_date: "20130524T000000Z".into(),
        scope: "20130524/us-east-1/s3/aws4_request".into(),
        previous: "0".repeat(64),
    });
    let mut d = ChunkDecoder::new(signer, split & 2 == 2);
    let step = (split as usize >> 2).max(1);
    for piece in body.chunks(step) {
        d.push(piece);
        loop {
            match d.next_data() {
                Ok(Some(_)) => continue,
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    let _ = d.trailers();
});
