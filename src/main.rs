use clap::{Parser, Subcommand};
use firn::app::config::Config;
use firn::app::state::App;
use firn::auth::users::{root_credentials, User, Users, ROOT};
use firn_storage::Engine;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "firn", version, about = "Self-hosted S3-compatible object storage with an archive tier")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the S3 server. With no configuration it serves ./firn-data on 127.0.0.1:9000.
    Serve {
        /// TOML configuration file (see config/firn.toml); FIRN_* variables override it.
        #[arg(long, env = "FIRN_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Administration: on the data directory when the server is stopped, through the running
    /// server otherwise (with the root credentials).
    Admin {
        /// TOML configuration file; FIRN_* variables override it.
        #[arg(long, env = "FIRN_CONFIG")]
        config: Option<PathBuf>,
        /// Ask the server at this address (host:port) instead of opening the data directory.
        #[arg(long, env = "FIRN_ADMIN_ENDPOINT")]
        endpoint: Option<String>,
        /// Print the reply as JSON.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: firn::admin::cli::Command,
    },
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
    // A panic is one log line (where and why), never a backtrace per request.
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info.location().map(|l| l.to_string()).unwrap_or_default();
        tracing::error!(%location, %message, "panic");
    }));
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn bind(addr: &str, tls: Option<tokio_rustls::TlsAcceptor>) -> Result<firn::server::listener::Listener, String> {
    let tcp = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("listening on {addr}: {e}"))?;
    Ok(firn::server::listener::Listener { tcp, tls, serves: firn::server::listener::Serves::S3 })
}

/// SIGHUP reads the certificate and key again (after a renewal); open connections keep theirs.
fn reload_on_sighup(certificate: Arc<firn::http::tls::Certificate>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            tracing::warn!("no SIGHUP handler: the certificate is reloaded only by a restart");
            return;
        };
        while hup.recv().await.is_some() {
            match certificate.reload() {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(e) => tracing::error!(error = %e, "TLS certificate not reloaded; the previous one stays"),
            }
        }
    });
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match &cli.command {
        Command::Serve { config } | Command::Admin { config, .. } => config.clone(),
    };
    let cfg = match Config::load(config.as_deref(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("firn: configuration: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&cfg.log_format);
    if let Command::Admin { endpoint, json, command, .. } = cli.command {
        return firn::admin::cli::run(&cfg, endpoint, json, &command);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(serve(cfg)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("firn: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(mut cfg: Config) -> Result<(), String> {
    let open_files = firn::server::fd_limit::apply(&mut cfg.limits)?;
    let from_env = cfg.root_access_key.is_some();
    let (access, secret) = root_credentials(&cfg.data_dir, cfg.root_access_key.clone(), cfg.root_secret_key.clone())?;
    let engine = Engine::open(&cfg.engine_config())
        .map_err(|e| format!("opening {}: {e} (is a server running on it?)", cfg.data_dir.display()))?;
    if !engine.durable() {
        tracing::warn!("metadata.backend is memory: nothing stored survives a restart");
    }
    // Certificate problems stop start-up before anything listens.
    let certificate = match (&cfg.tls.cert, &cfg.tls.key) {
        (Some(cert), Some(key)) => Some(firn::http::tls::Certificate::load(cert, key)?),
        _ => None,
    };
    let main = bind(&cfg.listen, certificate.as_ref().map(|c| c.acceptor())).await?;
    println!("Firn {} listening on {}", env!("CARGO_PKG_VERSION"), main.url());
    let s3_port = main.tcp.local_addr().map(|a| a.port()).unwrap_or(0);
    let mut listeners = vec![main];
    if let Some(addr) = &cfg.listen_http {
        let plain = bind(addr, None).await?;
        println!("  plain HTTP: {}", plain.url());
        listeners.push(plain);
    }
    let mut console = None;
    if cfg.console.enabled {
        let bound = bind(&cfg.console.listen, certificate.as_ref().map(|c| c.acceptor())).await?;
        println!("  console:    {}", bound.url());
        console = Some(bound);
    }
    println!("  region:     {}", cfg.region);
    println!("  data dir:   {}", cfg.data_dir.display());
    if !engine.durable() {
        println!("  metadata:   memory (nothing survives a restart)");
    }
    tracing::info!(open_files, max_connections = cfg.limits.max_connections, "limits");
    println!("  access key: {access}");
    if from_env {
        println!("  secret key: (as configured)");
    } else {
        println!("  secret key: {secret}");
    }
    let users = Users::new(User::new(ROOT, access, secret), engine.users().clone());
    let app = Arc::new(App::new(engine, cfg, users));
    if let Some(mut bound) = console {
        let secure = bound.tls.is_some();
        let scheme = if secure { "https" } else { "http" };
        let state = firn::console::state::Console::new(app.clone(), secure, scheme, s3_port);
        bound.serves = firn::server::listener::Serves::Console(Arc::new(state));
        listeners.push(bound);
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let notifier = match &app.config.archive.notify_url {
        Some(url) => {
            Some(firn::workers::notify::spawn(app.clone(), firn::app::config::parse_url(url)?, stopped.clone()))
        }
        None => None,
    };
    let history = firn::workers::history::spawn(app.clone(), stopped.clone());
    let lifecycle = firn::workers::lifecycle::spawn_lifecycle(app.clone(), stopped);
    if let Some(certificate) = certificate {
        reload_on_sighup(certificate);
    }
    firn::server::listener::run(listeners, app, shutdown_signal()).await;
    let _ = stop.send(true);
    let _ = lifecycle.await;
    let _ = history.await;
    if let Some(n) = notifier {
        let _ = n.await;
    }
    tracing::info!("stopped");
    Ok(())
}
