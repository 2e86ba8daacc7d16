//! The store conformance suite (`common/store_contract.rs`) against every backend: process
//! memory, a SQLite file, SQLite `:memory:` and a real Redis. One set of assertions for all, so
//! a relay behaves the same whichever store it runs on.

mod common;

use common::redis::RedisServer;
use common::store_contract;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use udesk_relay::store::{MemoryStore, RedisStore, Retention, SqliteStore, Store};

#[test]
fn memory_meets_the_store_contract() {
    store_contract::run_all(&|retention| Arc::new(MemoryStore::new(retention)) as Arc<dyn Store>);
}

#[test]
fn sqlite_file_meets_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicU32::new(0);
    store_contract::run_all(&|retention| {
        let path = dir.path().join(format!(
            "db{}/relay.sqlite3",
            n.fetch_add(1, Ordering::SeqCst)
        ));
        Arc::new(SqliteStore::open(&path, retention).unwrap()) as Arc<dyn Store>
    });
}

#[test]
fn sqlite_in_memory_meets_the_store_contract() {
    store_contract::run_all(&|retention| {
        Arc::new(SqliteStore::open(Path::new(":memory:"), retention).unwrap()) as Arc<dyn Store>
    });
}

#[test]
fn redis_meets_the_store_contract() {
    let server = RedisServer::start();
    // Each check gets an empty database of its own (Redis has 16).
    let db = AtomicU32::new(0);
    store_contract::run_all(&|retention| {
        let url = server.url_db(db.fetch_add(1, Ordering::SeqCst));
        Arc::new(RedisStore::open(&url, retention).unwrap()) as Arc<dyn Store>
    });
}

#[test]
fn two_redis_stores_on_one_server_act_as_one() {
    // Two relays' stores: ids, dedupe, sessions and profiles are shared.
    let server = RedisServer::start();
    let retention = Retention::days(30, 0);
    let a = RedisStore::open(&server.url(), retention).unwrap();
    let b = RedisStore::open(&server.url(), retention).unwrap();
    let first = a.append(&store_contract::push("c", &["m1"], 1)).unwrap();
    assert!(
        b.append(&store_contract::push("c", &["m1"], 2))
            .unwrap()
            .is_empty(),
        "a retry to the other relay is a duplicate"
    );
    let second = b.append(&store_contract::push("c", &["m2"], 3)).unwrap();
    assert_eq!((first[0].id, second[0].id), (1, 2));
    assert_eq!(a.read_after("c", 0, 10).unwrap(), [first, second].concat());
    b.record_sessions("c", &[9], 4).unwrap();
    assert!(a.owns_session("c", 9).unwrap());

    // Another database is another world.
    let other = RedisStore::open(&server.url_db(1), retention).unwrap();
    assert_eq!(other.bounds("c").unwrap().last, 0);
}

#[test]
fn redis_durability_is_read_from_the_server() {
    use udesk_relay::store::Durability;
    let durable = RedisServer::start();
    let store = RedisStore::open(&durable.url(), Retention::days(1, 0)).unwrap();
    assert_eq!(store.durability().unwrap(), Durability::Fsynced);
    let lossy = RedisServer::start_lossy();
    let store = RedisStore::open(&lossy.url(), Retention::days(1, 0)).unwrap();
    assert_eq!(
        store.durability().unwrap(),
        Durability::Lossy {
            appendonly: "no".into(),
            appendfsync: "everysec".into()
        }
    );
}

#[test]
fn an_unreachable_redis_is_an_error_not_a_hang() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = std::time::Instant::now();
    let err = RedisStore::open(&format!("redis://127.0.0.1:{port}"), Retention::days(1, 0))
        .err()
        .expect("nothing listens there");
    assert!(started.elapsed() < std::time::Duration::from_secs(6));
    assert!(err.to_string().starts_with("redis:"), "{err}");
}
