//! Starts a real `firn serve` and hands out clients for it.

use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::Client;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const ACCESS_KEY: &str = "FIRNTESTACCESSKEY000";
pub const SECRET_KEY: &str = "firn-test-secret-key/0123456789abcdefghij";

/// For tests of what survives a restart: a backend that keeps its metadata across one, whatever
/// the suite runs on (`FIRN_METADATA_BACKEND`): PostgreSQL when the suite runs on it, sled otherwise
/// (memory would forget). Resolved by `Server::start_in`.
pub const ON_DISK: (&str, &str) = ("FIRN_METADATA_BACKEND", "durable");

/// For tests of sled itself: its lock on the data directory (how `firn admin` knows a server runs),
/// or a server started by hand rather than by the harness.
pub const SLED: (&str, &str) = ("FIRN_METADATA_BACKEND", "sled");

/// `ON_DISK`'s backend for this run.
fn durable_backend() -> &'static str {
    match std::env::var("FIRN_METADATA_BACKEND").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sled",
    }
}

/// On the PostgreSQL backend without a URL of the caller's: a database of the test cluster's, one
/// per data directory, so that a restart on the same directory finds its metadata again.
pub fn postgres_for(dir: &std::path::Path, env: &[(String, String)]) -> Option<String> {
    let given = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let backend = given("FIRN_METADATA_BACKEND").or_else(|| std::env::var("FIRN_METADATA_BACKEND").ok());
    let has_url = given("FIRN_METADATA_URL").is_some() || std::env::var_os("FIRN_METADATA_URL").is_some();
    if backend.as_deref() != Some("postgres") || has_url {
        return None;
    }
    let cluster = firn_testkit::pg::cluster().expect("the postgres backend asked for, and PostgreSQL cannot start");
    let hash = dir
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    Some(cluster.database(&format!("api_{hash:016x}")))
}

pub struct Server {
    child: Child,
    pub endpoint: String,
    pub addr: String,
    dir: tempfile::TempDir,
    /// The environment it was started with, beyond the harness's own.
    pub env: Vec<(String, String)>,
    /// For an HTTPS server: the PEM of the CA its certificate comes from, which clients trust.
    pub ca_pem: Option<String>,
    /// What it printed at start-up.
    pub banner: Vec<String>,
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    pub fn start_with(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, env)
    }

    /// Starts on an existing data directory (a restart).
    pub fn start_in(dir: tempfile::TempDir, env: &[(&str, &str)]) -> Server {
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_firn"));
        cmd.arg("serve")
            .env("FIRN_LISTEN", "127.0.0.1:0")
            .env("FIRN_CONSOLE_LISTEN", "127.0.0.1:0")
            .env("FIRN_DATA_DIR", dir.path().join("data"))
            .env("FIRN_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("FIRN_ROOT_SECRET_KEY", SECRET_KEY)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log);
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|&(k, v)| (k.to_string(), if (k, v) == ON_DISK { durable_backend() } else { v }.to_string()))
            .collect();
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        if let Some(url) = postgres_for(dir.path(), &env) {
            // Kept with the rest, so that `firn admin` beside it and a restart find the same database.
            cmd.env("FIRN_METADATA_URL", &url);
            env.push(("FIRN_METADATA_URL".into(), url));
        }
        let mut child = cmd.spawn().expect("spawn firn");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("firn printed nothing").expect("read stdout");
        let endpoint = first.split("listening on ").nth(1).expect("endpoint line").trim().to_owned();
        // The rest of the banner, up to its last line.
        let mut banner = vec![first.clone()];
        for line in lines.by_ref() {
            let line = line.expect("read stdout");
            let last = line.trim_start().starts_with("secret key:");
            banner.push(line);
            if last {
                break;
            }
        }
        // Keep draining stdout so the server never blocks or fails writing to it.
        std::thread::spawn(move || for _ in lines {});
        let addr = endpoint.split("://").nth(1).expect("scheme://addr").to_owned();
        Server { child, endpoint, addr, dir, env, ca_pem: None, banner }
    }

    pub fn client(&self) -> Client {
        self.client_as(ACCESS_KEY, SECRET_KEY)
    }

    /// A client signing with another user's keys.
    pub fn client_as(&self, access_key: &str, secret_key: &str) -> Client {
        self.client_in(access_key, secret_key, "us-east-1")
    }

    /// A client for a server configured with another region (`FIRN_REGION`).
    pub fn client_in(&self, access_key: &str, secret_key: &str, region: &str) -> Client {
        let creds = Credentials::new(access_key, secret_key, None, None, "firn-tests");
        let mut conf = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds)
            .force_path_style(true);
        if let Some(ca) = &self.ca_pem {
            use aws_smithy_http_client::tls;
            let trust = tls::TrustStore::empty().with_native_roots(false).with_pem_certificate(ca.as_bytes());
            let context = tls::TlsContext::builder().with_trust_store(trust).build().expect("TLS context");
            let http = aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
                .tls_context(context)
                .build_https();
            conf = conf.http_client(http);
        }
        Client::from_conf(conf.build())
    }

    #[allow(dead_code)]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server has logged so far (start it with `RUST_LOG` set to see more than warnings).
    #[allow(dead_code)]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A new user made through the admin API, with a client signing as them.
    #[allow(dead_code)]
    pub async fn user(&self, name: &str) -> TestUser {
        let root = firn::admin::client::Remote {
            authority: self.addr.clone(),
            region: "us-east-1".into(),
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            tls: None,
        };
        let firn::admin::Reply::Key { access_key, secret_key, .. } =
            root.send(&firn::admin::Request::UserAdd { name: name.into() }).await.expect("user add")
        else {
            panic!("user add answers with a key")
        };
        let canonical_id = firn_storage::canonical_id(name);
        TestUser {
            client: self.client_as(&access_key, &secret_key),
            account_id: firn_storage::account_id(&canonical_id),
            canonical_id,
            access_key,
            secret_key,
        }
    }

    /// The data directory (`FIRN_DATA_DIR`).
    #[allow(dead_code)]
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    #[allow(dead_code)]
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        self.child.wait().expect("wait for firn")
    }

    /// Stops the server abruptly (SIGKILL) and returns its data directory.
    pub fn kill(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, dir)
    }
}

/// A user of the server under test.
#[allow(dead_code)]
pub struct TestUser {
    pub client: Client,
    pub canonical_id: String,
    pub account_id: String,
    pub access_key: String,
    pub secret_key: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client and a fresh bucket on a fresh server.
pub async fn with_bucket(name: &str) -> (Server, Client) {
    with_bucket_on(Server::start(), name).await
}

/// The same on a server whose metadata is on disk.
#[allow(dead_code)]
pub async fn with_bucket_on_disk(name: &str) -> (Server, Client) {
    with_bucket_on(Server::start_with(&[ON_DISK]), name).await
}

async fn with_bucket_on(server: Server, name: &str) -> (Server, Client) {
    let client = server.client();
    client.create_bucket().bucket(name).send().await.expect("create bucket");
    (server, client)
}

/// Uploads `body` as the only part of an upload, and returns the document that completes it.
#[allow(dead_code)]
pub async fn one_part(
    s3: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    body: &[u8],
) -> aws_sdk_s3::types::CompletedMultipartUpload {
    let part = s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(1)
        .body(body.to_vec().into())
        .send()
        .await
        .expect("upload part");
    aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build()
}

/// The S3 error code of a failed SDK call.
pub fn code<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    err.as_service_error().and_then(|e| e.code()).unwrap_or("<no code>").to_owned()
}

/// The HTTP status of a failed SDK call.
pub fn status<E>(err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> u16 {
    err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

/// Deterministic pseudo-random bytes.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
