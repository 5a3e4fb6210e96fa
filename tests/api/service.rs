use super::harness::with_bucket;
use super::raw;

#[tokio::test(flavor = "multi_thread")]
async fn health_and_metrics_need_no_credentials() {
    let (server, s3) = with_bucket("metered").await;
    s3.put_object().bucket("metered").key("a").body(vec![0u8; 1234].into()).send().await.unwrap();
    s3.get_object().bucket("metered").key("a").send().await.unwrap();
    let _ = s3.get_object().bucket("metered").key("missing").send().await;

    for path in ["/-/health/live", "/-/health/ready"] {
        let r = raw::send("GET", &format!("{}{path}", server.endpoint), &[], Vec::new()).await;
        assert_eq!((r.status, r.body.as_str()), (200, "ok\n"), "{path}");
    }
    let r = raw::send("GET", &format!("{}/-/metrics", server.endpoint), &[], Vec::new()).await;
    assert_eq!(r.status, 200);
    for line in [
        "firn_requests_total{operation=\"PutObject\",status=\"200\"} 1",
        "firn_requests_total{operation=\"GetObject\",status=\"200\"} 1",
        "firn_requests_total{operation=\"GetObject\",status=\"404\"} 1",
        "firn_requests_total{operation=\"CreateBucket\",status=\"200\"} 1",
        "firn_stored_objects{tier=\"hot\"} 1",
        "firn_stored_bytes{tier=\"hot\"} 1234",
        "firn_buckets 1",
    ] {
        assert!(r.body.contains(line), "missing {line:?} in\n{}", r.body);
    }
    assert!(r.body.contains("firn_request_duration_seconds_count{operation=\"PutObject\"} 1"));
    let r = raw::send("GET", &format!("{}/-/elsewhere", server.endpoint), &[], Vec::new()).await;
    assert_eq!(r.status, 404);
}

/// A handler that panics (a test build's `FIRN_DEBUG_PANIC_KEY`) costs its request a 500
/// InternalError, not the connection; the panic is one log line and a metric, and the server goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_handler_answers_500_and_the_server_goes_on() {
    let server = super::harness::Server::start_with(&[("FIRN_DEBUG_PANIC_KEY", "boom")]);
    let s3 = server.client();
    s3.create_bucket().bucket("pan").send().await.unwrap();
    for _ in 0..2 {
        let r = super::raw::V4::new("GET", &server.addr, "/pan/boom", "", b"").send(Vec::new()).await;
        assert_eq!((r.status, r.code()), (500, "InternalError"), "{}", r.body);
        assert!(r.headers.contains_key("x-amz-request-id"));
    }
    s3.put_object().bucket("pan").key("fine").body(b"ok".to_vec().into()).send().await.unwrap();
    let r = raw::send("GET", &format!("{}/-/metrics", server.endpoint), &[], Vec::new()).await;
    assert!(r.body.contains("firn_handler_panics_total 2"), "{}", r.body);
    let log = server.log();
    assert_eq!(log.matches("FIRN_DEBUG_PANIC_KEY asked for a panic").count(), 2, "one line each:\n{log}");
    assert!(!log.contains("stack backtrace"), "{log}");
}
