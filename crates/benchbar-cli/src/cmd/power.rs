//! `benchbar power`: live watts per domain from the platform's energy source.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};
use benchbar_power::PowerSession;

/// Samples for `--seconds` and prints one line per second, then the sampler's own CPU cost.
pub fn power(args: crate::cli::PowerArgs) -> Result<ExitCode> {
    if args.seconds == 0 {
        bail!("--seconds must be at least 1");
    }
    let session = PowerSession::start(
        benchbar_power::open_default_source(),
        benchbar_engine::power::SAMPLE_INTERVAL,
        Duration::ZERO,
    );
    println!("power source: {}", session.power_source());
    if !session.is_available() {
        return Ok(ExitCode::SUCCESS);
    }
    for _ in 0..args.seconds {
        std::thread::sleep(Duration::from_secs(1));
        if let Some(s) = session.timeline().last() {
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
        }
    }
    let report = session.finish();
    if let Some(pct) = report.sampler_cpu_pct {
        println!("sampler CPU cost: {pct:.3}% of one core");
    }
    Ok(ExitCode::SUCCESS)
}
