//! HTTPS: the SDK, presigned URLs, virtual hosts and the website endpoint over TLS with a test
//! CA; the plain listener beside it; a certificate reload under load; start-up errors.

use super::harness::{code, Server};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{IndexDocument, ObjectCannedAcl, WebsiteConfiguration};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_rustls::rustls;

/// A throw-away CA and the server certificate files it issues.
struct Pki {
    dir: tempfile::TempDir,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "Firn test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&ca_key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
        let pki = Pki { dir, ca, ca_key, cert, key };
        pki.install("first");
        pki
    }

    fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A certificate for the test hosts, named `name`: (certificate PEM, key PEM).
    fn issue(&self, name: &str) -> (String, String) {
        let hosts = ["localhost", "s3.localhost", "*.s3.localhost", "*.s3-website.localhost", "127.0.0.1"];
        let mut params = CertificateParams::new(hosts.map(str::to_owned).to_vec()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// Writes a new certificate and key over the served files, each replaced atomically.
    fn install(&self, name: &str) -> Vec<u8> {
        let (cert, key) = self.issue(name);
        for (path, pem) in [(&self.key, &key), (&self.cert, &cert)] {
            let tmp = self.dir.path().join("tmp.pem");
            std::fs::write(&tmp, pem).unwrap();
            std::fs::rename(&tmp, path).unwrap();
        }
        der(&cert)
    }

    fn start(&self, env: &[(&str, &str)]) -> Server {
        let (cert, key) = (self.cert.to_str().unwrap(), self.key.to_str().unwrap());
        let mut all = vec![("FIRN_TLS_CERT", cert), ("FIRN_TLS_KEY", key)];
        all.extend_from_slice(env);
        let mut server = Server::start_with(&all);
        server.ca_pem = Some(self.ca_pem());
        server
    }

    /// A reqwest client trusting the CA, sending `hosts` to the server's address.
    fn browser(&self, server: &Server, hosts: &[&str], pooled: bool) -> reqwest::Client {
        let addr: SocketAddr = server.addr.parse().unwrap();
        let ca = reqwest::Certificate::from_pem(self.ca_pem().as_bytes()).unwrap();
        let mut b = reqwest::Client::builder().use_rustls_tls().tls_built_in_root_certs(false).add_root_certificate(ca);
        for h in hosts {
            b = b.resolve(h, addr);
        }
        if !pooled {
            b = b.pool_max_idle_per_host(0);
        }
        b.build().unwrap()
    }
}

fn der(pem: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap().to_vec()
}

/// Connects with only `version` allowed; returns the certificate the server presented.
async fn handshake(server: &Server, ca_pem: &str, version: &'static rustls::SupportedProtocolVersion) -> Vec<u8> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls_pki_types::CertificateDer::from(der(ca_pem))).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap();
    let (_, conn) = tls.get_ref();
    assert_eq!(conn.protocol_version(), Some(version.version));
    conn.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test]
async fn the_sdk_works_over_https() {
    let pki = Pki::new();
    let server = pki.start(&[]);
    assert!(server.endpoint.starts_with("https://"), "banner: {:?}", server.banner);
    let s3 = server.client();
    s3.create_bucket().bucket("tls").send().await.unwrap();
    // Over HTTPS the SDK sends unsigned aws-chunked bodies with a trailing checksum.
    let body = super::harness::bytes(3 << 20, 1);
    let put = s3
        .put_object()
        .bucket("tls")
        .key("a")
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc32C)
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    assert!(put.checksum_crc32_c().is_some());
    let got = s3.get_object().bucket("tls").key("a").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes(), body);
    // Multipart, the way `aws s3 cp` sends a large file.
    let up = s3.create_multipart_upload().bucket("tls").key("big").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let part = super::harness::bytes(5 << 20, 2);
    let mut parts = Vec::new();
    for n in 1..=2 {
        let p = s3
            .upload_part()
            .bucket("tls")
            .key("big")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .unwrap();
        parts.push(aws_sdk_s3::types::CompletedPart::builder().part_number(n).e_tag(p.e_tag().unwrap()).build());
    }
    let done = aws_sdk_s3::types::CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
    s3.complete_multipart_upload().bucket("tls").key("big").upload_id(id).multipart_upload(done).send().await.unwrap();
    let head = s3.head_object().bucket("tls").key("big").send().await.unwrap();
    assert_eq!(head.content_length(), Some(10 << 20));
    let listed = s3.list_objects_v2().bucket("tls").send().await.unwrap();
    assert_eq!(listed.contents().len(), 2);

    // Both protocol versions, and the certificate is the one configured.
    let served = std::fs::read_to_string(&pki.cert).unwrap();
    assert_eq!(handshake(&server, &pki.ca_pem(), &rustls::version::TLS13).await, der(&served));
    assert_eq!(handshake(&server, &pki.ca_pem(), &rustls::version::TLS12).await, der(&served));
}

#[tokio::test]
async fn presigned_urls_virtual_hosts_and_websites_over_https() {
    let pki = Pki::new();
    let server = pki.start(&[("FIRN_DOMAIN", "s3.localhost")]);
    let s3 = server.client();
    s3.create_bucket().bucket("site").send().await.unwrap();
    let expires = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let browser = pki.browser(&server, &["site.s3.localhost", "site.s3-website.localhost"], true);

    // A presigned PUT, then a presigned GET of what it stored.
    let put = s3.put_object().bucket("site").key("hello.txt").presigned(expires.clone()).await.unwrap();
    assert!(put.uri().starts_with("https://"), "{}", put.uri());
    let r = browser.put(put.uri()).body("hello over tls").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let get = s3.get_object().bucket("site").key("hello.txt").presigned(expires.clone()).await.unwrap();
    let r = browser.get(get.uri()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "hello over tls");

    // Virtual-hosted addressing: the SDK signs for site.s3.localhost, the request goes to the server.
    let port = server.addr.rsplit(':').next().unwrap();
    let vhost = aws_sdk_s3::Client::from_conf(
        s3.config().to_builder().endpoint_url(format!("https://s3.localhost:{port}")).force_path_style(false).build(),
    );
    let get = vhost.get_object().bucket("site").key("hello.txt").presigned(expires).await.unwrap();
    assert!(get.uri().starts_with(&format!("https://site.s3.localhost:{port}/hello.txt?")), "{}", get.uri());
    let r = browser.get(get.uri()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "hello over tls");

    // The website endpoint.
    s3.put_object()
        .bucket("site")
        .key("index.html")
        .acl(ObjectCannedAcl::PublicRead)
        .content_type("text/html")
        .body(b"<h1>home</h1>".to_vec().into())
        .send()
        .await
        .unwrap();
    let index = IndexDocument::builder().suffix("index.html").build().unwrap();
    let website = WebsiteConfiguration::builder().index_document(index).build();
    s3.put_bucket_website().bucket("site").website_configuration(website).send().await.unwrap();
    let r = browser.get(format!("https://site.s3-website.localhost:{port}/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "<h1>home</h1>");
}

#[tokio::test]
async fn the_plain_listener_beside_https_is_not_secure_transport() {
    let pki = Pki::new();
    let server = pki.start(&[("FIRN_LISTEN_HTTP", "127.0.0.1:0")]);
    let plain = server
        .banner
        .iter()
        .find_map(|l| l.trim().strip_prefix("plain HTTP: "))
        .unwrap_or_else(|| panic!("no plain listener in {:?}", server.banner))
        .to_owned();
    assert!(plain.starts_with("http://"));
    let s3 = server.client();
    s3.create_bucket().bucket("bkt").send().await.unwrap();
    // The policy AWS recommends: no writes without TLS.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject",
        "Resource":"arn:aws:s3:::bkt/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    s3.put_bucket_policy().bucket("bkt").policy(policy).send().await.unwrap();
    s3.put_object().bucket("bkt").key("k").body(b"secure".to_vec().into()).send().await.unwrap();
    let insecure = aws_sdk_s3::Client::from_conf(s3.config().to_builder().endpoint_url(&plain).build());
    let err = insecure.put_object().bucket("bkt").key("k").body(b"plain".to_vec().into()).send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // Reads are not denied, so the plain listener still serves them.
    let got = insecure.get_object().bucket("bkt").key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"secure");
}

#[tokio::test]
async fn a_certificate_reload_under_load_fails_no_request() {
    let pki = Pki::new();
    let server = pki.start(&[]);
    let s3 = server.client();
    s3.create_bucket().bucket("load").send().await.unwrap();
    s3.put_object().bucket("load").key("k").body(b"steady".to_vec().into()).send().await.unwrap();
    let url = s3
        .get_object()
        .bucket("load")
        .key("k")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap()
        .uri()
        .to_owned();
    // Kept-alive SDK connections and a fresh handshake per request, side by side.
    let fresh = pki.browser(&server, &[], false);
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let until = Instant::now() + Duration::from_secs(4);
    let mut workers = Vec::new();
    for w in 0..6 {
        let (s3, fresh, url, ok, failed) = (s3.clone(), fresh.clone(), url.clone(), ok.clone(), failed.clone());
        workers.push(tokio::spawn(async move {
            while Instant::now() < until {
                let good = if w % 2 == 0 {
                    match s3.get_object().bucket("load").key("k").send().await {
                        Ok(o) => o.body.collect().await.is_ok_and(|b| b.into_bytes().as_ref() == b"steady"),
                        Err(_) => false,
                    }
                } else {
                    match fresh.get(&url).send().await {
                        Ok(r) => r.status() == 200 && r.text().await.is_ok_and(|t| t == "steady"),
                        Err(_) => false,
                    }
                };
                let counter = if good { &ok } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let renewed = pki.install("renewed");
    let hup = std::process::Command::new("kill").args(["-HUP", &server.pid().to_string()]).status().unwrap();
    assert!(hup.success());
    for w in workers {
        w.await.unwrap();
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0, "{} requests succeeded", ok.load(Ordering::Relaxed));
    assert!(ok.load(Ordering::Relaxed) > 50, "too few requests to show anything");
    // New connections get the renewed certificate.
    assert_eq!(handshake(&server, &pki.ca_pem(), &rustls::version::TLS13).await, renewed);

    // A broken pair on disk is refused and the renewed one stays in service.
    std::fs::write(&pki.key, "not a key").unwrap();
    std::process::Command::new("kill").args(["-HUP", &server.pid().to_string()]).status().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(handshake(&server, &pki.ca_pem(), &rustls::version::TLS13).await, renewed);
}

#[test]
fn start_up_stops_on_a_missing_or_mismatched_key() {
    let pki = Pki::new();
    let data = tempfile::tempdir().unwrap();
    let missing = pki.dir.path().join("missing.key");
    let (_, other_key) = pki.issue("other");
    let other = pki.dir.path().join("other.key");
    std::fs::write(&other, other_key).unwrap();
    let cases = [
        (missing.clone(), format!("tls.key {}: No such file", missing.display())),
        (other.clone(), format!("tls.key {} does not belong to the certificate in tls.cert", other.display())),
    ];
    for (key, want) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
            .arg("serve")
            .env("FIRN_LISTEN", "127.0.0.1:0")
            .env("FIRN_CONSOLE_LISTEN", "127.0.0.1:0")
            .env("FIRN_DATA_DIR", data.path())
            .env(super::harness::SLED.0, super::harness::SLED.1)
            .env("FIRN_TLS_CERT", &pki.cert)
            .env("FIRN_TLS_KEY", &key)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&want), "stderr {stderr:?} should say {want:?}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"), "nothing listens");
    }
}

#[test]
fn the_admin_cli_reaches_an_https_server() {
    let pki = Pki::new();
    // On disk: the lock on the data directory is how `firn admin` knows a server runs (on a shared
    // backend it works beside the gateways instead).
    let server = pki.start(&[super::harness::SLED]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["admin", "user", "add", "alice"])
        .env("FIRN_DATA_DIR", server.data_dir())
        .env("FIRN_LISTEN", &server.addr)
        .env("FIRN_ROOT_ACCESS_KEY", super::harness::ACCESS_KEY)
        .env("FIRN_ROOT_SECRET_KEY", super::harness::SECRET_KEY)
        .envs(server.env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("asking it at"), "through the server, not offline: {stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("alice"));
    // A certificate other than the server's is refused.
    let (other, _) = pki.issue("impostor");
    let pinned = pki.dir.path().join("impostor.crt");
    std::fs::write(&pinned, other).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["admin", "--endpoint", &format!("https://{}", server.addr), "user", "add", "bob"])
        .envs(server.env.iter().map(|(k, v)| (k, v)))
        .env("FIRN_DATA_DIR", server.data_dir())
        .env("FIRN_ROOT_ACCESS_KEY", super::harness::ACCESS_KEY)
        .env("FIRN_ROOT_SECRET_KEY", super::harness::SECRET_KEY)
        .env("FIRN_TLS_CERT", &pinned)
        .env("FIRN_TLS_KEY", &pki.key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not the one in tls.cert"), "{stderr}");
}
