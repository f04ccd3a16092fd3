//! [`EngineOptions`]: how the in-process engine builds and runs a model, chosen by the caller
//! and passed to [`crate::Qwen3Runtime::load_with`]. The library reads no environment variable
//! for them; a binary maps its flags or environment onto this value (the CLI reads
//! `BENCHBAR_MLX_KERNELS`, `_FUSE`, `_COMPILE`, `_PIPELINE` and `_TRACE` with the parsers here).

use crate::kernels::Kernel;
use std::path::PathBuf;

/// A set of BenchBar's CUDA kernels ([`Kernel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelSet(u8);

impl KernelSet {
    /// No kernel: MLX's ops everywhere.
    pub const NONE: KernelSet = KernelSet(0);
    /// Every kernel ([`Kernel::ALL`]).
    pub const ALL: KernelSet = KernelSet((1 << Kernel::ALL.len()) - 1);

    /// The set of `kernels`.
    pub fn of(kernels: &[Kernel]) -> KernelSet {
        KernelSet(kernels.iter().fold(0, |m, k| m | k.bit()))
    }

    /// The set as bits (bit `k as u8` for kernel `k`).
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether `kernel` is in the set.
    pub fn contains(self, kernel: Kernel) -> bool {
        self.0 & kernel.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set named by a `BENCHBAR_MLX_KERNELS`-style value ([`crate::kernels::selection`]).
    pub fn parse(value: Option<&str>) -> Result<KernelSet, String> {
        crate::kernels::selection(value).map(KernelSet)
    }
}

impl Default for KernelSet {
    /// Every kernel (each used only where it runs: MLX CUDA, after its self-check).
    fn default() -> KernelSet {
        KernelSet::ALL
    }
}

/// Order of scheduling and waiting in the decode loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecodeOrder {
    /// `0`: token i is read and stamped, then step i + 1 is scheduled (its graph is already
    /// built). Exact timestamps; the device idles while step i + 1 is dispatched.
    Strict,
    /// `1`: step i + 1 is scheduled, then token i is read (`read_u32`, no new op). Stamps are
    /// late by the rest of that dispatch (docs/perf-notes.md).
    Read,
    /// `defer`: step i + 1 is scheduled, then token i's event is waited for and stamped; with a
    /// fixed length the ids are read after the last step. Late like `Read` (docs/perf-notes.md).
    Defer,
    /// Default (`thread`): step i + 1 is scheduled while a second thread waits for token i and
    /// takes the timestamp the moment MLX signals it; the decode thread then reads the ids. The
    /// device does not wait for the host's dispatch of the next step, and the stamp does not
    /// wait for it either (with one thread, the wait can only begin after that dispatch).
    #[default]
    Thread,
}

impl DecodeOrder {
    /// The order named by a `BENCHBAR_MLX_PIPELINE`-style value: `0`/`off`/`strict`,
    /// `1`/`on`/`read`, `defer`; anything else (or none) is the default, [`DecodeOrder::Thread`].
    pub fn parse(value: Option<&str>) -> DecodeOrder {
        match value {
            Some("0") | Some("off") | Some("strict") => DecodeOrder::Strict,
            Some("1") | Some("on") | Some("read") => DecodeOrder::Read,
            Some("defer") => DecodeOrder::Defer,
            _ => DecodeOrder::Thread,
        }
    }
}

/// A switch given as text: `0|false|off` -> false, `1|true|on` -> true, none or other ->
/// `default` (the reading of `BENCHBAR_MLX_FUSE` and `BENCHBAR_MLX_COMPILE`).
pub fn parse_switch(value: Option<&str>, default: bool) -> bool {
    match value {
        Some("0") | Some("false") | Some("off") => false,
        Some("1") | Some("true") | Some("on") => true,
        _ => default,
    }
}

/// How the in-process engine builds and runs a model. The default is what the CLI runs with no
/// `BENCHBAR_MLX_*` variable set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// BenchBar's CUDA kernels to use (`BENCHBAR_MLX_KERNELS`). At load they are narrowed to
    /// those that can run: none on CPU and Metal, none where the self-check fails.
    pub kernels: KernelSet,
    /// Projections of one input stacked into one matmul and SwiGLU compiled into one kernel
    /// (`BENCHBAR_MLX_FUSE`; on unless `false`).
    pub fuse: bool,
    /// The whole decode step compiled once and replayed (`BENCHBAR_MLX_COMPILE=1`).
    pub compile: bool,
    /// Scheduling order of the decode loop (`BENCHBAR_MLX_PIPELINE`).
    pub decode_order: DecodeOrder,
    /// Append one line per generate call to this file (`BENCHBAR_MLX_TRACE`): start and end as
    /// Unix seconds, the generated token count, and the median host µs per decode step spent
    /// building the graph and encoding it. Read by scripts/gpu_bench.py.
    pub trace: Option<PathBuf>,
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions {
            kernels: KernelSet::ALL,
            fuse: true,
            compile: false,
            decode_order: DecodeOrder::Thread,
            trace: None,
        }
    }
}

impl EngineOptions {
    /// The part that decides how the model is built, with `kernels` (those that run).
    pub(crate) fn model(&self, kernels: KernelSet) -> ModelOptions {
        ModelOptions {
            kernels,
            fuse: self.fuse,
        }
    }
}

/// What a model is built with ([`crate::model::Qwen3::new`]): the kernels its layers use, as
/// given (a kernel given where it cannot run fails at its first call; [`crate::Qwen3Runtime`]
/// gives only those that run), and whether projections are stacked and SwiGLU compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelOptions {
    /// Kernels the layers use (the stream's folding is [`Kernel::Fold`]: where no kernel runs
    /// it changes no value, MLX's ops apply each norm and add where the kernel would).
    pub kernels: KernelSet,
    /// Stacked projections and compiled SwiGLU.
    pub fuse: bool,
}

impl Default for ModelOptions {
    /// No kernel, fusion on: what [`EngineOptions::default`] builds where no kernel runs.
    fn default() -> ModelOptions {
        ModelOptions {
            kernels: KernelSet::NONE,
            fuse: true,
        }
    }
}
