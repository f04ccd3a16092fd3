//! `benchbar report`: a performance report (Markdown + self-contained HTML) and charts
//! (PNG + SVG) for one stored run or every run of a time window.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use benchbar_core::bandwidth::{parse_gbps, MeasuredBandwidth};
use benchbar_core::report::RunReport;
use benchbar_core::targets::TargetMatrix;
use benchbar_report::{prepare_dir, write_report, ReportInput, Scope};
use benchbar_service::monitor::{human, parse_duration};

use super::{open_store, run_lock};

/// `benchbar report` arguments.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The stored run to report on.
    #[arg(conflicts_with = "since", required_unless_present = "since")]
    pub run_id: Option<i64>,
    /// Report on every run of this window instead, e.g. 24h or 7d.
    #[arg(long)]
    pub since: Option<String>,
    /// With --since: only runs of this model.
    #[arg(long, requires = "since")]
    pub model: Option<String>,
    /// Output folder (created if needed): report.md, report.html, chart-*.png, chart-*.svg.
    #[arg(long)]
    pub out: PathBuf,
    /// Memory bandwidth in GB/s for the roofline (default: BENCHBAR_MEM_BANDWIDTH_GBPS, else
    /// BenchBar's measurement of the runs' machine (`benchbar bandwidth`; taken now when this
    /// is that machine and none is stored), else Apple's published figure for the chip).
    #[arg(long, value_name = "GBPS")]
    pub bandwidth_gbps: Option<String>,
}

/// The stored bandwidth measurement of the machine `latest` ran on; measured now (and stored)
/// when there is none and this is that machine, unless a benchmark holds the run lock (the
/// measurement would disturb it: the report then says the bandwidth is unknown).
fn measured_bandwidth(
    db: Option<&Path>,
    store: &mut benchbar_store::Store,
    latest: &RunReport,
) -> Result<Option<MeasuredBandwidth>> {
    if let Some(m) = store.latest_bandwidth(&latest.machine)? {
        return Ok(Some(m));
    }
    let here = benchbar_engine::machine::machine_info();
    if here != latest.machine {
        return Ok(None);
    }
    let Ok(_guard) = run_lock(db)?.try_acquire(benchbar_core::report::RunOrigin::Cli) else {
        eprintln!("memory bandwidth not measured: a benchmark is running");
        return Ok(None);
    };
    eprintln!("measuring this machine's memory bandwidth for the roofline (once; kept)");
    let options = benchbar_engine::bandwidth::default_options(here.memory_bytes);
    let measured = super::bandwidth::measure_and_keep(store, &here, &options)?;
    eprintln!("{}", super::bandwidth::describe(&measured));
    Ok(Some(measured))
}

/// Environment variable overriding the memory bandwidth, GB/s.
pub const BANDWIDTH_ENV: &str = "BENCHBAR_MEM_BANDWIDTH_GBPS";

/// Runs `benchbar report`.
pub fn report(db: Option<&Path>, args: ReportArgs) -> Result<ExitCode> {
    let bandwidth = match &args.bandwidth_gbps {
        Some(text) => Some(parse_gbps(text).map_err(anyhow::Error::msg)?),
        None => match std::env::var(BANDWIDTH_ENV) {
            Ok(v) => Some(parse_gbps(&v).map_err(|e| anyhow::anyhow!("{BANDWIDTH_ENV}: {e}"))?),
            Err(_) => None,
        },
    };
    let mut store = open_store(db)?;
    let matrix = TargetMatrix::seed();
    let (runs, scope): (Vec<RunReport>, Scope) = match (args.run_id, &args.since) {
        (Some(id), _) => (vec![store.load_run(id)?.report(&matrix)], Scope::Run(id)),
        (None, Some(window)) => {
            let d = parse_duration(window, "--since")?;
            let since = chrono::Utc::now() - chrono::Duration::from_std(d)?;
            let runs: Vec<RunReport> = store
                .runs_since(since, args.model.as_deref())?
                .iter()
                .map(|r| r.report(&matrix))
                .collect();
            if runs.is_empty() {
                bail!("no stored run in the last {}", human(d));
            }
            (runs, Scope::Since(since))
        }
        (None, None) => bail!("give a RUN_ID or --since WINDOW"),
    };
    prepare_dir(&args.out)?;
    let weights: BTreeMap<String, u64> = runs
        .iter()
        .filter_map(|r| {
            let path = Path::new(r.model.path.as_deref()?);
            let bytes = benchbar_engine::bandwidth::decode_read_bytes(path)?;
            Some((r.model.id.clone(), bytes))
        })
        .collect();
    let measured = match (bandwidth, runs.last()) {
        (None, Some(latest)) => measured_bandwidth(db, &mut store, latest)?,
        _ => None,
    };
    let input = ReportInput {
        runs: &runs,
        scope,
        weight_bytes: weights,
        bandwidth_override_gbps: bandwidth,
        measured_bandwidth: measured,
    };
    let written = write_report(&input, &args.out)?;
    println!("{}", written.markdown.display());
    println!("{}", written.html.display());
    for c in &written.charts {
        println!("{}", c.display());
    }
    Ok(ExitCode::SUCCESS)
}
