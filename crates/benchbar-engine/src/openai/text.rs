//! Streaming a batch of prompts: one request per row, concurrently (all at once, or at most a
//! concurrency level in flight) or at a Poisson rate, each stream turned into a request sample
//! with per-token timestamps.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use benchbar_core::sample::{EngineCounters, RequestSample, TrialSample};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::client::{stream_completion, StreamRecord, StreamRequest};
use super::config::{Endpoint, Rows};
use super::engine::OpenAiEngine;
use super::tokens::assign_token_offsets;
use crate::engine::{EngineError, Result, TokenTick};

/// How often a cancel flag is read while no chunk arrives (connect, headers, stream gaps).
const CANCEL_POLL: Duration = Duration::from_millis(50);

impl OpenAiEngine {
    /// Streams one request per prompt, concurrently (or at the Poisson rate); returns the raw
    /// sample and each row's generated text. With `cancel`, the flag is read every
    /// [`CANCEL_POLL`] while waiting: once set, every request is dropped and the trial ends
    /// with [`EngineError::Cancelled`].
    pub(super) fn stream_rows(
        &mut self,
        req: &Rows,
        prompts: &[String],
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
        cancel: Option<&AtomicBool>,
    ) -> Result<(TrialSample, Vec<String>)> {
        let is_cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        if is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let endpoint = req.endpoint;
        let url = format!(
            "{}/{}",
            self.base,
            if endpoint == Endpoint::Chat {
                "chat/completions"
            } else {
                "completions"
            }
        );
        let mut rng = ChaCha8Rng::seed_from_u64(req.seed ^ 0x0005_EED0_FA11);
        let mut delay = Duration::ZERO;
        let gate = req
            .concurrency
            .map(|n| std::sync::Arc::new(tokio::sync::Semaphore::new(n as usize)));
        let mut requests = Vec::with_capacity(prompts.len());
        for (row, prompt) in (0u32..).zip(prompts) {
            if let (Some(rate), true) = (self.cfg.rate_rps, row > 0) {
                let u: f64 = rng.gen_range(f64::EPSILON..1.0);
                delay += Duration::from_secs_f64(-u.ln() / rate);
            }
            requests.push(StreamRequest {
                url: url.clone(),
                body: self
                    .body(endpoint, prompt, req.max_tokens, req.fixed)
                    .to_string(),
                api_key: self.cfg.api_key.clone(),
                stall_timeout: self.cfg.timeout,
                row,
                delay,
                gate: gate.clone(),
            });
        }
        let client = self.client.clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let start = Instant::now();
        let handles: Vec<_> = requests
            .into_iter()
            .map(|r| {
                let (client, tx) = (client.clone(), tx.clone());
                self.rt
                    .spawn(async move { stream_completion(&client, r, start, tx).await })
            })
            .collect();
        drop(tx);
        let mut cancelled = false;
        let results: Vec<std::result::Result<StreamRecord, String>> = self.rt.block_on(async {
            let mut poll = tokio::time::interval(CANCEL_POLL);
            poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    progress = rx.recv() => {
                        let Some((row, chunks, elapsed_ns)) = progress else { break };
                        let tick = TokenTick {
                            row,
                            step: chunks.saturating_sub(1),
                            elapsed_ns,
                        };
                        if on_token(tick).is_break() {
                            cancelled = true;
                        }
                    }
                    _ = poll.tick(), if cancel.is_some() => cancelled = is_cancelled(),
                }
                if cancelled {
                    for h in &handles {
                        h.abort();
                    }
                    break;
                }
            }
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                out.push(match h.await {
                    Ok(r) => r,
                    Err(e) => Err(format!("POST {url}: request task ended: {e}")),
                });
            }
            out
        });
        let wall_end = Instant::now();
        if cancelled {
            return Err(EngineError::Cancelled);
        }
        let mut samples = Vec::with_capacity(results.len());
        let mut texts = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        let mut wall_ns = 0u64;
        let (mut approx_tokens, mut usage_missing) = (0u32, false);
        for (row, res) in results.into_iter().enumerate() {
            let rec = match res {
                Ok(rec) => rec,
                Err(e) => {
                    errors.push(if prompts.len() > 1 {
                        format!("request {row}: {e}")
                    } else {
                        e
                    });
                    continue;
                }
            };
            let chunk_ns: Vec<u64> = rec.chunks.iter().map(|c| c.at_ns).collect();
            // One token per text chunk when that is what usage says (mlx_lm.server streams a
            // chunk per token); otherwise the tokenizer's count of each chunk, if given.
            let one_each = rec
                .usage
                .is_some_and(|u| u.completion_tokens as usize == rec.chunks.len());
            let per_chunk: Vec<u32> = rec
                .chunks
                .iter()
                .map(|c| {
                    if one_each {
                        1
                    } else {
                        self.count_tokens(&c.text).map_or(1, |k| k.max(1))
                    }
                })
                .collect();
            let total = match (&rec.usage, &self.tokenizer) {
                (Some(u), _) => Some(u.completion_tokens),
                (None, Some(_)) => {
                    usage_missing = true;
                    None
                }
                (None, None) => {
                    errors.push(format!(
                        "POST {url}: the stream reported no usage and no --tokenizer was given: tokens cannot be counted"
                    ));
                    continue;
                }
            };
            let a = assign_token_offsets(&chunk_ns, &per_chunk, total, rec.end_ns);
            approx_tokens += a.unattributed;
            if let Some(c) = rec.usage.and_then(|u| u.cached_tokens) {
                self.max_cached_tokens = self.max_cached_tokens.max(c);
            }
            let prompt_tokens = match &rec.usage {
                Some(u) => u.prompt_tokens,
                None => self.count_tokens(&prompts[row]).unwrap_or(0),
            };
            if let Some(&last) = a.offsets_ns.last() {
                wall_ns = wall_ns.max(rec.sent_ns + last);
            }
            samples.push(RequestSample {
                prompt_tokens,
                start_offset_ns: rec.sent_ns,
                requested_tokens: req.max_tokens,
                token_offsets_ns: a.offsets_ns,
            });
            texts.push(rec.chunks.iter().map(|c| c.text.as_str()).collect());
        }
        if !errors.is_empty() {
            return Err(EngineError::Request(errors.join("; ")));
        }
        if approx_tokens > 0 {
            self.approx_trials += 1;
            self.approx_tokens += u64::from(approx_tokens);
        }
        if usage_missing {
            self.usage_missing_trials += 1;
        }
        if wall_ns == 0 {
            wall_ns = wall_end.saturating_duration_since(start).as_nanos() as u64;
        }
        let sample = TrialSample {
            index: 0,
            wall_ns,
            requests: samples,
            counters: EngineCounters::default(),
            energy: None,
            error: None,
        };
        Ok((sample, texts))
    }
}
