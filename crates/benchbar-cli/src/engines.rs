//! Engine selection from `--engine` and `--model`.

use anyhow::{bail, Result};
use benchbar_engine::{Engine, MlxEngine, TestDoubleEngine};

/// Opens the engine named by `--engine` for `--model`.
///
/// `test-double[:key=value,...]` is a hidden value for tests: a deterministic stand-in whose
/// timings are synthetic. Its reports say so in the engine version.
pub fn open(engine: &str, model: &str) -> Result<Box<dyn Engine>> {
    let (name, options) = engine.split_once(':').unwrap_or((engine, ""));
    match name {
        "test-double" => Ok(Box::new(TestDoubleEngine::with_options(model, options)?)),
        "mlx" if options.is_empty() => Ok(Box::new(MlxEngine::load(model)?)),
        "mlx" => bail!("the mlx engine takes no options ('{engine}')"),
        other => bail!("unknown engine '{other}' (available: mlx)"),
    }
}
