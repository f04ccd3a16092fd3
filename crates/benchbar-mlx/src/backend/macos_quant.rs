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

/// An mlx-c operation that writes one array into `res`, as an owned [`Array`].
fn c_op(what: &str, op: impl FnOnce(&mut mlx_sys::mlx_array) -> i32) -> Result<Array> {
    // SAFETY: mlx_array_new returns an empty, owned array handle for the op to fill.
    let mut res = unsafe { mlx_sys::mlx_array_new() };
    if op(&mut res) != 0 {
        // SAFETY: `res` is the handle created above, not used after this.
        unsafe { mlx_sys::mlx_array_free(res) };
        return Err(Error::Mlx(format!("{what} failed")));
    }
    // SAFETY: on success `res` is an owned array handle; Array takes ownership (frees it).
    Ok(unsafe { Array::from_ptr(res) })
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
    let stream = mlx_rs::Stream::thread_local_or_default();
    c_op("quantized_matmul", |res| {
        // SAFETY: every handle is valid for the call (borrowed arrays, the stream above; an
        // absent bias is mlx-c's empty handle, as mlx-rs passes it); `mode` is a NUL-terminated
        // static string; `res` is the output handle.
        unsafe {
            mlx_sys::mlx_quantized_matmul(
                res,
                x.as_ptr(),
                w.as_ptr(),
                scales.as_ptr(),
                if has_biases {
                    biases.as_ptr()
                } else {
                    mlx_sys::mlx_array_new()
                },
                transpose,
                some_int(group_size),
                some_int(bits),
                mode.as_ptr(),
                stream.as_ptr(),
            )
        }
    })
}

pub(crate) fn gather_mm(a: &Array, b: &Array, rhs: &Array, sorted: bool) -> Result<Array> {
    let stream = mlx_rs::Stream::thread_local_or_default();
    c_op("gather_mm", |res| {
        // SAFETY: every handle is valid for the call (borrowed arrays, the stream above; no
        // left-hand indices: mlx-c's empty handle); `res` is the output handle.
        unsafe {
            mlx_sys::mlx_gather_mm(
                res,
                a.as_ptr(),
                b.as_ptr(),
                mlx_sys::mlx_array_new(),
                rhs.as_ptr(),
                sorted,
                stream.as_ptr(),
            )
        }
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
    let stream = mlx_rs::Stream::thread_local_or_default();
    c_op("gather_qmm", |res| {
        // SAFETY: as in `quantized_matmul`; no left-hand indices (mlx-c's empty handle).
        unsafe {
            mlx_sys::mlx_gather_qmm(
                res,
                x.as_ptr(),
                w.as_ptr(),
                scales.as_ptr(),
                if has_biases {
                    biases.as_ptr()
                } else {
                    mlx_sys::mlx_array_new()
                },
                mlx_sys::mlx_array_new(),
                rhs.as_ptr(),
                transpose,
                some_int(group_size),
                some_int(bits),
                mode.as_ptr(),
                sorted,
                stream.as_ptr(),
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
    let stream = mlx_rs::Stream::thread_local_or_default();
    let no_dtype = mlx_sys::mlx_optional_dtype {
        value: mlx_sys::mlx_dtype__MLX_FLOAT32, // ignored: has_value is false
        has_value: false,
    };
    c_op("dequantize", |res| {
        // SAFETY: as in `quantized_matmul`; no global scale (mlx-c's empty handle) and no
        // output dtype (MLX's default for the mode).
        unsafe {
            mlx_sys::mlx_dequantize(
                res,
                w.as_ptr(),
                scales.as_ptr(),
                if has_biases {
                    biases.as_ptr()
                } else {
                    mlx_sys::mlx_array_new()
                },
                some_int(group_size),
                some_int(bits),
                mode.as_ptr(),
                mlx_sys::mlx_array_new(),
                no_dtype,
                stream.as_ptr(),
            )
        }
    })
}
