//! The PostgreSQL backend, for several gateways on one namespace. One table holds every keyspace
//! (`firn_kv`: keyspace name, key, value; its primary key is the index every range reads), a
//! sequence hands out ids, and `firn_migrations` records which schema version is in place; the
//! schema is created and migrated at start, under an advisory lock, so gateways starting together
//! do it once.
//!
//! Transactions run at SERIALIZABLE: reads go to the database (remembered for the rest of the
//! body), writes wait and go with the COMMIT in one pipelined round trip, and a serialization
//! failure or deadlock runs the body again. Scans are keyset-paginated on the primary key, a page at
//! a time, so a page costs the same in a bucket of ten keys or ten million. Writers of one object
//! key hold a session advisory lock on it across gateways ([`MetaStore::key_mutex`]).
//!
//! TLS follows the URL's `sslmode` (`disable`, `prefer` — the default — or `require`), with rustls
//! checking the server's certificate against `metadata.ca_file` or the system's roots.
//!
//! The client is async (tokio-postgres); the trait is not. The store keeps a small runtime of its
//! own that drives the connections, and callers wait on the replies from whatever thread they are
//! on, so a call works from a tokio worker and from a plain thread alike.

use super::{batched_scan, Entry, Keyspace, MetaStore, Remaining, Scan, TxError, TxResult, Txn};
use crate::base::error::{EngineError, Result};
use crate::base::keys::fnv64;
use futures_executor::block_on;
use futures_util::future::{join, join3};
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Mutex;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls};

/// The schema, one step per version; a step is never edited once released, only followed by new ones.
const MIGRATIONS: &[&str] = &[
    // 1: every keyspace in one table; ids.
    "CREATE TABLE firn_kv (ks text NOT NULL, k bytea NOT NULL, v bytea NOT NULL, PRIMARY KEY (ks, k));
     CREATE SEQUENCE firn_ids;",
];

/// Advisory lock key taken while migrating (an arbitrary constant: "firn" + 1).
const MIGRATION_LOCK: i64 = 0x6669_726e_0000_0001;

/// Connections for reads and transactions, per gateway.
const POOL: usize = 16;
/// Connections holding key mutexes (advisory locks), per gateway (a separate pool, so that a lock holder waiting for
/// a transaction's connection can never wait on itself).
const LOCK_POOL: usize = 16;

/// Scan pages grow from this to `PAGE_MAX`.
const PAGE_MIN: i64 = 32;
const PAGE_MAX: i64 = 1024;

const GET: &str = "SELECT v FROM firn_kv WHERE ks = $1 AND k = $2";
const PUT: &str = "INSERT INTO firn_kv (ks, k, v) VALUES ($1, $2, $3) ON CONFLICT (ks, k) DO UPDATE SET v = EXCLUDED.v";
const DELETE: &str = "DELETE FROM firn_kv WHERE ks = $1 AND k = $2";
const PUT_MANY: &str = "INSERT INTO firn_kv (ks, k, v) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[]) \
                        ON CONFLICT (ks, k) DO UPDATE SET v = EXCLUDED.v";
const DELETE_MANY: &str = "DELETE FROM firn_kv WHERE (ks, k) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))";
const BEGIN: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE";

use super::pg_pool::{tls_connector, Conn, Pool, Pooled};

pub struct PgStore {
    /// Drives the connections; shut down without waiting when the store goes.
    rt: Option<tokio::runtime::Runtime>,
    config: Config,
    /// TLS for the connections, unless the URL says `sslmode=disable`; with the default `prefer`,
    /// used when the server offers it.
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    pool: Pool,
    locks: Pool,
    /// The sessions that say this process's lease holders are alive (one, but for tests): each
    /// holds an advisory lock named after its holder until the process (or the connection) ends.
    liveness: Mutex<HashMap<String, Client>>,
}

/// First key of the two-key advisory locks that mark lease holders alive ("firn"); that key space
/// does not overlap the one-key locks on object keys.
const LIVENESS: i32 = 0x6669_726e;

/// The second key of `holder`'s liveness lock (a collision makes a dead holder look alive, so its
/// lease waits to run out: the safe side).
fn liveness_key(holder: &str) -> i32 {
    fnv64(holder.as_bytes()) as i32
}

/// PostgreSQL's errors as the engine's.
fn pg_err(e: tokio_postgres::Error) -> EngineError {
    if let Some(db) = e.as_db_error() {
        return EngineError::Meta(format!("postgres: {} ({})", db.message(), db.code().code()));
    }
    // The reason is in the source chain ("error performing TLS handshake: invalid peer certificate…").
    let mut text = format!("postgres: {e}");
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    EngineError::Meta(text)
}

/// A failure the transaction is retried for: another transaction got in its way.
fn conflicted(e: &tokio_postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

fn tx_err(e: tokio_postgres::Error) -> TxError {
    if conflicted(&e) {
        TxError::Conflict
    } else {
        TxError::Abort(pg_err(e))
    }
}

/// The connection ended under the statement (PostgreSQL restarted, failed over, or ended the
/// session): closed, or told so by the server (class 57P, operator intervention; class 08).
fn ended(e: &tokio_postgres::Error) -> bool {
    e.is_closed() || e.code().is_some_and(|c| c.code().starts_with("57P") || c.code().starts_with("08"))
}

/// A read in a transaction that failed: before the commit, a connection that ended (PostgreSQL
/// restarted or failed over) is one more reason to run the body again, on another connection.
fn read_err(e: tokio_postgres::Error) -> TxError {
    if ended(&e) {
        TxError::Conflict
    } else {
        tx_err(e)
    }
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL or `key=value` pairs), then creates or migrates the
    /// schema. The server's certificate, when TLS is used, is checked against `ca_file` (PEM) or,
    /// without one, the system's trusted roots.
    pub fn open(url: &str, ca_file: Option<&std::path::Path>) -> Result<PgStore> {
        let mut config: Config = url.parse().map_err(|e| EngineError::Meta(format!("metadata.url: {e}")))?;
        let tls = match config.get_ssl_mode() {
            tokio_postgres::config::SslMode::Disable => None,
            _ => Some(tls_connector(ca_file)?),
        };
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("firn");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("firn-postgres")
            .enable_all()
            .build()?;
        let store = PgStore {
            rt: Some(rt),
            config,
            tls,
            pool: Pool::new(POOL),
            locks: Pool::new(LOCK_POOL),
            liveness: Mutex::new(HashMap::new()),
        };
        store.migrate()?;
        Ok(store)
    }

    fn connect(&self) -> Result<Conn> {
        let (config, tls) = (self.config.clone(), self.tls.clone());
        let rt = self.rt.as_ref().expect("open until dropped");
        let client = block_on(rt.spawn(async move {
            // The connection's task drives it until it ends: the client alone does no I/O.
            let client = match tls {
                Some(tls) => {
                    let (client, connection) = config.connect(tls).await?;
                    tokio::spawn(drive(connection));
                    client
                }
                None => {
                    let (client, connection) = config.connect(NoTls).await?;
                    tokio::spawn(drive(connection));
                    client
                }
            };
            Ok::<_, tokio_postgres::Error>(client)
        }))
        .map_err(|e| EngineError::Meta(format!("postgres: {e}")))?
        .map_err(pg_err)?;
        Ok(Conn { client, prepared: HashMap::new() })
    }

    /// A connection from `pool`: an idle one, a new one while under the limit, or the next freed.
    fn conn<'a>(&self, pool: &'a Pool) -> Result<Pooled<'a>> {
        let mut state = pool.state();
        loop {
            if let Some(conn) = state.0.pop() {
                if conn.client.is_closed() {
                    // Ended while idle (PostgreSQL restarted, or a failover): open another.
                    state.1 -= 1;
                    continue;
                }
                return Ok(Pooled { pool, conn: Some(conn) });
            }
            if state.1 < pool.max {
                state.1 += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Pooled { pool, conn: Some(conn) }),
                    Err(e) => {
                        pool.state().1 -= 1;
                        pool.freed.notify_one();
                        Err(e)
                    }
                };
            }
            state = pool.freed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Brings the schema to the newest version this build knows; refuses one that is newer.
    fn migrate(&self) -> Result<()> {
        let conn = self.conn(&self.pool)?;
        let c = &conn.client;
        block_on(c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])).map_err(pg_err)?;
        let result = (|| {
            // Quietly: IF NOT EXISTS would send a NOTICE at every start but the first.
            let exists = block_on(c.query_one("SELECT to_regclass('firn_migrations') IS NOT NULL", &[]))?;
            if !exists.get::<_, bool>(0) {
                block_on(c.batch_execute(
                    "CREATE TABLE firn_migrations \
                     (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                ))?;
            }
            let row = block_on(c.query_one("SELECT coalesce(max(version), 0) FROM firn_migrations", &[]))?;
            Ok::<_, tokio_postgres::Error>(row.get::<_, i32>(0))
        })();
        let outcome = result.map_err(pg_err).and_then(|current| {
            let known = MIGRATIONS.len() as i32;
            if current > known {
                return Err(EngineError::Meta(format!(
                    "the metadata schema is at version {current}, newer than this build knows ({known}): upgrade firn"
                )));
            }
            for (i, step) in MIGRATIONS.iter().enumerate().skip(current as usize) {
                let version = i as i32 + 1;
                let sql = format!("BEGIN; {step}; INSERT INTO firn_migrations (version) VALUES ({version}); COMMIT;");
                if let Err(e) = block_on(c.batch_execute(&sql)) {
                    let _ = block_on(c.batch_execute("ROLLBACK"));
                    return Err(pg_err(e));
                }
                tracing::info!(version, "metadata schema migrated");
            }
            Ok(())
        });
        let unlocked = block_on(c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])).map_err(pg_err);
        outcome.and(unlocked.map(|_| ()))
    }

    /// One statement (or a few that are safe to repeat) on a pooled connection; once more on a new
    /// connection if that one turned out to have ended (PostgreSQL restarted, or failed over).
    fn run<T>(&self, mut f: impl FnMut(&mut Conn) -> std::result::Result<T, tokio_postgres::Error>) -> Result<T> {
        let mut conn = self.conn(&self.pool)?;
        match f(&mut conn) {
            Err(e) if ended(&e) => {
                conn.discard();
                let mut conn = self.conn(&self.pool)?;
                f(&mut conn).map_err(pg_err)
            }
            other => other.map_err(pg_err),
        }
    }
}

async fn drive<F: std::future::Future<Output = std::result::Result<(), tokio_postgres::Error>>>(connection: F) {
    if let Err(e) = connection.await {
        tracing::warn!(error = %e, "metadata connection to PostgreSQL ended");
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropping a runtime waits for its threads, which a tokio worker may not do.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl MetaStore for PgStore {
    fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.run(|c| Ok(c.query(GET, &[&ks.name(), &key])?.first().map(|r| r.get(0))))
    }

    fn range(&self, ks: Keyspace, lo: Bound<&[u8]>, hi: Bound<&[u8]>, reverse: bool) -> Scan<'_> {
        // Pages grow: most scans want a row or two, some want everything.
        let mut page = PAGE_MIN;
        batched_scan(lo, hi, reverse, move |left| {
            let rows = self.page(ks, left, page)?;
            let last = (rows.len() as i64) < page;
            page = (page * 2).min(PAGE_MAX);
            Ok((rows, last))
        })
    }

    fn len(&self, ks: Keyspace) -> Result<usize> {
        self.run(|c| {
            let rows = c.query("SELECT count(*) FROM firn_kv WHERE ks = $1", &[&ks.name()])?;
            Ok(rows[0].get::<_, i64>(0) as usize)
        })
    }

    fn put(&self, ks: Keyspace, key: &[u8], value: &[u8]) -> Result<()> {
        self.run(|c| c.query(PUT, &[&ks.name(), &key, &value]).map(|_| ()))
    }

    fn delete(&self, ks: Keyspace, key: &[u8]) -> Result<()> {
        self.run(|c| c.query(DELETE, &[&ks.name(), &key]).map(|_| ()))
    }

    fn transact(&self, body: &mut dyn FnMut(&mut dyn Txn) -> TxResult<()>) -> Result<()> {
        let mut conn = self.conn(&self.pool)?;
        for attempt in 0u32.. {
            if conn.conn.as_ref().is_none_or(|c| c.client.is_closed()) {
                // The last attempt left its connection unusable, or it ended.
                conn.discard();
                conn = self.conn(&self.pool)?;
            }
            let mut tx = PgTxn { conn: &mut conn, begun: false, reads: HashMap::new(), writes: HashMap::new() };
            let outcome = match body(&mut tx) {
                Ok(()) => tx.commit(),
                Err(e) => {
                    tx.rollback()?;
                    Err(e)
                }
            };
            match outcome {
                Ok(()) => return Ok(()),
                Err(TxError::Abort(e)) => return Err(e),
                Err(TxError::Conflict) if attempt < 200 => {
                    // Back off a little, at random, so that the same two do not meet again at once.
                    let cap = 1u64 << attempt.min(6);
                    let jitter = uuid::Uuid::new_v4().as_u128() as u64 % (cap * 500);
                    std::thread::sleep(Duration::from_micros(jitter));
                }
                Err(TxError::Conflict) => return Err(EngineError::Conflict),
            }
        }
        unreachable!("the loop returns")
    }

    fn flush(&self) -> Result<()> {
        // A COMMIT returns once PostgreSQL has made it durable (synchronous_commit, its default).
        Ok(())
    }

    fn generate_id(&self) -> Result<u64> {
        self.run(|c| Ok(c.query("SELECT nextval('firn_ids')", &[])?[0].get::<_, i64>(0) as u64))
    }

    fn durable(&self) -> bool {
        true
    }

    fn shared(&self) -> bool {
        true
    }

    fn register_holder(&self, holder: &str) -> Result<()> {
        let mut live = self.liveness.lock().unwrap_or_else(|p| p.into_inner());
        if live.get(holder).is_some_and(|c| !c.is_closed()) {
            return Ok(());
        }
        let conn = self.connect()?;
        let got =
            block_on(conn.client.query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LIVENESS, &liveness_key(holder)]))
                .map_err(pg_err)?;
        if !got.get::<_, bool>(0) {
            return Err(EngineError::Meta(format!("lease holder {holder} is registered by another live process")));
        }
        live.insert(holder.to_owned(), conn.client);
        Ok(())
    }

    fn holder_alive(&self, holder: &str) -> Result<Option<bool>> {
        let key = liveness_key(holder);
        self.run(|c| {
            let free = c.query("SELECT pg_try_advisory_lock($1, $2)", &[&LIVENESS, &key])?[0].get::<_, bool>(0);
            if free {
                c.query("SELECT pg_advisory_unlock($1, $2)", &[&LIVENESS, &key])?;
            }
            Ok(Some(!free))
        })
    }

    fn key_mutex(&self, key: &[u8]) -> Result<Option<Box<dyn Send + '_>>> {
        // A key's advisory lock number (a collision only makes two keys wait on each other).
        let id = fnv64(key) as i64;
        let mut conn = self.conn(&self.locks)?;
        conn.query("SELECT pg_advisory_lock($1)", &[&id]).map_err(pg_err)?;
        Ok(Some(Box::new(KeyLock { conn, id })))
    }
}

/// An object key's lock, held by its connection's session until dropped.
struct KeyLock<'a> {
    conn: Pooled<'a>,
    id: i64,
}

impl Drop for KeyLock<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.conn.query("SELECT pg_advisory_unlock($1)", &[&self.id]) {
            // The session still holds the lock: end it, which releases it.
            tracing::warn!(error = %e, "releasing a key lock failed; closing its connection");
            self.conn.discard();
        }
    }
}

struct PgTxn<'a, 'p> {
    conn: &'a mut Pooled<'p>,
    /// BEGIN has been sent (it goes with the first read, or with the commit).
    begun: bool,
    /// What this transaction read from the database (serializable: it does not change under it).
    reads: HashMap<(Keyspace, Vec<u8>), Option<Vec<u8>>>,
    /// Its writes, sent with the COMMIT: the new value, or None for a removal.
    writes: HashMap<(Keyspace, Vec<u8>), Option<Vec<u8>>>,
}

impl PgTxn<'_, '_> {
    fn commit(mut self) -> TxResult<()> {
        if !self.begun && self.writes.is_empty() {
            return Ok(());
        }
        let (mut put_ks, mut put_k, mut put_v, mut del_ks, mut del_k) = (vec![], vec![], vec![], vec![], vec![]);
        for ((ks, k), v) in std::mem::take(&mut self.writes) {
            match v {
                Some(v) => {
                    put_ks.push(ks.name());
                    put_k.push(k);
                    put_v.push(v);
                }
                None => {
                    del_ks.push(ks.name());
                    del_k.push(k);
                }
            }
        }
        let conn = &mut **self.conn;
        let put = conn.statement(PUT_MANY).map_err(tx_err)?;
        let del = conn.statement(DELETE_MANY).map_err(tx_err)?;
        let c = &conn.client;
        let begin = async {
            if self.begun {
                Ok(())
            } else {
                c.batch_execute(BEGIN).await
            }
        };
        // One round trip: BEGIN if not yet sent, the writes, COMMIT. A failed write turns the COMMIT
        // into a ROLLBACK, so the writes' results decide.
        let writes = async {
            let puts = async {
                if put_k.is_empty() {
                    Ok(0)
                } else {
                    c.execute(&put, &[&put_ks, &put_k, &put_v]).await
                }
            };
            let dels = async {
                if del_k.is_empty() {
                    Ok(0)
                } else {
                    c.execute(&del, &[&del_ks, &del_k]).await
                }
            };
            let (p, d) = join(puts, dels).await;
            p.and(d)
        };
        let (b, w, commit) = block_on(join3(begin, writes, c.batch_execute("COMMIT")));
        // Over, whichever way it went (a failed write turned the COMMIT into a ROLLBACK; a broken
        // connection is closed, and its pool drops it).
        self.begun = false;
        b.and(w).map_err(tx_err)?;
        commit.map_err(tx_err)
    }

    fn rollback(mut self) -> Result<()> {
        if !self.begun {
            return Ok(());
        }
        match block_on(self.conn.client.batch_execute("ROLLBACK")) {
            Ok(()) => {}
            // The session ended, and its transaction with it; the connection goes.
            Err(e) if ended(&e) => self.conn.discard(),
            Err(e) => return Err(pg_err(e)),
        }
        self.begun = false;
        Ok(())
    }
}

impl Drop for PgTxn<'_, '_> {
    fn drop(&mut self) {
        // Still inside a transaction (the body panicked, or the ROLLBACK failed): the connection
        // must not go back to the pool, where the next user would carry on in it.
        if self.begun {
            self.conn.discard();
        }
    }
}

impl Txn for PgTxn<'_, '_> {
    fn get(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<Option<Vec<u8>>> {
        let at = (ks, key.to_vec());
        if let Some(v) = self.writes.get(&at).or_else(|| self.reads.get(&at)) {
            return Ok(v.clone());
        }
        let conn = &mut **self.conn;
        let stmt = conn.statement(GET).map_err(read_err)?;
        let c = &conn.client;
        let name = ks.name();
        let params: [&(dyn ToSql + Sync); 2] = [&name, &key];
        let query = c.query(&stmt, &params);
        let rows = if self.begun {
            block_on(query)
        } else {
            // BEGIN rides along with the first read.
            let (b, rows) = block_on(join(c.batch_execute(BEGIN), query));
            self.begun = true;
            b.and(rows)
        }
        .map_err(read_err)?;
        let value: Option<Vec<u8>> = rows.first().map(|r| r.get(0));
        self.reads.insert(at, value.clone());
        Ok(value)
    }

    fn insert(&mut self, ks: Keyspace, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.writes.insert((ks, key.to_vec()), Some(value.to_vec()));
        Ok(())
    }

    fn remove(&mut self, ks: Keyspace, key: &[u8]) -> TxResult<()> {
        self.writes.insert((ks, key.to_vec()), None);
        Ok(())
    }
}

impl PgStore {
    /// Up to `limit` entries of what a scan has left, in its order: one query on the primary key
    /// (keyset pagination: the range starts past the last key of the page before).
    fn page(&self, ks: Keyspace, left: &Remaining, limit: i64) -> Result<Vec<Entry>> {
        let mut sql = String::from("SELECT k, v FROM firn_kv WHERE ks = $1");
        let name = ks.name();
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&name];
        for (bound, incl, excl) in [(&left.lo, ">=", ">"), (&left.hi, "<=", "<")] {
            let (op, key) = match bound {
                Bound::Included(k) => (incl, k),
                Bound::Excluded(k) => (excl, k),
                Bound::Unbounded => continue,
            };
            params.push(key);
            sql.push_str(&format!(" AND k {op} ${}", params.len()));
        }
        params.push(&limit);
        sql.push_str(&format!(" ORDER BY k {} LIMIT ${}", if left.reverse { "DESC" } else { "ASC" }, params.len()));
        let rows = self.run(|c| c.query(&sql, &params))?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
