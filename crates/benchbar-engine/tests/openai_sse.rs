//! `OpenAiEngine` against recorded and hand-written SSE streams served by a local mock HTTP
//! server (std threads, 127.0.0.1, a free port): keepalive comments, `[DONE]`, the usage chunk
//! with `choices: []`, multi-token chunks, `finish_reason`, and every bad input the issue lists
//! giving one clear error naming the URL and the status.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use benchbar_core::spec::PromptSpec;
use benchbar_engine::openai::sse::{parse_chunk, Chunk, SseEvent, SseParser};
use benchbar_engine::{Engine, EngineError, OpenAiConfig, OpenAiEngine, TrialRequest};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sse")
            .join(name),
    )
    .unwrap()
}

fn tokenizer_path() -> PathBuf {
    std::env::var_os("BENCHBAR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.fixtures"))
        .join("tiny-f32/tokenizer.json")
}

/// What the mock answers to a POST.
#[derive(Clone)]
enum Reply {
    /// Status line, content type, body.
    Full(&'static str, &'static str, Vec<u8>),
    /// 200 SSE headers, then the body split at blank lines with a pause between events.
    Paced(Vec<u8>, Duration),
    /// 200 SSE headers, one event, then silence for this long.
    Stall(Duration),
}

struct Mock {
    base: String,
    bodies: Arc<Mutex<Vec<String>>>,
}

fn mock(reply: Reply) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let (reply, seen) = (reply.clone(), seen.clone());
            std::thread::spawn(move || serve(conn, reply, seen));
        }
    });
    Mock { base, bodies }
}

fn serve(mut conn: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<String>>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    if request_line.starts_with("GET") {
        let b = r#"{"object":"list","data":[{"id":"mock/Qwen3-4bit","object":"model","owned_by":"mock"}]}"#;
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nServer: mock/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
            b.len()
        );
        return;
    }
    seen.lock()
        .unwrap()
        .push(String::from_utf8_lossy(&body).into_owned());
    let sse_head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
    match reply {
        Reply::Full(status, ctype, b) => {
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            );
            let _ = conn.write_all(&b);
        }
        Reply::Paced(b, pause) => {
            let _ = conn.write_all(sse_head.as_bytes());
            // One write per event (events end with a blank line, LF or CRLF).
            let mut start = 0;
            for i in 0..b.len() {
                let end = if b[i..].starts_with(b"\n\n") {
                    i + 2
                } else if b[i..].starts_with(b"\r\n\r\n") {
                    i + 4
                } else {
                    continue;
                };
                if end > start {
                    let _ = conn.write_all(&b[start..end]);
                    let _ = conn.flush();
                    std::thread::sleep(pause);
                    start = end;
                }
            }
            let _ = conn.write_all(&b[start..]);
        }
        Reply::Stall(d) => {
            let _ = conn.write_all(sse_head.as_bytes());
            let _ = conn.write_all(
                b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n",
            );
            let _ = conn.flush();
            std::thread::sleep(d);
        }
    }
}

fn sse(name: &str) -> Reply {
    Reply::Paced(fixture(name), Duration::from_millis(2))
}

fn engine(base: &str, tokenizer: bool) -> Result<OpenAiEngine, EngineError> {
    let mut cfg = OpenAiConfig::new(base);
    cfg.timeout = Duration::from_secs(2);
    if tokenizer {
        cfg.tokenizer = Some(tokenizer_path());
    }
    OpenAiEngine::connect(cfg)
}

fn request(max_tokens: u32, batch: u32) -> TrialRequest {
    TrialRequest {
        prompt: PromptSpec::Text {
            text: "Hello".into(),
        },
        batch_size: batch,
        concurrency: None,
        max_tokens,
        fixed_length: true,
        seed: 42,
        depth_tokens: None,
        prefix: None,
    }
}

fn trial(
    e: &mut OpenAiEngine,
    req: &TrialRequest,
) -> Result<benchbar_core::sample::TrialSample, EngineError> {
    e.run_trial(req, &mut |_| ControlFlow::Continue(()))
}

#[test]
fn parser_handles_the_recorded_mlx_lm_streams() {
    for name in ["mlx_lm_chat.sse", "mlx_lm_completions.sse"] {
        let bytes = fixture(name);
        // Every split point gives the same events.
        let whole = SseParser::new().feed(&bytes);
        for cut in [1, 7, 100, bytes.len() / 2] {
            let mut p = SseParser::new();
            let mut ev = p.feed(&bytes[..cut]);
            ev.extend(p.feed(&bytes[cut..]));
            assert_eq!(ev, whole, "{name} split at {cut}");
        }
        assert!(
            whole
                .iter()
                .any(|e| matches!(e, SseEvent::Comment(c) if c.contains("keepalive")))
                || name.contains("completions")
        );
        let chunks: Vec<Chunk> = whole
            .iter()
            .filter_map(|e| match e {
                SseEvent::Data(d) => Some(parse_chunk(d).unwrap()),
                SseEvent::Comment(_) => None,
            })
            .collect();
        assert_eq!(chunks.last(), Some(&Chunk::Done));
        let usage = chunks
            .iter()
            .find_map(|c| match c {
                Chunk::Completion { usage: Some(u), .. } => Some(*u),
                _ => None,
            })
            .unwrap();
        let text_chunks = chunks
            .iter()
            .filter(|c| matches!(c, Chunk::Completion { text, .. } if !text.is_empty()))
            .count();
        // mlx_lm.server: one token per chunk here.
        assert_eq!(usage.completion_tokens, 12);
        assert_eq!(text_chunks, 12);
        assert!(chunks.iter().any(
            |c| matches!(c, Chunk::Completion { finish_reason: Some(f), .. } if f == "length")
        ));
    }
}

#[test]
fn recorded_mlx_lm_stream_gives_one_timestamp_per_token() {
    let m = mock(sse("mlx_lm_chat.sse"));
    let mut e = engine(&m.base, false).unwrap();
    let s = trial(&mut e, &request(12, 1)).unwrap();
    assert!(s.ok());
    let r = &s.requests[0];
    assert_eq!(r.prompt_tokens, 24, "prompt tokens from usage");
    assert_eq!(r.token_offsets_ns.len(), 12, "completion tokens from usage");
    // One chunk per token, paced 2 ms apart by the mock. On a loaded machine the client can
    // read two events in one read (same arrival time), so only order and span are asserted.
    assert!(
        r.token_offsets_ns.windows(2).all(|w| w[0] <= w[1]),
        "ordered"
    );
    let span_ns = r.token_offsets_ns[11] - r.token_offsets_ns[0];
    assert!(
        span_ns >= 11 * 2_000_000 / 2,
        "paced chunks, span {span_ns} ns"
    );
    assert!(e.notes()[0].contains("TTFT is client-side"));
    assert_eq!(e.info().name, "openai");
    assert!(
        e.info().version.contains("mock/1.0"),
        "{}",
        e.info().version
    );
    assert_eq!(e.model().id, "mock/Qwen3-4bit");
    assert_eq!(e.model().quantization.as_deref(), Some("4bit"));
    // The request asked for a fixed-length stream with usage, and busted the prompt cache.
    let bodies = m.bodies.lock().unwrap();
    let body: serde_json::Value = serde_json::from_str(bodies.last().unwrap()).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["max_tokens"], 12);
    assert_eq!(body["ignore_eos"], true);
    assert_eq!(body["min_tokens"], 12);
    assert_eq!(body["logit_bias"]["151645"], -100);
    let content = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        content.ends_with("Hello") && content.starts_with('['),
        "{content}"
    );
}

#[test]
fn multi_token_chunks_use_tokenizer_counts() {
    if !tokenizer_path().exists() {
        eprintln!(
            "skipped: no fixtures at {} (run scripts/fixtures.sh)",
            tokenizer_path().display()
        );
        return;
    }
    let m = mock(sse("multi_token_chunks.sse"));
    let mut e = engine(&m.base, true).unwrap();
    let s = trial(&mut e, &request(4, 1)).unwrap();
    let r = &s.requests[0];
    assert_eq!(r.prompt_tokens, 9);
    // "Hello" | " big world" (2 tokens) | "!" = 4 tokens = usage.completion_tokens.
    let t = &r.token_offsets_ns;
    assert_eq!(t.len(), 4);
    assert!(t[0] < t[1] && t[1] == t[2] && t[2] < t[3], "{t:?}");
    assert_eq!(e.notes().len(), 1, "exact: no approximation note");
}

#[test]
fn multi_token_chunks_without_tokenizer_keep_usage_totals_and_say_so() {
    let m = mock(sse("multi_token_chunks.sse"));
    let mut e = engine(&m.base, false).unwrap();
    let s = trial(&mut e, &request(4, 1)).unwrap();
    let t = &s.requests[0].token_offsets_ns;
    assert_eq!(t.len(), 4, "count from usage, not chunks");
    assert_eq!(
        t[2], t[3],
        "the unattributed token carries the last chunk's time"
    );
    assert!(
        e.notes()
            .iter()
            .any(|n| n.contains("1 token(s) could not be matched")),
        "{:?}",
        e.notes()
    );
}

#[test]
fn early_stop_is_recorded_as_short_by_length() {
    let m = mock(sse("early_stop.sse"));
    let mut e = engine(&m.base, false).unwrap();
    let s = trial(&mut e, &request(16, 1)).unwrap();
    assert_eq!(s.requests[0].generated_tokens(), 2);
    assert!(s.requests[0].is_short());
}

#[test]
fn concurrent_batch_gives_one_sample_per_request() {
    let m = mock(sse("mlx_lm_completions.sse"));
    let mut e = engine(&m.base, false).unwrap();
    let s = trial(&mut e, &request(12, 4)).unwrap();
    assert_eq!(s.requests.len(), 4);
    assert!(s.requests.iter().all(|r| r.token_offsets_ns.len() == 12));
    assert!(s.wall_ns > 0);
    // Each request of the batch got its own nonce.
    let bodies = m.bodies.lock().unwrap();
    let mut contents: Vec<String> = bodies
        .iter()
        .rev()
        .take(4)
        .map(|b| {
            serde_json::from_str::<serde_json::Value>(b).unwrap()["messages"][0]["content"]
                .to_string()
        })
        .collect();
    contents.sort();
    contents.dedup();
    assert_eq!(contents.len(), 4);
}

#[test]
fn poisson_rate_spaces_the_requests() {
    let m = mock(sse("mlx_lm_completions.sse"));
    let mut cfg = OpenAiConfig::new(&m.base);
    cfg.rate_rps = Some(50.0);
    let mut e = OpenAiEngine::connect(cfg).unwrap();
    let s = trial(&mut e, &request(12, 3)).unwrap();
    assert_eq!(s.requests.len(), 3);
}

fn assert_trial_error(reply: Reply, needles: &[&str]) {
    let m = mock(reply);
    let mut e = engine(&m.base, false).unwrap();
    let err = trial(&mut e, &request(8, 1)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, EngineError::Request(_)), "{msg}");
    assert!(
        msg.contains(&format!("{}/chat/completions", m.base)),
        "names the URL: {msg}"
    );
    for n in needles {
        assert!(msg.contains(n), "{n:?} in {msg}");
    }
    assert_eq!(msg.lines().count(), 1, "one line: {msg}");
}

#[test]
fn http_errors_name_url_status_and_body() {
    assert_trial_error(
        Reply::Full(
            "500 Internal Server Error",
            "application/json",
            br#"{"error":{"message":"out of memory"}}"#.to_vec(),
        ),
        &["HTTP 500", "out of memory"],
    );
    assert_trial_error(
        Reply::Full(
            "404 Not Found",
            "application/json",
            br#"{"error": "model not loaded"}"#.to_vec(),
        ),
        &["HTTP 404", "model not loaded"],
    );
    assert_trial_error(
        Reply::Full(
            "502 Bad Gateway",
            "text/html",
            b"<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>".to_vec(),
        ),
        &["HTTP 502", "Bad Gateway nginx"],
    );
}

#[test]
fn broken_streams_are_clear_errors() {
    assert_trial_error(sse("no_done.sse"), &["HTTP 200", "without [DONE]"]);
    assert_trial_error(
        sse("malformed_json.sse"),
        &["HTTP 200", "chunk 2", "malformed JSON"],
    );
    assert_trial_error(Reply::Stall(Duration::from_secs(5)), &["stalled", "2 s"]);
    assert_trial_error(
        Reply::Full(
            "200 OK",
            "text/html",
            b"<html>hello, I am a blog</html>".to_vec(),
        ),
        &["HTTP 200", "not an SSE stream", "text/html"],
    );
    // An HTML page labelled as an event stream is no stream either.
    assert_trial_error(
        Reply::Full(
            "200 OK",
            "text/event-stream",
            b"<!DOCTYPE html>\n<html><body>Welcome to my blog</body></html>".to_vec(),
        ),
        &["HTTP 200", "not an SSE stream", "Welcome to my blog"],
    );
    // So is a plain-text body without a single event.
    assert_trial_error(
        Reply::Full("200 OK", "text/event-stream", b"hello\nworld\n".to_vec()),
        &["HTTP 200", "not an SSE stream", "hello world"],
    );
}

#[test]
fn no_usage_and_no_tokenizer_refuses_the_run() {
    let m = mock(sse("no_usage.sse"));
    let err = engine(&m.base, false).unwrap_err();
    assert!(matches!(err, EngineError::Config(_)));
    let msg = err.to_string();
    assert!(
        msg.contains("does not report token usage") && msg.contains("--tokenizer"),
        "{msg}"
    );
}

#[test]
fn no_usage_with_tokenizer_counts_with_the_tokenizer() {
    if !tokenizer_path().exists() {
        return;
    }
    let m = mock(sse("no_usage.sse"));
    let mut e = engine(&m.base, true).unwrap();
    let s = trial(&mut e, &request(2, 1)).unwrap();
    assert_eq!(s.requests[0].token_offsets_ns.len(), 2);
    assert!(s.requests[0].prompt_tokens > 0);
}

#[test]
fn synthetic_prompts_need_a_tokenizer_and_are_exact_with_one() {
    let m = mock(sse("mlx_lm_completions.sse"));
    let mut e = engine(&m.base, false).unwrap();
    let mut req = request(12, 1);
    req.prompt = PromptSpec::Synthetic { tokens: 64 };
    let err = trial(&mut e, &req).unwrap_err().to_string();
    assert!(err.contains("--tokenizer"), "{err}");
    if !tokenizer_path().exists() {
        return;
    }
    let mut e = engine(&m.base, true).unwrap();
    trial(&mut e, &req).unwrap();
    let bodies = m.bodies.lock().unwrap();
    let body: serde_json::Value = serde_json::from_str(bodies.last().unwrap()).unwrap();
    let prompt = body["prompt"]
        .as_str()
        .expect("synthetic prompts use /completions");
    let tok = tokenizers::Tokenizer::from_file(tokenizer_path()).unwrap();
    assert_eq!(tok.encode(prompt, false).unwrap().get_ids().len(), 64);
}

/// A server that is not there is refused when the engine is opened (before any run exists),
/// with one line naming the URL and the cause.
fn assert_unreachable(base: &str, cause: &str) {
    let err = engine(base, false).unwrap_err();
    assert!(matches!(err, EngineError::Config(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("cannot reach the server at {base}")),
        "{msg}"
    );
    assert!(msg.to_lowercase().contains(cause), "{cause:?} in {msg}");
    assert_eq!(msg.lines().count(), 1, "one line: {msg}");
}

#[test]
fn connection_refused_is_refused_when_opening_naming_the_url() {
    // Bind then drop to get a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_unreachable(&format!("http://127.0.0.1:{port}/v1"), "refused");
}

#[test]
fn dns_failure_and_bad_urls() {
    assert_unreachable("http://no-such-host.invalid/v1", "dns");
    assert!(matches!(
        engine("ftp://x/v1", false),
        Err(EngineError::Config(_))
    ));
    assert!(matches!(
        engine("not a url", false),
        Err(EngineError::Config(_))
    ));
}

#[test]
fn tls_error_is_reported() {
    // A plain-HTTP mock spoken to over https: the TLS handshake fails.
    let m = mock(sse("mlx_lm_chat.sse"));
    let base = m.base.replace("http://", "https://");
    let msg = engine(&base, false).unwrap_err().to_string();
    assert!(msg.contains(&base), "{msg}");
}

#[test]
fn a_non_openai_endpoint_is_refused_naming_the_url() {
    // A web server that answers every request with an HTML page.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let body = "<html><body>Welcome to my blog</body></html>";
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let err = engine(&base, false).unwrap_err();
    assert!(matches!(err, EngineError::Config(_)));
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{base}/models"))
            && msg.contains("not an OpenAI-compatible endpoint"),
        "{msg}"
    );
}

#[test]
fn generate_text_returns_each_streams_text_and_embeddings_are_unsupported() {
    let m = mock(sse("mlx_lm_chat.sse"));
    let mut e = engine(&m.base, false).unwrap();
    let req = benchbar_engine::TextRequest {
        prompts: vec!["first doc".into(), "second doc".into()],
        max_tokens: 12,
        seed: 1,
    };
    let b = e
        .generate_text(&req, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    // The recorded stream's content chunks, concatenated, for each of the two requests.
    let expected = format!("厚厚的{}", "万家".repeat(11));
    assert_eq!(b.texts, vec![expected.clone(), expected]);
    assert_eq!(b.sample.requests.len(), 2);
    assert!(b.sample.requests.iter().all(|r| r.generated_tokens() == 12));
    assert_eq!(e.max_text_batch(), 8);
    // Distinct prompts, sent as they are (no nonce), without fixed-length options.
    let bodies = m.bodies.lock().unwrap();
    let mut sent: Vec<String> = bodies
        .iter()
        .filter_map(|b| {
            let v: serde_json::Value = serde_json::from_str(b).unwrap();
            let content = v["messages"][0]["content"].as_str()?.to_string();
            assert!(v.get("ignore_eos").is_none(), "{b}");
            Some(content)
        })
        .collect();
    sent.sort();
    assert_eq!(sent, ["first doc", "second doc"]);
    let err = e.embed(&["x".into()]).unwrap_err();
    assert!(matches!(err, EngineError::Unsupported(_)));
    assert!(err.to_string().contains("computes no embeddings"), "{err}");
}
