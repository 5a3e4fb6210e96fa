//! What every request shares: the engine, the configuration, the users and the metrics, and the
//! parsed bucket policies. The pipeline (`server::pipeline`) and the handlers both stand on it.

use crate::access::policy::Policy;
use crate::app::config::Config;
use crate::app::metrics::Metrics;
use crate::auth::users::Users;
use crate::wire::error::{S3Error, S3Result};
use firn_storage::{BucketName, Engine};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub struct App {
    pub engine: Engine,
    pub config: Config,
    pub users: Users,
    pub metrics: Metrics,
    request_seq: AtomicU64,
    /// Random per process, so request ids differ across restarts.
    instance: u32,
    /// bucket → its policy's text and that text parsed.
    policies: Mutex<HashMap<String, (String, Arc<Policy>)>>,
}

/// Where this process keeps its history: beside the data, named for the host and the S3 address,
/// so gateways sharing a data directory each keep their own.
fn history_file(config: &Config) -> std::path::PathBuf {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = format!("{}-{}", host.trim(), config.listen);
    let name: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    config.data_dir.join(format!("history-{name}.json"))
}

impl App {
    pub fn new(engine: Engine, config: Config, users: Users) -> App {
        let metrics = Metrics::with_history(history_file(&config));
        App {
            engine,
            config,
            users,
            metrics,
            request_seq: AtomicU64::new(0),
            instance: rand::random(),
            policies: Mutex::default(),
        }
    }

    pub(crate) fn next_request_id(&self) -> String {
        format!("{:08X}{:08X}", self.instance, self.request_seq.fetch_add(1, Ordering::Relaxed))
    }

    /// The bucket's policy, parsed: from a cache that holds each bucket's last parse, so a policy
    /// is parsed once per change, not once per request.
    pub(crate) fn policy(&self, bucket: &BucketName, text: &str) -> S3Result<Arc<Policy>> {
        let mut cache = self.policies.lock().expect("not poisoned");
        if let Some((cached, policy)) = cache.get(bucket.as_str()) {
            if cached == text {
                return Ok(policy.clone());
            }
        }
        // Stored policies were checked when put; one that no longer parses denies, never allows.
        let policy = Arc::new(Policy::parse(text).map_err(|e| S3Error::internal(format!("stored policy: {}", e.0)))?);
        cache.insert(bucket.to_string(), (text.to_owned(), policy.clone()));
        Ok(policy)
    }
}
