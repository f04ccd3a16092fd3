//! What one scrape of `/metrics` costs at a given history size: builds a history of N runs
//! (default 10,000; 20 configurations, 3 cells of 5 trials each) in a temporary folder and times
//! `history_exposition` made afresh and scrapes through the exporter's HTTP server (median of
//! 21 each). The figures are in docs/performance.md.
//!
//! `cargo run -p benchbar-service --example scrape_cost [--release] -- [N]`

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_service::metrics::history_exposition;
use benchbar_service::metrics::server::{ServeOptions, Server};
use benchbar_store::Store;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N: a number of runs"))
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut store = Store::open(&dir.path().join("h.db")).expect("a new history");
    let t = Instant::now();
    let runs: Vec<_> = (0..n)
        .map(|i| {
            let mut meta = synthetic_meta(None, &format!("org/model-{}", i % 20), "v");
            meta.started_at += chrono::Duration::seconds(i as i64);
            let tps = [50.0, 51.0, 49.0, 50.5, 50.2];
            let ttft = [80.0, 81.0, 79.0, 80.5, 80.2];
            let cells = (0..3)
                .map(|_| synthetic_cell(&tps, &ttft, 5 << 30))
                .collect();
            (meta, cells, vec![])
        })
        .collect();
    for chunk in runs.chunks(1000) {
        store.save_runs(chunk).expect("stored");
    }
    eprintln!(
        "history of {n} runs built in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut times_ms: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let text = history_exposition(&store).expect("an exposition");
            assert!(text.contains("benchbar_runs_total"));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times_ms.sort_by(f64::total_cmp);
    println!(
        "exposition of {n} stored runs, made afresh: median {:.2} ms (min {:.2}, max {:.2}; 21 times)",
        times_ms[10], times_ms[0], times_ms[20]
    );

    // Through the exporter's HTTP server, as Prometheus scrapes: the first scrape makes the
    // exposition, later ones (no run stored meanwhile) answer from its cache.
    let db = dir.path().join("h.db");
    let server = Server::bind(&ServeOptions::new("127.0.0.1:0".parse().unwrap(), db)).unwrap();
    let addr = server.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || server.run(&flag));
    let mut times_ms: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let mut s = TcpStream::connect(addr).expect("connected");
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut body = String::new();
            s.read_to_string(&mut body).unwrap();
            assert!(body.starts_with("HTTP/1.1 200"));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let first = times_ms[0];
    times_ms.sort_by(f64::total_cmp);
    println!(
        "HTTP scrape of {n} stored runs: first {first:.2} ms, then median {:.2} ms (21 scrapes)",
        times_ms[10]
    );
    stop.store(true, Ordering::Relaxed);
}
