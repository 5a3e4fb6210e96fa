//! Configuration: built-in defaults, overridden by a TOML file, overridden by `FIRN_*` variables.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the S3 API listens on. Port 0 picks a free port (printed at start-up).
    pub listen: String,
    /// A second, plain-HTTP listener beside an HTTPS `listen` (the website endpoint, as in S3,
    /// is commonly plain HTTP). None: only `listen`.
    pub listen_http: Option<String>,
    /// Where metadata and object data live.
    pub data_dir: PathBuf,
    /// The region Firn reports and expects in SigV4 scopes.
    pub region: String,
    /// Domain for virtual-hosted-style addressing: `bucket.<domain>`. None: path-style only.
    pub domain: Option<String>,
    /// Domain of the website endpoint: `bucket.<website_domain>` serves the bucket as a static
    /// website. The default needs no DNS: browsers and curl resolve `*.localhost` to loopback.
    pub website_domain: Option<String>,
    /// Root credentials; when unset they are read from (or generated into) `<data_dir>/credentials.toml`.
    pub root_access_key: Option<String>,
    pub root_secret_key: Option<String>,
    /// The metadata store's page cache, in MiB.
    pub metadata_cache_mib: u64,
    /// `text` or `json`.
    pub log_format: String,
    pub metadata: Metadata,
    pub lifecycle: Lifecycle,
    pub archive: Archive,
    pub access: Access,
    pub cors: Cors,
    pub tls: Tls,
    pub console: Console,
    pub limits: Limits,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Console {
    /// Serve the web console at all.
    pub enabled: bool,
    /// Its address: its own listener, HTTPS with the S3 API's certificate when `tls` is set.
    pub listen: String,
    /// Seconds a session may sit unused before it ends.
    pub session_idle_secs: u64,
    /// The S3 endpoint that share links (presigned URLs) point at. Unset: the console's host name
    /// with the S3 listener's scheme and port.
    pub s3_url: Option<String>,
}

impl Default for Console {
    fn default() -> Self {
        Console { enabled: true, listen: "127.0.0.1:9001".into(), session_idle_secs: 1800, s3_url: None }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Tls {
    /// PEM certificate chain (server certificate first). With `key`, `listen` serves HTTPS.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of the certificate.
    pub key: Option<PathBuf>,
}

impl Tls {
    pub fn enabled(&self) -> bool {
        self.cert.is_some()
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Cors {
    /// Origins (`https://app.example.org`, one `*` wildcard allowed) that may call buckets without
    /// CORS rules of their own from a browser, with any method and header. Empty: none.
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Access {
    /// Give every new bucket a Block Public Access configuration with all four settings on, as
    /// AWS does for new buckets since 2023. Off by default, so that `--acl public-read` and
    /// website hosting work out of the box; a bucket's owner can change or delete it.
    pub block_public_access_default: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Archive {
    /// Root of the archive tier; unset: `<data_dir>/archive`. Another disk in production.
    pub dir: Option<PathBuf>,
    /// Divides every restore delay (AWS's timing: 1; 3600 makes a 3–5 hour Standard restore 3–5 s).
    pub time_scale: f64,
    /// zstd level of the archive's frames (1 fast … 19 small).
    pub zstd_level: i32,
    /// Where restore events are POSTed (S3 event records in JSON); unset: none are sent.
    pub notify_url: Option<String>,
}

impl Default for Archive {
    fn default() -> Self {
        Archive { dir: None, time_scale: 1.0, zstd_level: 3, notify_url: None }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Lifecycle {
    /// The length of one lifecycle day in seconds (AWS: 86,400). Shorter days make every Days
    /// figure of the rules, and the midnights they round to, pass faster: for trying rules out.
    pub day_secs: f64,
    /// Seconds between the worker's passes. Unset: a quarter of a day, at most an hour. Never more
    /// than half a day, so the worker looks at least twice a day.
    pub interval_secs: Option<f64>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle { day_secs: 86_400.0, interval_secs: None }
    }
}

impl Lifecycle {
    pub fn day_ms(&self) -> i64 {
        (self.day_secs * 1000.0).round().max(1.0) as i64
    }

    /// How long the worker sleeps between passes.
    pub fn interval(&self) -> std::time::Duration {
        let half_day = self.day_secs / 2.0;
        let secs = self.interval_secs.unwrap_or((self.day_secs / 4.0).min(3600.0)).min(half_day).max(0.05);
        std::time::Duration::from_secs_f64(secs)
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Metadata {
    /// `sled` (on disk, the default), `memory` (nothing survives a restart: tests and trials) or
    /// `postgres` (several gateways on one namespace; needs `url`).
    pub backend: firn_storage::Backend,
    /// PostgreSQL's connection URL (`postgres://user:password@host:port/database`) or its
    /// `key=value` form, for `backend = "postgres"`. Its `sslmode` (`disable`, `prefer`, `require`)
    /// says whether the connections use TLS.
    pub url: Option<String>,
    /// PEM file of the CA that PostgreSQL's certificate comes from (default: the system's roots).
    pub ca_file: Option<std::path::PathBuf>,
    /// Gateways sharing a data directory leave alone files written to within this many seconds
    /// (another gateway's upload in progress); older unreferenced ones are swept. Default 3600.
    pub settle_secs: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest object accepted by a single PUT, in bytes (S3: 5 GiB).
    pub max_object_size: u64,
    /// Largest XML request body, in bytes.
    pub max_xml_body: usize,
    /// Most keys one DeleteObjects request may name (S3: 1000).
    pub max_delete_keys: usize,
    /// Largest total size of `x-amz-meta-*` names and values (S3: 2 KiB).
    pub max_user_metadata: usize,
    /// Smallest multipart part except the last (S3: 5 MiB). A deliberate difference from S3 when
    /// lowered: only for tests and benchmarks that need many small parts.
    pub min_part_size: u64,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// The process's open-file limit (soft RLIMIT_NOFILE, at most the hard limit). Connections are
    /// capped to what it allows.
    pub max_open_files: u64,
    /// Largest request head (request line and headers), in bytes; larger ones get 431.
    pub max_header_bytes: usize,
    /// KiB an upload gathers per write and a download reads per chunk. A large upload holds up to
    /// about eight of these (gathering, queued for the writer, queued for the hasher), a large
    /// download about six; smaller ones hold less.
    pub io_buffer_kib: usize,
    /// Seconds a client may take to send its request headers.
    pub header_timeout_secs: u64,
    /// Seconds a request body may stall without sending a byte before RequestTimeout.
    pub body_idle_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:9000".into(),
            listen_http: None,
            data_dir: PathBuf::from("firn-data"),
            region: "us-east-1".into(),
            domain: None,
            website_domain: Some("s3-website.localhost".into()),
            root_access_key: None,
            root_secret_key: None,
            metadata_cache_mib: 16,
            log_format: "text".into(),
            metadata: Metadata::default(),
            lifecycle: Lifecycle::default(),
            archive: Archive::default(),
            access: Access::default(),
            cors: Cors::default(),
            tls: Tls::default(),
            console: Console::default(),
            limits: Limits::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_object_size: 5 << 30,
            max_xml_body: 2 << 20,
            max_delete_keys: 1000,
            max_user_metadata: 2048,
            min_part_size: 5 << 20,
            max_connections: 1024,
            max_open_files: 8192,
            max_header_bytes: 64 << 10,
            io_buffer_kib: 1024,
            header_timeout_secs: 30,
            body_idle_timeout_secs: 60,
        }
    }
}

impl Config {
    /// What the storage engine needs of it.
    pub fn engine_config(&self) -> firn_storage::EngineConfig {
        firn_storage::EngineConfig {
            data_dir: self.data_dir.clone(),
            backend: self.metadata.backend,
            metadata_url: self.metadata.url.clone(),
            metadata_ca_file: self.metadata.ca_file.clone(),
            settle: self.metadata.settle_secs.map_or(firn_storage::SHARED_SETTLE, std::time::Duration::from_secs_f64),
            cache_bytes: self.metadata_cache_mib << 20,
            min_part_size: self.limits.min_part_size,
            lifecycle_day_ms: self.lifecycle.day_ms(),
            clock: firn_storage::Clock::System,
            archive_dir: self.archive.dir.clone(),
            archive_time_scale: self.archive.time_scale,
            archive_level: self.archive.zstd_level,
            notifications: self.archive.notify_url.is_some(),
        }
    }

    /// Defaults, then the file (if any), then the environment.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Config::default(),
        };
        cfg.apply_env(env)?;
        Ok(cfg)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T, String> {
            v.parse().map_err(|_| format!("{name}: not a number: {v}"))
        }
        if let Some(v) = env("FIRN_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = env("FIRN_LISTEN_HTTP") {
            self.listen_http = Some(v).filter(|a| !a.is_empty());
        }
        if let Some(v) = env("FIRN_TLS_CERT") {
            self.tls.cert = Some(v.into()).filter(|p: &PathBuf| !p.as_os_str().is_empty());
        }
        if let Some(v) = env("FIRN_TLS_KEY") {
            self.tls.key = Some(v.into()).filter(|p: &PathBuf| !p.as_os_str().is_empty());
        }
        if let Some(v) = env("FIRN_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = env("FIRN_REGION") {
            self.region = v;
        }
        if let Some(v) = env("FIRN_DOMAIN") {
            self.domain = Some(v).filter(|d| !d.is_empty());
        }
        if let Some(v) = env("FIRN_WEBSITE_DOMAIN") {
            self.website_domain = Some(v).filter(|d| !d.is_empty());
        }
        if let Some(v) = env("FIRN_ROOT_ACCESS_KEY") {
            self.root_access_key = Some(v);
        }
        if let Some(v) = env("FIRN_ROOT_SECRET_KEY") {
            self.root_secret_key = Some(v);
        }
        if let Some(v) = env("FIRN_METADATA_CACHE_MIB") {
            self.metadata_cache_mib = num("FIRN_METADATA_CACHE_MIB", v)?;
        }
        if let Some(v) = env("FIRN_METADATA_BACKEND") {
            self.metadata.backend = firn_storage::Backend::parse(&v)
                .ok_or_else(|| format!("FIRN_METADATA_BACKEND must be sled, memory or postgres, not {v}"))?;
        }
        if let Some(v) = env("FIRN_METADATA_URL") {
            self.metadata.url = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = env("FIRN_METADATA_CA_FILE") {
            self.metadata.ca_file = Some(v.into()).filter(|p: &std::path::PathBuf| !p.as_os_str().is_empty());
        }
        if let Some(v) = env("FIRN_SETTLE_SECS") {
            self.metadata.settle_secs = Some(num("FIRN_SETTLE_SECS", v)?);
        }
        if let Some(v) = env("FIRN_LIFECYCLE_DAY_SECS") {
            self.lifecycle.day_secs = num("FIRN_LIFECYCLE_DAY_SECS", v)?;
        }
        if let Some(v) = env("FIRN_LIFECYCLE_INTERVAL_SECS") {
            self.lifecycle.interval_secs = Some(num("FIRN_LIFECYCLE_INTERVAL_SECS", v)?);
        }
        if let Some(v) = env("FIRN_ARCHIVE_DIR") {
            self.archive.dir = Some(v.into());
        }
        if let Some(v) = env("FIRN_ARCHIVE_TIME_SCALE") {
            self.archive.time_scale = num("FIRN_ARCHIVE_TIME_SCALE", v)?;
        }
        if let Some(v) = env("FIRN_ARCHIVE_NOTIFY_URL") {
            self.archive.notify_url = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = env("FIRN_ARCHIVE_ZSTD_LEVEL") {
            self.archive.zstd_level = num("FIRN_ARCHIVE_ZSTD_LEVEL", v)?;
        }
        if let Some(v) = env("FIRN_BLOCK_PUBLIC_ACCESS_DEFAULT") {
            self.access.block_public_access_default =
                v.parse().map_err(|_| format!("FIRN_BLOCK_PUBLIC_ACCESS_DEFAULT must be true or false, not {v:?}"))?;
        }
        if let Some(v) = env("FIRN_CORS_ALLOWED_ORIGINS") {
            self.cors.allowed_origins =
                v.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
        }
        if let Some(v) = env("FIRN_CONSOLE_ENABLED") {
            self.console.enabled =
                v.parse().map_err(|_| format!("FIRN_CONSOLE_ENABLED must be true or false, not {v:?}"))?;
        }
        if let Some(v) = env("FIRN_CONSOLE_LISTEN") {
            self.console.listen = v;
        }
        if let Some(v) = env("FIRN_CONSOLE_SESSION_IDLE_SECS") {
            self.console.session_idle_secs = num("FIRN_CONSOLE_SESSION_IDLE_SECS", v)?;
        }
        if let Some(v) = env("FIRN_CONSOLE_S3_URL") {
            self.console.s3_url = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = env("FIRN_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = env("FIRN_MAX_OBJECT_SIZE") {
            self.limits.max_object_size = num("FIRN_MAX_OBJECT_SIZE", v)?;
        }
        if let Some(v) = env("FIRN_MAX_XML_BODY") {
            self.limits.max_xml_body = num("FIRN_MAX_XML_BODY", v)?;
        }
        if let Some(v) = env("FIRN_MAX_DELETE_KEYS") {
            self.limits.max_delete_keys = num("FIRN_MAX_DELETE_KEYS", v)?;
        }
        if let Some(v) = env("FIRN_MAX_USER_METADATA") {
            self.limits.max_user_metadata = num("FIRN_MAX_USER_METADATA", v)?;
        }
        if let Some(v) = env("FIRN_MIN_PART_SIZE") {
            self.limits.min_part_size = num("FIRN_MIN_PART_SIZE", v)?;
        }
        if let Some(v) = env("FIRN_MAX_CONNECTIONS") {
            self.limits.max_connections = num("FIRN_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = env("FIRN_MAX_OPEN_FILES") {
            self.limits.max_open_files = num("FIRN_MAX_OPEN_FILES", v)?;
        }
        if let Some(v) = env("FIRN_MAX_HEADER_BYTES") {
            self.limits.max_header_bytes = num("FIRN_MAX_HEADER_BYTES", v)?;
        }
        if let Some(v) = env("FIRN_IO_BUFFER_KIB") {
            self.limits.io_buffer_kib = num("FIRN_IO_BUFFER_KIB", v)?;
        }
        if let Some(v) = env("FIRN_HEADER_TIMEOUT_SECS") {
            self.limits.header_timeout_secs = num("FIRN_HEADER_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("FIRN_BODY_IDLE_TIMEOUT_SECS") {
            self.limits.body_idle_timeout_secs = num("FIRN_BODY_IDLE_TIMEOUT_SECS", v)?;
        }
        if self.metadata.settle_secs.is_some_and(|s| !(s.is_finite() && s >= 0.0)) {
            return Err("metadata.settle_secs must be a number of seconds, 0 or more".into());
        }
        if self.metadata.backend == firn_storage::Backend::Postgres && self.metadata.url.is_none() {
            return Err("metadata.backend = \"postgres\" needs metadata.url (FIRN_METADATA_URL)".into());
        }
        if !(self.lifecycle.day_secs.is_finite() && self.lifecycle.day_secs >= 0.001) {
            return Err(format!(
                "lifecycle.day_secs must be a positive number of seconds, not {}",
                self.lifecycle.day_secs
            ));
        }
        if self.lifecycle.interval_secs.is_some_and(|s| !(s.is_finite() && s > 0.0)) {
            return Err("lifecycle.interval_secs must be a positive number of seconds".into());
        }
        if !(self.archive.time_scale.is_finite() && self.archive.time_scale > 0.0) {
            return Err(format!("archive.time_scale must be a positive number, not {}", self.archive.time_scale));
        }
        if let Some(url) = &self.archive.notify_url {
            parse_url(url)?;
        }
        if !(1..=22).contains(&self.archive.zstd_level) {
            return Err(format!("archive.zstd_level must be 1 to 22, not {}", self.archive.zstd_level));
        }
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            return Err("tls.cert and tls.key go together: set both for HTTPS, or neither".into());
        }
        if self.listen_http.is_some() && !self.tls.enabled() {
            return Err("listen_http is the plain-HTTP listener beside HTTPS: set tls.cert and tls.key too".into());
        }
        if !(16..=65536).contains(&self.limits.io_buffer_kib) {
            return Err(format!("limits.io_buffer_kib must be 16 to 65536, not {}", self.limits.io_buffer_kib));
        }
        if self.console.session_idle_secs == 0 {
            return Err("console.session_idle_secs must be at least 1".into());
        }
        if let Some(url) = &self.console.s3_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
                return Err(format!("console.s3_url must be an http:// or https:// URL, not {url}"));
            }
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(format!("log_format must be text or json, not {}", self.log_format));
        }
        Ok(())
    }
}

/// An `http://host:port/path` URL, taken apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub authority: String,
    pub path: String,
}

pub fn parse_url(url: &str) -> Result<Target, String> {
    let rest =
        url.strip_prefix("http://").ok_or_else(|| format!("archive.notify_url must be an http:// URL, not {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("archive.notify_url has no host: {url}"));
    }
    let authority = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
    Ok(Target { authority, path: path.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_documents_every_default() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/firn.toml");
        let cfg = Config::load(Some(&path), |_| None).unwrap();
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn the_postgres_settings_parse_from_a_file() {
        let text = "[metadata]\nbackend = \"postgres\"\nurl = \"postgres://firn@db/firn\"\n\
                    ca_file = \"/etc/firn/db-ca.pem\"\nsettle_secs = 60\n";
        let cfg: Config = toml::from_str(text).unwrap();
        let engine = cfg.engine_config();
        assert_eq!(engine.backend, firn_storage::Backend::Postgres);
        assert_eq!(engine.metadata_url.as_deref(), Some("postgres://firn@db/firn"));
        assert_eq!(engine.metadata_ca_file.as_deref(), Some(Path::new("/etc/firn/db-ca.pem")));
        assert_eq!(engine.settle, std::time::Duration::from_secs(60));
    }

    #[test]
    fn env_overrides_file() {
        let cfg = Config::load(None, |k| match k {
            "FIRN_LISTEN" => Some("127.0.0.1:0".into()),
            "FIRN_REGION" => Some("eu-west-1".into()),
            "FIRN_MAX_OBJECT_SIZE" => Some("10".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(cfg.listen, "127.0.0.1:0");
        assert_eq!(cfg.region, "eu-west-1");
        assert_eq!(cfg.limits.max_object_size, 10);
        assert!(Config::load(None, |k| (k == "FIRN_MAX_OBJECT_SIZE").then(|| "x".into())).is_err());
        let memory = Config::load(None, |k| (k == "FIRN_METADATA_BACKEND").then(|| "memory".into())).unwrap();
        assert_eq!(memory.metadata.backend, firn_storage::Backend::Memory);
        assert!(Config::load(None, |k| (k == "FIRN_METADATA_BACKEND").then(|| "mongo".into())).is_err());
        let pg = |k: &str| match k {
            "FIRN_METADATA_BACKEND" => Some("postgres".into()),
            "FIRN_METADATA_URL" => Some("postgres://firn@db/firn?sslmode=require".into()),
            "FIRN_METADATA_CA_FILE" => Some("/etc/firn/db-ca.pem".into()),
            _ => None,
        };
        let pg = Config::load(None, pg).unwrap().engine_config();
        assert_eq!(pg.backend, firn_storage::Backend::Postgres);
        assert_eq!(pg.metadata_url.as_deref(), Some("postgres://firn@db/firn?sslmode=require"));
        assert_eq!(pg.metadata_ca_file.as_deref(), Some(std::path::Path::new("/etc/firn/db-ca.pem")));
        let no_url = Config::load(None, |k| (k == "FIRN_METADATA_BACKEND").then(|| "postgres".into()));
        assert!(no_url.unwrap_err().contains("metadata.url"));
        let fast = Config::load(None, |k| (k == "FIRN_LIFECYCLE_DAY_SECS").then(|| "2".into())).unwrap();
        assert_eq!((fast.lifecycle.day_ms(), fast.lifecycle.interval()), (2000, std::time::Duration::from_millis(500)));
        assert_eq!(Config::default().lifecycle.interval(), std::time::Duration::from_secs(3600));
        assert!(Config::load(None, |k| (k == "FIRN_LIFECYCLE_DAY_SECS").then(|| "0".into())).is_err());
        let small = Config::load(None, |k| (k == "FIRN_IO_BUFFER_KIB").then(|| "64".into())).unwrap();
        assert_eq!(small.limits.io_buffer_kib, 64);
        let console = Config::load(None, |k| match k {
            "FIRN_CONSOLE_LISTEN" => Some("0.0.0.0:9443".into()),
            "FIRN_CONSOLE_ENABLED" => Some("false".into()),
            "FIRN_CONSOLE_S3_URL" => Some("https://s3.example.org".into()),
            _ => None,
        })
        .unwrap()
        .console;
        assert_eq!((console.listen.as_str(), console.enabled), ("0.0.0.0:9443", false));
        assert_eq!(console.s3_url.as_deref(), Some("https://s3.example.org"));
        assert!(Config::load(None, |k| (k == "FIRN_CONSOLE_S3_URL").then(|| "s3.example.org".into())).is_err());
        let tiny = Config::load(None, |k| (k == "FIRN_IO_BUFFER_KIB").then(|| "8".into())).unwrap_err();
        assert!(tiny.contains("io_buffer_kib must be 16 to 65536"), "{tiny}");
    }
}
