//! The function a compiled call traces, registered per thread for the duration of the call, for
//! both backends' trampolines (MLX traces synchronously, on the calling thread, inside the
//! compiled call, so the body may borrow the model instead of owning it).

use crate::Result;
use std::cell::Cell;

/// The body of a compiled function, on the backend's arrays `R`.
pub(crate) type TraceBody<'a, R> = dyn Fn(Vec<R>) -> Result<Vec<R>> + 'a;

thread_local! {
    // A `*const &TraceBody<'_, R>` (a thin pointer to the fat one), type-erased: each build has
    // one backend and so one `R`.
    static CURRENT: Cell<Option<*const ()>> = const { Cell::new(None) };
}

/// Run `f` with `body` registered as the function MLX traces on this thread.
pub(crate) fn with_trace_body<R, T>(body: &TraceBody<'_, R>, f: impl FnOnce() -> T) -> T {
    let holder: &&TraceBody<'_, R> = &body;
    let ptr = holder as *const &TraceBody<'_, R> as *const ();
    struct Restore(Option<*const ()>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    // The guard restores the previous value on every exit path, so the pointer never outlives
    // `holder` (a local of this frame, alive while `f` runs).
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(ptr))));
    f()
}

/// Run the body registered by the [`with_trace_body`] in progress on this thread.
pub(crate) fn trace_current<R>(inputs: Vec<R>) -> Result<Vec<R>> {
    let ptr = CURRENT.with(|c| c.get()).ok_or_else(|| {
        crate::Error::Mlx("compiled function traced outside CompiledFn::call".into())
    })?;
    // SAFETY: set by `with_trace_body` on this thread from a `&&TraceBody<'_, R>` that lives
    // until that call returns (it clears the pointer first); `R` is the backend's array type,
    // the only one either function is called with.
    let body: &&TraceBody<'_, R> = unsafe { &*(ptr as *const &TraceBody<'_, R>) };
    body(inputs)
}
