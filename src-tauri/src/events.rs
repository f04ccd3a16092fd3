//! Live run events for the dashboard (`tauri::ipc::Channel<RunEvent>`), mapped from the
//! service's measurement events with the token stream throttled.

use benchbar_engine::runner::RunnerEvent;
use benchbar_service::run::MeasureEvent;
use serde::Serialize;

/// One live event (the contract in `ui/src/api.ts`).
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunEvent {
    /// A cell (test × batch size) begins; `cell` is 0-based.
    CellStarted {
        /// Cell index.
        cell: usize,
        /// Number of cells.
        total: usize,
        /// Test name.
        test: String,
        /// Batch size.
        batch_size: u32,
    },
    /// Throttled progress of the trial decoding now.
    Token {
        /// Cell index.
        cell: usize,
        /// Tokens generated so far in this trial (all rows).
        tokens: u64,
        /// Milliseconds since the trial started.
        elapsed_ms: f64,
        /// Tokens/s since the trial's first token (all rows).
        live_tps: f64,
    },
    /// A trial finished.
    TrialDone {
        /// Cell index.
        cell: usize,
        /// A discarded warmup trial.
        warmup: bool,
        /// Its decode tokens/s.
        decode_tps: Option<f64>,
        /// Its TTFT, ms.
        ttft_ms: Option<f64>,
    },
    /// A power sample.
    Power {
        /// Milliseconds since the power session started.
        t_ms: f64,
        /// Total watts.
        total_w: f64,
    },
    /// The run ended.
    Finished {
        /// Store id (None when nothing was stored).
        run_id: Option<i64>,
        /// `completed`, `cancelled` or `failed`.
        status: String,
        /// Regressions against the baseline.
        regressions: usize,
        /// Why the run could not run or be stored, when it could not.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Progress of a use-case scenario.
    ScenarioProgress {
        /// Scenario name.
        scenario: String,
        /// Stage (e.g. `generate`, `embed`).
        stage: String,
        /// Items done.
        done: usize,
        /// Items in this stage.
        total: usize,
        /// Seconds since the scenario started.
        elapsed_s: f64,
    },
    /// The history changed (a run was stored by the app); windows reload what they show.
    HistoryChanged,
}

/// Least time between two `Token` events of a trial, ns.
pub const TOKEN_EVENT_INTERVAL_NS: u64 = 250_000_000;

/// Maps measurement events to live events; `Token` events are throttled on the trial's own
/// clock (deterministic, no wall-clock reads), at most one per [`TOKEN_EVENT_INTERVAL_NS`].
#[derive(Debug, Default)]
pub struct EventMapper {
    tokens: u64,
    first_token_ns: Option<u64>,
    last_emit_ns: Option<u64>,
    /// The cell being run and its count, for the tray's progress.
    pub progress: Option<(usize, usize)>,
}

impl EventMapper {
    /// The live event for a measurement event, if one is due.
    pub fn map(&mut self, e: &MeasureEvent<'_>) -> Option<RunEvent> {
        match e {
            MeasureEvent::Power { t_ms, total_w } => Some(RunEvent::Power {
                t_ms: *t_ms,
                total_w: *total_w,
            }),
            MeasureEvent::Runner(RunnerEvent::CellStarted { cell, total, plan }) => {
                self.reset_trial();
                self.progress = Some((*cell, *total));
                Some(RunEvent::CellStarted {
                    cell: *cell,
                    total: *total,
                    test: plan.test.clone(),
                    batch_size: plan.batch_size,
                })
            }
            MeasureEvent::Runner(RunnerEvent::Token { cell, tick, .. }) => {
                let now = tick.elapsed_ns;
                self.tokens += 1;
                let first = *self.first_token_ns.get_or_insert(now);
                let due = self
                    .last_emit_ns
                    .is_none_or(|last| now.saturating_sub(last) >= TOKEN_EVENT_INTERVAL_NS);
                if !due {
                    return None;
                }
                self.last_emit_ns = Some(now);
                let span_s = now.saturating_sub(first) as f64 / 1e9;
                Some(RunEvent::Token {
                    cell: *cell,
                    tokens: self.tokens,
                    elapsed_ms: now as f64 / 1e6,
                    live_tps: if span_s > 0.0 {
                        (self.tokens - 1) as f64 / span_s
                    } else {
                        0.0
                    },
                })
            }
            MeasureEvent::Runner(RunnerEvent::TrialDone {
                cell,
                warmup,
                metrics,
            }) => {
                self.reset_trial();
                Some(RunEvent::TrialDone {
                    cell: *cell,
                    warmup: *warmup,
                    decode_tps: metrics.decode_tps,
                    ttft_ms: metrics.ttft_ms,
                })
            }
        }
    }

    fn reset_trial(&mut self) {
        self.tokens = 0;
        self.first_token_ns = None;
        self.last_emit_ns = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchbar_core::metrics::TrialMetrics;
    use benchbar_core::spec::{Category, CellPlan, PromptSpec};
    use benchbar_engine::TokenTick;

    fn plan() -> CellPlan {
        CellPlan {
            test: "tg128".into(),
            category: Category::Short,
            prompt: PromptSpec::Synthetic { tokens: 16 },
            gen_tokens: 8,
            batch_size: 2,
            reps: 1,
            adaptive: None,
            warmup: 0,
            load: None,
            depth_tokens: None,
            prefix: None,
        }
    }

    fn token(step: u32, ms: u64) -> MeasureEvent<'static> {
        MeasureEvent::Runner(RunnerEvent::Token {
            cell: 0,
            warmup: false,
            tick: TokenTick {
                row: 0,
                step,
                elapsed_ns: ms * 1_000_000,
            },
        })
    }

    #[test]
    fn tokens_are_throttled_and_rates_come_from_the_trial_clock() {
        let p = plan();
        let mut m = EventMapper::default();
        let started = m
            .map(&MeasureEvent::Runner(RunnerEvent::CellStarted {
                cell: 0,
                total: 3,
                plan: &p,
            }))
            .unwrap();
        assert_eq!(
            serde_json::to_value(&started).unwrap(),
            serde_json::json!({"kind": "cell_started", "cell": 0, "total": 3, "test": "tg128", "batch_size": 2})
        );
        assert_eq!(m.progress, Some((0, 3)));
        // First token at 100 ms: emitted (0 tok/s so far).
        assert!(matches!(
            m.map(&token(0, 100)),
            Some(RunEvent::Token { tokens: 1, .. })
        ));
        // Tokens every 10 ms: none until 250 ms after the last emission.
        let emitted: Vec<RunEvent> = (1..=40)
            .filter_map(|i| m.map(&token(i, 100 + 10 * u64::from(i))))
            .collect();
        assert_eq!(emitted.len(), 1, "{emitted:?}");
        let RunEvent::Token {
            tokens,
            elapsed_ms,
            live_tps,
            ..
        } = &emitted[0]
        else {
            panic!("{emitted:?}")
        };
        // Emitted at step 25 (350 ms): 26 tokens, 25 after the first over 250 ms = 100 tok/s.
        assert_eq!(*tokens, 26);
        assert!((elapsed_ms - 350.0).abs() < 1e-9);
        assert!((live_tps - 100.0).abs() < 1e-9, "{live_tps}");
    }

    #[test]
    fn trial_done_resets_the_token_count() {
        let mut m = EventMapper::default();
        m.map(&token(0, 1));
        m.map(&token(1, 2));
        let metrics = TrialMetrics {
            decode_tps: Some(50.0),
            ttft_ms: Some(12.5),
            ..TrialMetrics::default()
        };
        let done = m.map(&MeasureEvent::Runner(RunnerEvent::TrialDone {
            cell: 0,
            warmup: true,
            metrics: Box::new(metrics),
        }));
        assert_eq!(
            done,
            Some(RunEvent::TrialDone {
                cell: 0,
                warmup: true,
                decode_tps: Some(50.0),
                ttft_ms: Some(12.5)
            })
        );
        assert!(matches!(
            m.map(&token(0, 5)),
            Some(RunEvent::Token { tokens: 1, .. })
        ));
        let power = m.map(&MeasureEvent::Power {
            t_ms: 10.0,
            total_w: 31.5,
        });
        assert_eq!(
            serde_json::to_value(power.unwrap()).unwrap(),
            serde_json::json!({"kind": "power", "t_ms": 10.0, "total_w": 31.5})
        );
    }
}
