//! One suite, run on every backend: what the engine relies on from a metadata store.

use super::*;
use crate::base::error::EngineError;
use std::ops::Bound;
use std::sync::Arc;

fn backends() -> Vec<(&'static str, Meta, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(&dir.path().join("meta"), 8 << 20).unwrap();
    let mut all = vec![
        ("sled", Meta::new(Arc::new(sled)), Some(dir)),
        ("memory", Meta::new(Arc::new(MemoryStore::default())), None),
    ];
    if let Some(pg) = postgres() {
        all.push(("postgres", Meta::new(pg), None));
    }
    all
}

/// A PostgreSQL store on a database of its own (None where PostgreSQL cannot start here).
pub(crate) fn postgres() -> Option<Arc<dyn MetaStore>> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let cluster = firn_testkit::pg::cluster()?;
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let url = cluster.database(&format!("suite_{}_{n}", std::process::id()));
    Some(Arc::new(PgStore::open(&url, None).unwrap()))
}

fn keys(scan: Scan<'_>) -> Vec<Vec<u8>> {
    scan.map(|e| e.unwrap().0).collect()
}

#[test]
fn point_reads_and_writes() {
    for (name, m, _dir) in backends() {
        assert_eq!(m.get(Keyspace::Buckets, b"a").unwrap(), None, "{name}");
        m.insert(Keyspace::Buckets, b"a", b"1").unwrap();
        assert_eq!(m.get(Keyspace::Buckets, b"a").unwrap(), Some(b"1".to_vec()), "{name}");
        assert_eq!(m.get(Keyspace::Objects, b"a").unwrap(), None, "{name}: keyspaces are apart");
        assert_eq!(m.len(Keyspace::Buckets).unwrap(), 1, "{name}");
        m.remove(Keyspace::Buckets, b"a").unwrap();
        assert!(!m.contains(Keyspace::Buckets, b"a").unwrap(), "{name}");
        assert_eq!(m.len(Keyspace::Buckets).unwrap(), 0, "{name}");
    }
}

#[test]
fn ranges_both_ways_with_every_bound() {
    for (name, m, _dir) in backends() {
        for k in [&b"a"[..], b"b", b"b\x00", b"b\xff", b"c", b"d"] {
            m.insert(Keyspace::Versions, k, b"").unwrap();
        }
        let ks = Keyspace::Versions;
        let fwd = keys(m.range(ks, Bound::Included(b"b"), Bound::Excluded(b"d")));
        assert_eq!(fwd, [&b"b"[..], b"b\x00", b"b\xff", b"c"], "{name}");
        let back = keys(m.store.range(ks, Bound::Excluded(b"a"), Bound::Included(b"c"), true));
        assert_eq!(back, [&b"c"[..], b"b\xff", b"b\x00", b"b"], "{name}");
        assert_eq!(keys(m.scan_prefix(ks, b"b")), [&b"b"[..], b"b\x00", b"b\xff"], "{name}");
        assert_eq!(keys(m.iter(ks)).len(), 6, "{name}");
        assert!(keys(m.range(ks, Bound::Excluded(b"c"), Bound::Excluded(b"c"))).is_empty(), "{name}");
        assert!(keys(m.range(ks, Bound::Included(b"d"), Bound::Included(b"a"))).is_empty(), "{name}");
        let last = keys(m.store.range(ks, Bound::Unbounded, Bound::Unbounded, true));
        assert_eq!(last.first().map(Vec::as_slice), Some(&b"d"[..]), "{name}");
    }
}

#[test]
fn long_scans_see_everything_and_let_writers_in() {
    for (name, m, _dir) in backends() {
        for i in 0..1000u32 {
            m.insert(Keyspace::Gc, i.to_be_bytes(), b"").unwrap();
        }
        // Removing each entry as the scan passes it, as garbage collection does.
        let mut seen = 0;
        for item in m.iter(Keyspace::Gc) {
            let (k, _) = item.unwrap();
            m.remove(Keyspace::Gc, &k).unwrap();
            seen += 1;
        }
        assert_eq!(seen, 1000, "{name}");
        assert_eq!(m.len(Keyspace::Gc).unwrap(), 0, "{name}");
    }
}

#[test]
fn transactions_span_keyspaces_see_their_writes_and_abort_whole() {
    for (name, m, _dir) in backends() {
        let out = m
            .transaction(|tx| {
                assert_eq!(tx.swap(Keyspace::Objects, b"k", b"1")?, None);
                assert_eq!(tx.swap(Keyspace::Objects, b"k", b"2")?, Some(b"1".to_vec()));
                assert_eq!(tx.get(Keyspace::Objects, b"k")?, Some(b"2".to_vec()));
                tx.insert(Keyspace::Versions, b"k", b"v")?;
                Ok(7)
            })
            .unwrap();
        assert_eq!(out, 7, "{name}");
        assert_eq!(m.get(Keyspace::Versions, b"k").unwrap(), Some(b"v".to_vec()), "{name}");
        let err = m.transaction(|tx| {
            tx.remove(Keyspace::Objects, b"k")?;
            tx.insert(Keyspace::Blobs, b"x", b"")?;
            abort::<()>(EngineError::NoSuchKey)
        });
        assert!(matches!(err, Err(EngineError::NoSuchKey)), "{name}");
        assert_eq!(m.get(Keyspace::Objects, b"k").unwrap(), Some(b"2".to_vec()), "{name}: nothing of it landed");
        assert!(!m.contains(Keyspace::Blobs, b"x").unwrap(), "{name}");
        assert_eq!(m.transaction(|tx| tx.take(Keyspace::Objects, b"k")).unwrap(), Some(b"2".to_vec()), "{name}");
    }
}

#[test]
fn concurrent_transactions_are_serializable() {
    for (name, m, _dir) in backends() {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..250 {
                        m.transaction(|tx| {
                            let n = tx
                                .get(Keyspace::Quotas, b"n")?
                                .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
                            tx.insert(Keyspace::Quotas, b"n", &(n + 1).to_be_bytes())?;
                            Ok(())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let n = m.get(Keyspace::Quotas, b"n").unwrap().map(|v| u64::from_be_bytes(v.try_into().unwrap()));
        assert_eq!(n, Some(1000), "{name}: no increment lost");
    }
}

#[test]
fn ids_increase() {
    for (name, m, _dir) in backends() {
        let ids: Vec<u64> = (0..100).map(|_| m.generate_id().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{name}");
        m.sync().unwrap();
    }
}

#[test]
fn leases_are_held_by_one_holder_until_they_run_out() {
    for (name, m, _dir) in backends() {
        assert!(m.claim("lifecycle", "gw-a", 1_000, 500).unwrap(), "{name}");
        assert!(!m.claim("lifecycle", "gw-b", 1_200, 500).unwrap(), "{name}: still held");
        assert!(m.claim("other-work", "gw-b", 1_200, 500).unwrap(), "{name}: work units are apart");
        assert!(m.claim("lifecycle", "gw-a", 1_400, 500).unwrap(), "{name}: the holder renews");
        assert!(!m.claim("lifecycle", "gw-b", 1_800, 500).unwrap(), "{name}: renewed until 1,900");
        assert_eq!(m.lease("lifecycle", 1_800).unwrap().map(|l| l.holder), Some("gw-a".into()), "{name}");
        assert!(m.claim("lifecycle", "gw-b", 1_900, 500).unwrap(), "{name}: taken over once run out");
        m.release("lifecycle", "gw-a").unwrap();
        assert_eq!(m.lease("lifecycle", 2_000).unwrap().map(|l| l.holder), Some("gw-b".into()), "{name}");
        m.release("lifecycle", "gw-b").unwrap();
        assert_eq!(m.lease("lifecycle", 2_000).unwrap(), None, "{name}");
        assert!(m.claim("lifecycle", "gw-a", 2_000, 500).unwrap(), "{name}: free after release");
    }
}

#[test]
fn sled_keeps_what_was_flushed_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let m = Meta::new(Arc::new(SledStore::open(dir.path(), 8 << 20).unwrap()));
        m.insert(Keyspace::Buckets, b"b", b"rec").unwrap();
        let id = m.generate_id().unwrap();
        m.insert(Keyspace::Nulls, b"id", id.to_be_bytes()).unwrap();
        m.sync().unwrap();
    }
    let m = Meta::new(Arc::new(SledStore::open(dir.path(), 8 << 20).unwrap()));
    assert_eq!(m.get(Keyspace::Buckets, b"b").unwrap(), Some(b"rec".to_vec()));
    let before = u64::from_be_bytes(m.get(Keyspace::Nulls, b"id").unwrap().unwrap().try_into().unwrap());
    assert!(m.generate_id().unwrap() > before, "ids keep increasing after a restart");
}

#[test]
fn postgres_stores_on_one_database_share_one_namespace() {
    let Some(cluster) = firn_testkit::pg::cluster() else { return };
    let url = cluster.database(&format!("shared_{}", std::process::id()));
    let a: Arc<dyn MetaStore> = Arc::new(PgStore::open(&url, None).unwrap());
    // A second gateway: the schema is there already, and migrating again changes nothing.
    let b: Arc<dyn MetaStore> = Arc::new(PgStore::open(&url, None).unwrap());
    a.put(Keyspace::Buckets, b"x", b"1").unwrap();
    assert_eq!(b.get(Keyspace::Buckets, b"x").unwrap(), Some(b"1".to_vec()), "read through the other at once");
    let (i, j) = (a.generate_id().unwrap(), b.generate_id().unwrap());
    assert!(j > i, "ids increase across gateways");

    // Increments through both stores at once: serializable across them, none lost.
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let m = Meta::new(if t % 2 == 0 { a.clone() } else { b.clone() });
            std::thread::spawn(move || {
                for _ in 0..100 {
                    m.transaction(|tx| {
                        let n =
                            tx.get(Keyspace::Quotas, b"n")?.map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
                        tx.insert(Keyspace::Quotas, b"n", &(n + 1).to_be_bytes())?;
                        Ok(())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(a.get(Keyspace::Quotas, b"n").unwrap(), Some(400u64.to_be_bytes().to_vec()));

    // A body that panics inside its transaction does not leave it open on a pooled connection,
    // where the next write would vanish into it.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = Meta::new(a.clone()).transaction(|tx| {
            tx.get(Keyspace::Quotas, b"n")?;
            panic!("a bug in a body");
            #[allow(unreachable_code)]
            Ok(())
        });
    }));
    assert!(panicked.is_err());
    a.put(Keyspace::Buckets, b"after-panic", b"1").unwrap();
    assert_eq!(b.get(Keyspace::Buckets, b"after-panic").unwrap(), Some(b"1".to_vec()), "committed, not held open");

    // A key's mutex excludes the other gateway until it is dropped; other keys stay free.
    let held = a.key_mutex(b"bucket\0key").unwrap().expect("a shared store locks keys");
    drop(b.key_mutex(b"bucket\0other").unwrap());
    let (sent, got) = std::sync::mpsc::channel();
    let other = b.clone();
    let waiter = std::thread::spawn(move || {
        let _guard = other.key_mutex(b"bucket\0key").unwrap();
        sent.send(()).unwrap();
    });
    assert!(got.recv_timeout(std::time::Duration::from_millis(300)).is_err(), "waits while the other holds it");
    drop(held);
    got.recv_timeout(std::time::Duration::from_secs(10)).expect("taken once released");
    waiter.join().unwrap();
}

#[test]
fn postgres_hands_a_dead_holders_lease_over_at_once() {
    let Some(cluster) = firn_testkit::pg::cluster() else { return };
    let url = cluster.database(&format!("liveness_{}", std::process::id()));
    let b = Meta::new(Arc::new(PgStore::open(&url, None).unwrap()));
    {
        let a = Meta::new(Arc::new(PgStore::open(&url, None).unwrap()));
        assert!(a.claim("lifecycle", "gw-a", 1_000, 3_600_000).unwrap());
        assert!(!b.claim("lifecycle", "gw-b", 2_000, 3_600_000).unwrap(), "held, and its holder alive");
    }
    // gw-a's process is gone (its store closed): its lease is taken over long before it runs out.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.claim("lifecycle", "gw-b", 3_000, 3_600_000).unwrap() {
        assert!(std::time::Instant::now() < deadline, "the dead holder's lease was never taken over");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(b.lease("lifecycle", 3_000).unwrap().map(|l| l.holder), Some("gw-b".into()));
}

#[test]
fn postgres_over_tls_checks_the_servers_certificate() {
    let Some(cluster) = firn_testkit::pg::tls_cluster() else { return };
    let ca = cluster.ca_file.as_deref().expect("a TLS cluster has a certificate");
    let url = cluster.database("tls");
    let required = format!("{url}?sslmode=require");
    let m = Meta::new(Arc::new(PgStore::open(&required, Some(ca)).unwrap()));
    m.insert(Keyspace::Buckets, b"b", b"1").unwrap();
    assert_eq!(m.get(Keyspace::Buckets, b"b").unwrap(), Some(b"1".to_vec()), "over TLS");
    // The default, prefer, takes TLS when the server offers it (this one takes nothing else).
    assert!(PgStore::open(&url, Some(ca)).is_ok());
    let untrusted = PgStore::open(&required, None).err().expect("a certificate no root vouches for");
    assert!(untrusted.to_string().contains("certificate"), "{untrusted}");
    let plain = PgStore::open(&format!("{url}?sslmode=disable"), Some(ca)).err().expect("plain is refused here");
    assert!(plain.to_string().contains("pg_hba.conf"), "{plain}");
    let missing = PgStore::open(&required, Some(std::path::Path::new("/nonexistent/ca.pem"))).err().unwrap();
    assert!(missing.to_string().contains("metadata.ca_file /nonexistent/ca.pem"), "{missing}");
}

#[test]
fn postgres_carries_on_when_its_connections_are_cut() {
    let Some(cluster) = firn_testkit::pg::cluster() else { return };
    let db = format!("cut_{}", std::process::id());
    let m = Meta::new(Arc::new(PgStore::open(&cluster.database(&db), None).unwrap()));
    for round in 0..3u8 {
        // Several connections in the pool, then every one of them ended, as a restart or a
        // failover of PostgreSQL would.
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let m = &m;
                s.spawn(move || m.insert(Keyspace::Buckets, [round, t], b"x").unwrap());
            }
        });
        let cut = cluster.sql(
            "postgres",
            &format!("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{db}'"),
        );
        assert_ne!(cut, "0", "round {round}: connections were cut");
        m.transaction(|tx| tx.get(Keyspace::Buckets, &[round, 0]).map(|_| ())).unwrap();
        m.transaction(|tx| tx.insert(Keyspace::Objects, &[round], b"after")).unwrap();
        assert_eq!(m.get(Keyspace::Objects, [round]).unwrap(), Some(b"after".to_vec()));
        assert_eq!(m.iter(Keyspace::Buckets).count(), 4 * (round as usize + 1));
    }
}
