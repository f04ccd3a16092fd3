//! Commands over stored runs: history, compare, baseline, targets, export.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use benchbar_core::targets::TargetMatrix;
use benchbar_service::query::{self, HistoryFilter};
use benchbar_store::Store;

use super::{emit, open_store};
use crate::cli::{BaselineAction, CompareArgs, ExportArgs, Format, HistoryArgs, TargetsArgs};
use crate::export::{render, Doc};

/// `benchbar history`.
pub fn history(store: &Store, args: HistoryArgs) -> Result<ExitCode> {
    let filter = HistoryFilter {
        model: args.model,
        limit: args.limit,
        ..HistoryFilter::default()
    };
    let lines = query::history(store, &filter)?;
    emit(&render(&Doc::History(&lines), args.format), None)?;
    Ok(ExitCode::SUCCESS)
}

/// `benchbar compare BASE NEW` or `benchbar compare RUN --baseline`.
pub fn compare(store: &Store, args: CompareArgs) -> Result<ExitCode> {
    let (base_id, cur_id) = match args.other {
        Some(other) => (args.run_id, other),
        None => (query::baseline_of(store, args.run_id)?, args.run_id),
    };
    let doc = match query::compare(store, base_id, cur_id)? {
        query::Compared::SameMachine(c) => render(&Doc::Comparison(&c), args.format),
        query::Compared::CrossMachine(c) => render(&Doc::MachineComparison(&c), args.format),
    };
    emit(&doc, None)?;
    Ok(ExitCode::SUCCESS)
}

/// `benchbar baseline set|show`.
pub fn baseline(store: &mut Store, action: BaselineAction) -> Result<ExitCode> {
    match action {
        BaselineAction::Set { run_id } => {
            let key = store.set_baseline(run_id)?;
            println!("run {run_id} is now the baseline for {key}");
        }
        BaselineAction::Show { format } => {
            let lines = query::baselines(store)?;
            emit(&render(&Doc::Baselines(&lines), format), None)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `benchbar targets [--run ID [--row NAME]]`.
pub fn targets(db: Option<&Path>, args: TargetsArgs) -> Result<ExitCode> {
    if args.format == Format::Csv {
        bail!("targets supports --format table, json, md or html");
    }
    let matrix = TargetMatrix::seed();
    let graded = match args.run_id {
        None => None,
        Some(id) => Some(query::graded_run(
            &open_store(db)?,
            id,
            args.row.as_deref(),
        )?),
    };
    emit(
        &render(&Doc::Targets(&matrix, graded.as_ref()), args.format),
        None,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `benchbar export RUN_ID`.
pub fn export(store: &Store, args: ExportArgs) -> Result<ExitCode> {
    if let Some(file) = &args.bundle {
        let bundle = benchbar_service::bundle::Bundle::export(store, &args.run_ids)?;
        bundle
            .write_to(file)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
        eprintln!(
            "wrote {} run(s) to {} (`benchbar import {}` on another machine)",
            bundle.runs.len(),
            file.display(),
            file.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let [run_id] = args.run_ids[..] else {
        bail!("export prints one run; write several as one bundle with --bundle FILE");
    };
    if args.format == Format::Table {
        bail!("export supports --format json, csv, md or html");
    }
    let r = query::report_with_roofline(store, run_id)?;
    emit(&render(&Doc::Run(&r), args.format), args.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
