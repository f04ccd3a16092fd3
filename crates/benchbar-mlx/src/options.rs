//! [`EngineOptions`]: how the in-process engine builds and runs a model, chosen by the caller
//! and passed to [`crate::Qwen3Runtime::load_with`]. The library reads no environment variable
//! for them; a binary maps its flags or environment onto this value (the CLI reads
//! `BENCHBAR_MLX_KERNELS`, `_FUSE`, `_PIPELINE` and `_TRACE` with the parsers here).

use crate::fast::Kernels;
use std::path::PathBuf;

/// BenchBar's kernels, each selectable by name ([`selection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// `gemv_q4`: the 4-bit matrix-vector product (with SwiGLU for a stacked gate|up).
    GemvQ4 = 0,
    /// `add_rms_norm`: residual add + RMSNorm.
    AddRmsNorm = 1,
    /// `qk_norm_rope`: q/k RMSNorm + RoPE, with the KV-cache write.
    QkNormRope = 2,
    /// `gemv`: the matrix-vector product of a float (bf16, f16, f32) weight (with SwiGLU for a
    /// stacked gate|up).
    Gemv = 3,
    /// `attention`: attention of one position over the KV cache, split over the keys.
    Attention = 4,
    /// `fold`: the residual stream's ops folded into the matrix-vector kernels around them
    /// (the RMSNorm into the float projection after it, the residual add into the one before
    /// it: [`crate::fast::Fold`]), so a bf16 layer's two add + RMSNorm kernels go. Needs
    /// `gemv` / `gemv_q4`.
    Fold = 5,
}

impl Kernel {
    /// Every kernel: the default ([`crate::EngineOptions::default`]; the CLI's
    /// `BENCHBAR_MLX_KERNELS` unset or `all`), each faster than or as fast as the MLX ops it
    /// replaces on every model measured (docs/perf-notes.md).
    pub const ALL: [Kernel; 6] = [
        Kernel::GemvQ4,
        Kernel::AddRmsNorm,
        Kernel::QkNormRope,
        Kernel::Gemv,
        Kernel::Attention,
        Kernel::Fold,
    ];
    /// The name used in a selection ([`selection`]; the CLI's `BENCHBAR_MLX_KERNELS`).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::GemvQ4 => "gemv_q4",
            Kernel::AddRmsNorm => "add_rms_norm",
            Kernel::QkNormRope => "qk_norm_rope",
            Kernel::Gemv => "gemv",
            Kernel::Attention => "attention",
            Kernel::Fold => "fold",
        }
    }

    pub(crate) fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The kernels selected by a `BENCHBAR_MLX_KERNELS` value, as a bit set: every kernel
/// ([`Kernel::ALL`]) when unset, empty, `1`, `on`, `auto` or `all`; none for `0`, `off`, `false`
/// or `none`; else the comma-separated names. An unknown name is an error (the caller reports it
/// and runs MLX's ops).
pub fn selection(value: Option<&str>) -> std::result::Result<u8, String> {
    let v = value.unwrap_or("").trim().to_ascii_lowercase();
    match v.as_str() {
        "" | "1" | "on" | "auto" | "all" => {
            return Ok(Kernel::ALL.iter().fold(0, |m, k| m | k.bit()))
        }
        "0" | "off" | "false" | "none" => return Ok(0),
        _ => {}
    }
    v.split(',').map(str::trim).try_fold(0u8, |m, name| {
        Kernel::ALL
            .iter()
            .find(|k| k.name() == name)
            .map(|k| m | k.bit())
            .ok_or_else(|| {
                let names: Vec<&str> = Kernel::ALL.iter().map(|k| k.name()).collect();
                format!("unknown kernel {name:?} (known: {})", names.join(", "))
            })
    })
}

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

    /// The set named by a `BENCHBAR_MLX_KERNELS`-style value ([`selection`]).
    pub fn parse(value: Option<&str>) -> Result<KernelSet, String> {
        selection(value).map(KernelSet)
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
    /// Default (`thread`): step i + 1 is scheduled while a second thread waits for token i and
    /// takes the timestamp the moment MLX signals it; the decode thread then reads the ids. The
    /// device does not wait for the host's dispatch of the next step, and the stamp does not
    /// wait for it either (with one thread, the wait can only begin after that dispatch).
    #[default]
    Thread,
}

impl DecodeOrder {
    /// The order named by a `BENCHBAR_MLX_PIPELINE`-style value: `0`/`off`/`strict` is
    /// [`DecodeOrder::Strict`]; anything else (or none) the default, [`DecodeOrder::Thread`].
    /// The former `1`/`read` and `defer` orders, late and inexact, are gone: they read as the
    /// default.
    pub fn parse(value: Option<&str>) -> DecodeOrder {
        match value {
            Some("0") | Some("off") | Some("strict") => DecodeOrder::Strict,
            _ => DecodeOrder::Thread,
        }
    }
}

/// A switch given as text: `0|false|off` -> false, `1|true|on` -> true, none or other ->
/// `default` (the reading of `BENCHBAR_MLX_FUSE`).
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
    /// Scheduling order of the decode loop (`BENCHBAR_MLX_PIPELINE`).
    pub decode_order: DecodeOrder,
    /// Append one line per generate call to this file (`BENCHBAR_MLX_TRACE`): start and end as
    /// Unix seconds, the generated token count, and the median host µs per decode step spent
    /// building the graph and encoding it. Read by scripts/gpu_bench.py.
    pub trace: Option<PathBuf>,
    /// The KV cache of every generation quantized ([`crate::KvQuant`]; `--kv-bits`).
    pub kv_quant: Option<crate::KvQuant>,
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions {
            kernels: KernelSet::ALL,
            fuse: true,
            decode_order: DecodeOrder::Thread,
            trace: None,
            kv_quant: None,
        }
    }
}

impl EngineOptions {
    /// The part that decides how the model is built, with `kernels` (those that run) and their
    /// handle.
    pub(crate) fn model(&self, kernels: KernelSet, fast: Option<Kernels>) -> ModelOptions {
        ModelOptions {
            kernels,
            fast,
            fuse: self.fuse,
        }
    }
}

/// What a model is built with ([`crate::models::Qwen3::new`]): the kernels its layers use and
/// their handle ([`crate::Qwen3Runtime`] gives only those that run here), and whether
/// projections are stacked and SwiGLU compiled.
#[derive(Debug, Clone, Copy)]
pub struct ModelOptions {
    /// Kernels the layers use, where [`ModelOptions::fast`] is given (the stream's folding,
    /// [`Kernel::Fold`], also without it: where no kernel runs it changes no value, MLX's ops
    /// apply each norm and add where the kernel would).
    pub kernels: KernelSet,
    /// BenchBar's kernels (`None`: MLX's ops everywhere).
    pub fast: Option<Kernels>,
    /// Stacked projections and compiled SwiGLU.
    pub fuse: bool,
}

impl Default for ModelOptions {
    /// No kernel, fusion on: what [`EngineOptions::default`] builds where no kernel runs.
    fn default() -> ModelOptions {
        ModelOptions {
            kernels: KernelSet::NONE,
            fast: None,
            fuse: true,
        }
    }
}

impl ModelOptions {
    /// The handle, where `kernel` is one of [`ModelOptions::kernels`] and a handle is given.
    pub fn kernel(&self, kernel: Kernel) -> Option<Kernels> {
        self.fast.filter(|_| self.kernels.contains(kernel))
    }
}
