//! `benchbar bandwidth`: measures the memory bandwidth of the device MLX runs on, keeps it in
//! the history for this machine (the roofline's denominator in `benchbar report`) and prints it.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use benchbar_core::bandwidth::MeasuredBandwidth;
use benchbar_engine::bandwidth::{default_options, measure_device};
use benchbar_engine::machine::machine_info;

use super::{open_store, take_run_lock};

/// `benchbar bandwidth`.
#[derive(Debug, clap::Args)]
pub struct BandwidthArgs {
    /// Size of the array read, MiB (default: 4,096 on a GPU, or an eighth of the memory where less; 256 on the CPU; at most a quarter
    /// of the machine's memory).
    #[arg(long, value_name = "MIB", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub array_mib: Option<u64>,
    /// Timed calls per operation, the fastest counting (default: 50 on a GPU, 10 on the CPU).
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub reps: Option<u32>,
    /// Print the measurement as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Measures (holding the run lock: it saturates the memory a benchmark would use), stores,
/// prints.
pub fn bandwidth(db: Option<&Path>, args: BandwidthArgs) -> Result<ExitCode> {
    let machine = machine_info();
    let mut options = default_options(machine.memory_bytes);
    if let Some(mib) = args.array_mib {
        let bytes = mib.saturating_mul(1 << 20);
        if bytes > machine.memory_bytes / 4 {
            bail!(
                "--array-mib {mib} is more than a quarter of this machine's memory ({} MiB)",
                machine.memory_bytes >> 20
            );
        }
        options.array_bytes = bytes;
    }
    if let Some(reps) = args.reps {
        options.reps = reps;
    }
    let mut store = open_store(db)?;
    let _lock = take_run_lock(db)?;
    let measured = measure_and_keep(&mut store, &machine, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&measured)?);
    } else {
        println!("{}", describe(&measured));
    }
    Ok(ExitCode::SUCCESS)
}

/// Measures this machine's device with `options` and stores it for `machine` (this one); the
/// caller holds the run lock.
pub fn measure_and_keep(
    store: &mut benchbar_store::Store,
    machine: &benchbar_core::report::MachineInfo,
    options: &benchbar_mlx::bandwidth::BandwidthOptions,
) -> Result<MeasuredBandwidth> {
    let measured = measure_device(options)?;
    store.save_bandwidth(machine, &measured)?;
    Ok(measured)
}

/// One line: the read figure (the roofline's denominator) with both of its measures, the copy
/// figure, the device and how.
pub fn describe(m: &MeasuredBandwidth) -> String {
    format!(
        "memory bandwidth of {} (MLX {}): read {:.1} GB/s (the roofline's denominator; fastest \
         of {} row reductions {:.1}, of {} matrix-vector products {:.1}), copy {:.1} GB/s (read \
         + write, fastest of {}); array {} MiB",
        m.device,
        m.mlx_version,
        m.read_gbps,
        m.reps,
        m.read_reduce_gbps,
        m.reps,
        m.read_gemv_gbps,
        m.copy_gbps,
        m.reps,
        m.array_bytes >> 20
    )
}
