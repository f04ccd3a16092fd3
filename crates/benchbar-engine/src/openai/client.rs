//! One streaming completion request over HTTP: status, content type, SSE chunks with a
//! client-side timestamp each, a stall timeout between reads, and errors that name the URL and
//! the HTTP status.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::sse::{parse_chunk, Chunk, SseEvent, SseParser, Usage};

/// A chunk that carried generated text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextChunk {
    /// Nanoseconds from sending the request to receiving the bytes that completed the chunk.
    pub at_ns: u64,
    /// The chunk's text.
    pub text: String,
}

/// A completed stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamRecord {
    /// Chunks with text, in order.
    pub chunks: Vec<TextChunk>,
    /// Nanoseconds from sending to the chunk that carried `finish_reason` (or `[DONE]`).
    pub end_ns: u64,
    /// The server's usage, when it sent one.
    pub usage: Option<Usage>,
    /// The last `finish_reason` seen.
    pub finish_reason: Option<String>,
    /// Keepalive/comment lines seen.
    pub comments: u32,
    /// Nanoseconds from the trial start to sending this request.
    pub sent_ns: u64,
}

/// Live progress of a stream: (row, cumulative text chunks, ns since the trial start).
pub type Progress = (u32, u32, u64);

/// Everything one request needs.
#[derive(Clone, Debug)]
pub struct StreamRequest {
    /// Full endpoint URL.
    pub url: String,
    /// JSON body.
    pub body: String,
    /// Bearer token (from the environment; never stored).
    pub api_key: Option<String>,
    /// Longest wait for the response headers or for the next bytes.
    pub stall_timeout: Duration,
    /// Batch row.
    pub row: u32,
    /// Wait this long after the trial start before sending (request-rate mode).
    pub delay: Duration,
    /// Concurrency level: a permit of this semaphore is taken before sending and held until
    /// the stream ends, so at most its permits are in flight (the send time is taken after).
    pub gate: Option<std::sync::Arc<tokio::sync::Semaphore>>,
}

/// Sends the request and reads its SSE stream to `[DONE]`.
pub async fn stream_completion(
    client: &reqwest::Client,
    req: StreamRequest,
    trial_start: Instant,
    progress: UnboundedSender<Progress>,
) -> Result<StreamRecord, String> {
    let url = &req.url;
    if !req.delay.is_zero() {
        tokio::time::sleep_until((trial_start + req.delay).into()).await;
    }
    let _permit = match &req.gate {
        Some(gate) => Some(
            gate.clone()
                .acquire_owned()
                .await
                .map_err(|e| format!("POST {url}: {e}"))?,
        ),
        None => None,
    };
    let sent = Instant::now();
    let mut rb = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .body(req.body.clone());
    if let Some(key) = &req.api_key {
        rb = rb.bearer_auth(key);
    }
    let secs = req.stall_timeout.as_secs_f64();
    let mut resp = match tokio::time::timeout(req.stall_timeout, rb.send()).await {
        Err(_) => return Err(format!("POST {url}: no response within {secs} s (timeout)")),
        Ok(Err(e)) => return Err(format!("POST {url}: {}", describe(&e))),
        Ok(Ok(r)) => r,
    };
    let status = resp.status();
    if !status.is_success() {
        let body = tokio::time::timeout(req.stall_timeout, resp.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        return Err(format!(
            "POST {url}: HTTP {status}: {}",
            body_summary(&body)
        ));
    }
    let ctype = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if !ctype.starts_with("text/event-stream") {
        let body = tokio::time::timeout(req.stall_timeout, resp.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        return Err(format!(
            "POST {url}: HTTP {status} but not an SSE stream (content-type '{ctype}'; is this an OpenAI-compatible endpoint?): {}",
            body_summary(&body)
        ));
    }
    let mut parser = SseParser::new();
    let mut rec = StreamRecord {
        sent_ns: sent.saturating_duration_since(trial_start).as_nanos() as u64,
        ..StreamRecord::default()
    };
    let mut n_chunks = 0u32;
    // The first bytes, kept until the first event to say what a non-SSE body was.
    let mut head: Vec<u8> = Vec::new();
    let mut events = 0u32;
    loop {
        let bytes = match tokio::time::timeout(req.stall_timeout, resp.chunk()).await {
            Err(_) => {
                return Err(format!(
                    "POST {url}: HTTP {status}: stream stalled (no data for {secs} s) after {n_chunks} chunk(s)"
                ))
            }
            Ok(Err(e)) => {
                return Err(format!(
                    "POST {url}: HTTP {status}: stream broken after {n_chunks} chunk(s): {}",
                    describe(&e)
                ))
            }
            Ok(Ok(None)) if events == 0 => return Err(not_sse(url, status, &ctype, &head)),
            Ok(Ok(None)) => {
                return Err(format!(
                    "POST {url}: HTTP {status}: stream ended without [DONE] after {n_chunks} chunk(s)"
                ))
            }
            Ok(Ok(Some(b))) => b,
        };
        if events == 0 {
            let room = HEAD_BYTES.saturating_sub(head.len());
            head.extend_from_slice(&bytes[..bytes.len().min(room)]);
            // SSE lines start with a field name or ':'; markup means a web page.
            if head.trim_ascii_start().first() == Some(&b'<') {
                return Err(not_sse(url, status, &ctype, &head));
            }
        }
        let now = Instant::now();
        let at_ns = now.saturating_duration_since(sent).as_nanos() as u64;
        for ev in parser.feed(&bytes) {
            events += 1;
            let data = match ev {
                SseEvent::Comment(_) => {
                    rec.comments += 1;
                    continue;
                }
                SseEvent::Data(d) => d,
            };
            match parse_chunk(&data) {
                Err(e) => {
                    return Err(format!(
                        "POST {url}: HTTP {status}: chunk {}: {e}",
                        n_chunks + 1
                    ))
                }
                Ok(Chunk::Done) => {
                    if rec.end_ns == 0 {
                        rec.end_ns = at_ns;
                    }
                    return Ok(rec);
                }
                Ok(Chunk::Completion {
                    text,
                    finish_reason,
                    usage,
                }) => {
                    n_chunks += 1;
                    if !text.is_empty() {
                        rec.chunks.push(TextChunk { at_ns, text });
                        let since_trial = now.saturating_duration_since(trial_start);
                        let _ = progress.send((
                            req.row,
                            rec.chunks.len() as u32,
                            since_trial.as_nanos() as u64,
                        ));
                    }
                    if finish_reason.is_some() {
                        rec.finish_reason = finish_reason;
                        rec.end_ns = at_ns;
                    }
                    if usage.is_some() {
                        rec.usage = usage;
                    }
                }
            }
        }
    }
}

/// Bytes of a body kept to describe a response that is not an SSE stream.
const HEAD_BYTES: usize = 4096;

/// The error for a 200 response whose body is not server-sent events (e.g. an HTML page
/// served as `text/event-stream`).
fn not_sse(url: &str, status: reqwest::StatusCode, ctype: &str, head: &[u8]) -> String {
    format!(
        "POST {url}: HTTP {status} but not an SSE stream (content-type '{ctype}', no `data:` event; is this an OpenAI-compatible endpoint?): {}",
        body_summary(&String::from_utf8_lossy(head))
    )
}

/// Why a GET failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetError {
    /// True when no connection could be made (refused, DNS failure, TLS handshake): the
    /// server is not there, as opposed to answering badly or slowly.
    pub unreachable: bool,
    /// The cause alone, e.g. "cannot connect: ... Connection refused (os error 111)".
    pub cause: String,
    /// One line naming the URL and the cause.
    pub message: String,
}

/// GETs `url` (for `/models`): the `Server` header and the body of a successful response.
pub async fn get_text(
    client: &reqwest::Client,
    url: &str,
    api_key: Option<&str>,
    timeout: Duration,
) -> Result<(Option<String>, String), GetError> {
    let failed = |cause: String| GetError {
        unreachable: false,
        message: format!("GET {url}: {cause}"),
        cause,
    };
    let mut rb = client.get(url);
    if let Some(key) = api_key {
        rb = rb.bearer_auth(key);
    }
    let resp = match tokio::time::timeout(timeout, rb.send()).await {
        Err(_) => return Err(failed(format!("no response within {timeout:?}"))),
        Ok(Err(e)) => {
            let cause = describe(&e);
            return Err(GetError {
                unreachable: e.is_connect(),
                message: format!("GET {url}: {cause}"),
                cause,
            });
        }
        Ok(Ok(r)) => r,
    };
    let status = resp.status();
    let server = resp
        .headers()
        .get(reqwest::header::SERVER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = tokio::time::timeout(timeout, resp.text())
        .await
        .map_err(|_| {
            failed(format!(
                "HTTP {status}: body not received within {timeout:?}"
            ))
        })?
        .map_err(|e| failed(format!("HTTP {status}: {}", describe(&e))))?;
    if !status.is_success() {
        return Err(failed(format!("HTTP {status}: {}", body_summary(&body))));
    }
    Ok((server, body))
}

/// A transport error with its cause chain (connection refused, DNS, TLS ...).
pub fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else if e.is_request() {
        "request failed"
    } else {
        "HTTP error"
    };
    let mut parts: Vec<String> = Vec::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        let m = s.to_string();
        if !parts.iter().any(|p| p.contains(&m)) {
            parts.push(m);
        }
        src = s.source();
    }
    if parts.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {}", parts.join(": "))
    }
}

/// One line from an error body: the JSON error message, or the text of an HTML/plain body,
/// at most 200 characters.
pub fn body_summary(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".into();
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
        let msg = v
            .get("error")
            .map(|e| {
                e.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
                    .or_else(|| e.as_str().map(str::to_string))
                    .unwrap_or_else(|| e.to_string())
            })
            .or_else(|| v.get("detail").map(|d| d.to_string()))
            .or_else(|| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            });
        if let Some(m) = msg {
            return clip(&m);
        }
    }
    // HTML or plain text: drop tags, collapse whitespace.
    let mut text = String::with_capacity(trimmed.len());
    let mut in_tag = false;
    for c in trimmed.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    clip(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn clip(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_summaries() {
        assert_eq!(
            body_summary(r#"{"error":{"message":"model not found","type":"x"}}"#),
            "model not found"
        );
        assert_eq!(
            body_summary("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"),
            "502 Bad Gateway 502 Bad Gateway"
        );
        assert_eq!(body_summary(""), "(empty body)");
        assert!(body_summary(&"x".repeat(500)).chars().count() <= 201);
    }
}
