//! [`CompiledFn`]: a Rust function of arrays compiled by MLX (`mx::compile` on Linux, mlx-rs
//! `compile` on macOS): traced once, then replayed with its element-wise ops merged into one
//! kernel and no per-op graph building on the host (the MLP's SwiGLU, [`crate::nn::swiglu`]).
//!
//! The backends' compiled bodies are one `'static` trampoline; the Rust function to trace is
//! registered for the duration of [`CompiledFn::call`] (`backend/trace.rs`), so the traced
//! function may borrow the model instead of owning it.
//!
//! Rules (MLX's): the function must be pure in its inputs. Arrays it captures (the weights) are
//! constants of the trace; anything that changes between calls must be an input, and new state
//! must be an output. A call with new input shapes or dtypes
//! traces again.

use crate::backend::{self as b, CompiledRaw, Raw};
use crate::ops::Array;
use crate::Result;
use std::cell::RefCell;
use std::thread::LocalKey;

/// A thread's compile-cache entry for one function (created at its first call).
pub(crate) type CompiledSlot = LocalKey<RefCell<Option<CompiledFn>>>;

/// `f` of `inputs`, compiled in `slot` where `fuse` (made `shapeless` at its first call), else
/// run as MLX's eager ops.
pub(crate) fn call_compiled(
    slot: &'static CompiledSlot,
    shapeless: bool,
    fuse: bool,
    f: &TraceFn<'_>,
    inputs: &[&Array],
) -> Result<Vec<Array>> {
    if !fuse {
        let owned: Vec<Array> = inputs.iter().map(|a| (*a).clone()).collect();
        return f(&owned);
    }
    slot.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compiled = match slot.as_mut() {
            Some(c) => c,
            None => slot.insert(CompiledFn::new(shapeless)?),
        };
        compiled.call(f, inputs)
    })
}

/// The function being traced: `inputs -> outputs`.
pub type TraceFn<'a> = dyn Fn(&[Array]) -> Result<Vec<Array>> + 'a;

/// A function compiled by MLX. Create one per distinct function (its compile-cache entry lives
/// as long as this value) and pass the same function to every [`CompiledFn::call`].
pub struct CompiledFn {
    raw: CompiledRaw,
}

impl std::fmt::Debug for CompiledFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledFn").finish_non_exhaustive()
    }
}

impl CompiledFn {
    /// A new compiled function (`shapeless`: one trace for all input shapes; only for functions
    /// whose graph does not depend on shapes).
    pub fn new(shapeless: bool) -> Result<CompiledFn> {
        Ok(CompiledFn {
            raw: b::compile_new(shapeless)?,
        })
    }

    /// Run `f` compiled on `inputs`: traced (`f` runs on MLX tracer arrays) the first time for
    /// these input shapes and dtypes, replayed afterwards (`f` does not run). Lazy, as any op.
    pub fn call(&mut self, f: &TraceFn<'_>, inputs: &[&Array]) -> Result<Vec<Array>> {
        let body = |raw: Vec<Raw>| -> Result<Vec<Raw>> {
            let args: Vec<Array> = raw.into_iter().map(Array).collect();
            Ok(f(&args)?.into_iter().map(|a| a.0).collect())
        };
        let raw: Vec<&Raw> = inputs.iter().map(|a| &a.0).collect();
        Ok(b::compile_call(&mut self.raw, &raw, &body)?
            .into_iter()
            .map(Array)
            .collect())
    }
}
