//! `benchbar report` (being built; see the issue tracker).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

/// `benchbar report` arguments.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {}

/// Runs `benchbar report`.
pub fn report(_db: Option<&Path>, _args: ReportArgs) -> Result<ExitCode> {
    bail!("`benchbar report` is not available yet")
}
