//! `benchbar import FILE`: stores a run file (a run that could not be stored when it ran) in
//! the history.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use benchbar_service::recovery::RunFile;

use super::open_store;

/// `benchbar import` arguments.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A run file, as written when a run could not be stored (`benchbar-run-*.json`).
    pub file: PathBuf,
}

/// Reads the run file and stores its run; prints the new run id.
pub fn import(db: Option<&Path>, args: ImportArgs) -> Result<ExitCode> {
    let file = RunFile::read(&args.file)?;
    let mut store = open_store(db)?;
    let run_id = file.import(&mut store)?;
    println!(
        "imported {} as run {run_id} ({}, {} on {}, {} cell(s))",
        args.file.display(),
        file.meta.status.as_str(),
        file.meta.model.id,
        file.meta.engine.name,
        file.cells.len()
    );
    Ok(ExitCode::SUCCESS)
}
