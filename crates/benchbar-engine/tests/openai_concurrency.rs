//! `OpenAiEngine` at a concurrency level (`TrialRequest::concurrency`) against a local mock
//! server that counts the requests it is serving at once: never more than the level, the level
//! reached, every request with a prompt of its own, and a cancel while requests wait for a
//! free slot ends the trial at once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benchbar_core::load::max_in_flight;
use benchbar_core::spec::PromptSpec;
use benchbar_engine::{Engine, EngineError, OpenAiConfig, OpenAiEngine, TrialRequest};

/// The mock's counters: requests being served now, the most at once, the bodies received.
#[derive(Default)]
struct Seen {
    now: AtomicUsize,
    most: AtomicUsize,
    bodies: Mutex<Vec<String>>,
}

/// Serves `GET /models` and answers every POST with the recorded mlx_lm stream, one event per
/// `pause` (or, with `stall`, a chat request gets one event and then silence).
fn mock(pause: Duration, stall: bool) -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    let sse = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sse/mlx_lm_chat.sse"),
    )
    .unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let (s, sse) = (s.clone(), sse.clone());
            std::thread::spawn(move || serve(conn, &s, &sse, pause, stall));
        }
    });
    (base, seen)
}

fn serve(mut conn: TcpStream, seen: &Seen, sse: &[u8], pause: Duration, stall: bool) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    if line.starts_with("GET") {
        let b = r#"{"object":"list","data":[{"id":"mock/Qwen3-4bit","object":"model"}]}"#;
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
            b.len()
        );
        return;
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    // The engine's usage probe (`/completions`) is answered, never stalled nor counted.
    let probe = !body.contains("\"messages\"");
    let stall = stall && !probe;
    let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
    seen.most.fetch_max(now, Ordering::SeqCst);
    if !probe {
        seen.bodies.lock().unwrap().push(body);
    }
    let _ = conn.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
    );
    let text = String::from_utf8_lossy(sse).into_owned();
    let events: Vec<&str> = text.split_inclusive("\n\n").collect();
    for (i, event) in events.iter().enumerate() {
        if i + 1 == events.len() {
            // Done serving before the last event, which frees the client's slot.
            seen.now.fetch_sub(1, Ordering::SeqCst);
        }
        let _ = conn.write_all(event.as_bytes());
        let _ = conn.flush();
        if stall {
            std::thread::sleep(Duration::from_secs(30));
        }
        std::thread::sleep(pause);
    }
}

fn engine(base: &str) -> OpenAiEngine {
    let mut cfg = OpenAiConfig::new(base);
    cfg.timeout = Duration::from_secs(20);
    OpenAiEngine::connect(cfg).unwrap()
}

fn request(requests: u32, concurrency: Option<u32>) -> TrialRequest {
    TrialRequest {
        prompt: PromptSpec::Text {
            text: "Hello".into(),
        },
        batch_size: requests,
        concurrency,
        max_tokens: 12,
        fixed_length: true,
        seed: 9,
        depth_tokens: None,
        prefix: None,
    }
}

#[test]
fn a_level_keeps_at_most_that_many_requests_in_flight_each_with_its_own_prompt() {
    let (base, seen) = mock(Duration::from_millis(4), false);
    let mut e = engine(&base);
    assert!(e.supports_concurrency());
    let s = e
        .run_trial(&request(12, Some(3)), &mut |_| ControlFlow::Continue(()))
        .unwrap();
    assert_eq!(s.requests.len(), 12);
    assert!(s.requests.iter().all(|r| r.token_offsets_ns.len() == 12));
    // The server never served more than 3 at once, and was kept at 3.
    assert_eq!(seen.most.load(Ordering::SeqCst), 3);
    // The samples say the same: in flight from the send time (taken when a slot freed) to
    // the last token.
    let client = max_in_flight(&s.requests);
    assert!((2..=3).contains(&client), "{client}");
    // Later requests were sent later (a closed loop, not all at once).
    let latest_send = s.requests.iter().map(|r| r.start_offset_ns).max().unwrap();
    assert!(latest_send > 0);
    // Every request carried a prompt of its own.
    let bodies = seen.bodies.lock().unwrap();
    let mut contents: Vec<String> = bodies
        .iter()
        .map(|b| {
            let v: serde_json::Value = serde_json::from_str(b).unwrap();
            v["messages"][0]["content"].as_str().unwrap().to_string()
        })
        .collect();
    contents.sort();
    contents.dedup();
    assert_eq!(contents.len(), 12, "distinct prompts: {contents:?}");
    drop(bodies);

    // Without a level every request is sent at once.
    let (base, seen) = mock(Duration::from_millis(4), false);
    let mut e = engine(&base);
    e.run_trial(&request(12, None), &mut |_| ControlFlow::Continue(()))
        .unwrap();
    assert!(seen.most.load(Ordering::SeqCst) > 3);
}

#[test]
fn cancel_while_requests_wait_for_a_slot_ends_the_trial_at_once() {
    let (base, _seen) = mock(Duration::ZERO, true);
    let mut e = engine(&base);
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        flag.store(true, Ordering::SeqCst);
    });
    let start = Instant::now();
    let r = e.run_trial_cancellable(
        &request(6, Some(1)),
        &mut |_| ControlFlow::Continue(()),
        &cancel,
    );
    assert!(matches!(r, Err(EngineError::Cancelled)), "{r:?}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}
