//! `benchbar scenario` (being built; see the issue tracker).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

/// `benchbar scenario` arguments.
#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {}

/// Runs `benchbar scenario`.
pub fn scenario(_db: Option<&Path>, _args: ScenarioArgs) -> Result<ExitCode> {
    bail!("`benchbar scenario` is not available yet")
}
