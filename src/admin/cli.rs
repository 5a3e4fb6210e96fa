//! `firn admin`: runs an admin operation on the data directory when no server holds it, or asks
//! the running server (`--endpoint`, or the configured listen address when the directory is in
//! use), and prints the reply as a table or, with `--json`, as JSON.

use super::client::Remote;
use super::{execute, Reply, Request};
use crate::app::config::Config;
use crate::auth::users::{known_root_credentials, root_credentials, User, Users, ROOT};
use clap::Subcommand;
use firn_storage::Engine;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Users and their access keys.
    #[command(subcommand)]
    User(UserCommand),
    /// Access keys (at most two per user).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Buckets: owners, usage and quotas.
    #[command(subcommand)]
    Bucket(BucketCommand),
    /// Objects and bytes stored on each tier.
    Tiers,
    /// Work waiting in the background queues.
    Queues,
    /// Delete the blobs that commits left for deletion now.
    Gc,
    /// Read every stored object version and verify each extent's checksum. Exits 1 if any is damaged.
    Scrub,
    /// The archive tier: versions, bytes before and after compression, segments and dead space,
    /// restore jobs running with their due times; `archive compact` reclaims dead space now.
    Archive {
        #[command(subcommand)]
        command: Option<ArchiveCommand>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ArchiveCommand {
    /// Rewrite the live objects of segments at least MIN_DEAD percent dead (default 50) and delete
    /// the segments.
    Compact {
        #[arg(long, default_value_t = 50.0)]
        min_dead: f64,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user with one access key; prints the key and its secret (shown only once).
    Add {
        name: String,
    },
    List,
    /// Remove a user and its keys; refused while the user owns buckets.
    Remove {
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Give a user another access key; prints it and its secret (shown only once).
    Add { user: String },
    /// Revoke an access key: requests signed with it fail from now on.
    Remove { access_key: String },
}

#[derive(Subcommand, Debug)]
pub enum BucketCommand {
    /// Every bucket with its owner, versioning state, stored versions, bytes and quota.
    List,
    /// One bucket's owner, versioning state, stored versions, bytes and quota.
    Stats { bucket: String },
    /// A bucket's lifecycle rules, the worker's last run there (keys examined, actions taken,
    /// errors) and when its next work is due.
    Lifecycle { bucket: String },
    /// Show a bucket's policy, or with --delete remove it (the way back for an owner whose policy
    /// denies them the policy calls).
    Policy {
        bucket: String,
        #[arg(long)]
        delete: bool,
    },
    /// Set a bucket's byte quota (e.g. 500MB, 20GiB, 1048576), or `none` to remove it. Writes that
    /// would take the bucket past it fail with 403 QuotaExceeded.
    Quota { bucket: String, size: String },
}

/// `12345`, `500MB` (10^6), `20GiB` (2^30), ... or `none`.
pub fn parse_size(s: &str) -> Result<Option<u64>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        "ti" | "tib" => 1 << 40,
        u => return Err(format!("unknown size unit {u:?} (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)")),
    };
    n.checked_mul(mult).map(Some).ok_or_else(|| format!("size too large: {s}"))
}

fn to_request(cmd: &Command) -> Result<Request, String> {
    Ok(match cmd {
        Command::User(UserCommand::Add { name }) => Request::UserAdd { name: name.clone() },
        Command::User(UserCommand::List) => Request::UserList,
        Command::User(UserCommand::Remove { name }) => Request::UserRemove { name: name.clone() },
        Command::Key(KeyCommand::Add { user }) => Request::KeyAdd { user: user.clone() },
        Command::Key(KeyCommand::Remove { access_key }) => Request::KeyRemove { access_key: access_key.clone() },
        Command::Bucket(BucketCommand::List) => Request::BucketList,
        Command::Bucket(BucketCommand::Stats { bucket }) => Request::BucketStats { bucket: bucket.clone() },
        Command::Bucket(BucketCommand::Lifecycle { bucket }) => Request::BucketLifecycle { bucket: bucket.clone() },
        Command::Bucket(BucketCommand::Policy { bucket, delete }) => {
            Request::BucketPolicy { bucket: bucket.clone(), delete: *delete }
        }
        Command::Bucket(BucketCommand::Quota { bucket, size }) => {
            Request::BucketQuota { bucket: bucket.clone(), bytes: parse_size(size)? }
        }
        Command::Tiers => Request::Tiers,
        Command::Queues => Request::Queues,
        Command::Gc => Request::Gc,
        Command::Scrub => Request::Scrub,
        Command::Archive { command: None } => Request::Archive,
        Command::Archive { command: Some(ArchiveCommand::Compact { min_dead }) } => {
            Request::ArchiveCompact { min_dead: (min_dead / 100.0).clamp(0.0, 1.0) }
        }
    })
}

/// Where `listen` can be reached from this machine (a wildcard address means loopback).
fn local_authority(listen: &str) -> String {
    match listen.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => listen.to_owned(),
    }
}

fn remote(cfg: &Config, authority: String, https: bool) -> Result<Remote, String> {
    let tls = match (https, &cfg.tls.cert) {
        (false, _) => None,
        (true, Some(cert)) => Some(crate::http::tls::pinned_connector(cert)?),
        (true, None) => {
            return Err("to reach the server over HTTPS, set tls.cert (FIRN_TLS_CERT) to its certificate file".into())
        }
    };
    let (access_key, secret_key) =
        known_root_credentials(&cfg.data_dir, cfg.root_access_key.clone(), cfg.root_secret_key.clone())?.ok_or_else(
            || {
                format!(
                    "no root credentials: set FIRN_ROOT_ACCESS_KEY and FIRN_ROOT_SECRET_KEY, or FIRN_DATA_DIR to the \
                     server's data directory (which holds {})",
                    cfg.data_dir.join("credentials.toml").display()
                )
            },
        )?;
    Ok(Remote { authority, region: cfg.region.clone(), access_key, secret_key, tls })
}

fn bar(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn spinner(msg: &str) -> indicatif::ProgressBar {
    let s = indicatif::ProgressBar::new_spinner();
    s.set_message(msg.to_owned());
    s.enable_steady_tick(std::time::Duration::from_millis(120));
    s
}

/// Runs the operation on the data directory, or returns None if a server holds it.
fn offline(cfg: &Config, req: &Request) -> Result<Option<Reply>, String> {
    // A memory store lives in the server alone; opening the directory here would also sweep the
    // server's blobs as orphans.
    if cfg.metadata.backend == firn_storage::Backend::Memory {
        return Ok(None);
    }
    let engine = match Engine::open(&cfg.engine_config()) {
        Ok(e) => e,
        // sled 0.34 reports its held file lock as an `Other` error that says so.
        Err(e) if e.io_error().is_some_and(|io| io.to_string().contains("could not acquire lock")) => return Ok(None),
        Err(e) => return Err(format!("opening {}: {e}", cfg.data_dir.display())),
    };
    let (access, secret) = root_credentials(&cfg.data_dir, cfg.root_access_key.clone(), cfg.root_secret_key.clone())?;
    let users = Users::new(User::new(ROOT, access, secret), engine.users().clone());
    let progress = (*req == Request::Scrub).then(|| {
        let b = bar(engine.stats().hot_bytes.max(0) as u64);
        b.set_message("scrub");
        b
    });
    let reply = execute(&engine, &users, req, &mut |_, bytes| {
        if let Some(p) = &progress {
            p.set_position(bytes);
        }
    });
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    reply.map(Some).map_err(|e| format!("{}: {}", e.code.as_str(), e.message))
}

pub fn run(cfg: &Config, endpoint: Option<String>, json: bool, cmd: &Command) -> ExitCode {
    // The configured server listens with TLS: ask it over HTTPS unless told otherwise.
    let mut https = cfg.tls.enabled();
    let result = to_request(cmd).and_then(|req| {
        let authority = match endpoint {
            Some(ep) => {
                https = ep.starts_with("https://") || (cfg.tls.enabled() && !ep.starts_with("http://"));
                ep.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_owned()
            }
            None => match offline(cfg, &req)? {
                Some(reply) => return Ok(reply),
                None => {
                    let authority = local_authority(&cfg.listen);
                    eprintln!("firn: a server holds {}; asking it at {authority}", cfg.data_dir.display());
                    authority
                }
            },
        };
        let remote = remote(cfg, authority, https)?;
        let wait = spinner("waiting for the server");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let reply = runtime.block_on(remote.send(&req));
        wait.finish_and_clear();
        reply
    });
    match result {
        Ok(reply) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&reply).expect("reply serializes"));
            } else {
                print!("{}", render(&reply));
            }
            match reply {
                Reply::Scrub { report } if !report.damaged.is_empty() => ExitCode::FAILURE,
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("firn: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Left-aligned columns, two spaces apart.
fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s: String =
            cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}  ")).collect::<String>().trim_end().to_owned();
        s.push('\n');
        s
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

fn human(bytes: i64) -> String {
    indicatif::HumanBytes(bytes.max(0) as u64).to_string()
}

pub fn render(reply: &Reply) -> String {
    match reply {
        Reply::Users { users } => table(
            &["NAME", "ACCESS KEYS", "CREATED", "ACCOUNT", "CANONICAL ID"],
            users
                .iter()
                .map(|u| {
                    vec![
                        u.name.clone(),
                        u.access_keys.join(", "),
                        u.created.clone().unwrap_or_else(|| "(configured)".into()),
                        firn_storage::account_id(&u.canonical_id),
                        u.canonical_id.clone(),
                    ]
                })
                .collect(),
        ),
        Reply::Key { user, access_key, secret_key } => {
            let account = firn_storage::account_id(&firn_storage::canonical_id(user));
            format!(
                "user:       {user}\naccess key: {access_key}\nsecret key: {secret_key}\n(the secret is not shown again)\n\
                 in bucket policies: arn:aws:iam::{account}:user/{user} (account {account})\n"
            )
        }
        Reply::Done { message } => format!("{message}\n"),
        Reply::Buckets { buckets } => table(
            &["NAME", "OWNER", "VERSIONING", "OBJECTS", "SIZE", "QUOTA", "CREATED"],
            buckets
                .iter()
                .map(|b| {
                    vec![
                        b.name.clone(),
                        b.owner.clone(),
                        b.versioning.clone(),
                        b.objects.to_string(),
                        human(b.bytes),
                        b.quota.map_or_else(|| "-".into(), |q| human(q as i64)),
                        b.created.clone(),
                    ]
                })
                .collect(),
        ),
        Reply::Tiers { tiers } => table(
            &["TIER", "OBJECTS", "SIZE"],
            tiers
                .iter()
                .map(|t| vec![t.name.clone(), t.items.to_string(), t.bytes.map_or("-".into(), human)])
                .collect(),
        ),
        Reply::Queues { queues } => {
            table(&["QUEUE", "ITEMS"], queues.iter().map(|q| vec![q.name.clone(), q.items.to_string()]).collect())
        }
        Reply::Gc { removed } => format!("gc: removed {removed} blobs\n"),
        Reply::Compacted { report: r } => format!(
            "compacted {} segments: moved {} versions ({}), freed {}\n",
            r.segments,
            r.moved_versions,
            human(r.moved_bytes as i64),
            human(r.freed_bytes as i64)
        ),
        Reply::Archive { archive: a } => {
            let ratio = if a.live > 0 { a.logical as f64 / a.live as f64 } else { 1.0 };
            let mut out = format!(
                "archive: {} versions, {} logical, {} live on disk (compression {ratio:.2}x), {} segments taking {}, dead space {}\n",
                a.versions,
                human(a.logical as i64),
                human(a.live as i64),
                a.segments,
                human(a.on_disk as i64),
                human(a.on_disk.saturating_sub(a.live) as i64)
            );
            out.push_str(&format!(
                "restored copies: {}; restore jobs running: {}\n",
                a.restored_copies,
                a.restore_jobs.len()
            ));
            for j in a.restore_jobs.iter().take(20) {
                let due = crate::wire::preconditions::iso_date(j.due_ms);
                out.push_str(&format!("  {} ({}) due {due}\n", j.object, j.tier));
            }
            out.push_str(&format!("transitions scheduled: {}\n", a.pending_transitions.len()));
            for (what, version, class, due) in a.pending_transitions.iter().take(20) {
                out.push_str(&format!(
                    "  {what} {version} to {class} at {}\n",
                    crate::wire::preconditions::iso_date(*due)
                ));
            }
            out
        }
        Reply::Lifecycle { lifecycle: l } => {
            let mut out = format!("bucket {} (a lifecycle day is {} s)\n", l.bucket, l.day_secs);
            if l.rules.is_empty() {
                out.push_str("rules: none\n");
            }
            for r in &l.rules {
                out.push_str(&format!("rule: {r}\n"));
            }
            match (&l.last_run, &l.last_run_at) {
                (Some(run), Some(at)) => {
                    let actions: Vec<String> = run.actions.iter().map(|(k, n)| format!("{n} {k}")).collect();
                    let actions = if actions.is_empty() { "no actions".to_owned() } else { actions.join(", ") };
                    out.push_str(&format!(
                        "last run: {at}: {} examined, {actions}, {} errors\n",
                        run.examined, run.errors
                    ));
                }
                _ => out.push_str("last run: none yet\n"),
            }
            match &l.next_due {
                Some(at) => out.push_str(&format!("next due: {at} ({} pending)\n", l.pending)),
                None => out.push_str("next due: nothing pending\n"),
            }
            out
        }
        Reply::Scrub { report } => {
            let mut out = String::new();
            for d in &report.damaged {
                out.push_str(&format!("DAMAGED {}/{} version {}: {}\n", d.bucket, d.key, d.version_id, d.reason));
            }
            out.push_str(&format!(
                "scrub: {} versions, {} bytes checked, {} damaged\n",
                report.versions,
                report.bytes,
                report.damaged.len()
            ));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("none"), Ok(None));
        assert_eq!(parse_size("1048576"), Ok(Some(1 << 20)));
        assert_eq!(parse_size("500MB"), Ok(Some(500_000_000)));
        assert_eq!(parse_size("20GiB"), Ok(Some(20 << 30)));
        assert_eq!(parse_size("3 kib"), Ok(Some(3072)));
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("GB").is_err());
        assert!(parse_size("99999999999TB").is_err());
    }

    #[test]
    fn tables_align() {
        let t = table(&["A", "LONGER"], vec![vec!["wide cell".into(), "x".into()]]);
        assert_eq!(t, "A          LONGER\nwide cell  x\n");
        assert_eq!(local_authority("0.0.0.0:9000"), "127.0.0.1:9000");
        assert_eq!(local_authority("127.0.0.1:9"), "127.0.0.1:9");
    }
}
