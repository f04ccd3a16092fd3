//! `benchbar monitor`: a monitoring sample (the quick suite) on a schedule, in the foreground,
//! until Ctrl-C. Each sample is stored with origin `monitor`, judged against its baseline,
//! its new regressions printed once, and samples older than the retention window pruned.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Result;
use benchbar_core::report::RunStatus;
use benchbar_core::targets::TargetMatrix;
use benchbar_report::analysis::analyse;
use benchbar_report::fmt::{bytes, num, opt};
use benchbar_service::monitor::sample::{sample_request, take_sample};
use benchbar_service::monitor::{
    human, parse_interval, parse_retention, run_loop, Clock, Monitor, MonitorConfig, MonitorEvent,
    PowerConditions, SystemClock,
};
use benchbar_service::notify::announcement_line;
use benchbar_service::open::{open_with_mlx, HttpOptions};
use benchbar_service::run::RunContext;

use super::open_store;

/// `benchbar monitor` arguments.
#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// Time between samples, e.g. 90s, 30m, 1h (at least one minute).
    #[arg(long, default_value = "30m")]
    pub every: String,
    /// Model: a path, a repo id in the Hugging Face cache, or builtin:tiny.
    #[arg(long, default_value = "builtin:tiny")]
    pub model: String,
    /// Engine: mlx (in-process) or openai (the server at --url).
    #[arg(long, default_value = "mlx")]
    pub engine: String,
    /// openai engine: base URL of the OpenAI-compatible API, including /v1.
    #[arg(long, default_value = "http://127.0.0.1:8080/v1")]
    pub url: String,
    /// Keep monitoring samples this long (older ones are pruned; runs you started are kept).
    #[arg(long, default_value = "24h")]
    pub retention: String,
    /// Measured repetitions per sample (default: the quick suite's 5; at least 2).
    #[arg(short = 'r', long)]
    pub reps: Option<u32>,
    /// Stop after this many samples (default: until Ctrl-C).
    #[arg(long)]
    pub count: Option<u64>,
    /// Also sample on battery and in Low Power Mode (skipped by default).
    #[arg(long)]
    pub allow_battery: bool,
    /// Do not sample power.
    #[arg(long)]
    pub no_power: bool,
}

/// Runs `benchbar monitor`.
pub fn monitor(db: Option<&Path>, args: MonitorArgs) -> Result<ExitCode> {
    let mut config = MonitorConfig::new(parse_interval(&args.every)?)?;
    config.retention = parse_retention(&args.retention)?;
    config.skip_on_battery = !args.allow_battery;
    config.skip_in_low_power = !args.allow_battery;
    if args.count == Some(0) {
        anyhow::bail!("--count must be at least 1");
    }
    let req = sample_request(&args.model, &args.engine, args.reps, !args.no_power)?;
    let mut store = open_store(db)?;
    let http = HttpOptions::for_url(&args.url);
    let mlx = crate::engines::mlx_options();
    let mut engine = open_with_mlx(&args.engine, &args.model, &http, &mlx)?;

    let stop = Arc::new(AtomicBool::new(false));
    // Ctrl-C or SIGTERM stops the loop, and a sample in progress (its completed cells are
    // kept, stored as cancelled).
    crate::signals::on_stop_signals(&stop)?;

    let clock = SystemClock;
    let mut schedule = Monitor::new(config.clone(), clock.now());
    // Shared with the app and `benchbar run`: a sample never overlaps another benchmark.
    let lock = super::run_lock(db)?;
    let matrix = TargetMatrix::seed();
    let recovery_dir = super::recovery_dir(db)?;
    eprintln!(
        "monitoring {} on {} every {} (samples kept {}); Ctrl-C to stop",
        args.model,
        args.engine,
        human(config.interval),
        human(config.retention)
    );
    let mut taken: u64 = 0;
    run_loop(
        &mut schedule,
        &clock,
        &lock,
        &stop,
        &mut PowerConditions::read,
        &mut |e| match e {
            MonitorEvent::NextAt(t) => eprintln!("next sample at {}", t.format("%H:%M:%S UTC")),
            MonitorEvent::Skipped(reason) => eprintln!("sample skipped: {reason}"),
        },
        &mut |guard| {
            let now = clock.now();
            let mut ctx = RunContext {
                engine: engine.as_mut(),
                store: Some(&mut store),
                guard,
                cancel: &stop,
                matrix: &matrix,
                recovery_dir: &recovery_dir,
            };
            match take_sample(&req, &mut ctx, config.retention, now, &mut |_| {}) {
                Ok(out) => {
                    taken += 1;
                    let s = analyse(&out.report, None, None).single;
                    println!(
                        "{} run {}: decode {} tok/s, TTFT {} ms, peak memory {}, {} regression(s){}{}",
                        out.report.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                        out.report.run_id.map_or_else(|| "-".into(), |i| i.to_string()),
                        opt(s.decode_tps, num),
                        opt(s.ttft_ms, num),
                        opt(s.peak_memory_bytes, bytes),
                        out.report.regressions.len(),
                        if out.pruned_runs > 0 { format!(", {} old sample(s) pruned", out.pruned_runs) } else { String::new() },
                        if out.status == RunStatus::Completed { String::new() } else { format!(" ({})", out.status.as_str()) },
                    );
                    if let Some(a) = out.announcement {
                        println!("{}", announcement_line(&a));
                    }
                    if let Some(u) = out.since_update.filter(|u| !u.regressions.is_empty()) {
                        println!(
                            "{} regression(s) against run {}, before {}",
                            u.regressions.len(),
                            u.before_run_id,
                            u.changes
                        );
                        if let Some(a) = u.announcement {
                            println!("{}", announcement_line(&a));
                        }
                    }
                }
                Err(e) => eprintln!("sample failed: {e}"),
            }
            args.count.is_none_or(|n| taken < n)
        },
    );
    eprintln!("monitoring stopped after {taken} sample(s)");
    Ok(ExitCode::SUCCESS)
}
