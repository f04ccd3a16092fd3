//! [`Array`]: BenchBar's handle of a lazily evaluated MLX array (the platform backend's array),
//! with its constructors from host data and what can be asked of it; the operations on arrays
//! are in [`crate::ops`].

use crate::backend::{self as b, Raw};
use crate::types::Dtype;
use crate::{Error, Result};

/// A lazily evaluated MLX array. Cloning is cheap (shares the buffer).
#[derive(Clone)]
pub struct Array(pub(crate) Raw);

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Array({:?}, {:?})", self.shape(), self.dtype())
    }
}

/// A backend call's array as an [`Array`].
pub(crate) fn arr(r: Result<Raw>) -> Result<Array> {
    r.map(Array)
}

/// Checks that `n` host values fill `shape`.
fn check_len(n: usize, shape: &[i32]) -> Result<()> {
    let want: i64 = shape.iter().map(|&d| d as i64).product();
    if shape.iter().any(|&d| d < 0) || want != n as i64 {
        return Err(Error::Mlx(format!(
            "{n} values do not fill shape {shape:?}"
        )));
    }
    Ok(())
}

impl Array {
    /// f32 array from host data.
    pub fn from_f32(data: &[f32], shape: &[i32]) -> Result<Array> {
        check_len(data.len(), shape)?;
        arr(b::arr(b::from_f32(data, shape)))
    }
    /// i32 array from host data.
    pub fn from_i32(data: &[i32], shape: &[i32]) -> Result<Array> {
        check_len(data.len(), shape)?;
        arr(b::arr(b::from_i32(data, shape)))
    }
    /// Scalar of `dtype`.
    pub fn scalar(value: f32, dtype: Dtype) -> Result<Array> {
        arr(b::arr(b::full(&[], value, dtype as u8)))
    }
    /// Shape.
    pub fn shape(&self) -> Vec<i32> {
        b::shape(&self.0)
    }
    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }
    /// Size of dimension `axis` (negative counts from the end); 0 when out of range.
    pub fn dim(&self, axis: i32) -> i32 {
        let s = self.shape();
        let i = if axis < 0 {
            s.len() as i32 + axis
        } else {
            axis
        };
        if i < 0 {
            return 0;
        }
        s.get(i as usize).copied().unwrap_or(0)
    }
    /// Element type (`None` for types BenchBar does not use).
    pub fn dtype(&self) -> Option<Dtype> {
        <Dtype as crate::types::Code>::from_code(b::dtype(&self.0))
    }
    /// Bytes of data.
    pub fn nbytes(&self) -> usize {
        b::nbytes(&self.0)
    }
    /// Evaluate and copy to the host as f32.
    pub fn to_f32_vec(&self) -> Result<Vec<f32>> {
        b::ok(b::to_f32_vec(&self.0))
    }
    /// Evaluate and copy to the host as i32.
    pub fn to_i32_vec(&self) -> Result<Vec<i32>> {
        b::ok(b::to_i32_vec(&self.0))
    }
    /// Wait until this array is computed, without reading its data (a scheduled array waits on
    /// its own event).
    pub fn wait(&self) -> Result<()> {
        b::ok(b::wait_ready(&self.0))
    }
    /// Wait for this (u32/i32) array and copy it out without scheduling any operation, so that
    /// work scheduled after it (the next decode step) is not waited for.
    pub fn read_u32(&self) -> Result<Vec<u32>> {
        b::ok(b::read_u32(&self.0))
    }
}
