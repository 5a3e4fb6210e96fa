//! Restore notifications: the engine queues an event in the transaction that starts, completes or
//! expires a restore; this loop POSTs each, as an S3 event notification record in JSON, to
//! `archive.notify_url`, retrying with backoff until the receiver answers 2xx. The queue is in the
//! metadata store, so events survive restarts, and they are delivered in the order they happened
//! (a failing one holds the later ones back); failures are logged and counted, and never hold up
//! a restore.

use crate::app::config::Target;
use crate::app::state::App;
use crate::wire::preconditions::iso_date;
use firn_storage::Notification;
use http_body_util::{BodyExt, Full};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Events delivered per turn at most.
const BATCH: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(5);

/// The JSON body: one record in the shape of Amazon S3's event notifications.
pub fn record(n: &Notification, region: &str) -> serde_json::Value {
    let key = crate::auth::sigv4::uri_encode(&n.key, false);
    let mut object = serde_json::json!({ "key": key, "size": n.size, "eTag": n.etag });
    if n.version_id != "null" {
        object["versionId"] = n.version_id.clone().into();
    }
    let mut rec = serde_json::json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": iso_date(n.time_ms),
        "eventName": n.event,
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": { "name": n.bucket, "arn": format!("arn:aws:s3:::{}", n.bucket) },
            "object": object,
        },
    });
    if let Some(expiry) = n.expiry_ms {
        rec["glacierEventData"] = serde_json::json!({
            "restoreEventData": {
                "lifecycleRestorationExpiryTime": iso_date(expiry),
                "lifecycleRestoreStorageClass": n.storage_class,
            }
        });
    }
    serde_json::json!({ "Records": [rec] })
}

async fn post(target: &Target, body: Vec<u8>) -> Result<(), String> {
    let request = http::Request::post(&target.path)
        .header(http::header::HOST, &target.authority)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(bytes::Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let send = async {
        let stream = tokio::net::TcpStream::connect(&target.authority).await.map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let resp = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let _ = resp.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    };
    tokio::time::timeout(TIMEOUT, send).await.map_err(|_| "timed out".to_owned())?
}

/// Backoff after `attempts` failures: 1 s, 2 s, 4 s … at most an hour.
pub fn backoff_ms(attempts: u32) -> i64 {
    1000i64.saturating_mul(1 << attempts.min(12)).min(3_600_000)
}

/// Delivers queued notifications until `stop` turns true.
pub fn spawn(app: Arc<App>, target: Target, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let a = app.clone();
            let due = tokio::task::spawn_blocking(move || a.engine.due_notifications(BATCH)).await;
            let due = match due {
                Ok(Ok(d)) => d,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "reading the notification queue failed");
                    Vec::new()
                }
                Err(_) => Vec::new(),
            };
            for (id, n) in due {
                let body = serde_json::to_vec(&record(&n, &app.config.region)).unwrap_or_default();
                let result = post(&target, body).await;
                let a = app.clone();
                let outcome = match result {
                    Ok(()) => {
                        app.metrics.notification(true);
                        app.metrics.worker_ran("restore notifications", Ok(format!("delivered {}", n.event)));
                        tokio::task::spawn_blocking(move || a.engine.notification_delivered(&id)).await
                    }
                    Err(e) => {
                        app.metrics.notification(false);
                        app.metrics.worker_ran("restore notifications", Err(e.to_string()));
                        tracing::warn!(
                            event = n.event,
                            bucket = n.bucket,
                            key = n.key,
                            attempts = n.attempts + 1,
                            error = e,
                            "restore notification not delivered; retrying later"
                        );
                        let wait = backoff_ms(n.attempts);
                        let failed =
                            tokio::task::spawn_blocking(move || a.engine.notification_failed(&id, n, wait)).await;
                        if let Ok(Err(e)) = failed {
                            tracing::warn!(error = %e, "updating the notification queue failed");
                        }
                        // The later events wait for this one: the receiver hears them in order.
                        break;
                    }
                };
                if let Ok(Err(e)) = outcome {
                    tracing::warn!(error = %e, "updating the notification queue failed");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::config::parse_url;

    #[test]
    fn urls_records_and_backoff() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080/hook").unwrap(),
            Target { authority: "127.0.0.1:8080".into(), path: "/hook".into() }
        );
        assert_eq!(
            parse_url("http://hooks.test").unwrap(),
            Target { authority: "hooks.test:80".into(), path: "/".into() }
        );
        assert!(parse_url("https://x/").is_err() && parse_url("ftp://x").is_err() && parse_url("http:///x").is_err());
        let n = Notification {
            event: "ObjectRestore:Completed".into(),
            bucket: "cold".into(),
            key: "a b.tar".into(),
            version_id: "v1".into(),
            size: 5,
            etag: "e".into(),
            storage_class: firn_storage::StorageClass::Glacier,
            expiry_ms: Some(1_796_428_800_000),
            time_ms: 1_796_400_000_000,
            attempts: 0,
            next_attempt_ms: 0,
        };
        let r = record(&n, "us-east-1");
        let rec = &r["Records"][0];
        assert_eq!(rec["eventName"], "ObjectRestore:Completed");
        assert_eq!(rec["s3"]["bucket"]["name"], "cold");
        assert_eq!(rec["s3"]["object"]["key"], "a%20b.tar");
        assert_eq!(rec["s3"]["object"]["versionId"], "v1");
        assert_eq!(
            rec["glacierEventData"]["restoreEventData"]["lifecycleRestorationExpiryTime"],
            "2026-12-05T00:00:00.000Z"
        );
        assert_eq!((backoff_ms(0), backoff_ms(3), backoff_ms(40)), (1000, 8000, 3_600_000));
    }
}
