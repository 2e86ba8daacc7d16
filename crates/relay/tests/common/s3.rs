//! A real S3-compatible server for tests: moto's server mode (`moto_server`, from PyPI's
//! `moto[server]`, installed by `scripts/setup`) on a free loopback port, one per test binary,
//! with a fresh bucket per test.
//!
//! It runs under a small shell that waits on its standard input: when the test process ends
//! (however it ends), the pipe closes and the shell stops the server, so no server outlives its
//! tests.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The running server: its port, and the pipe whose end stops it.
pub struct MotoServer {
    pub port: u16,
    _child: Mutex<(Child, ChildStdin)>,
}

static SERVER: OnceLock<MotoServer> = OnceLock::new();

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The test binary's S3 server, started on first use.
pub fn server() -> &'static MotoServer {
    SERVER.get_or_init(|| {
        // Credentials for the relay's S3 client (moto accepts any); the same values for every
        // test, so setting them from several threads is harmless.
        std::env::set_var("AWS_ACCESS_KEY_ID", "udesk-test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "udesk-test-secret");
        for attempt in 0..3 {
            let port = free_port();
            let script = format!(
                "moto_server -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"
            );
            let mut child = Command::new("sh")
                .args(["-c", &script])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("cannot run sh");
            let stdin = child.stdin.take().unwrap();
            if wait_ready(port) {
                return MotoServer {
                    port,
                    _child: Mutex::new((child, stdin)),
                };
            }
            drop(stdin);
            let _ = child.wait();
            eprintln!("moto_server did not answer on port {port} (attempt {attempt})");
        }
        panic!(
            "moto_server did not start: S3 storage is tested against a real S3-compatible server. \
             Install it with scripts/setup (pip install 'moto[server]')."
        )
    })
}

fn wait_ready(port: u16) -> bool {
    let missing = Command::new("sh")
        .args(["-c", "command -v moto_server"])
        .stdout(Stdio::null())
        .status()
        .map(|s| !s.success())
        .unwrap_or(true);
    if missing {
        panic!(
            "moto_server is not on PATH: S3 storage is tested against a real S3-compatible \
             server. Install it with scripts/setup (pip install 'moto[server]')."
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.write_all(b"GET /moto-api/ HTTP/1.0\r\n\r\n");
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

impl MotoServer {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a new, empty bucket and returns the relay's `--media-store` value for it.
    pub async fn bucket(&self) -> String {
        let name = format!("udesk-test-{}", uuid::Uuid::new_v4().simple());
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match client
                .put(format!("{}/{name}", self.endpoint()))
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => break,
                other if Instant::now() > deadline => panic!("cannot create bucket: {other:?}"),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        format!("s3://{name}?endpoint={}&region=us-east-1", self.endpoint())
    }
}
