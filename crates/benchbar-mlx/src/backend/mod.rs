//! The platform's MLX, behind one set of function names (selected at compile time):
//! - Linux: [`linux`], a cxx bridge over the MLX C++ library from the PyPI wheel, whose
//!   operations are the bridge's functions themselves (`shim/ops.h` defines each one).
//! - macOS: `macos.rs` (adapters), `macos_ops.rs` and `macos_quant.rs` (the operations), free
//!   functions of the same names and arguments over mlx-rs 0.33 (and mlx-sys where mlx-rs
//!   hard-codes the affine quantization mode).
//!
//! `crate::ops` calls these names and nothing else, on both platforms, so the compiler checks
//! that both offer every operation with the same arguments (macOS through
//! `scripts/check-macos.sh`). An operation is written in four places: `shim/ops.h` (C++), the
//! bridge block of `linux.rs` (its declaration), `macos_ops.rs` (or `macos_quant.rs`), and `ops.rs` (the public
//! function). Arguments are plain values shaped for the bridge: arrays by reference, shapes and
//! axes as `&[i32]`, enums as their `u8` codes (`crate::types::Code`), optional arrays as an
//! array and a `has_…` flag. Each module also has the same small adapters: `arr`/`arrs` (a
//! call's result as `Raw` values), `ok` (any other result), `list` (arrays in).
//!
//! BenchBar's own CUDA kernels are not here: they are a plug-in of their own (`crate::cuda`,
//! Linux only).

#[cfg(target_os = "linux")]
pub(crate) mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(target_os = "macos")]
pub(crate) mod macos;
#[cfg(target_os = "macos")]
pub(crate) use macos::*;
#[cfg(target_os = "macos")]
mod macos_ops;
#[cfg(target_os = "macos")]
pub(crate) use macos_ops::*;
#[cfg(target_os = "macos")]
mod macos_quant;
#[cfg(target_os = "macos")]
pub(crate) use macos_quant::*;

mod trace;
