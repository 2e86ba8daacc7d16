//! The `udesk-sim` binary: its flags reach the simulator, it prints the address it bound, and
//! it stops cleanly on SIGTERM.

mod common;

use common::{signed_query, Receiver};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the simulator if the test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn flags_configure_the_simulator_and_sigterm_stops_it() {
    let receiver = Receiver::start().await;
    let dir = std::env::temp_dir().join(format!("udesk-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kb = dir.join("kb.json");
    std::fs::write(
        &kb,
        r#"{"robot": {"name": "Flag bot", "welcome_message": "hi from the file",
             "unknow_message": {"zh": "?", "en": "?"}, "transfer_message": {"zh": "t", "en": "t"}},
            "entries": []}"#,
    )
    .unwrap();
    let agents = dir.join("agents.json");
    std::fs::write(
        &agents,
        r#"{"agents": [{"id": 9, "name": "Nina"}], "groups": [{"id": 4, "name": "Flags", "agent_ids": [9]}]}"#,
    )
    .unwrap();

    let child = Command::new(env!("CARGO_BIN_EXE_udesk-sim"))
        .args(["--listen", "127.0.0.1:0", "--webhook-shape", "message"])
        .args(["--webhook-url", &receiver.url()])
        .args(["--email", "ops@example.com", "--token", "secret-token"])
        .arg("--kb")
        .arg(&kb)
        .arg("--agents")
        .arg(&agents)
        .args(["--pickup-delay", "0", "--fault-fail-percent", "10"])
        .args(["--fault-duplicate-webhooks", "--survey-style", "expression"])
        .args(["--keep-records", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("udesk-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let http = reqwest::Client::new();
    let get = |url: String| {
        let request = http.get(url);
        async move { request.send().await.unwrap() }
    };
    let post = |url: String, body: Value| {
        let request = http.post(url).json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let health = get(format!("{base}/healthz")).await.text().await.unwrap();
    assert_eq!(health, "ok");

    let faults: Value = get(format!("{base}/admin/faults"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(faults["fail_percent"], 10);
    assert_eq!(faults["duplicate_webhooks"], true);
    post(format!("{base}/admin/faults"), json!({"fail_percent": 0})).await;

    // The demo credentials are refused; the flags' are accepted.
    let demo_signed = format!("{base}/im/sessions?{}", signed_query());
    let refused = post(demo_signed, json!({"customer_token": "c_bin"})).await;
    assert_eq!(refused["code"], 2059);
    let sign = |path: &str| {
        let q = udesk_protocol::sign::SignedQuery::v2(
            "ops@example.com",
            "secret-token",
            common::now(),
            &common::nonce(),
        );
        format!("{base}{path}?{}", common::query_of(&q))
    };
    let robot = post(sign("/im/sessions"), json!({"customer_token": "c_bin"})).await;
    assert_eq!(robot["assign_info"]["robot_name"], "Flag bot");
    let agent = post(
        sign("/im/sessions"),
        json!({"customer_token": "c_bin", "assign_type": "agent"}),
    )
    .await;
    assert_eq!(agent["code"], 1000, "{agent}");
    assert_eq!(agent["assign_info"]["agent_name"], "Nina");
    assert_eq!(
        agent["assign_info"]["survey_options"]["show_type"],
        "expression"
    );
    // Seed shape, each push twice.
    let accepted = || async { receiver.accepted() };
    let pushes = common::eventually("4 pushes", accepted, |all| all.len() >= 4).await;
    assert!(pushes.iter().all(|p| p.body["message"].is_object()));
    assert_eq!(pushes[0].body, pushes[1].body, "duplicated");
    // --keep-records: the newest two tries are kept, the others counted.
    let tries: Value = get(format!("{base}/admin/webhooks"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tries["attempts"].as_array().unwrap().len(), 2, "{tries}");
    assert!(tries["forgotten"].as_u64().unwrap() >= 2, "{tries}");

    let stopping = Instant::now();
    let killed = Command::new("kill")
        .arg(child.0.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(5),
            "did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_flags_and_files_are_refused_with_a_message() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_udesk-sim"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--listen", "127.0.0.1:0", "--kb", "/nonexistent/kb.json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/kb.json"));
    let out = run(&["--listen", "127.0.0.1:0", "--webhook-shape", "both"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("messages | message"));
    let out = run(&["--listen", "127.0.0.1:0", "--fault-fail-percent", "150"]);
    assert!(!out.status.success());
    let out = run(&["--listen", "127.0.0.1:0", "--survey-style", "hearts"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("survey-style"));
    let out = run(&["--listen", "127.0.0.1:0", "--keep-records", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--keep-records"));
    let out = run(&["--listen", "127.0.0.1:0", "--forget-idle-after", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--forget-idle-after"));
}
