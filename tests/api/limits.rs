//! Timeouts and connection limits, driven over raw TCP.

use super::harness::Server;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Creates `bucket`, then starts a signed PUT of `len` bytes to it over a raw connection, sending
/// only the first part of the body.
fn start_partial_put(server: &Server, bucket: &str, len: usize, first: &str) -> TcpStream {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { server.client().create_bucket().bucket(bucket).send().await.unwrap() });
    let mut conn = super::raw::start_put(&server.addr, &format!("/{bucket}/k"), len);
    conn.write_all(first.as_bytes()).unwrap();
    conn
}

#[test]
fn stalled_body_gets_request_timeout() {
    let server = Server::start_with(&[("FIRN_BODY_IDLE_TIMEOUT_SECS", "1")]);
    let mut conn = start_partial_put(&server, "slow", 100, "0123456789");
    let started = Instant::now();
    let mut reply = vec![0u8; 4096];
    let n = conn.read(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.contains("<Code>RequestTimeout</Code>"), "{reply}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let missing = rt.block_on(async { server.client().head_object().bucket("slow").key("k").send().await });
    assert!(missing.is_err(), "a timed-out upload stores nothing");
}

#[test]
fn slow_headers_are_cut_off() {
    let server = Server::start_with(&[("FIRN_HEADER_TIMEOUT_SECS", "1")]);
    let mut conn = TcpStream::connect(&server.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    // The server closes the connection (EOF) or resets it; either way, well before our 10 s.
    let _ = conn.read(&mut buf);
    assert!(started.elapsed() < Duration::from_secs(5), "a slowloris client must not hold the connection");
}

#[test]
fn connections_beyond_the_limit_wait_their_turn() {
    let server = Server::start_with(&[("FIRN_MAX_CONNECTIONS", "1")]);
    // The first connection holds the only slot while idle...
    let first = TcpStream::connect(&server.addr).unwrap();
    // ...so a second one gets no answer until the first is gone.
    let mut second = TcpStream::connect(&server.addr).unwrap();
    second.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    second.write_all(format!("GET / HTTP/1.1\r\nhost: {}\r\n\r\n", server.addr).as_bytes()).unwrap();
    let mut buf = [0u8; 1024];
    assert!(second.read(&mut buf).is_err(), "no answer while the slot is taken");
    drop(first);
    second.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let n = second.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 403"), "anonymous ListBuckets is denied");
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits() {
    let mut server = Server::start();
    let mut conn = start_partial_put(&server, "drain", 10, "01234");
    std::thread::sleep(Duration::from_millis(200));
    let addr = server.addr.clone();
    let finisher = std::thread::spawn(move || {
        // The upload completes after shutdown began.
        std::thread::sleep(Duration::from_millis(500));
        conn.write_all(b"56789").unwrap();
        let mut reply = vec![0u8; 4096];
        let n = conn.read(&mut reply).unwrap();
        String::from_utf8_lossy(&reply[..n]).into_owned()
    });
    let status = server.terminate();
    let reply = finisher.join().unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "the in-flight PUT completes: {reply}");
    assert!(status.success(), "clean exit after draining");
    assert!(TcpStream::connect(&addr).is_err(), "no longer accepting");
}

#[test]
fn oversized_request_heads_are_refused() {
    let server = Server::start_with(&[("FIRN_MAX_HEADER_BYTES", "16384")]);
    let mut conn = TcpStream::connect(&server.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let big = "x".repeat(32 << 10);
    let _ = conn.write_all(format!("GET / HTTP/1.1\r\nhost: {}\r\nx-big: {big}\r\n\r\n", server.addr).as_bytes());
    let mut buf = [0u8; 1024];
    let n = conn.read(&mut buf).unwrap_or(0);
    let reply = String::from_utf8_lossy(&buf[..n]);
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn open_file_limit_is_set_and_connections_fit_under_it() {
    // 100 descriptors leave room for 9 connections; 48 clients at once queue, and all succeed.
    let server = Server::start_with(&[("FIRN_MAX_OPEN_FILES", "100")]);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap().to_owned();
    assert_eq!(line.split_whitespace().nth(3), Some("100"), "{line}");
    let s3 = server.client();
    s3.create_bucket().bucket("fds").send().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..48 {
        // A client each: separate connection pools, so 48 connections at once.
        let c = server.client();
        tasks.push(tokio::spawn(async move {
            let body = vec![i as u8; 64 << 10];
            c.put_object().bucket("fds").key(format!("k{i}")).body(body.clone().into()).send().await.unwrap();
            let got = c.get_object().bucket("fds").key(format!("k{i}")).send().await.unwrap();
            assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body.as_slice());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}
