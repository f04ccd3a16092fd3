//! `benchbar power`: live watts per domain from the platform's energy source.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};
use benchbar_power::measure_window;

/// Samples for `--seconds`, printing one line per second, then the window's energy and the
/// sampler's own CPU cost.
pub fn power(args: crate::cli::PowerArgs) -> Result<ExitCode> {
    if args.seconds == 0 {
        bail!("--seconds must be at least 1");
    }
    let report = measure_window(
        benchbar_power::open_default_source(),
        benchbar_engine::power::SAMPLE_INTERVAL,
        Duration::from_secs(args.seconds),
        &mut || {},
        &mut |s| {
            let domains: Vec<String> = s
                .domains_w
                .iter()
                .map(|(d, w)| format!("{d:?} {w:.2} W"))
                .collect();
            println!(
                "t={:>7.0} ms  total {:.2} W  ({})",
                s.t_ms,
                s.total_w,
                domains.join(", ")
            );
        },
        &mut || {},
    );
    println!("power source: {}", report.power_source);
    if let Some(e) = &report.energy {
        println!(
            "window: {:.3} s, {:.3} J, average {:.2} W",
            e.elapsed_s,
            e.total_j,
            e.avg_power_w.unwrap_or(0.0)
        );
    }
    if let Some(pct) = report.sampler_cpu_pct {
        println!("sampler CPU cost: {pct:.3}% of one core");
    }
    Ok(ExitCode::SUCCESS)
}
