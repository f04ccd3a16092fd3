//! macOS backend, the quantized products: mlx-rs 0.33 hard-codes MLX's affine mode (and has no
//! gather_mm with sorted indices in the form used here), so these call mlx-c through mlx-sys
//! with the mode given, under the Linux bridge's names and arguments.

use super::macos::code;
use crate::types::QuantMode;
use crate::{Error, Result};
use mlx_rs::Array;
use std::ffi::CStr;

/// The mode's name for mlx-c (mlx-rs 0.33 hard-codes "affine", so the quantized products are
/// called through mlx-sys with the mode given).
fn mode_name(mode: u8) -> Result<&'static CStr> {
    Ok(match code(mode, "quantization mode")? {
        QuantMode::Affine => c"affine",
        QuantMode::Mxfp4 => c"mxfp4",
        QuantMode::Nvfp4 => c"nvfp4",
        QuantMode::Mxfp8 => c"mxfp8",
    })
}

fn some_int(value: i32) -> mlx_sys::mlx_optional_int {
    mlx_sys::mlx_optional_int {
        value,
        has_value: true,
    }
}

/// An mlx-c operation that writes one array into `res` on the default stream, as an owned
/// [`Array`].
fn c_op(
    what: &str,
    op: impl FnOnce(&mut mlx_sys::mlx_array, mlx_sys::mlx_stream) -> i32,
) -> Result<Array> {
    let stream = mlx_rs::Stream::thread_local_or_default();
    // SAFETY: mlx_array_new returns an empty, owned array handle for the op to fill.
    let mut res = unsafe { mlx_sys::mlx_array_new() };
    if op(&mut res, stream.as_ptr()) != 0 {
        // SAFETY: `res` is the handle created above, not used after this.
        unsafe { mlx_sys::mlx_array_free(res) };
        return Err(Error::Mlx(format!("{what} failed")));
    }
    // SAFETY: on success `res` is an owned array handle; Array takes ownership (frees it).
    Ok(unsafe { Array::from_ptr(res) })
}

/// `a` where `present`, else mlx-c's empty handle (an absent optional array, as mlx-rs
/// passes it).
fn maybe(a: &Array, present: bool) -> mlx_sys::mlx_array {
    if present {
        a.as_ptr()
    } else {
        // SAFETY: mlx_array_new only makes an empty handle (nothing allocated, nothing to free).
        unsafe { mlx_sys::mlx_array_new() }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn quantized_matmul(
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: &Array,
    has_biases: bool,
    transpose: bool,
    group_size: i32,
    bits: i32,
    mode: u8,
) -> Result<Array> {
    let mode = mode_name(mode)?;
    let (g, b) = (some_int(group_size), some_int(bits));
    c_op("quantized_matmul", |res, s| {
        let (x, w, sc, bi) = (
            x.as_ptr(),
            w.as_ptr(),
            scales.as_ptr(),
            maybe(biases, has_biases),
        );
        // SAFETY: every handle is valid for the call (borrowed arrays, the default stream);
        // `mode` is a NUL-terminated static string; `res` is the output handle.
        unsafe {
            mlx_sys::mlx_quantized_matmul(res, x, w, sc, bi, transpose, g, b, mode.as_ptr(), s)
        }
    })
}

pub(crate) fn gather_mm(a: &Array, b: &Array, rhs: &Array, sorted: bool) -> Result<Array> {
    c_op("gather_mm", |res, s| {
        let lhs = maybe(a, false);
        // SAFETY: as in `quantized_matmul`; no left-hand indices.
        unsafe { mlx_sys::mlx_gather_mm(res, a.as_ptr(), b.as_ptr(), lhs, rhs.as_ptr(), sorted, s) }
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn gather_qmm(
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: &Array,
    has_biases: bool,
    rhs: &Array,
    transpose: bool,
    group_size: i32,
    bits: i32,
    mode: u8,
    sorted: bool,
) -> Result<Array> {
    let mode = mode_name(mode)?;
    let (g, b) = (some_int(group_size), some_int(bits));
    c_op("gather_qmm", |res, s| {
        let (x, w, sc, bi) = (
            x.as_ptr(),
            w.as_ptr(),
            scales.as_ptr(),
            maybe(biases, has_biases),
        );
        let (lhs, rhs) = (maybe(scales, false), rhs.as_ptr());
        // SAFETY: as in `quantized_matmul`; no left-hand indices.
        unsafe {
            mlx_sys::mlx_gather_qmm(
                res,
                x,
                w,
                sc,
                bi,
                lhs,
                rhs,
                transpose,
                g,
                b,
                mode.as_ptr(),
                sorted,
                s,
            )
        }
    })
}

pub(crate) fn dequantize(
    w: &Array,
    scales: &Array,
    biases: &Array,
    has_biases: bool,
    group_size: i32,
    bits: i32,
    mode: u8,
) -> Result<Array> {
    let mode = mode_name(mode)?;
    let (g, b) = (some_int(group_size), some_int(bits));
    let no_dtype = mlx_sys::mlx_optional_dtype {
        value: mlx_sys::mlx_dtype__MLX_FLOAT32, // ignored: has_value is false
        has_value: false,
    };
    c_op("dequantize", |res, s| {
        let (w, sc, bi) = (w.as_ptr(), scales.as_ptr(), maybe(biases, has_biases));
        let global_scale = maybe(scales, false);
        // SAFETY: as in `quantized_matmul`; no global scale and no output dtype (MLX's default
        // for the mode).
        unsafe {
            mlx_sys::mlx_dequantize(
                res,
                w,
                sc,
                bi,
                g,
                b,
                mode.as_ptr(),
                global_scale,
                no_dtype,
                s,
            )
        }
    })
}
