//! The memory bandwidth of MLX's default device, measured: what a roofline divides by. A
//! decode step mostly reads (every weight once, little written), so the read bandwidth is the
//! denominator; the copy figure (bytes read + written) stays beside it, as it once was the
//! denominator and is what other tools quote.
//!
//! One array far larger than the caches (the caller sizes it), its values varied; each
//! operation run for a warm-up time first (clocks up, buffers allocated), then timed `reps`
//! times, the fastest taken (a slower call was disturbed, not the memory being slower):
//! - read, as a row reduction (`max` over rows of 1,024: every element read once, 1/1,024 of
//!   it written) and as a matrix-vector product (rows of 4,096 against one vector, what a
//!   decode step's projections do); the read bandwidth is the faster of the two;
//! - copy, `x * 1` (every element read and written once).

use std::time::{Duration, Instant};

use crate::ops::{self, Array, Dtype, ReduceOp};
use crate::{Error, Result};

/// How to measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandwidthOptions {
    /// Size of the array read, in bytes (rounded down to whole rows of 4,096 elements).
    pub array_bytes: u64,
    /// Timed calls per operation (the fastest counts).
    pub reps: u32,
    /// Warm-up time per operation before the timed calls.
    pub warmup: Duration,
    /// Element type of the array (a model's: bf16 on a GPU; f32 where MLX's CPU backend
    /// reduces bf16 slowly).
    pub dtype: Dtype,
}

/// What was measured, GB/s being 10^9 bytes per second.
#[derive(Debug, Clone, PartialEq)]
pub struct Bandwidth {
    /// Read bandwidth: the faster of the two read measures.
    pub read_gbps: f64,
    /// Read bandwidth of the row reduction.
    pub read_reduce_gbps: f64,
    /// Read bandwidth of the matrix-vector product.
    pub read_gemv_gbps: f64,
    /// Copy bandwidth: bytes read plus bytes written.
    pub copy_gbps: f64,
    /// Bytes of the array read.
    pub array_bytes: u64,
}

/// Measures the default device's memory bandwidth.
pub fn measure(options: &BandwidthOptions) -> Result<Bandwidth> {
    if !options.dtype.is_float() {
        return Err(Error::Mlx(format!(
            "bandwidth: measured in a float type, not {:?}",
            options.dtype
        )));
    }
    let elem_bytes = options.dtype.size() as u64;
    let rows_4096 = options.array_bytes / (elem_bytes * 4096);
    if rows_4096 == 0 || options.reps == 0 {
        return Err(Error::Mlx(format!(
            "bandwidth: an array of {} bytes and {} timed calls measure nothing",
            options.array_bytes, options.reps
        )));
    }
    let rows_4096 = i32::try_from(rows_4096)
        .map_err(|_| Error::Mlx("bandwidth: array too large".to_owned()))?;
    // Varied values (a column index per element) without a host-side buffer of the array's size.
    let column = ops::astype(&ops::arange(0, 1024)?, options.dtype)?;
    let x = ops::add(
        &ops::full(&[rows_4096 * 4, 1024], 1.0, options.dtype)?,
        &column,
    )?;
    let w = ops::reshape(&x, &[rows_4096, 4096])?;
    let v = ops::full(&[4096, 1], 1.0, options.dtype)?;
    let one = Array::scalar(1.0, options.dtype)?;
    ops::eval(&[&x, &v])?;
    let bytes = x.nbytes() as f64;

    let reduce_s = fastest(options, &mut || ops::reduce(ReduceOp::Max, &x, 1, false))?;
    let gemv_s = fastest(options, &mut || ops::matmul(&w, &v))?;
    let copy_s = fastest(options, &mut || ops::mul(&x, &one))?;
    let gbps = |b: f64, s: f64| b / s / 1e9;
    let read_reduce_gbps = gbps(bytes, reduce_s);
    let read_gemv_gbps = gbps(bytes, gemv_s);
    Ok(Bandwidth {
        read_gbps: read_reduce_gbps.max(read_gemv_gbps),
        read_reduce_gbps,
        read_gemv_gbps,
        copy_gbps: gbps(2.0 * bytes, copy_s),
        array_bytes: x.nbytes() as u64,
    })
}

/// The fastest of `reps` evaluations of `op` after the warm-up, in seconds.
fn fastest(options: &BandwidthOptions, op: &mut dyn FnMut() -> Result<Array>) -> Result<f64> {
    let mut timed = || -> Result<f64> {
        let t = Instant::now();
        let out = op()?;
        ops::eval(&[&out])?;
        Ok(t.elapsed().as_secs_f64())
    };
    let warm = Instant::now();
    timed()?;
    while warm.elapsed() < options.warmup {
        timed()?;
    }
    let mut best = f64::INFINITY;
    for _ in 0..options.reps {
        best = best.min(timed()?);
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_this_device_and_refuses_nothing_to_measure() {
        let options = BandwidthOptions {
            array_bytes: 64 << 20,
            reps: 3,
            warmup: Duration::ZERO,
            dtype: Dtype::F32,
        };
        let b = measure(&options).unwrap();
        assert_eq!(b.array_bytes, 64 << 20);
        for g in [b.read_reduce_gbps, b.read_gemv_gbps, b.copy_gbps] {
            // Any real memory moves between 0.1 GB/s and 100 TB/s; a timer or byte-count
            // slip (µs for s, elements for bytes) lands outside.
            assert!(g > 0.1 && g < 1e5, "{b:?}");
        }
        assert_eq!(b.read_gbps, b.read_reduce_gbps.max(b.read_gemv_gbps));
        let none = BandwidthOptions {
            array_bytes: 1000,
            ..options
        };
        assert!(measure(&none)
            .unwrap_err()
            .to_string()
            .contains("measure nothing"));
        let ints = BandwidthOptions {
            dtype: Dtype::I32,
            ..options
        };
        assert!(measure(&ints).is_err());
    }
}
