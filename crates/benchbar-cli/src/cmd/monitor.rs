//! `benchbar monitor` (being built; see the issue tracker).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

/// `benchbar monitor` arguments.
#[derive(Debug, clap::Args)]
pub struct MonitorArgs {}

/// Runs `benchbar monitor`.
pub fn monitor(_db: Option<&Path>, _args: MonitorArgs) -> Result<ExitCode> {
    bail!("`benchbar monitor` is not available yet")
}
