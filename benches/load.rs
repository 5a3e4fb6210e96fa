//! Load benchmark: starts `firn` (durable, release build) and drives it over loopback with
//! SigV4-signed requests from many connections, verifying every byte read back. Prints one JSON
//! line per workload, this machine's limits, and PASS/MISS for each target as a ratio to the limit
//! that bounds it.
//!
//!   cargo bench --bench load                      # the full run
//!   FIRN_BENCH_SECS=2 FIRN_BENCH_LIST_KEYS=100000 FIRN_BENCH_HUGE=0 cargo bench --bench load   # quicker
//!
//! Not a CI gate: figures depend on the machine. Every knob is an environment variable.

use bytes::Bytes;
use firn::auth::sigv4;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use md5::Digest;
use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ACCESS: &str = "BENCHACCESSKEY000000";
const SECRET: &str = "bench-secret-key-0123456789abcdefghijklmn";

/// The keys requests are signed with: Firn's (started here with them) unless an external
/// endpoint has others.
fn keys() -> &'static (String, String) {
    static KEYS: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let var = |n: &str, d: &str| std::env::var(n).unwrap_or_else(|_| d.to_owned());
        (var("FIRN_BENCH_ACCESS_KEY", ACCESS), var("FIRN_BENCH_SECRET_KEY", SECRET))
    })
}
const MIB: f64 = 1048576.0;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

// ---------- the server ----------

/// A server under test: Firn started here (its CPU and memory are measured), or another
/// endpoint already running (a peer, or `FIRN_BENCH_ENDPOINT`), measured from outside only.
struct Server {
    name: String,
    child: Option<Child>,
    addr: String,
    /// The web console's `host:port`, for a Firn started here.
    console: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Firn on its defaults; FIRN_* variables (and MALLOC_ARENA_MAX) in the environment pass through.
    fn start() -> Server {
        let dir = tempfile::tempdir_in(std::env::var("FIRN_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_firn"))
            .arg("serve")
            .env("FIRN_LISTEN", "127.0.0.1:0")
            .env("FIRN_CONSOLE_LISTEN", "127.0.0.1:0")
            .env("FIRN_DATA_DIR", dir.path())
            .env("FIRN_ROOT_ACCESS_KEY", ACCESS)
            .env("FIRN_ROOT_SECRET_KEY", SECRET)
            .env("FIRN_MIN_PART_SIZE", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn firn (build it with cargo build --release)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first.split("http://").nth(1).unwrap().trim().to_owned();
        let mut console = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(c) = line.split("console:").nth(1) {
                console = Some(c.trim().trim_start_matches("http://").to_owned());
            }
            if line.contains("secret key") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Server { name: "firn".into(), child: Some(child), addr, console, _dir: Some(dir) }
    }

    /// `http://host:port` (signed with FIRN_BENCH_ACCESS_KEY / FIRN_BENCH_SECRET_KEY).
    fn external(name: &str, endpoint: &str) -> Server {
        let addr = endpoint.trim_start_matches("http://").trim_end_matches('/').to_owned();
        Server { name: name.to_owned(), child: None, addr, console: None, _dir: None }
    }

    fn proc_file(&self, name: &str) -> String {
        match &self.child {
            Some(c) => std::fs::read_to_string(format!("/proc/{}/{name}", c.id())).unwrap_or_default(),
            None => String::new(),
        }
    }

    /// User + system CPU seconds so far.
    fn cpu_secs(&self) -> f64 {
        let stat = self.proc_file("stat");
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
        let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
            + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        ticks as f64 / 100.0
    }

    fn peak_rss_mib(&self) -> f64 {
        let status = self.proc_file("status");
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ---------- a signed HTTP client ----------

type Conn = SendRequest<Full<Bytes>>;

async fn connect(addr: &str) -> Conn {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    sender
}

fn signed(method: &str, addr: &str, path: &str, query: &str, body: Bytes) -> http::Request<Full<Bytes>> {
    let now = chrono::Utc::now();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let scope = format!("{}/us-east-1/s3/aws4_request", &amz_date[..8]);
    let headers = format!("host:{addr}\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:{amz_date}\n");
    let signed_headers = "host;x-amz-content-sha256;x-amz-date";
    let creq = sigv4::canonical_request(
        method,
        &sigv4::canonical_uri(path),
        &sigv4::canonical_query(query, None),
        &headers,
        signed_headers,
        "UNSIGNED-PAYLOAD",
    );
    let (access, secret) = keys();
    let key = sigv4::signing_key(secret, &amz_date[..8], "us-east-1", "s3");
    let sig = sigv4::signature(&key, &sigv4::string_to_sign(&amz_date, &scope, &creq));
    let uri = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", addr)
        .header("x-amz-date", amz_date)
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        .header("content-length", body.len())
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={signed_headers}, Signature={sig}"),
        )
        .body(Full::new(body))
        .unwrap()
}

/// Sends a request; checks the status; compares the body with `expect` (if given) chunk by
/// chunk; returns the body bytes counted (and the body itself when `keep`).
async fn call(
    conn: &mut Conn,
    req: http::Request<Full<Bytes>>,
    want: u16,
    expect: Option<&[u8]>,
    keep: bool,
) -> (u64, Vec<u8>) {
    conn.ready().await.unwrap();
    let resp = conn.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let (mut n, mut kept) = (0usize, Vec::new());
    while let Some(frame) = body.frame().await {
        let frame = frame.unwrap();
        if let Ok(data) = frame.into_data() {
            if let Some(e) = expect {
                assert_eq!(&e[n..n + data.len()], &data[..], "bytes read back differ");
            }
            if keep || status != want {
                kept.extend_from_slice(&data);
            }
            n += data.len();
        }
    }
    assert_eq!(status, want, "{}", String::from_utf8_lossy(&kept));
    if let Some(e) = expect {
        assert_eq!(n, e.len(), "short body");
    }
    (n as u64, kept)
}

// ---------- workloads ----------

struct Outcome {
    name: String,
    conns: usize,
    ops: u64,
    bytes: u64,
    secs: f64,
    latencies_us: Vec<u64>,
    cpu_secs: f64,
    peak_rss_mib: f64,
}

impl Outcome {
    fn ops_per_s(&self) -> f64 {
        self.ops as f64 / self.secs
    }
    fn mib_per_s(&self) -> f64 {
        self.bytes as f64 / MIB / self.secs
    }
    fn pct(&self, p: f64) -> f64 {
        let mut l = self.latencies_us.clone();
        l.sort_unstable();
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1000.0
    }
    fn print(&self, extra: &str) {
        println!(
            "{{\"workload\":\"{}\",\"conns\":{},\"ops\":{},\"secs\":{:.2},\"ops_per_s\":{:.0},\"mib_per_s\":{:.1},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"server_cpu_s\":{:.2},\"server_cpu_us_per_op\":{:.1},\"peak_rss_mib\":{:.1}{extra}}}",
            self.name,
            self.conns,
            self.ops,
            self.secs,
            self.ops_per_s(),
            self.mib_per_s(),
            self.pct(0.5),
            self.pct(0.99),
            self.cpu_secs,
            self.cpu_secs * 1e6 / self.ops.max(1) as f64,
            self.peak_rss_mib
        );
    }
}

/// Runs `op` on `conns` connections until `ops` operations are done or `secs` have passed.
/// Each call gets (connection, worker, global operation number) and returns the connection and
/// the bytes it moved.
async fn run<F, Fut>(server: &Server, name: &str, conns: usize, ops: u64, secs: f64, op: F) -> Outcome
where
    F: Fn(Conn, usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (Conn, u64)> + Send,
{
    if let Some(c) = &server.child {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", c.id()), "5");
    }
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let moved = Arc::new(AtomicU64::new(0));
    let cpu0 = server.cpu_secs();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for w in 0..conns {
        let (op, next, latencies, moved, addr) =
            (op.clone(), next.clone(), latencies.clone(), moved.clone(), server.addr.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = connect(&addr).await;
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= ops || Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let (c, b) = op(conn, w, i).await;
                conn = c;
                mine.push(t.elapsed().as_micros() as u64);
                moved.fetch_add(b, Ordering::Relaxed);
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let latencies_us = std::mem::take(&mut *latencies.lock().unwrap());
    Outcome {
        name: name.to_owned(),
        conns,
        ops: latencies_us.len() as u64,
        bytes: moved.load(Ordering::Relaxed),
        secs,
        latencies_us,
        cpu_secs: server.cpu_secs() - cpu0,
        peak_rss_mib: server.peak_rss_mib(),
    }
}

/// Deterministic content: 1 MiB of pseudo-random bytes, repeated.
fn pattern(len: usize, seed: u64) -> Bytes {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let block: Vec<u8> = (0..(1 << 20).min(len.max(1)))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    Bytes::from(block.iter().copied().cycle().take(len).collect::<Vec<u8>>())
}

// ---------- the machine's limits ----------

fn md5_rate_gib() -> f64 {
    let data = pattern(256 << 20, 1);
    let t = Instant::now();
    let _ = md5::Md5::digest(&data);
    0.25 / t.elapsed().as_secs_f64()
}

async fn tcp_rate_gib() -> f64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let total: u64 = 2 << 30;
    let reader = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut n = 0u64;
        while n < total {
            n += s.read(&mut buf).await.unwrap() as u64;
        }
    });
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let chunk = vec![7u8; 1 << 20];
    let t = Instant::now();
    for _ in 0..(total >> 20) {
        s.write_all(&chunk).await.unwrap();
    }
    reader.await.unwrap();
    2.0 / t.elapsed().as_secs_f64()
}

/// 4 KiB create + fsync + rename per second, on `threads` threads, for about a second.
fn fsync_rate(threads: usize) -> f64 {
    let dir = tempfile::tempdir_in(std::env::var("FIRN_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    std::thread::scope(|s| {
        for th in 0..threads {
            let (dir, count) = (dir.path().to_owned(), count.clone());
            s.spawn(move || {
                let data = vec![1u8; 4096];
                let mut i = 0;
                while t.elapsed() < Duration::from_secs(1) {
                    let tmp = dir.join(format!("t{th}-{i}"));
                    let mut f = std::fs::File::create(&tmp).unwrap();
                    f.write_all(&data).unwrap();
                    f.sync_all().unwrap();
                    std::fs::rename(&tmp, dir.join(format!("f{th}-{i}"))).unwrap();
                    i += 1;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    count.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64()
}

/// The middle of three measurements: a virtual disk's rates wander from one second to the next.
fn median3(measure: impl Fn() -> f64) -> f64 {
    let mut v = [measure(), measure(), measure()];
    v.sort_by(f64::total_cmp);
    v[1]
}

/// 4 KiB appends to one file, each followed by fdatasync, per second for about a second.
fn fdatasync_rate() -> f64 {
    let dir = tempfile::tempdir_in(std::env::var("FIRN_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.path().join("log")).unwrap();
    let (data, t, mut n) = (vec![1u8; 4096], Instant::now(), 0u64);
    while t.elapsed() < Duration::from_secs(1) {
        f.write_all(&data).unwrap();
        f.sync_data().unwrap();
        n += 1;
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// 256 MiB written sequentially in 1 MiB writes, then fsynced: MiB/s including the fsync.
fn disk_rate_mib() -> f64 {
    let dir = tempfile::tempdir_in(std::env::var("FIRN_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
    let mut f = std::fs::File::create(dir.path().join("seq")).unwrap();
    let chunk = pattern(1 << 20, 9);
    let t = Instant::now();
    for _ in 0..256 {
        f.write_all(&chunk).unwrap();
    }
    f.sync_all().unwrap();
    256.0 / t.elapsed().as_secs_f64()
}

fn verdict(name: &str, value: f64, target: f64, higher_is_better: bool, what: &str) -> bool {
    let pass = if higher_is_better { value >= target } else { value <= target };
    println!(
        "{} {name}: {value:.3} (target {} {target:.3}) {what}",
        if pass { "PASS" } else { "MISS" },
        if higher_is_better { ">=" } else { "<=" }
    );
    pass
}

// ---------- main ----------

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` / `cargo test --benches` probe
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(bench());
}

/// What the machine allows: the bounds each figure is a ratio to.
struct Limits {
    cores: usize,
    md5_gib: f64,
    tcp_gib: f64,
    /// 4 KiB create + fsync + rename per second, one thread and four.
    fsync1: f64,
    fsync4: f64,
    /// 4 KiB append + fdatasync per second, one thread.
    fdatasync: f64,
    /// Sequential write of 256 MiB and its fsync, MiB/s.
    disk_mib: f64,
}

impl Limits {
    async fn measure() -> Limits {
        let limits = Limits {
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            md5_gib: md5_rate_gib(),
            tcp_gib: tcp_rate_gib().await,
            fsync1: median3(|| fsync_rate(1)),
            fsync4: median3(|| fsync_rate(4)),
            fdatasync: median3(fdatasync_rate),
            disk_mib: median3(disk_rate_mib),
        };
        println!(
            "{{\"machine\":{{\"cores\":{},\"md5_mib_s\":{:.0},\"loopback_tcp_gib_s\":{:.3},\"create_fsync_rename_4k_per_s_1_thread\":{:.0},\"create_fsync_rename_4k_per_s_4_threads\":{:.0},\"append_fdatasync_4k_per_s\":{:.0},\"sequential_write_fsync_mib_s\":{:.0}}}}}",
            limits.cores,
            limits.md5_gib * 1024.0,
            limits.tcp_gib,
            limits.fsync1,
            limits.fsync4,
            limits.fdatasync,
            limits.disk_mib
        );
        limits
    }

    /// A large PUT hashes (MD5) and writes every byte: the slower of the two bounds it.
    fn large_put_mib(&self) -> f64 {
        (self.md5_gib * 1024.0).min(self.disk_mib)
    }
}

/// The workloads compared across servers, with each figure's ratio to the machine's bound.
struct Core {
    figures: Vec<(Outcome, &'static str, f64)>,
}

impl Core {
    fn get(&self, name: &str) -> &Outcome {
        &self.figures.iter().find(|(o, ..)| o.name == name).expect("core workload").0
    }
}

/// 4 KiB PUT/GET/DELETE at 32 connections, 1 MiB PUT/GET at 8, one 256 MiB PUT and GET.
async fn core(server: &Server, limits: &Limits, secs: f64) -> Core {
    let addr = server.addr.clone();
    let mut setup = connect(&addr).await;
    for b in ["small", "big"] {
        call(&mut setup, signed("PUT", &addr, &format!("/{b}"), "", Bytes::new()), 200, None, false).await;
    }
    let mut figures = Vec::new();
    let mut note = |o: Outcome, bound: &'static str, limit: f64| {
        // The disk's bounds are counted in operations, the others in bytes.
        let in_ops = matches!(bound, "create_fsync_rename_1_thread" | "append_fdatasync");
        let ratio = if in_ops { o.ops_per_s() / limit } else { o.mib_per_s() / limit };
        o.print(&format!(",\"server\":\"{}\",\"ratio_to_{bound}\":{ratio:.2}", server.name));
        figures.push((o, bound, ratio));
    };
    let tcp_mib = limits.tcp_gib * 1024.0;

    let small = pattern(4096, 4);
    let (a, s) = (addr.clone(), small.clone());
    let put4k = run(server, "put_4k", 32, u64::MAX, secs, move |mut c, _, i| {
        let (a, s) = (a.clone(), s.clone());
        async move {
            call(&mut c, signed("PUT", &a, &format!("/small/k{i:08}"), "", s.clone()), 200, None, false).await;
            (c, 4096)
        }
    })
    .await;
    let written = put4k.ops;
    note(put4k, "create_fsync_rename_1_thread", limits.fsync1);
    // One connection: every PUT waits for a flush of its own, so this is the commit's latency.
    let (a, s) = (addr.clone(), small.clone());
    let put4k1 = run(server, "put_4k_x1", 1, u64::MAX, secs.min(2.0), move |mut c, _, i| {
        let (a, s) = (a.clone(), s.clone());
        async move {
            call(&mut c, signed("PUT", &a, &format!("/small/one{i:08}"), "", s.clone()), 200, None, false).await;
            (c, 4096)
        }
    })
    .await;
    note(put4k1, "append_fdatasync", limits.fdatasync);
    let (a, s) = (addr.clone(), small.clone());
    let get4k = run(server, "get_4k", 32, u64::MAX, secs, move |mut c, _, i| {
        let (a, s) = (a.clone(), s.clone());
        async move {
            let k = i % written;
            let (n, _) =
                call(&mut c, signed("GET", &a, &format!("/small/k{k:08}"), "", Bytes::new()), 200, Some(&s), false)
                    .await;
            (c, n)
        }
    })
    .await;
    note(get4k, "loopback_tcp", tcp_mib);
    let a = addr.clone();
    let del4k = run(server, "delete_4k", 32, written, secs, move |mut c, _, i| {
        let a = a.clone();
        async move {
            call(&mut c, signed("DELETE", &a, &format!("/small/k{i:08}"), "", Bytes::new()), 204, None, false).await;
            (c, 0)
        }
    })
    .await;
    note(del4k, "append_fdatasync", limits.fdatasync);

    let mib = pattern(1 << 20, 5);
    let (a, m) = (addr.clone(), mib.clone());
    let put1m = run(server, "put_1m", 8, u64::MAX, secs, move |mut c, _, i| {
        let (a, m) = (a.clone(), m.clone());
        async move {
            call(&mut c, signed("PUT", &a, &format!("/big/m{i:06}"), "", m.clone()), 200, None, false).await;
            (c, 1 << 20)
        }
    })
    .await;
    let written_m = put1m.ops;
    note(put1m, "sequential_write_fsync", limits.disk_mib);
    let (a, m) = (addr.clone(), mib.clone());
    let get1m = run(server, "get_1m", 8, u64::MAX, secs, move |mut c, _, i| {
        let (a, m) = (a.clone(), m.clone());
        async move {
            let k = i % written_m;
            let (n, _) =
                call(&mut c, signed("GET", &a, &format!("/big/m{k:06}"), "", Bytes::new()), 200, Some(&m), false).await;
            (c, n)
        }
    })
    .await;
    note(get1m, "loopback_tcp", tcp_mib);

    let large = pattern(256 << 20, 6);
    let (a, l) = (addr.clone(), large.clone());
    let put = run(server, "put_256m_x1", 1, 2, 600.0, move |mut c, _, i| {
        let (a, l) = (a.clone(), l.clone());
        async move {
            call(&mut c, signed("PUT", &a, &format!("/big/l{i}"), "", l.clone()), 200, None, false).await;
            (c, 256 << 20)
        }
    })
    .await;
    note(put, "min_md5_disk", limits.large_put_mib());
    let (a, l) = (addr.clone(), large.clone());
    let get = run(server, "get_256m_x1", 1, 2, 600.0, move |mut c, _, i| {
        let (a, l) = (a.clone(), l.clone());
        async move {
            let (n, _) =
                call(&mut c, signed("GET", &a, &format!("/big/l{}", i % 2), "", Bytes::new()), 200, Some(&l), false)
                    .await;
            (c, n)
        }
    })
    .await;
    note(get, "loopback_tcp", tcp_mib);
    Core { figures }
}

/// One table: each core figure for every server, its ratio to the machine, Firn's to the best peer.
fn compare(servers: &[(String, Core)]) {
    println!("---- core workloads: value (ratio to the machine's bound) ----");
    let header: Vec<String> = servers.iter().map(|(n, _)| n.clone()).collect();
    println!("| workload | bound | {} | firn / best peer |", header.join(" | "));
    println!("| --- | --- |{} --- |", " --- |".repeat(servers.len()));
    for i in 0..servers[0].1.figures.len() {
        let (o, bound, _) = &servers[0].1.figures[i];
        // Small objects are counted in operations, large ones in bytes.
        let small = o.name.contains("4k");
        let value = |o: &Outcome| if small { o.ops_per_s() } else { o.mib_per_s() };
        let unit = if small { "ops/s" } else { "MiB/s" };
        let cells: Vec<String> =
            servers.iter().map(|(_, c)| format!("{:.0} ({:.2})", value(&c.figures[i].0), c.figures[i].2)).collect();
        // Another build of Firn (benches/peers.sh FIRN_BENCH_BEFORE) is not a peer.
        let best_peer = servers[1..]
            .iter()
            .filter(|(name, _)| !name.starts_with("firn"))
            .map(|(_, c)| value(&c.figures[i].0))
            .fold(0.0, f64::max);
        let vs = if best_peer > 0.0 { format!("{:.2}", value(o) / best_peer) } else { "-".into() };
        println!("| {} {unit} | {bound} | {} | {vs} |", o.name, cells.join(" | "));
    }
}

/// Listing: 1,000-key pages in a bucket of 10,000 keys and in one of `list_keys`, flat and with a
/// delimiter; the p50 of each (flat and delimiter, small then large bucket) and the server's peak memory.
async fn listings(server: &Server, list_keys: u64, secs: f64) -> (Vec<f64>, f64) {
    let addr = server.addr.clone();
    let mut peak = 0f64;
    let mut setup = connect(&addr).await;
    for b in ["list10k", "listbig"] {
        call(&mut setup, signed("PUT", &addr, &format!("/{b}"), "", Bytes::new()), 200, None, false).await;
    }
    for (bucket, n) in [("list10k", 10_000u64), ("listbig", list_keys)] {
        let a = addr.clone();
        let b = bucket.to_owned();
        let fill = run(server, &format!("fill_{bucket}"), 32, n, 3600.0, move |mut c, _, i| {
            let (a, b) = (a.clone(), b.clone());
            async move {
                // 100 folders of 10 folders each: the console's figures open one deep in it.
                let key = format!("/{b}/d{:03}/e{}/k{i:08}", i % 100, (i / 100) % 10);
                call(&mut c, signed("PUT", &a, &key, "", Bytes::new()), 200, None, false).await;
                (c, 0)
            }
        })
        .await;
        fill.print("");
        peak = peak.max(fill.peak_rss_mib);
    }
    let mut page_ms = Vec::new();
    for bucket in ["list10k", "listbig"] {
        // Flat: the first 1,000 keys; delimiter: the 100 common prefixes, each skipped with one seek.
        for (label, query) in [("flat", "list-type=2"), ("delimiter", "list-type=2&delimiter=/")] {
            let (a, b, q) = (addr.clone(), bucket.to_owned(), query.to_owned());
            let out = run(server, &format!("list_{label}_{bucket}"), 1, 50, secs, move |mut c, _, _| {
                let (a, b, q) = (a.clone(), b.clone(), q.clone());
                async move {
                    let (n, _) =
                        call(&mut c, signed("GET", &a, &format!("/{b}"), &q, Bytes::new()), 200, None, false).await;
                    (c, n)
                }
            })
            .await;
            out.print(",\"note\":\"pages of up to 1000 keys\"");
            page_ms.push(out.pct(0.5));
            peak = peak.max(out.peak_rss_mib);
        }
    }
    if let Some(console) = &server.console {
        // 100 buckets in all for the overview's figure (two hold the keys). A new connection: the
        // first has sat idle through the fills.
        let mut c = connect(&addr).await;
        for i in 0..98 {
            call(&mut c, signed("PUT", &addr, &format!("/more{i:02}"), "", Bytes::new()), 200, None, false).await;
        }
        console_pages(console, list_keys).await;
    }
    (page_ms, peak)
}

/// The console's first page of the big bucket's root, of a folder two levels down in it, and the
/// operator's overview of the 100 buckets: the p50 of 50 whole requests over loopback, so an upper
/// bound on the server's time to render them.
async fn console_pages(console: &str, keys: u64) {
    let send = |req: http::Request<Full<Bytes>>| async move {
        let mut c = connect(console).await;
        c.ready().await.unwrap();
        let resp = c.send_request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        (parts, body.collect().await.unwrap().to_bytes())
    };
    let get = |path: &str, cookie: &str| {
        let req = http::Request::get(path).header("host", console).header("cookie", cookie);
        req.body(Full::new(Bytes::new())).unwrap()
    };
    let cookie = |parts: &http::response::Parts| {
        let set = parts.headers.get("set-cookie").unwrap().to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    };
    let (parts, body) = send(get("/signin", "")).await;
    let page = String::from_utf8_lossy(&body);
    let token = page.split("name=\"signin\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = format!("signin={token}&access_key={ACCESS}&secret_key={SECRET}");
    let post = http::Request::post("/signin")
        .header("host", console)
        .header("origin", format!("http://{console}"))
        .header("cookie", cookie(&parts))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form)))
        .unwrap();
    let (parts, _) = send(post).await;
    assert_eq!(parts.status, 303, "signed in");
    let session = cookie(&parts);
    // The root holds 100 folders; the deep folder 1,000 keys, so its first page has a next one.
    let pages = [
        ("root", "/browse/listbig", "d099/"),
        ("deep_folder", "/browse/listbig?prefix=d042%2Fe7%2F", "Next page"),
        ("overview_100_buckets", "/overview", "more97"),
    ];
    for (label, path, shows) in pages {
        let mut ms = Vec::new();
        for _ in 0..50 {
            let started = Instant::now();
            let (parts, body) = send(get(path, &session)).await;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(parts.status, 200, "{}", String::from_utf8_lossy(&body));
            assert!(String::from_utf8_lossy(&body).contains(shows), "the page shows {shows}");
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "{{\"workload\":\"console_page_{label}\",\"bucket_keys\":{keys},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
            ms[25], ms[49]
        );
    }
}

async fn bench() {
    let secs = env_num("FIRN_BENCH_SECS", 5) as f64;
    let list_keys = env_num("FIRN_BENCH_LIST_KEYS", 1_000_000);
    let huge = env_num("FIRN_BENCH_HUGE", 1) == 1;
    let only = std::env::var("FIRN_BENCH_ONLY").unwrap_or_default();
    if only == "keys" {
        // The metadata at scale alone: the fills and listings, with the server's peak memory.
        let server = Server::start();
        let (_, peak) = listings(&server, list_keys, secs).await;
        println!("peak RSS with {list_keys} keys: {peak:.1} MiB");
        return;
    }
    let only_core = only == "core";
    let limits = Limits::measure().await;
    let md5 = limits.md5_gib;
    let tcp = limits.tcp_gib;
    let fsync1 = limits.fsync1;

    // Firn, or the endpoint named instead; then the peers (FIRN_BENCH_PEERS=name=http://addr,...).
    let server = match std::env::var("FIRN_BENCH_ENDPOINT") {
        Ok(ep) => Server::external("endpoint", &ep),
        Err(_) => Server::start(),
    };
    let peers: Vec<Server> = std::env::var("FIRN_BENCH_PEERS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|p| p.split_once('='))
        .map(|(name, ep)| Server::external(name.trim(), ep.trim()))
        .collect();
    let mine = core(&server, &limits, secs).await;
    let mut table = Vec::new();
    for peer in &peers {
        table.push((peer.name.clone(), core(peer, &limits, secs).await));
    }
    let (put4k, del4k, put1m, put1) =
        (mine.get("put_4k"), mine.get("delete_4k"), mine.get("put_1m"), mine.get("put_256m_x1"));
    println!("---- write targets (issue 19) ----");
    verdict(
        "4 KiB durable PUT x32 / 1-thread create+fsync+rename",
        put4k.ops_per_s() / fsync1,
        1.5,
        true,
        "group commit",
    );
    verdict("4 KiB DELETE x32 / append+fdatasync", del4k.ops_per_s() / limits.fdatasync, 1.0, true, "group commit");
    // Every byte is hashed (MD5) too: where the disk outruns MD5 on all cores, so does this target.
    let md5_all = limits.md5_gib * 1024.0 * limits.cores as f64;
    verdict(
        "1 MiB PUT x8 / sequential write with fsync",
        put1m.mib_per_s() / limits.disk_mib,
        0.8,
        true,
        &format!(
            "(MD5 on every core, client's included: {md5_all:.0} MiB/s, ratio {:.2})",
            put1m.mib_per_s() / md5_all
        ),
    );
    verdict(
        "256 MiB PUT x1 / min(MD5, disk)",
        put1.mib_per_s() / limits.large_put_mib(),
        0.8,
        true,
        "hash beside the write",
    );
    let table: Vec<(String, Core)> = std::iter::once((server.name.clone(), mine)).chain(table).collect();
    compare(&table);
    if only_core || server.child.is_none() {
        return;
    }
    let mine = &table[0].1;
    let (put4k, get4k, put1m, get1m) = (mine.get("put_4k"), mine.get("get_4k"), mine.get("put_1m"), mine.get("get_1m"));
    let (put1, get1) = (mine.get("put_256m_x1"), mine.get("get_256m_x1"));
    let addr = server.addr.clone();
    let mut setup = connect(&addr).await;
    for b in ["mix"] {
        call(&mut setup, signed("PUT", &addr, &format!("/{b}"), "", Bytes::new()), 200, None, false).await;
    }
    let small = pattern(4096, 4);
    let mut results = Vec::new();

    // 256 MiB objects over four connections.
    let large = pattern(256 << 20, 6);
    for conns in [4usize] {
        let (a, l) = (addr.clone(), large.clone());
        let put = run(&server, &format!("put_256m_x{conns}"), conns, conns as u64 * 2, 600.0, move |mut c, _, i| {
            let (a, l) = (a.clone(), l.clone());
            async move {
                call(&mut c, signed("PUT", &a, &format!("/big/l{i}"), "", l.clone()), 200, None, false).await;
                (c, 256 << 20)
            }
        })
        .await;
        let ratio = put.mib_per_s() / 1024.0 / md5;
        put.print(&format!(",\"ratio_to_md5\":{ratio:.2}"));
        let (a, l) = (addr.clone(), large.clone());
        let get = run(&server, &format!("get_256m_x{conns}"), conns, conns as u64 * 2, 600.0, move |mut c, _, i| {
            let (a, l) = (a.clone(), l.clone());
            async move {
                let (n, _) = call(
                    &mut c,
                    signed("GET", &a, &format!("/big/l{}", i % 2), "", Bytes::new()),
                    200,
                    Some(&l),
                    false,
                )
                .await;
                (c, n)
            }
        })
        .await;
        let ratio = get.mib_per_s() / 1024.0 / tcp;
        get.print(&format!(",\"ratio_to_tcp\":{ratio:.2}"));
        results.push((conns, put, get));
    }

    // A 1 GiB multipart upload in 16 MiB parts, 4 at a time, then its GET.
    let mut c = connect(&addr).await;
    let (_, body) = call(&mut c, signed("POST", &addr, "/big/gib", "uploads=", Bytes::new()), 200, None, true).await;
    let text = String::from_utf8_lossy(&body).into_owned();
    let upload_id = text.split("<UploadId>").nth(1).unwrap().split("</UploadId>").next().unwrap().to_owned();
    let part = pattern(16 << 20, 7);
    let etags = Arc::new(Mutex::new(vec![String::new(); 64]));
    let (a, p, id, e) = (addr.clone(), part.clone(), upload_id.clone(), etags.clone());
    let mp = run(&server, "multipart_1g_16m_parts_x4", 4, 64, 600.0, move |mut c, _, i| {
        let (a, p, id, e) = (a.clone(), p.clone(), id.clone(), e.clone());
        async move {
            let req = signed("PUT", &a, "/big/gib", &format!("partNumber={}&uploadId={id}", i + 1), p.clone());
            c.ready().await.unwrap();
            let resp = c.send_request(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
            let _ = resp.into_body().collect().await;
            e.lock().unwrap()[i as usize] = etag;
            (c, 16 << 20)
        }
    })
    .await;
    let parts: String = etags
        .lock()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, e)| format!("<Part><PartNumber>{}</PartNumber><ETag>{e}</ETag></Part>", i + 1))
        .collect();
    let doc = Bytes::from(format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>"));
    call(&mut c, signed("POST", &addr, "/big/gib", &format!("uploadId={upload_id}"), doc), 200, None, false).await;
    mp.print("");
    let gib: Bytes = Bytes::from(part.iter().copied().cycle().take(1 << 30).collect::<Vec<u8>>());
    let a = addr.clone();
    let mpget = run(&server, "multipart_1g_get", 1, 1, 600.0, move |mut c, _, _| {
        let (a, g) = (a.clone(), gib.clone());
        async move {
            let (n, _) = call(&mut c, signed("GET", &a, "/big/gib", "", Bytes::new()), 200, Some(&g), false).await;
            (c, n)
        }
    })
    .await;
    mpget.print("");

    // Completing a 10,000-part upload (tiny parts: the server runs with FIRN_MIN_PART_SIZE=1).
    let (_, body) = call(&mut c, signed("POST", &addr, "/big/many", "uploads=", Bytes::new()), 200, None, true).await;
    let text = String::from_utf8_lossy(&body).into_owned();
    let many_id = text.split("<UploadId>").nth(1).unwrap().split("</UploadId>").next().unwrap().to_owned();
    let (a, id) = (addr.clone(), many_id.clone());
    let tiny = Bytes::from_static(b"0123456789abcdef");
    let md5_tiny = hex::encode(md5::Md5::digest(&tiny));
    run(&server, "upload_10000_parts", 32, 10_000, 600.0, move |mut c, _, i| {
        let (a, id, t) = (a.clone(), id.clone(), tiny.clone());
        async move {
            call(
                &mut c,
                signed("PUT", &a, "/big/many", &format!("partNumber={}&uploadId={id}", i + 1), t),
                200,
                None,
                false,
            )
            .await;
            (c, 16)
        }
    })
    .await;
    let parts: String =
        (1..=10_000).map(|n| format!("<Part><PartNumber>{n}</PartNumber><ETag>\"{md5_tiny}\"</ETag></Part>")).collect();
    let doc = Bytes::from(format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>"));
    let t = Instant::now();
    call(&mut c, signed("POST", &addr, "/big/many", &format!("uploadId={many_id}"), doc), 200, None, false).await;
    let complete_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!("{{\"workload\":\"complete_10000_parts\",\"ms\":{complete_ms:.1}}}");

    let (page_ms, _) = listings(&server, list_keys, secs).await;

    // 70/20/10 GET/PUT/LIST at 32 connections over 4 KiB objects.
    let (a, s) = (addr.clone(), small.clone());
    let mut c0 = connect(&addr).await;
    for i in 0..1000 {
        call(&mut c0, signed("PUT", &addr, &format!("/mix/k{i:05}"), "", small.clone()), 200, None, false).await;
    }
    let mix = run(&server, "mix_70get_20put_10list", 32, u64::MAX, secs, move |mut c, _, i| {
        let (a, s) = (a.clone(), s.clone());
        async move {
            let k = i % 1000;
            let n = match i % 10 {
                0..=6 => {
                    call(&mut c, signed("GET", &a, &format!("/mix/k{k:05}"), "", Bytes::new()), 200, Some(&s), false)
                        .await
                        .0
                }
                7 | 8 => {
                    call(&mut c, signed("PUT", &a, &format!("/mix/k{k:05}"), "", s.clone()), 200, None, false).await.0
                }
                _ => {
                    call(&mut c, signed("GET", &a, "/mix", "list-type=2&max-keys=100", Bytes::new()), 200, None, false)
                        .await
                        .0
                }
            };
            (c, n)
        }
    })
    .await;
    mix.print("");

    // Sustained load: 256 connections for FIRN_BENCH_LOAD_SECS (default 120) of 4 KiB GET/PUT/LIST
    // and DELETE. Any unexpected status or byte aborts the run: it must finish with zero errors.
    let load_secs = env_num("FIRN_BENCH_LOAD_SECS", 120) as f64;
    if load_secs > 0.0 {
        let (a, s) = (addr.clone(), small.clone());
        let load = run(&server, "load_256_conns", 256, u64::MAX, load_secs, move |mut c, _, i| {
            let (a, s) = (a.clone(), s.clone());
            async move {
                let k = i % 1000;
                let n = match i % 20 {
                    0..=11 => {
                        call(
                            &mut c,
                            signed("GET", &a, &format!("/mix/k{k:05}"), "", Bytes::new()),
                            200,
                            Some(&s),
                            false,
                        )
                        .await
                        .0
                    }
                    12..=16 => {
                        call(&mut c, signed("PUT", &a, &format!("/mix/k{k:05}"), "", s.clone()), 200, None, false)
                            .await
                            .0
                    }
                    17 | 18 => {
                        call(
                            &mut c,
                            signed("GET", &a, "/mix", "list-type=2&max-keys=100", Bytes::new()),
                            200,
                            None,
                            false,
                        )
                        .await
                        .0
                    }
                    _ => {
                        let key = format!("/mix/tmp{i}");
                        call(&mut c, signed("PUT", &a, &key, "", s.clone()), 200, None, false).await;
                        call(&mut c, signed("DELETE", &a, &key, "", Bytes::new()), 204, None, false).await.0
                    }
                };
                (c, n)
            }
        })
        .await;
        load.print(",\"errors\":0");
    }

    // 5 GiB through one connection: memory must stay flat.
    if huge {
        let len: usize = 5 << 30;
        let block = pattern(64 << 20, 8);
        let five: Bytes = Bytes::from(block.iter().copied().cycle().take(len).collect::<Vec<u8>>());
        let (a, f) = (addr.clone(), five.clone());
        let put5 = run(&server, "put_5g", 1, 1, 3600.0, move |mut c, _, _| {
            let (a, f) = (a.clone(), f.clone());
            async move {
                call(&mut c, signed("PUT", &a, "/big/five", "", f), 200, None, false).await;
                (c, 5 << 30)
            }
        })
        .await;
        put5.print("");
        let a = addr.clone();
        let get5 = run(&server, "get_5g", 1, 1, 3600.0, move |mut c, _, _| {
            let (a, f) = (a.clone(), five.clone());
            async move {
                let (n, _) = call(&mut c, signed("GET", &a, "/big/five", "", Bytes::new()), 200, Some(&f), false).await;
                (c, n)
            }
        })
        .await;
        get5.print("");
    }

    // Targets, as ratios to the limits measured above.
    let peaks = [put4k, get4k, put1m, get1m, put1, get1, &mp, &mpget, &mix]
        .iter()
        .map(|o| o.peak_rss_mib)
        .fold(server.peak_rss_mib(), f64::max);
    let peaks = results.iter().flat_map(|(_, p, g)| [p.peak_rss_mib, g.peak_rss_mib]).fold(peaks, f64::max);
    println!("---- other targets ----");
    verdict("256 MiB GET x1 / loopback TCP rate", get1.mib_per_s() / 1024.0 / tcp, 0.4, true, "");
    verdict("4 KiB GET x32 ops/s", get4k.ops_per_s(), 7000.0, true, "on an idle machine");
    verdict("server CPU per 4 KiB GET (us)", get4k.cpu_secs * 1e6 / get4k.ops.max(1) as f64, 60.0, false, "");
    verdict("1,000-key page, large bucket / 10k bucket (flat)", page_ms[2] / page_ms[0].max(0.001), 1.5, false, "");
    verdict(
        "1,000-key page, large bucket / 10k bucket (delimiter)",
        page_ms[3] / page_ms[1].max(0.001),
        1.5,
        false,
        "",
    );
    verdict("complete 10,000 parts (ms)", complete_ms, 100.0, false, "");
    verdict(
        "server peak RSS (MiB)",
        peaks,
        150.0,
        false,
        if huge { "including 5 GiB up and down" } else { "5 GiB part skipped" },
    );
}
