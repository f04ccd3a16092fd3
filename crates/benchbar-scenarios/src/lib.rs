//! Use-case scenarios from the seed specification (issue #7): generated corpora, scenario
//! runners with output checks, and the RAG pipeline.
//!
//! * [`list`]: the five scenarios with their corpus sizes and the seed's targets.
//! * [`run_scenario`]: runs one through any [`benchbar_engine::Engine`] (items batched through
//!   [`benchbar_engine::Engine::generate_text`], i.e. true batched decode on MLX), checks every
//!   output, and grades the set's time against the seed.
//! * [`save`] / [`load`]: a result in the history (a `runs` row + its scenario result).
//!
//! Corpora are generated in code from fixed seeds ([`Corpus::generated`]); a corpus can also be
//! read from a JSON file ([`Corpus::load`]).

mod batch;
pub mod checks;
pub mod corpus;
mod error;
mod grade;
mod kind;
mod rag;
mod result;
mod run;
pub mod schema;
mod store;
pub mod text;

pub use corpus::{Chunk, Corpus, Item};
pub use error::{Error, Result};
pub use grade::{parse_max_seconds, TargetGrade};
pub use kind::{list, ScenarioInfo, ScenarioKind};
pub use rag::{RagQuery, RagResult, RagStage};
pub use result::{CheckRate, ItemRecord, ScenarioResult};
pub use run::{run_scenario, run_with_corpus, ScenarioOptions, ScenarioProgress};
pub use store::{load, save, ScenarioRun};
