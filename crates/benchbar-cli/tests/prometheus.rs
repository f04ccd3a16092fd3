//! The metrics exporter against the real servers (Debian's `prometheus` and
//! `prometheus-pushgateway`, installed by scripts/setup-system.sh): Prometheus scrapes
//! `benchbar serve` and the Pushgateway; a quick run on builtin:tiny (real MLX) is pushed; the
//! scraped and the pushed values, read back through Prometheus's HTTP query API, equal
//! `benchbar history --format json`. Every wait is bounded; the servers are stopped at the end.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Child processes killed when the test ends, passed or not.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET `path` from 127.0.0.1:`port`; the body of a 200 answer, None otherwise (or not yet up).
fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// Polls `f` every 250 ms until it gives a value or `limit` passes.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn percent_encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of every series of an instant PromQL query, with its labels.
fn query(port: u16, promql: &str) -> Vec<(serde_json::Value, f64)> {
    let body = get(
        port,
        &format!("/api/v1/query?query={}", percent_encode(promql)),
    )
    .unwrap_or_else(|| panic!("query {promql} failed"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let value = r["value"][1].as_str().unwrap().parse::<f64>().unwrap();
            (r["metric"].clone(), value)
        })
        .collect()
}

#[test]
fn scraped_and_pushed_values_equal_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let (serve_port, gateway_port, prom_port) = (free_port(), free_port(), free_port());
    let quiet = || Stdio::null();
    let mut servers = Servers(Vec::new());
    servers.0.push(
        Command::new("prometheus-pushgateway")
            .arg(format!("--web.listen-address=127.0.0.1:{gateway_port}"))
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .expect("prometheus-pushgateway (Debian package, scripts/setup-system.sh)"),
    );
    servers.0.push(
        common::benchbar_mlx(&db)
            .args(["serve", "--listen", &format!("127.0.0.1:{serve_port}")])
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .unwrap(),
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n\
             \x20 - job_name: benchbar\n    static_configs:\n      - targets: ['127.0.0.1:{serve_port}']\n\
             \x20 - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ['127.0.0.1:{gateway_port}']\n"
        ),
    )
    .unwrap();
    servers.0.push(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .expect("prometheus (Debian package, scripts/setup-system.sh)"),
    );
    let limit = Duration::from_secs(60);
    wait_for("the Pushgateway", limit, || get(gateway_port, "/metrics"));
    wait_for("benchbar serve", limit, || get(serve_port, "/metrics"));
    wait_for("Prometheus", limit, || get(prom_port, "/-/ready"));

    // A quick run on builtin:tiny (real MLX), stored and pushed.
    let out = common::benchbar_mlx(&db)
        .args([
            "run",
            "-n",
            "8",
            "-r",
            "2",
            "--warmup",
            "0",
            "--no-power",
            "--format",
            "json",
        ])
        .args(["--push", &format!("http://127.0.0.1:{gateway_port}")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("pushed the run's metrics"), "{err}");

    let h = common::benchbar_mlx(&db)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let h: serde_json::Value = serde_json::from_slice(&h.stdout).unwrap();
    let decode_tps = h[0]["decode_tps"].as_f64().unwrap();
    let ttft_s = h[0]["ttft_ms"].as_f64().unwrap() / 1e3;
    let scraped = format!("instance=\"127.0.0.1:{serve_port}\"");

    for (name, want) in [
        ("benchbar_decode_tokens_per_second", decode_tps),
        ("benchbar_time_to_first_token_seconds", ttft_s),
    ] {
        let selector = format!("{name}{{model=\"builtin:tiny\",engine=\"mlx\"}}");
        let series = wait_for(&format!("{name} scraped and pushed"), limit, || {
            let s = query(prom_port, &selector);
            (s.len() == 2).then_some(s)
        });
        for (labels, value) in &series {
            let how = if labels["instance"] == scraped.split('"').nth(1).unwrap() {
                "scraped"
            } else {
                "pushed"
            };
            assert_eq!(labels["job"], "benchbar", "{how}: {labels}");
            assert!(
                (value - want).abs() <= want.abs() * 1e-12,
                "{how} {name} = {value}, history says {want}"
            );
        }
    }
    // Counters and the regression state are scraped too.
    let runs = query(
        prom_port,
        &format!("benchbar_runs_total{{{scraped},status=\"completed\",origin=\"cli\"}}"),
    );
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].1, 1.0);
    let regressions = query(prom_port, &format!("benchbar_regressions{{{scraped}}}"));
    assert_eq!(regressions.len(), 1);
    assert_eq!(regressions[0].1, 0.0);
}
