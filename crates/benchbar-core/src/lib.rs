//! BenchBar core: the plain types and pure logic every other crate builds on.
//!
//! Nothing here does I/O. Measurement (engines), storage, reporting and the app
//! depend on this crate; it depends on none of them.
//!
//! * [`spec`] — what to run: suites, run specs, the cell plan.
//! * [`sample`] — what an engine measured: raw per-token timestamps per request.
//! * [`load`] — concurrency sweeps for servers: levels, SLO, goodput.
//! * [`adaptive`] — adaptive repetitions (`-r auto`): when a cell has measured enough.
//! * [`bandwidth`] — Apple chips' memory bandwidth (the roofline, cross-machine comparisons).
//! * [`catalogue`] — the metric catalogue: name, unit, direction, heading, how to read it.
//! * [`machines`] — one model on two machines side by side (ratios, decode per GB/s).
//! * [`metrics`] — derived metrics exactly as docs/architecture.md defines them.
//! * [`stats`] — summaries (mean, median, SD, CV, 95% CI, guarded percentiles) and Welch's test.
//! * [`suite`] — the seed specification's benchmark suite as data.
//! * [`targets`] — the seed's target matrix as data, and grading a run against it.
//! * [`regression`] — configuration keys and the regression detector.
//! * [`report`] — the JSON report contract built from raw samples.
//! * [`document`] — the one document model and its renderers (terminal table, Markdown,
//!   HTML, CSV, JSON).
//! * [`sync`] — locking shared state whose holder may have panicked.
//! * [`ts`] — TypeScript declarations of what the app's UI receives, for shapes ts-rs cannot derive.

pub mod adaptive;
pub mod bandwidth;
pub mod catalogue;
pub mod depth;
pub mod document;
pub mod error;
pub mod fmt;
pub mod load;
pub mod machines;
pub mod metrics;
pub mod regression;
pub mod report;
pub mod sample;
pub mod spec;
pub mod stats;
pub mod suite;
pub mod sync;
pub mod targets;
#[cfg(feature = "testing")]
pub mod testkit;
pub mod ts;

pub use error::{Error, Result};
