//! `benchbar import FILE`: stores the runs of a result bundle in the history: a run that could
//! not be stored when it ran (a recovery bundle, stored as measured here), or runs exported on
//! another machine (`benchbar export RUN... --bundle FILE`, stored with origin `import`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use benchbar_service::bundle::{Bundle, BundleKind};

use super::open_store;

/// `benchbar import` arguments.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A result bundle: a run file written when a run could not be stored
    /// (`benchbar-run-*.json`), or a bundle written by `benchbar export --bundle`.
    pub file: PathBuf,
}

/// Reads the bundle and stores its runs (all or none); prints one line per new run.
pub fn import(db: Option<&Path>, args: ImportArgs) -> Result<ExitCode> {
    let bundle = Bundle::read(&args.file)?;
    let mut store = open_store(db)?;
    let ids = bundle.import(&mut store)?;
    let how = match bundle.kind {
        BundleKind::Recovery => "",
        BundleKind::Export => ", from another machine",
    };
    for (run, id) in bundle.runs.iter().zip(ids) {
        println!(
            "imported {} as run {id} ({}, {} on {}, {} cell(s){how})",
            args.file.display(),
            run.meta.status.as_str(),
            run.meta.model.id,
            run.meta.engine.name,
            run.cells.len(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
