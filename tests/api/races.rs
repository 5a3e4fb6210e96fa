//! Reads racing writes of the same keys: a GET answers with one whole version that was written
//! (or 404 for a key just deleted), never an error, whatever overwrites and deletes do meanwhile.

use super::harness::{bytes, with_bucket};
use aws_sdk_s3::config::retry::RetryConfig;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Version `n` of a key: `n` in its first eight bytes, then bytes that follow from `n` alone.
fn body(n: u64, len: usize) -> Vec<u8> {
    let mut b = bytes(len, n);
    b[..8].copy_from_slice(&n.to_be_bytes());
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gets_racing_overwrites_and_deletes_answer_whole_versions() {
    let (server, s3) = with_bucket("races").await;
    // Errors must show: the SDK would otherwise retry a 500 away.
    let s3 = aws_sdk_s3::Client::from_conf(s3.config().to_builder().retry_config(RetryConfig::disabled()).build());
    // Small ones stored inline in the metadata, large ones in files and streamed.
    let keys: [(&str, usize); 6] =
        [("s0", 4096), ("s1", 4096), ("s2", 4096), ("s3", 4096), ("l0", 600 << 10), ("l1", 600 << 10)];
    let next = Arc::new(AtomicU64::new(1));
    for (k, len) in keys {
        let n = next.fetch_add(1, Ordering::Relaxed);
        s3.put_object().bucket("races").key(k).body(body(n, len).into()).send().await.unwrap();
    }
    let mut tasks = Vec::new();
    for worker in 0..24u64 {
        let (s3, next) = (s3.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let (mut gets, mut whole, mut missing) = (0, 0, 0);
            let mut x = worker * 7919 + 1;
            for _ in 0..120 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let (k, len) = keys[(x >> 33) as usize % keys.len()];
                match (x >> 20) % 10 {
                    0..=6 => {
                        gets += 1;
                        match s3.get_object().bucket("races").key(k).send().await {
                            Ok(out) => {
                                let got = out.body.collect().await.expect("a whole body").into_bytes();
                                assert!(got.len() >= 8, "{k}: {} bytes", got.len());
                                let n = u64::from_be_bytes(got[..8].try_into().unwrap());
                                assert!(got.as_ref() == body(n, len).as_slice(), "{k}: not version {n} whole");
                                whole += 1;
                            }
                            Err(e) => {
                                let code = e.as_service_error().map(|e| e.is_no_such_key());
                                assert_eq!(code, Some(true), "{k}: GET failed: {e:?}");
                                missing += 1;
                            }
                        }
                    }
                    7 | 8 => {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        s3.put_object().bucket("races").key(k).body(body(n, len).into()).send().await.unwrap();
                    }
                    _ => {
                        s3.delete_object().bucket("races").key(k).send().await.unwrap();
                    }
                }
            }
            (gets, whole, missing)
        }));
    }
    let (mut gets, mut whole, mut missing) = (0, 0, 0);
    for t in tasks {
        let (g, w, m) = t.await.expect("no worker failed");
        (gets, whole, missing) = (gets + g, whole + w, missing + m);
    }
    assert_eq!(gets, whole + missing);
    assert!(whole > gets / 2, "{whole} of {gets} GETs found a version");
    let log = server.log();
    assert!(!log.contains("corrupt") && !log.contains("request failed"), "the server logged failures:\n{log}");
}
