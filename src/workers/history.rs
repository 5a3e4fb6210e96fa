//! Background work: every few seconds, the bytes on each tier go into the server's history, which
//! closes its minutes and writes itself down as they pass.

use crate::app::state::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

const EVERY: Duration = Duration::from_secs(10);

pub fn spawn(app: Arc<App>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let a = app.clone();
            // The archive's figures read its segment files: off the async threads.
            let _ = tokio::task::spawn_blocking(move || {
                let stats = a.engine.stats();
                a.metrics.history.tick(chrono::Utc::now().timestamp(), stats.hot_bytes, stats.archive_bytes);
            })
            .await;
            tokio::select! {
                _ = tokio::time::sleep(EVERY) => {}
                _ = stop.changed() => break,
            }
        }
    })
}
