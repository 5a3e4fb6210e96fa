//! Connections to PostgreSQL: each with its prepared statements, the pools they wait in, and the
//! TLS connector they are made with.

use crate::base::error::{EngineError, Result};
use futures_executor::block_on;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

/// One connection and the statements prepared on it.
pub(super) struct Conn {
    pub(super) client: Client,
    pub(super) prepared: HashMap<String, Statement>,
}

impl Conn {
    pub(super) fn statement(&mut self, sql: &str) -> std::result::Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = block_on(self.client.prepare(sql))?;
        self.prepared.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Vec<Row>, tokio_postgres::Error> {
        let s = self.statement(sql)?;
        block_on(self.client.query(&s, params))
    }
}

/// A bounded set of connections, opened as needed.
pub(super) struct Pool {
    pub(super) max: usize,
    pub(super) state: Mutex<(Vec<Conn>, usize)>,
    pub(super) freed: Condvar,
}

impl Pool {
    pub(super) fn new(max: usize) -> Pool {
        Pool { max, state: Mutex::new((Vec::new(), 0)), freed: Condvar::new() }
    }

    pub(super) fn state(&self) -> MutexGuard<'_, (Vec<Conn>, usize)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection taken from a pool; back to it when dropped (unless it broke).
pub(super) struct Pooled<'a> {
    pub(super) pool: &'a Pool,
    pub(super) conn: Option<Conn>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("held until drop")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("held until drop")
    }
}

impl Pooled<'_> {
    /// Closes the connection instead of giving it back.
    pub(super) fn discard(&mut self) {
        if self.conn.take().is_some() {
            self.pool.state().1 -= 1;
            self.pool.freed.notify_one();
        }
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut state = self.pool.state();
        if conn.client.is_closed() {
            state.1 -= 1;
        } else {
            state.0.push(conn);
        }
        self.pool.freed.notify_one();
    }
}

/// rustls (ring) trusting `ca_file`'s certificates, or the system's roots without one.
pub(super) fn tls_connector(ca_file: Option<&std::path::Path>) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let bad =
                |e: &dyn std::fmt::Display| EngineError::Meta(format!("metadata.ca_file {}: {e}", path.display()));
            for cert in rustls_pki_types::CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))? {
                roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
            }
            if roots.is_empty() {
                return Err(bad(&"no certificate in it"));
            }
        }
        None => {
            // Whatever the system store holds that rustls can use; a bad entry is skipped.
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EngineError::Meta(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}
