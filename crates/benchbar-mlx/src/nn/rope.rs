//! Qwen3's rotary position embedding as `config.json`'s `rope_scaling` makes it, as mlx_lm's
//! `initialize_rope` does: plain (`default`), `linear` (positions scaled by 1 / factor) or
//! `yarn` (Qwen3's documented setting beyond 32k: frequencies blended between the original and
//! the stretched ones over a ramp, and q and k scaled by `mscale` first).

use crate::config::{rope_scaling_type, Qwen3Config};
use crate::ops::{self, Array, BinaryOp, Dtype, RopeFreqs, RopeOffset};
use crate::{Error, Result};

/// A rotary embedding over the first `dims` of each head (the whole head in Qwen3, a quarter in
/// the hybrids), not traditional.
#[derive(Debug, Clone)]
pub struct Rope {
    dims: i32,
    base: f32,
    /// Position scale (`linear`: 1 / factor).
    scale: f32,
    /// The frequencies `[dims / 2]` (f32) of YaRN, where given.
    freqs: Option<Array>,
    /// YaRN's input scale (1 otherwise).
    mscale: f32,
}

impl Rope {
    /// Plain RoPE with `base` over `dims`.
    pub fn plain(dims: i32, base: f32) -> Rope {
        Rope {
            dims,
            base,
            scale: 1.0,
            freqs: None,
            mscale: 1.0,
        }
    }

    /// The embedding of `cfg` (its `rope_scaling` was checked by [`Qwen3Config::from_dir`]).
    pub fn new(cfg: &Qwen3Config) -> Result<Rope> {
        let (dims, base) = (cfg.rotary_dims() as i32, cfg.rope_theta as f32);
        let Some(scaling) = cfg.rope_scaling_block() else {
            return Ok(Rope::plain(dims, base));
        };
        let num =
            |key: &str, default: f64| scaling.get(key).and_then(|v| v.as_f64()).unwrap_or(default);
        let factor = num("factor", 1.0);
        match rope_scaling_type(scaling) {
            "linear" => Ok(Rope {
                scale: (1.0 / factor) as f32,
                ..Rope::plain(dims, base)
            }),
            "yarn" => {
                let original = num("original_max_position_embeddings", 4096.0);
                let (fast, slow) = (num("beta_fast", 32.0), num("beta_slow", 1.0));
                let (mscale, mscale_all_dim) = (num("mscale", 1.0), num("mscale_all_dim", 0.0));
                let d = f64::from(dims);
                let correction = |rotations: f64| {
                    d * (original / (rotations * 2.0 * std::f64::consts::PI)).ln()
                        / (2.0 * f64::from(base).ln())
                };
                let low = correction(fast).floor().max(0.0);
                let mut high = correction(slow).ceil().min(d - 1.0);
                if low == high {
                    high += 0.001; // as mlx_lm: no zero-width ramp
                }
                let get_mscale = |m: f64| {
                    if factor <= 1.0 {
                        1.0
                    } else {
                        0.1 * m * factor.ln() + 1.0
                    }
                };
                Ok(Rope {
                    freqs: Some(yarn_freqs(dims, base, factor as f32, (low, high))?),
                    mscale: (get_mscale(mscale) / get_mscale(mscale_all_dim)) as f32,
                    ..Rope::plain(dims, base)
                })
            }
            _ => Ok(Rope::plain(dims, base)),
        }
    }

    /// Whether this is plain RoPE (what BenchBar's q/k norm + RoPE kernel computes).
    pub fn is_plain(&self) -> bool {
        self.freqs.is_none() && self.scale == 1.0
    }

    /// The base (of the plain embedding).
    pub fn base(&self) -> f32 {
        self.base
    }

    /// `x [B, H, L, D]` rotated at `off`.
    pub fn apply(&self, x: &Array, off: RopeOffset<'_>) -> Result<Array> {
        let scaled;
        let x = if self.mscale != 1.0 {
            let m = Array::scalar(self.mscale, x.dtype().unwrap_or(Dtype::F32))?;
            scaled = ops::mul(x, &m)?;
            &scaled
        } else {
            x
        };
        let freqs = match &self.freqs {
            Some(f) => RopeFreqs::Given(f),
            None => RopeFreqs::Base(self.base),
        };
        ops::rope(x, self.dims, false, freqs, self.scale, off)
    }
}

/// YaRN's frequencies with MLX's ops in f32, in mlx_lm's order of operations (so the rotation is
/// the reference's to the bit): `base^(2i / dims)` blended with `factor` times it by the ramp
/// `clip((i - low) / (high - low), 0, 1)`.
fn yarn_freqs(dims: i32, base: f32, factor: f32, (low, high): (f64, f64)) -> Result<Array> {
    let half = dims / 2;
    let f32s = |v: Vec<f32>| Array::from_f32(&v, &[half]);
    let scalar = |v: f32| Array::scalar(v, Dtype::F32);
    let even = f32s((0..half).map(|i| (2 * i) as f32).collect())?;
    let extra = ops::binary(
        BinaryOp::Power,
        &scalar(base)?,
        &ops::div(&even, &scalar(dims as f32)?)?,
    )?;
    let inter = ops::mul(&scalar(factor)?, &extra)?;
    let ramp = ops::div(
        &ops::sub(
            &f32s((0..half).map(|i| i as f32).collect())?,
            &scalar(low as f32)?,
        )?,
        &scalar((high - low) as f32)?,
    )?;
    let ramp = ops::binary(
        BinaryOp::Maximum,
        &ops::binary(BinaryOp::Minimum, &ramp, &scalar(1.0)?)?,
        &scalar(0.0)?,
    )?;
    let mask = ops::sub(&scalar(1.0)?, &ramp)?;
    let num = ops::mul(&inter, &extra)?;
    let den = ops::add(
        &ops::mul(&inter, &mask)?,
        &ops::mul(&extra, &ops::sub(&scalar(1.0)?, &mask)?)?,
    )?;
    let freqs = ops::div(&num, &den)?;
    ops::eval(&[&freqs])?;
    if freqs.dim(0) != half {
        return Err(Error::Mlx("yarn: frequency count".into()));
    }
    Ok(freqs)
}
