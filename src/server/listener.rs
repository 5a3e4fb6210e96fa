//! The HTTP server: accepts connections on its listeners (plain or TLS) until the shutdown future
//! resolves, then stops accepting and lets in-flight requests finish.

use crate::app::state::App;
use crate::console::state::Console;
use crate::http::peer::Peer;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// How long shutdown waits for in-flight requests before giving up on them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What a listener serves.
#[derive(Clone)]
pub enum Serves {
    S3,
    Console(Arc<Console>),
}

/// A bound socket, for HTTPS the TLS acceptor of its connections, and what it serves.
pub struct Listener {
    pub tcp: TcpListener,
    pub tls: Option<TlsAcceptor>,
    pub serves: Serves,
}

impl Listener {
    /// `https://addr` or `http://addr`, as the banner shows it.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        match self.tcp.local_addr() {
            Ok(a) => format!("{scheme}://{a}"),
            Err(_) => format!("{scheme}://?"),
        }
    }
}

pub async fn run(listeners: Vec<Listener>, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let limits = app.config.limits.clone();
    // Each connection holds a permit; at the limit, accepting waits and new clients queue in the backlog.
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("semaphore never closed"),
            _ = &mut shutdown => break,
        };
        let next = std::future::poll_fn(|cx| {
            for l in &listeners {
                if let Poll::Ready(r) = l.tcp.poll_accept(cx) {
                    return Poll::Ready((r, l.tls.clone(), l.serves.clone()));
                }
            }
            Poll::Pending
        });
        tokio::select! {
            (accepted, tls, serves) = next => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Without it, kept-alive responses stall on delayed ACKs.
                let _ = stream.set_nodelay(true);
                let (app, watcher) = (app.clone(), graceful.watcher());
                // The handshake runs in the connection's task: a slow client never holds up accepting.
                tokio::spawn(async move {
                    match tls {
                        None => serve(stream, app, serves, peer, false, watcher).await,
                        Some(tls) => match handshake(&tls, stream, limits.header_timeout_secs).await {
                            Ok(stream) => serve(stream, app, serves, peer, true, watcher).await,
                            Err(e) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        },
                    }
                    drop(permit);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listeners);
    tracing::info!("shutting down: draining in-flight requests");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("in-flight requests did not finish in time");
    }
}

async fn handshake(
    tls: &TlsAcceptor,
    stream: TcpStream,
    timeout_secs: u64,
) -> std::io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(Duration::from_secs(timeout_secs), tls.accept(stream)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "handshake timed out")),
    }
}

async fn serve<S>(
    stream: S,
    app: Arc<App>,
    serves: Serves,
    peer: SocketAddr,
    secure: bool,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = &app.config.limits;
    let (header_timeout, max_buf) = (limits.header_timeout_secs, limits.max_header_bytes);
    let from = Peer { ip: peer.ip(), secure };
    let service = service_fn(move |req| {
        let (app, serves) = (app.clone(), serves.clone());
        async move {
            let resp = match serves {
                Serves::S3 => crate::server::pipeline::handle(app, req, from).await,
                Serves::Console(console) => crate::console::routes::handle(console, req, from).await,
            };
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        // hyper's floor is 8 KiB.
        .max_buf_size(max_buf.max(8192))
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(header_timeout))
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
