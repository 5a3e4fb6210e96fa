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
