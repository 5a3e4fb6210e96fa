//! A throw-away PostgreSQL cluster for tests: made with Debian's `initdb` under a temporary
//! directory, started with `postgres` on a free loopback port, one per test process, stopped and
//! removed when that process ends (however it ends: a watchdog shell holds the postmaster and stops
//! it when the pipe from this process closes). Run as `nobody` when the tests run as root, since
//! PostgreSQL refuses to run as root.
//!
//! Tests ask for it with [`cluster`]: where PostgreSQL cannot start they say SKIP with the reason
//! and go on, except under CI (`CI` set), where that is a failure.

use std::io::Read;
use std::net::TcpStream;
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Cluster {
    pub port: u16,
    /// For a cluster serving TLS: the PEM of its (self-signed) certificate, for clients to trust.
    pub ca_file: Option<PathBuf>,
    bin: PathBuf,
    /// Who runs PostgreSQL's programs: (uid, gid), or None for this process's own user.
    user: Option<(u32, u32)>,
    /// Closing it stops the cluster: held until the process exits.
    _watchdog: Mutex<ChildStdin>,
    _child: Mutex<Child>,
    _dir: PathBuf,
}

/// The process's cluster, started on first use; None (after printing SKIP and why) where
/// PostgreSQL cannot start here. Under CI that panics instead: CI must not skip.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    available(CLUSTER.get_or_init(|| start(false)))
}

/// A second cluster, serving TLS (`ssl = on`) with a self-signed certificate for 127.0.0.1 and
/// localhost (`ca_file`); plain connections are refused (`hostssl` only).
pub fn tls_cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    available(CLUSTER.get_or_init(|| start(true)))
}

fn available(started: &'static Result<Cluster, String>) -> Option<&'static Cluster> {
    match started {
        Ok(c) => Some(c),
        Err(why) if std::env::var_os("CI").is_some() => panic!("PostgreSQL did not start under CI: {why}"),
        Err(why) => {
            eprintln!("SKIP: PostgreSQL tests: {why}");
            None
        }
    }
}

impl Cluster {
    /// The URL of database `name`, created if it does not exist yet.
    pub fn database(&self, name: &str) -> String {
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "database name {name:?}");
        if self.sql("postgres", &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'")).is_empty() {
            let status = self
                .command("createdb")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "firn", name])
                .status()
                .expect("createdb");
            assert!(status.success(), "createdb {name}");
        }
        self.url(name)
    }

    /// Runs `sql` in database `db` as the cluster's superuser; returns what it printed (unaligned).
    pub fn sql(&self, db: &str, sql: &str) -> String {
        let out = self
            .command("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "firn", "-d", db, "-tAc", sql])
            .output()
            .expect("psql");
        assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn url(&self, name: &str) -> String {
        format!("postgres://firn@127.0.0.1:{}/{name}", self.port)
    }

    /// One of PostgreSQL's programs, as the cluster's user.
    fn command(&self, program: &str) -> Command {
        command(&self.bin, program, self.user)
    }
}

fn command(bin: &Path, program: &str, user: Option<(u32, u32)>) -> Command {
    let mut cmd = Command::new(bin.join(program));
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    cmd.env_remove("PGPASSWORD").env_remove("PGDATABASE").env_remove("PGUSER");
    // No ~/.psqlrc, no client certificate from ~/.postgresql (under root's HOME, unreadable to nobody).
    cmd.env("HOME", "/nonexistent");
    cmd
}

/// Where PostgreSQL's server programs are: `FIRN_PG_BIN`, PATH, or Debian's versioned directory.
fn find_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("FIRN_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    // Newest version first.
    debian.sort_by_key(|p| std::cmp::Reverse(p.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())));
    candidates.extend(debian);
    candidates
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file() && d.join("psql").is_file())
        .ok_or_else(|| "no initdb/postgres found (install Debian's postgresql package)".into())
}

/// uid and gid of `nobody` when this process runs as root.
fn unprivileged() -> Result<Option<(u32, u32)>, String> {
    let me = std::fs::metadata("/proc/self").map_err(|e| format!("/proc/self: {e}"))?;
    use std::os::unix::fs::MetadataExt;
    if me.uid() != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("/etc/passwd: {e}"))?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&"nobody") && f.len() > 3)
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .map(Some)
        .ok_or_else(|| "running as root and no user nobody to run PostgreSQL as".into())
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A CA and a server certificate it signs (for 127.0.0.1 and localhost) in `dir`, the server's
/// owned by `user`; returns the CA's certificate, which clients trust.
fn certificate(dir: &Path, user: Option<(u32, u32)>) -> Result<PathBuf, String> {
    let openssl = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl").args(args).current_dir(dir).output().map_err(|e| format!("openssl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("openssl {}: {}", args[0], String::from_utf8_lossy(&out.stderr).trim()))
        }
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=firn test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ])?;
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ])?;
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").map_err(|e| e.to_string())?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    ])?;
    let key = dir.join("server.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).map_err(|e| e.to_string())?;
    if let Some((uid, gid)) = user {
        for f in [dir.join("server.crt"), key] {
            chown(&f, Some(uid), Some(gid)).map_err(|e| format!("chown {}: {e}", f.display()))?;
        }
    }
    Ok(dir.join("ca.crt"))
}

fn start(tls: bool) -> Result<Cluster, String> {
    let bin = find_bin()?;
    let user = unprivileged()?;
    let dir = tempfile::Builder::new().prefix("firn-pg-").tempdir().map_err(|e| e.to_string())?.keep();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    if let Some((uid, gid)) = user {
        chown(&dir, Some(uid), Some(gid)).map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    let data = dir.join("data");
    let out = command(&bin, "initdb", user)
        .args(["-D"])
        .arg(&data)
        .args(["-U", "firn", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let ca_file = if tls { Some(certificate(&dir, user)?) } else { None };
    let mut ssl = String::new();
    if ca_file.is_some() {
        // TLS only: a plain connection gets no entry in pg_hba.conf.
        let hba = "hostssl all all 127.0.0.1/32 trust\n";
        std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| e.to_string())?;
        let (crt, key) = (dir.join("server.crt"), dir.join("server.key"));
        ssl = format!("-c ssl=on -c ssl_cert_file={} -c ssl_key_file={}", crt.display(), key.display());
    }
    let mut last = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        // The watchdog: starts the postmaster, waits for its own stdin to close (this process
        // ended), then stops it fast and removes the cluster.
        let script = format!(
            "{postgres} -D {data} -p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 \
             -c shared_buffers=64MB {ssl} >{dir}/log 2>&1 & pid=$!; cat >/dev/null; kill -INT $pid; wait $pid; \
             rm -rf {dir}",
            postgres = bin.join("postgres").display(),
            data = data.display(),
            dir = dir.display(),
        );
        let mut child = command(Path::new("/bin"), "sh", user)
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("sh: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() && ready(&bin, user, port) {
                return Ok(Cluster {
                    port,
                    ca_file,
                    bin,
                    user,
                    _watchdog: Mutex::new(stdin),
                    _child: Mutex::new(child),
                    _dir: dir,
                });
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Killed rather than told: the shell must not remove the cluster before the next attempt.
        let _ = child.kill();
        let _ = child.wait();
        drop(stdin);
        last = std::fs::File::open(dir.join("log"))
            .and_then(|mut f| {
                let mut s = String::new();
                f.read_to_string(&mut s).map(|_| s)
            })
            .unwrap_or_default();
    }
    Err(format!("postgres did not start: {}", last.trim()))
}

fn ready(bin: &Path, user: Option<(u32, u32)>, port: u16) -> bool {
    command(bin, "pg_isready", user)
        .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}
