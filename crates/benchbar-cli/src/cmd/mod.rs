//! Subcommand implementations: thin glue between the CLI, the store, the engines and the
//! exporters.

mod ab;
pub mod bandwidth;
pub mod import;
pub mod models;
pub mod monitor;
mod power;
pub mod report;
mod run;
pub mod scenario;
pub mod serve;
mod stored;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use benchbar_service::run::{lock_path_for, RunGuard, RunLock};
use benchbar_store::Store;

use crate::cli::{Cli, Command};

/// Runs a parsed command line.
pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(cli.db.as_deref(), args),
        Command::History(args) => stored::history(&open_store(cli.db.as_deref())?, args),
        Command::Compare(args) => stored::compare(&open_store(cli.db.as_deref())?, args),
        Command::Baseline { action } => {
            stored::baseline(&mut open_store(cli.db.as_deref())?, action)
        }
        Command::Targets(args) => stored::targets(cli.db.as_deref(), args),
        Command::Export(args) => stored::export(&open_store(cli.db.as_deref())?, args),
        Command::Power(args) => power::power(args),
        Command::Bandwidth(args) => bandwidth::bandwidth(cli.db.as_deref(), args),
        Command::Models(args) => models::models(args),
        Command::Generate(args) => models::generate(args),
        Command::Scenario(args) => scenario::scenario(cli.db.as_deref(), args),
        Command::Monitor(args) => monitor::monitor(cli.db.as_deref(), args),
        Command::Report(args) => report::report(cli.db.as_deref(), args),
        Command::Import(args) => import::import(cli.db.as_deref(), args),
        Command::Serve(args) => serve::serve(cli.db.as_deref(), args),
    }
}

/// The database path from `--db`/`BENCHBAR_DB` or the platform default.
pub fn db_path(db: Option<&Path>) -> Result<PathBuf> {
    match db {
        Some(p) => Ok(p.to_path_buf()),
        None => Ok(benchbar_store::default_db_path()?),
    }
}

/// Where a run that cannot be stored is written as a run file: the database's folder.
pub fn recovery_dir(db: Option<&Path>) -> Result<PathBuf> {
    let db = db_path(db)?;
    Ok(match db.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    })
}

/// Opens the history database.
pub fn open_store(db: Option<&Path>) -> Result<Store> {
    Ok(Store::open(&db_path(db)?)?)
}

/// The run lock of this database, shared with the menu-bar app and other `benchbar`
/// processes: one benchmark at a time on the machine.
pub fn run_lock(db: Option<&Path>) -> Result<RunLock> {
    Ok(RunLock::across_processes(lock_path_for(&db_path(db)?)))
}

/// Takes the run lock for a run started here, or fails saying who runs one.
pub fn take_run_lock(db: Option<&Path>) -> Result<RunGuard> {
    run_lock(db)?
        .try_acquire(benchbar_core::report::RunOrigin::Cli)
        .map_err(|busy| anyhow::anyhow!("{busy}; wait for it to finish and try again"))
}

/// Writes output to a file or stdout.
pub fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                // A closed pipe (e.g. `| head`) is not an error worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
                Ok(()) => Ok(()),
            }
        }
    }
}
