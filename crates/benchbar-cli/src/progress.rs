//! Progress bars for runs (stderr; hidden when stderr is not a terminal).

use std::time::Duration;

use benchbar_core::spec::CellPlan;
use benchbar_engine::runner::RunnerEvent;
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar over every trial of a run, with the current cell and live tokens/s.
pub struct RunProgress {
    bar: ProgressBar,
    cell_label: String,
    tokens_in_trial: u64,
}

impl RunProgress {
    /// A bar for a plan.
    pub fn new(plan: &[CellPlan]) -> Self {
        let total: u64 = plan.iter().map(|c| u64::from(c.warmup + c.reps)).sum();
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} trials  {msg}",
            )
            .expect("static template is valid"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        RunProgress {
            bar,
            cell_label: String::new(),
            tokens_in_trial: 0,
        }
    }

    /// Updates from a runner event.
    pub fn on_event(&mut self, e: &RunnerEvent<'_>) {
        match e {
            RunnerEvent::CellStarted { cell, total, plan } => {
                self.cell_label = format!(
                    "cell {}/{} {}@{}",
                    cell + 1,
                    total,
                    plan.test,
                    plan.batch_size
                );
                self.bar.set_message(self.cell_label.clone());
            }
            RunnerEvent::Token { tick, warmup, .. } => {
                self.tokens_in_trial += 1;
                if tick.row == 0 && tick.step % 16 == 0 && tick.elapsed_ns > 0 {
                    let tps = self.tokens_in_trial as f64 / (tick.elapsed_ns as f64 / 1e9);
                    let phase = if *warmup { "warmup" } else { "measuring" };
                    self.bar
                        .set_message(format!("{} · {phase} · {tps:.1} tok/s", self.cell_label));
                }
            }
            RunnerEvent::TrialDone { .. } => {
                self.tokens_in_trial = 0;
                self.bar.inc(1);
            }
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
