//! [`CompiledFn`]: a Rust function of arrays compiled by MLX (`mx::compile` on Linux, mlx-rs
//! `compile` on macOS), so a whole decode step is traced once and then replayed with fused
//! element-wise kernels and no per-op graph building on the host.
//!
//! The backends' compiled bodies are one `'static` trampoline; the Rust function to trace is
//! registered in a thread-local for the duration of [`CompiledFn::call`] (MLX traces
//! synchronously, on the calling thread, inside that call). That lets the traced function borrow
//! the model instead of owning it.
//!
//! Rules (MLX's): the function must be pure in its inputs. Arrays it captures (the weights) are
//! constants of the trace; anything that changes between calls (tokens, KV cache, positions)
//! must be an input, and new state must be an output. A call with new input shapes or dtypes
//! traces again.

use crate::backend::{Active as B, Backend, Raw};
use crate::ops::Array;
use crate::{Error, Result};
use std::cell::Cell;

/// The function being traced: `inputs -> outputs`.
pub type TraceFn<'a> = dyn Fn(&[Array]) -> Result<Vec<Array>> + 'a;

thread_local! {
    static CURRENT: Cell<Option<*const TraceFn<'static>>> = const { Cell::new(None) };
}

/// A function compiled by MLX. Create one per distinct function (its compile-cache entry lives
/// as long as this value) and pass the same function to every [`CompiledFn::call`].
pub struct CompiledFn {
    raw: <B as Backend>::Compiled,
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
            raw: B::compile_new(shapeless)?,
        })
    }

    /// Run `f` compiled on `inputs`: traced (`f` runs on MLX tracer arrays) the first time for
    /// these input shapes and dtypes, replayed afterwards (`f` does not run). Lazy, as any op.
    pub fn call(&mut self, f: &TraceFn<'_>, inputs: &[&Array]) -> Result<Vec<Array>> {
        let ptr: *const TraceFn<'_> = f;
        // SAFETY: only the lifetime bound of the trait object changes (same layout and vtable).
        // The pointer is dereferenced only by `trace_current` while this call is in progress
        // (the guard below clears it on every exit path), when `f` is still borrowed.
        let ptr: *const TraceFn<'static> = unsafe { std::mem::transmute(ptr) };
        struct Restore(Option<*const TraceFn<'static>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(CURRENT.with(|c| c.replace(Some(ptr))));
        let raw: Vec<&Raw> = inputs.iter().map(|a| &a.0).collect();
        Ok(B::compile_call(&mut self.raw, &raw)?
            .into_iter()
            .map(Array)
            .collect())
    }
}

/// Run the function registered by the [`CompiledFn::call`] in progress on this thread (called by
/// the backends' compiled body while MLX traces).
pub(crate) fn trace_current(inputs: Vec<Raw>) -> Result<Vec<Raw>> {
    let ptr = CURRENT
        .with(|c| c.get())
        .ok_or_else(|| Error::Mlx("compiled function traced outside CompiledFn::call".into()))?;
    // SAFETY: set by `CompiledFn::call` from a live `&TraceFn` for the duration of that call,
    // on this thread (thread-local), and cleared before it returns.
    let f = unsafe { &*ptr };
    let args: Vec<Array> = inputs.into_iter().map(Array).collect();
    Ok(f(&args)?.into_iter().map(|a| a.0).collect())
}
