//! Cancelling the HTTP engine while it waits: a server on 127.0.0.1 (written here, std
//! threads) that accepts a completion request and then never answers (no headers), or answers
//! one chunk and then goes silent. With a 60 s timeout, setting the cancel flag must end the
//! trial — and a whole run through `run_cells` — within one second, as `cancelled`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchbar_core::report::RunStatus;
use benchbar_core::spec::{Category, CellPlan, PromptSpec};
use benchbar_engine::runner::run_cells;
use benchbar_engine::{Engine, EngineError, OpenAiConfig, OpenAiEngine, TrialRequest};

/// How a hung completion request behaves.
#[derive(Clone, Copy)]
enum Hang {
    /// Reads the request, sends nothing (not even headers).
    BeforeHeaders,
    /// Sends SSE headers and one chunk, then nothing.
    AfterOneChunk,
}

/// A server whose `/models` and `/completions` (the engine's usage probe) answer normally and
/// whose `/chat/completions` hangs. Returns its base URL.
fn hung_server(hang: Hang) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || serve(conn, hang));
        }
    });
    base
}

fn serve(mut conn: TcpStream, hang: Hang) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let sse_head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
    if request_line.starts_with("GET") {
        let b = r#"{"object":"list","data":[{"id":"hung/Qwen3-4bit","object":"model"}]}"#;
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
            b.len()
        );
    } else if request_line.contains("/chat/completions") {
        if let Hang::AfterOneChunk = hang {
            let _ = conn.write_all(sse_head.as_bytes());
            let _ = conn.write_all(
                b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n",
            );
            let _ = conn.flush();
        }
        // Hold the connection open, answering nothing more.
        std::thread::sleep(Duration::from_secs(120));
    } else {
        let _ = conn.write_all(sse_head.as_bytes());
        let _ = conn.write_all(
            b"data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\n\
              data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n\
              data: [DONE]\n\n",
        );
    }
}

fn engine(base: &str) -> OpenAiEngine {
    let mut cfg = OpenAiConfig::new(base);
    cfg.timeout = Duration::from_secs(60);
    OpenAiEngine::connect(cfg).unwrap()
}

/// Sets `flag` after `after`; returns the instant it was set through the join handle.
fn cancel_later(flag: Arc<AtomicBool>, after: Duration) -> std::thread::JoinHandle<Instant> {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        flag.store(true, Ordering::Relaxed);
        Instant::now()
    })
}

fn request() -> TrialRequest {
    TrialRequest {
        prompt: PromptSpec::Text {
            text: "Hello".into(),
        },
        batch_size: 2,
        concurrency: None,
        max_tokens: 8,
        fixed_length: true,
        seed: 7,
        depth_tokens: None,
        prefix: None,
    }
}

fn assert_trial_cancelled_within_a_second(hang: Hang) {
    let mut e = engine(&hung_server(hang));
    let cancel = Arc::new(AtomicBool::new(false));
    let setter = cancel_later(cancel.clone(), Duration::from_millis(300));
    let result = e.run_trial_cancellable(&request(), &mut |_| ControlFlow::Continue(()), &cancel);
    let returned = Instant::now();
    let set_at = setter.join().unwrap();
    assert!(
        matches!(result, Err(EngineError::Cancelled)),
        "{:?}",
        result.map(|s| s.wall_ns)
    );
    let late = returned.saturating_duration_since(set_at);
    assert!(late < Duration::from_secs(1), "cancelled after {late:?}");
}

#[test]
fn cancel_ends_a_trial_waiting_for_response_headers() {
    assert_trial_cancelled_within_a_second(Hang::BeforeHeaders);
}

#[test]
fn cancel_ends_a_trial_in_a_stream_gap() {
    assert_trial_cancelled_within_a_second(Hang::AfterOneChunk);
}

#[test]
fn a_flag_already_set_sends_nothing() {
    let mut e = engine(&hung_server(Hang::BeforeHeaders));
    let started = Instant::now();
    let result = e.run_trial_cancellable(
        &request(),
        &mut |_| ControlFlow::Continue(()),
        &AtomicBool::new(true),
    );
    assert!(matches!(result, Err(EngineError::Cancelled)));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_run_against_a_hung_server_is_cancelled_within_a_second() {
    let mut e = engine(&hung_server(Hang::BeforeHeaders));
    let plan = vec![CellPlan {
        test: "short.1".into(),
        category: Category::Short,
        prompt: PromptSpec::Text {
            text: "Hello".into(),
        },
        batch_size: 1,
        gen_tokens: 8,
        reps: 3,
        adaptive: None,
        warmup: 1,
        load: None,
        depth_tokens: None,
        prefix: None,
    }];
    let cancel = Arc::new(AtomicBool::new(false));
    let setter = cancel_later(cancel.clone(), Duration::from_millis(300));
    let out = run_cells(&mut e, &plan, &cancel, None, &mut |_| {});
    let returned = Instant::now();
    let late = returned.saturating_duration_since(setter.join().unwrap());
    assert_eq!(out.status, RunStatus::Cancelled, "{:?}", out.warnings);
    assert!(out.cells.is_empty(), "the interrupted cell is dropped");
    assert!(late < Duration::from_secs(1), "cancelled after {late:?}");
}
