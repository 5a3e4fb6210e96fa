use clap::{Parser, Subcommand};
use firn::app::App;
use firn::config::Config;
use firn::users::{root_credentials, User, Users};
use firn_storage::{Engine, EngineConfig};
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
    /// Administration on the data directory (the server must be stopped).
    Admin {
        /// TOML configuration file; FIRN_* variables override it.
        #[arg(long, env = "FIRN_CONFIG")]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Read every stored object version and verify each extent's checksum. Exits 1 if any is damaged.
    Scrub,
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
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

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let (config, admin) = match cli.command {
        Command::Serve { config } => (config, None),
        Command::Admin { config, command } => (config, Some(command)),
    };
    let cfg = match Config::load(config.as_deref(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("firn: configuration: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&cfg.log_format);
    if let Some(AdminCommand::Scrub) = admin {
        return scrub(&cfg);
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

fn open_engine(cfg: &Config) -> Result<Engine, String> {
    Engine::open(&EngineConfig {
        data_dir: cfg.data_dir.clone(),
        cache_bytes: cfg.metadata_cache_mib << 20,
        min_part_size: cfg.limits.min_part_size,
    })
    .map_err(|e| format!("opening {}: {e} (is a server running on it?)", cfg.data_dir.display()))
}

fn scrub(cfg: &Config) -> std::process::ExitCode {
    let engine = match open_engine(cfg) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("firn: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut last = std::time::Instant::now();
    let report = engine.scrub(|r| {
        if last.elapsed().as_secs() >= 2 {
            eprintln!("scrub: {} versions, {} MiB checked so far", r.versions, r.bytes >> 20);
            last = std::time::Instant::now();
        }
    });
    match report {
        Ok(r) => {
            for d in &r.damaged {
                println!("DAMAGED {}/{} version {}: {}", d.bucket, d.key, d.version_id, d.reason);
            }
            println!("scrub: {} versions, {} bytes checked, {} damaged", r.versions, r.bytes, r.damaged.len());
            if r.damaged.is_empty() {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("firn: scrub failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(cfg: Config) -> Result<(), String> {
    let from_env = cfg.root_access_key.is_some();
    let (access, secret) = root_credentials(&cfg.data_dir, cfg.root_access_key.clone(), cfg.root_secret_key.clone())?;
    let engine = open_engine(&cfg)?;
    let listener =
        tokio::net::TcpListener::bind(&cfg.listen).await.map_err(|e| format!("listening on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Firn {} listening on http://{addr}", env!("CARGO_PKG_VERSION"));
    println!("  region:     {}", cfg.region);
    println!("  data dir:   {}", cfg.data_dir.display());
    println!("  access key: {access}");
    if from_env {
        println!("  secret key: (as configured)");
    } else {
        println!("  secret key: {secret}");
    }
    let users = Users::with_root(User::new("root", access, secret));
    let app = Arc::new(App::new(engine, cfg, users));
    firn::server::run(listener, app, shutdown_signal()).await;
    tracing::info!("stopped");
    Ok(())
}
