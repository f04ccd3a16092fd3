//! Use cases shared by the `benchbar` CLI and the menu-bar app, so both measure, store and
//! judge a run the same way:
//!
//! * [`open`]: engines from a name (`mlx`, `openai`, the hidden `test-double`) and options;
//! * [`run`]: the one way a benchmark starts ([`run::execute`]): measure a plan through an
//!   engine, compare the report with the baseline of its configuration, store it in one
//!   transaction and announce its new regressions, holding the run lock;
//! * [`bundle`]: result bundles: a run that cannot be stored kept until imported, and runs
//!   exported to compare on another machine;
//! * [`metrics`]: the history as Prometheus metrics (`benchbar serve`, `--push`);
//! * [`notify`]: which regressions of a stored run still have to be announced (each once).

pub mod bundle;
mod error;
pub mod export;
mod measure;
pub mod metrics;
pub mod monitor;
pub mod notify;
pub mod open;
pub mod query;
pub mod run;

pub use error::{Error, Result};
