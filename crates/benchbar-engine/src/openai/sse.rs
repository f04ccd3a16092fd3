//! Server-sent events as OpenAI-compatible servers stream them, and the chunk JSON inside.
//!
//! The parser is incremental (bytes in, events out) and never panics on any input: lines end
//! with `\n` or `\r\n`; a line starting with `:` is a comment (mlx_lm.server sends
//! `: keepalive N/M` while prefilling); `data:` lines (one optional space after the colon) are
//! joined with `\n` and dispatched at a blank line; other fields (`event:`, `id:`, `retry:`)
//! are ignored. A chunk is one dispatched `data` payload.

use serde_json::Value;

/// One dispatched server-sent event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseEvent {
    /// A `data` payload (several `data:` lines joined with `\n`).
    Data(String),
    /// A comment line (without the leading `:`), e.g. ` keepalive 12/512`.
    Comment(String),
}

/// Incremental SSE parser.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    data: Option<String>,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds received bytes; returns the events completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.line_done(&line, &mut out);
            } else {
                self.line.push(b);
            }
        }
        out
    }

    /// True when bytes of an unfinished line or an undispatched event are pending (a stream
    /// that ends here was cut).
    pub fn has_pending(&self) -> bool {
        !self.line.is_empty() || self.data.is_some()
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push(SseEvent::Data(data));
            }
            return;
        }
        let line = String::from_utf8_lossy(line);
        if let Some(comment) = line.strip_prefix(':') {
            out.push(SseEvent::Comment(comment.to_string()));
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            }
        }
    }
}

/// Token counts a server reports (`stream_options.include_usage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// `usage.prompt_tokens`.
    pub prompt_tokens: u32,
    /// `usage.completion_tokens`.
    pub completion_tokens: u32,
    /// `usage.prompt_tokens_details.cached_tokens`, when reported.
    pub cached_tokens: Option<u32>,
}

/// What one `data` payload says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    /// `[DONE]`: the stream is complete.
    Done,
    /// A completion chunk.
    Completion {
        /// Generated text in this chunk (content, reasoning content or completion text of
        /// every choice, concatenated); empty for role-only, finish or usage chunks.
        text: String,
        /// `finish_reason` of a choice, when set.
        finish_reason: Option<String>,
        /// The usage object, when present (the usage chunk has `choices: []`).
        usage: Option<Usage>,
    },
}

/// Interprets a `data` payload. Errors are one-line descriptions (malformed JSON, an `error`
/// object, or JSON that is not a completion chunk).
pub fn parse_chunk(data: &str) -> Result<Chunk, String> {
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(Chunk::Done);
    }
    let v: Value =
        serde_json::from_str(data).map_err(|e| format!("malformed JSON in chunk: {e}"))?;
    let Some(obj) = v.as_object() else {
        return Err("chunk is not a JSON object".into());
    };
    if let Some(err) = obj.get("error") {
        let msg = err
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| err.as_str().map(str::to_string))
            .unwrap_or_else(|| err.to_string());
        return Err(format!("server error in stream: {msg}"));
    }
    let usage = match obj.get("usage") {
        Some(u) if !u.is_null() => Some(parse_usage(u)?),
        _ => None,
    };
    let choices = match obj.get("choices") {
        Some(Value::Array(c)) => c.as_slice(),
        Some(Value::Null) | None if usage.is_some() => &[],
        _ => return Err("not an OpenAI completion chunk (no `choices` array)".into()),
    };
    let mut text = String::new();
    let mut finish_reason = None;
    for c in choices {
        let delta = c.get("delta");
        for t in [
            delta.and_then(|d| d.get("reasoning_content")),
            delta.and_then(|d| d.get("reasoning")),
            delta.and_then(|d| d.get("content")),
            c.get("text"),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(s) = t.as_str() {
                text.push_str(s);
            }
        }
        if let Some(f) = c.get("finish_reason").and_then(Value::as_str) {
            finish_reason = Some(f.to_string());
        }
    }
    Ok(Chunk::Completion {
        text,
        finish_reason,
        usage,
    })
}

fn parse_usage(u: &Value) -> Result<Usage, String> {
    let field = |name: &str| -> Result<u32, String> {
        u.get(name)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("usage without a valid `{name}`"))
    };
    Ok(Usage {
        prompt_tokens: field("prompt_tokens")?,
        completion_tokens: field("completion_tokens")?,
        cached_tokens: u
            .get("prompt_tokens_details")
            .and_then(|d| d.get("cached_tokens"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_data_and_done() {
        let mut p = SseParser::new();
        let ev = p.feed(b": keepalive 1/8\n\ndata: {\"a\":1}\r\n\r\ndata: [DONE]\n\n");
        assert_eq!(
            ev,
            vec![
                SseEvent::Comment(" keepalive 1/8".into()),
                SseEvent::Data("{\"a\":1}".into()),
                SseEvent::Data("[DONE]".into())
            ]
        );
        assert!(!p.has_pending());
    }

    #[test]
    fn split_across_reads_and_multiline_data() {
        let mut p = SseParser::new();
        assert!(p.feed(b"da").is_empty());
        assert!(p.feed(b"ta: x\ndata:y\nevent: e\n").is_empty());
        assert!(p.has_pending());
        assert_eq!(p.feed(b"\n"), vec![SseEvent::Data("x\ny".into())]);
    }

    #[test]
    fn usage_chunk_with_empty_choices() {
        let c = parse_chunk(
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#,
        )
        .unwrap();
        assert_eq!(
            c,
            Chunk::Completion {
                text: String::new(),
                finish_reason: None,
                usage: Some(Usage {
                    prompt_tokens: 5,
                    completion_tokens: 7,
                    cached_tokens: None
                })
            }
        );
    }

    #[test]
    fn errors_are_described() {
        assert!(parse_chunk("{not json")
            .unwrap_err()
            .contains("malformed JSON"));
        assert!(parse_chunk(r#"{"error":{"message":"boom"}}"#)
            .unwrap_err()
            .contains("boom"));
        assert!(parse_chunk(r#"{"hello":1}"#)
            .unwrap_err()
            .contains("choices"));
        assert!(parse_chunk("[1]").is_err());
    }
}
