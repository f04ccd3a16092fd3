//! Run files: a measured run written outside the history database, read back into it later.
//!
//! When a run's results cannot be stored (a read-only or locked database), [`crate::run::execute`]
//! writes them to a run file instead of losing them, and `benchbar import FILE` stores it
//! later. A run file holds the JSON report exactly as `benchbar run --format json` prints it
//! (`report`, for people and tools) and the raw run the history keeps (`meta` and `cells`, from
//! which every report is derived); further kinds of content (result bundles) add fields beside
//! them.

use std::io::Write;
use std::path::{Path, PathBuf};

use benchbar_core::report::{CellRaw, RunMeta, RunReport};
use benchbar_store::Store;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The `format` of a run file.
pub const RUN_FILE_FORMAT: &str = "benchbar-run";

/// The version of the run file layout this build writes and reads.
pub const RUN_FILE_VERSION: u32 = 1;

/// A run kept in a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    /// Always [`RUN_FILE_FORMAT`].
    pub format: String,
    /// [`RUN_FILE_VERSION`] when written by this build.
    pub version: u32,
    /// The report as `benchbar run --format json` prints it (no store id).
    pub report: RunReport,
    /// The run's metadata as stored.
    pub meta: RunMeta,
    /// The measured cells as stored.
    pub cells: Vec<CellRaw>,
}

impl RunFile {
    /// The file of a measured run and its report.
    pub fn new(meta: RunMeta, cells: Vec<CellRaw>, report: RunReport) -> RunFile {
        RunFile {
            format: RUN_FILE_FORMAT.into(),
            version: RUN_FILE_VERSION,
            report,
            meta,
            cells,
        }
    }

    /// Writes the run to a new file in `dir` (created if missing), named after its start time;
    /// never overwrites a file. Returns the file's path.
    pub fn write_new(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let stamp = self.meta.started_at.format("%Y%m%dT%H%M%SZ");
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        for n in 0..1000 {
            let name = match n {
                0 => format!("benchbar-run-{stamp}.json"),
                n => format!("benchbar-run-{stamp}-{n}.json"),
            };
            let path = dir.join(name);
            match std::fs::File::create_new(&path) {
                Ok(mut f) => {
                    f.write_all(&json)?;
                    f.sync_all()?;
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{}: 1000 run files of the same second", dir.display()),
        ))
    }

    /// Reads a run file, refusing other JSON with one line naming the file.
    pub fn read(path: &Path) -> Result<RunFile> {
        let bad = |why: String| Error::Invalid(format!("{}: {why}", path.display()));
        let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let head: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| bad(format!("not JSON ({e})")))?;
        if head.get("format").and_then(|f| f.as_str()) != Some(RUN_FILE_FORMAT) {
            return Err(bad(format!(
                "not a BenchBar run file (no \"format\": \"{RUN_FILE_FORMAT}\")"
            )));
        }
        match head.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(RUN_FILE_VERSION) => {}
            v => {
                return Err(bad(format!(
                    "run file version {} is not supported (this build reads {RUN_FILE_VERSION})",
                    v.map_or_else(|| "(none)".into(), |v| v.to_string())
                )))
            }
        }
        serde_json::from_value(head).map_err(|e| bad(format!("malformed run file ({e})")))
    }

    /// Stores the run in the history (with the regressions recorded in its report) and
    /// returns its new id.
    pub fn import(&self, store: &mut Store) -> Result<i64> {
        let mut meta = self.meta.clone();
        meta.run_id = None;
        Ok(store.save_run(&meta, &self.cells, &self.report.regressions)?)
    }
}
