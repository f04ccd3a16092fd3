//! The Prometheus exposition of a history (latest completed run per configuration, counters
//! that pruning never lowers) and the exporter's HTTP server (only `/metrics` and `/`, a bearer
//! token when set, bounded request size and time, a warning off loopback).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use benchbar_core::report::{RunOrigin, RunStatus};
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_service::metrics::history_exposition;
use benchbar_service::metrics::server::{ServeOptions, Server};
use benchbar_store::Store;
use chrono::Duration as Span;

/// `n` completed runs of each of `models` (decode tok/s = the run's index), a failed and a
/// monitoring run.
fn history(path: &std::path::Path, models: &[&str], n: usize) -> Store {
    let mut store = Store::open(path).unwrap();
    let mut runs = Vec::new();
    for (m, model) in models.iter().enumerate() {
        for i in 0..n {
            let mut meta = synthetic_meta(None, model, "v");
            meta.started_at += Span::minutes((i * models.len() + m) as i64);
            let tps = 10.0 + i as f64;
            let cells = vec![synthetic_cell(&[tps, tps], &[50.0, 50.0], 1 << 30)];
            runs.push((meta, cells, vec![]));
        }
    }
    let mut failed = synthetic_meta(None, models[0], "v");
    failed.status = RunStatus::Failed;
    failed.started_at += Span::days(30);
    runs.push((
        failed,
        vec![synthetic_cell(&[1.0, 1.0], &[1.0, 1.0], 1)],
        vec![],
    ));
    let mut sample = synthetic_meta(None, models[0], "v");
    sample.origin = RunOrigin::Monitor;
    sample.started_at += Span::days(-1);
    runs.push((
        sample,
        vec![synthetic_cell(&[5.0, 5.0], &[1.0, 1.0], 1)],
        vec![],
    ));
    store.save_runs(&runs).unwrap();
    store
}

fn samples<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .collect()
}

fn value(line: &str) -> f64 {
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn the_latest_completed_run_of_each_configuration_and_counters() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(&dir.path().join("h.db"), &["a/one", "b/two"], 50);
    let text = history_exposition(&store).unwrap();
    let decode = samples(&text, "benchbar_decode_tokens_per_second");
    assert_eq!(decode.len(), 2, "{decode:?}");
    for line in decode {
        // Run 49 (the latest completed) of each model: 10 + 49 tok/s; the later failed run
        // and the earlier monitoring sample are not it.
        assert!((value(line) - 59.0).abs() < 1e-6, "{line}");
        assert!(line.contains("test=\"short.1\",batch_size=\"1\""), "{line}");
    }
    let ttft = samples(&text, "benchbar_time_to_first_token_seconds");
    assert!(
        ttft.iter().all(|l| (value(l) - 0.05).abs() < 1e-9),
        "{ttft:?}"
    );
    assert_eq!(
        samples(&text, "benchbar_runs_total"),
        [
            "benchbar_runs_total{status=\"completed\",origin=\"cli\"} 100",
            "benchbar_runs_total{status=\"completed\",origin=\"monitor\"} 1",
            "benchbar_runs_total{status=\"failed\",origin=\"cli\"} 1",
        ]
    );
    assert_eq!(
        samples(&text, "benchbar_last_sample_timestamp_seconds").len(),
        1
    );
    // Every family is declared once, before its samples.
    for name in ["benchbar_decode_tokens_per_second", "benchbar_runs_total"] {
        assert_eq!(text.matches(&format!("# TYPE {name} ")).count(), 1);
    }
}

#[test]
fn pruning_monitoring_samples_never_lowers_the_counters() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = history(&dir.path().join("h.db"), &["a/one"], 2);
    let before = store.run_counts().unwrap();
    let pruned = store
        .prune_monitor_runs(chrono::Utc::now() + Span::days(3650))
        .unwrap();
    assert_eq!(pruned, 1, "the monitoring sample is pruned");
    assert_eq!(store.run_counts().unwrap(), before);
}

/// Serves `db` on a free loopback port; returns the address and the stop flag.
fn serve(opts: ServeOptions) -> (SocketAddr, Arc<AtomicBool>) {
    let server = Server::bind(&opts).unwrap();
    let addr = server.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || server.run(&flag).unwrap());
    (addr, stop)
}

fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn the_server_serves_metrics_only_with_its_token_and_refuses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    drop(history(&db, &["a/one"], 3));
    let (addr, stop) = serve(ServeOptions {
        token: Some("s3cret".into()),
        request_timeout: Duration::from_millis(300),
        ..ServeOptions::new("127.0.0.1:0".parse().unwrap(), db.clone())
    });
    let get = |path: &str, extra: &str| {
        exchange(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n").as_bytes(),
        )
    };
    let ok = get("/metrics", "Authorization: Bearer s3cret\r\n");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("text/plain; version=0.0.4"));
    assert!(ok.contains("benchbar_decode_tokens_per_second{"));
    for (path, extra, status) in [
        ("/metrics", "", "401"),
        ("/metrics", "Authorization: Bearer wrong\r\n", "401"),
        ("/", "", "200"),
        ("/admin", "", "404"),
        ("/../h.db", "", "404"),
    ] {
        let r = get(path, extra);
        assert!(r.starts_with(&format!("HTTP/1.1 {status}")), "{path}: {r}");
    }
    let post = exchange(addr, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    let mut huge = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 64 * 1024));
    let r = exchange(addr, &huge);
    assert!(r.starts_with("HTTP/1.1 431"), "{r}");
    // A client that never finishes its request is cut off after the timeout.
    let r = exchange(addr, b"GET /metrics HTTP/1.1\r\n");
    assert!(r.starts_with("HTTP/1.1 408"), "{r}");
    // Nothing was written to the history.
    let before = std::fs::read(&db).unwrap();
    let _ = get("/metrics", "Authorization: Bearer s3cret\r\n");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    stop.store(true, Ordering::Relaxed);
}

#[test]
fn a_port_in_use_is_one_error_and_other_interfaces_get_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = Server::bind(&ServeOptions::new(taken.local_addr().unwrap(), db.clone()))
        .err()
        .unwrap()
        .to_string();
    assert!(err.starts_with("cannot listen on 127.0.0.1:"), "{err}");
    assert_eq!(err.lines().count(), 1);

    let loopback = Server::bind(&ServeOptions::new(
        "127.0.0.1:0".parse().unwrap(),
        db.clone(),
    ));
    assert!(loopback.unwrap().exposure_warning().is_none());
    let open = Server::bind(&ServeOptions::new("0.0.0.0:0".parse().unwrap(), db)).unwrap();
    let w = open.exposure_warning().unwrap();
    assert!(w.contains("reachable from other machines"), "{w}");
}
