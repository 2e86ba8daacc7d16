//! A real `redis-server` for tests: its own loopback port and data directory, append-only file
//! fsynced on every write (what the relay requires), killed when dropped.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A running `redis-server`.
pub struct RedisServer {
    child: Child,
    pub port: u16,
    pub dir: TempDir,
    durable: bool,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(port: u16, dir: &Path, durable: bool) -> Child {
    let (appendonly, fsync) = if durable {
        ("yes", "always")
    } else {
        ("no", "everysec")
    };
    let port_text = port.to_string();
    let dir_text = dir.display().to_string();
    let args = [
        "--port",
        &port_text,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        appendonly,
        "--appendfsync",
        fsync,
        "--dir",
        &dir_text,
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
    ];
    match Command::new("redis-server")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!(
            "redis-server is not on PATH: the Redis store is tested against a real Redis. \
             Install it with scripts/setup (apt-get install -y redis-server)."
        ),
        Err(err) => panic!("cannot start redis-server: {err}"),
    }
}

/// Waits until Redis answers PING on `port` (or its process ended); true when it answers.
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let url = format!("redis://127.0.0.1:{port}");
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        // Ours answers, not another test's server that took the port first.
        let info = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(500)))
            .and_then(|mut conn| redis::cmd("INFO").arg("server").query::<String>(&mut conn));
        if let Ok(info) = info {
            return info.contains(&format!("process_id:{}\r\n", child.id()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

impl RedisServer {
    /// A Redis with `appendonly yes`, `appendfsync always`, no RDB snapshots.
    pub fn start() -> RedisServer {
        Self::start_with(true)
    }

    /// A Redis that does not fsync (for the relay's refusal).
    pub fn start_lossy() -> RedisServer {
        Self::start_with(false)
    }

    fn start_with(durable: bool) -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        // The port is free when chosen; another process may take it before Redis binds, so try
        // a few.
        for _ in 0..5 {
            let port = free_port();
            let mut child = spawn(port, dir.path(), durable);
            if wait_ready(&mut child, port) {
                return RedisServer {
                    child,
                    port,
                    dir,
                    durable,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start on a free loopback port in 5 tries");
    }

    /// `redis://127.0.0.1:PORT`, or with `/DB`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn url_db(&self, db: u32) -> String {
        format!("{}/{db}", self.url())
    }

    /// A plain connection for inspecting or disturbing the server.
    pub fn connection(&self) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(self.url())?.get_connection_with_timeout(Duration::from_secs(2))
    }

    /// Runs one command and returns its answer.
    pub fn query<T: redis::FromRedisValue>(&self, args: &[&str]) -> T {
        let mut conn = self.connection().expect("connect to redis-server");
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        cmd.query(&mut conn)
            .unwrap_or_else(|e| panic!("redis {args:?}: {e}"))
    }

    /// Kills the server with SIGKILL (no shutdown save) and starts it again on the same port and
    /// data directory, as after a crash.
    pub fn crash_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        for _ in 0..50 {
            self.child = spawn(self.port, self.dir.path(), self.durable);
            if wait_ready(&mut self.child, self.port) {
                return;
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("redis-server did not come back on port {}", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
