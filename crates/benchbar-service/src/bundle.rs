//! Result bundles: measured runs in one self-describing file, read back into a history later.
//!
//! Two kinds, one format. A **recovery** bundle is written by [`crate::run::execute`] when a
//! run's results cannot be stored (a read-only or locked database): importing it stores the run
//! as it was measured here. An **export** bundle (`benchbar export RUN... --bundle FILE`) carries
//! runs to another machine: importing it stores them with origin `import`, keeping their
//! machine, never as a baseline of this machine.
//!
//! The file is JSON: an envelope (`format`, `version`, `kind`, the BenchBar version that wrote
//! it, when, and `sha256`) around `content`, which holds each run three ways: the JSON report
//! as `benchbar run --format json` prints it (raw per-token samples included, for people and
//! tools) and the raw run the history keeps (`meta`: machine, OS, engine and MLX versions, power
//! context, origin; `cells`: each cell's plan and raw trials), from which every report is
//! derived. `sha256` is the SHA-256 of `content`'s bytes exactly as they are in the file, so an
//! altered or truncated bundle is refused instead of stored.

use std::io::Write;
use std::path::{Path, PathBuf};

use benchbar_core::report::{CellRaw, RunMeta, RunOrigin, RunReport};
use benchbar_core::targets::TargetMatrix;
use benchbar_store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The `format` of a bundle.
pub const BUNDLE_FORMAT: &str = "benchbar-bundle";

/// The version of the bundle layout this build writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

/// Why a bundle was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleKind {
    /// A run of this machine that could not be stored when it ran.
    Recovery,
    /// Runs exported to be compared elsewhere.
    Export,
}

/// One run in a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundledRun {
    /// The report as `benchbar run --format json` prints it.
    pub report: RunReport,
    /// The run's metadata as stored (its `run_id` is the source history's, if any).
    pub meta: RunMeta,
    /// The measured cells as stored.
    pub cells: Vec<CellRaw>,
}

#[derive(Serialize, Deserialize)]
struct Content {
    runs: Vec<BundledRun>,
}

/// The envelope as written; `content` is kept as its bytes to check them against `sha256`.
#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    format: String,
    version: u32,
    kind: BundleKind,
    benchbar_version: String,
    created_at: DateTime<Utc>,
    sha256: String,
    #[serde(borrow)]
    content: &'a RawValue,
}

/// Runs in a bundle, with what the envelope says about them.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// Why it was written.
    pub kind: BundleKind,
    /// The BenchBar version that wrote it.
    pub benchbar_version: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The runs, in the order given.
    pub runs: Vec<BundledRun>,
}

impl Bundle {
    /// The recovery bundle of a measured run that could not be stored.
    pub fn recovery(meta: RunMeta, cells: Vec<CellRaw>, report: RunReport) -> Bundle {
        Bundle::new(
            BundleKind::Recovery,
            vec![BundledRun {
                report,
                meta,
                cells,
            }],
        )
    }

    /// The export bundle of stored runs `run_ids` (each report derived as `benchbar export`
    /// derives it).
    pub fn export(store: &Store, run_ids: &[i64]) -> Result<Bundle> {
        if run_ids.is_empty() {
            return Err(Error::Invalid("a bundle needs at least one run".into()));
        }
        let matrix = TargetMatrix::seed();
        let runs = run_ids
            .iter()
            .map(|&id| {
                let stored = store.load_run(id)?;
                Ok(BundledRun {
                    report: stored.report(&matrix),
                    meta: stored.meta,
                    cells: stored.cells,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Bundle::new(BundleKind::Export, runs))
    }

    fn new(kind: BundleKind, runs: Vec<BundledRun>) -> Bundle {
        Bundle {
            kind,
            benchbar_version: env!("CARGO_PKG_VERSION").into(),
            created_at: Utc::now(),
            runs,
        }
    }

    /// The file's bytes: the envelope, with the SHA-256 of the content's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let content = serde_json::to_string(&Content {
            runs: self.runs.clone(),
        })
        .expect("runs serialize to JSON");
        let raw = RawValue::from_string(content).expect("serde_json wrote valid JSON");
        let envelope = Envelope {
            format: BUNDLE_FORMAT.into(),
            version: BUNDLE_VERSION,
            kind: self.kind,
            benchbar_version: self.benchbar_version.clone(),
            created_at: self.created_at,
            sha256: sha256_hex(raw.get().as_bytes()),
            content: &raw,
        };
        serde_json::to_vec_pretty(&envelope).expect("the envelope serializes to JSON")
    }

    /// Writes the bundle to `path`, replacing it only once the new file is complete (written
    /// beside it, then renamed).
    pub fn write_to(&self, path: &Path) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&self.to_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Writes the bundle to a new file in `dir` (created if missing), named after its first
    /// run's start time; never overwrites a file. Returns the file's path.
    pub fn write_new(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let started = self
            .runs
            .first()
            .map_or(self.created_at, |r| r.meta.started_at);
        let stamp = started.format("%Y%m%dT%H%M%SZ");
        let bytes = self.to_bytes();
        for n in 0..1000 {
            let name = match n {
                0 => format!("benchbar-run-{stamp}.json"),
                n => format!("benchbar-run-{stamp}-{n}.json"),
            };
            let path = dir.join(name);
            match std::fs::File::create_new(&path) {
                Ok(mut f) => {
                    f.write_all(&bytes)?;
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

    /// Reads a bundle file; anything else is refused with one line naming the file.
    pub fn read(path: &Path) -> Result<Bundle> {
        let bytes =
            std::fs::read(path).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
        Bundle::parse(&bytes).map_err(|why| Error::Invalid(format!("{}: {why}", path.display())))
    }

    /// Parses a bundle's bytes; the error says in one line why they are not a usable bundle
    /// (not JSON or truncated, not a bundle, a newer format, altered content).
    pub fn parse(bytes: &[u8]) -> std::result::Result<Bundle, String> {
        let head: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("not JSON, or truncated ({e})"))?;
        if head.get("format").and_then(|f| f.as_str()) != Some(BUNDLE_FORMAT) {
            return Err(format!(
                "not a BenchBar result bundle (no \"format\": \"{BUNDLE_FORMAT}\")"
            ));
        }
        match head.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(BUNDLE_VERSION) => {}
            Some(v) if v > u64::from(BUNDLE_VERSION) => {
                return Err(format!(
                    "bundle version {v} is newer than this build reads ({BUNDLE_VERSION}): \
                     update BenchBar to import it"
                ))
            }
            v => {
                return Err(format!(
                    "bundle version {} is not supported (this build reads {BUNDLE_VERSION})",
                    v.map_or_else(|| "(none)".into(), |v| v.to_string())
                ))
            }
        }
        let envelope: Envelope<'_> =
            serde_json::from_slice(bytes).map_err(|e| format!("malformed bundle ({e})"))?;
        let content = envelope.content.get().as_bytes();
        if !sha256_hex(content).eq_ignore_ascii_case(envelope.sha256.trim()) {
            return Err("its content does not match its SHA-256: altered or damaged".into());
        }
        let content: Content = serde_json::from_slice(content)
            .map_err(|e| format!("malformed bundle content ({e})"))?;
        if content.runs.is_empty() {
            return Err("the bundle holds no run".into());
        }
        Ok(Bundle {
            kind: envelope.kind,
            benchbar_version: envelope.benchbar_version,
            created_at: envelope.created_at,
            runs: content.runs,
        })
    }

    /// Stores every run in the history (all or none) and returns their new ids. A recovery
    /// bundle's run is stored as measured (with the regressions of its report); an export
    /// bundle's runs get origin `import`, keep their machine and no regression verdict of
    /// their own machine. A run already in the history (same start, machine, model and engine)
    /// refuses the whole bundle.
    pub fn import(&self, store: &mut Store) -> Result<Vec<i64>> {
        for run in &self.runs {
            if let Some(id) = store.find_same_run(&run.meta)? {
                return Err(Error::Invalid(format!(
                    "already in the history as run {id} ({} on {}, started {})",
                    run.meta.model.id,
                    run.meta.engine.name,
                    run.meta.started_at.to_rfc3339()
                )));
            }
        }
        let runs: Vec<_> = self
            .runs
            .iter()
            .map(|run| {
                let mut meta = run.meta.clone();
                meta.run_id = None;
                let regressions = match self.kind {
                    BundleKind::Recovery => run.report.regressions.clone(),
                    BundleKind::Export => {
                        meta.origin = RunOrigin::Import;
                        Vec::new()
                    }
                };
                (meta, run.cells.clone(), regressions)
            })
            .collect();
        Ok(store.save_runs(&runs)?)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
