//! Use cases shared by the `benchbar` CLI and the menu-bar app, so both measure, store and
//! judge a run the same way:
//!
//! * [`open`]: engines from a name (`mlx`, `openai`, the hidden `test-double`) and options;
//! * [`measure`]: run a plan through an engine, build the report, compare it with the baseline
//!   of its configuration and store it in one transaction;
//! * [`notify`]: which regressions of a stored run still have to be announced (each once).

mod error;
pub mod export;
pub mod measure;
pub mod monitor;
pub mod notify;
pub mod open;
pub mod query;

pub use error::{Error, Result};
