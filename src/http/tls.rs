//! HTTPS: a certificate chain and key from PEM files, served by rustls (TLS 1.2 and 1.3). The
//! pair is swapped in place on reload, so connections already open keep theirs and new ones get
//! the new one.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The certificate being served and where it came from.
#[derive(Debug)]
pub struct Certificate {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificate {
    /// Reads and checks both files; the error names the file and what is wrong with it.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Arc<Certificate>, String> {
        let key = read_pair(cert_path, key_path)?;
        Ok(Arc::new(Certificate {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            current: RwLock::new(Arc::new(key)),
        }))
    }

    /// Reads the files again. On any error the certificate in service stays.
    pub fn reload(&self) -> Result<(), String> {
        let key = read_pair(&self.cert_path, &self.key_path)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
        Ok(())
    }

    /// The acceptor for every TLS connection; it asks this certificate at each handshake.
    pub fn acceptor(self: &Arc<Self>) -> TlsAcceptor {
        let config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("ring supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        let mut config = config;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsAcceptor::from(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn read_pair(cert_path: &Path, key_path: &Path) -> Result<CertifiedKey, String> {
    let named = |what: &str, path: &Path, problem: String| format!("{what} {}: {problem}", path.display());
    let cert_pem = std::fs::read(cert_path).map_err(|e| named("tls.cert", cert_path, e.to_string()))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| named("tls.cert", cert_path, format!("not a PEM certificate file ({e})")))?;
    if chain.is_empty() {
        return Err(named("tls.cert", cert_path, "holds no PEM certificate (BEGIN CERTIFICATE)".into()));
    }
    let key_pem = std::fs::read(key_path).map_err(|e| named("tls.key", key_path, e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| named("tls.key", key_path, format!("holds no PEM private key ({e})")))?;
    CertifiedKey::from_der(chain, key, &provider()).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => format!(
            "tls.key {} does not belong to the certificate in tls.cert {}",
            key_path.display(),
            cert_path.display()
        ),
        e => named("tls.key", key_path, format!("unusable private key ({e})")),
    })
}

/// A TLS client that accepts exactly the certificate in `cert_path` (the server's own `tls.cert`),
/// whatever name it is reached by: how the admin CLI talks to the server on its own host, where
/// the address (127.0.0.1) is rarely a name on the certificate and the CA may be private.
pub fn pinned_connector(cert_path: &Path) -> Result<tokio_rustls::TlsConnector, String> {
    let pem = std::fs::read(cert_path).map_err(|e| format!("tls.cert {}: {e}", cert_path.display()))?;
    let leaf = CertificateDer::pem_slice_iter(&pem)
        .next()
        .and_then(|c| c.ok())
        .ok_or_else(|| format!("tls.cert {}: holds no PEM certificate", cert_path.display()))?;
    let verifier = Arc::new(Pinned { leaf, provider: provider() });
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

#[derive(Debug)]
struct Pinned {
    leaf: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _name: &rustls_pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.leaf.as_ref() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("the server's certificate is not the one in tls.cert".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
        std::fs::write(&cert, c.cert.pem()).unwrap();
        std::fs::write(&key, c.key_pair.serialize_pem()).unwrap();
        (cert, key)
    }

    #[test]
    fn start_up_errors_name_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair(dir.path(), "a");
        let (_, other_key) = pair(dir.path(), "b");
        let missing = dir.path().join("missing.pem");
        let cases: Vec<(&Path, &Path, String)> = vec![
            (&missing, &key, format!("tls.cert {}: No such file", missing.display())),
            (&cert, &missing, format!("tls.key {}: No such file", missing.display())),
            (&key, &key, format!("tls.cert {}: holds no PEM certificate", key.display())),
            (&cert, &cert, format!("tls.key {}: holds no PEM private key", cert.display())),
            (&cert, &other_key, format!("tls.key {} does not belong to the certificate", other_key.display())),
        ];
        for (c, k, want) in cases {
            let err = Certificate::load(c, k).unwrap_err();
            assert!(err.starts_with(&want), "{err:?} should start with {want:?}");
        }
        Certificate::load(&cert, &key).unwrap();
    }

    #[test]
    fn a_failed_reload_keeps_the_certificate_in_service() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair(dir.path(), "a");
        let served = Certificate::load(&cert, &key).unwrap();
        let before = served.current.read().unwrap().cert.clone();
        std::fs::write(&cert, "garbage").unwrap();
        assert!(served.reload().is_err());
        assert_eq!(served.current.read().unwrap().cert, before);
        let (cert2, key2) = pair(dir.path(), "b");
        std::fs::rename(cert2, &cert).unwrap();
        std::fs::rename(key2, &key).unwrap();
        served.reload().unwrap();
        assert_ne!(served.current.read().unwrap().cert, before);
    }
}
