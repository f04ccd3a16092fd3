//! The rotary position embedding as `config.json`'s `rope_scaling` (the hybrids:
//! `rope_parameters`) makes it, as mlx_lm's `initialize_rope` does: plain (`default`, and
//! `mrope`, which the text model runs plain), `linear` (positions scaled by 1 / factor), `yarn`
//! (Qwen3's documented setting beyond 32k: frequencies blended between the original and the
//! stretched ones over a ramp, the rotated part scaled by `mscale` first), `llama3` (long
//! wavelengths stretched, a smooth band between), `longrope` (per-pair factors, the rotated
//! part scaled), `dynamic` (NTK: the base grows once the sequence passes the trained context)
//! and `proportional` (a share of the pairs rotated). Qwen3-MoE's mlx_lm class ignores
//! `rope_scaling` (plain RoPE at `rope_theta`), and so does this, to match it.
//!
//! The frequencies are made with MLX's ops in mlx_lm's order of operations (so the rotation is
//! the reference's to the bit).

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
    /// The frequencies `[dims / 2]` (f32) of the scaled variants, where given.
    freqs: Option<Array>,
    /// The rotated part's input scale (`yarn`, `longrope`; 1 otherwise).
    mscale: f32,
    /// `dynamic`: the trained context and the factor the base grows by past it.
    dynamic: Option<(i32, f64)>,
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
            dynamic: None,
        }
    }

    /// The embedding of `cfg` (its `rope_scaling` was checked by [`Qwen3Config::from_dir`]).
    pub fn new(cfg: &Qwen3Config) -> Result<Rope> {
        let (dims, base) = (cfg.rotary_dims() as i32, cfg.rope_theta as f32);
        let plain = Rope::plain(dims, base);
        let scaling = match cfg.rope_scaling_block() {
            Some(s) if cfg.model_type != "qwen3_moe" => s,
            _ => return Ok(plain),
        };
        let num =
            |key: &str, default: f64| scaling.get(key).and_then(|v| v.as_f64()).unwrap_or(default);
        let factor = num("factor", 1.0);
        let max_pos = cfg.max_position_embeddings as f64;
        match rope_scaling_type(scaling) {
            "linear" => Ok(Rope {
                scale: (1.0 / factor) as f32,
                ..plain
            }),
            "yarn" | "deepseek_yarn" | "telechat3-yarn" => {
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
                    ..plain
                })
            }
            "llama3" => {
                let original = num("original_max_position_embeddings", 8192.0);
                let bands = (num("low_freq_factor", 1.0), num("high_freq_factor", 4.0));
                Ok(Rope {
                    freqs: Some(llama3_freqs(dims, base, factor, original, bands)?),
                    ..plain
                })
            }
            "longrope" => {
                let original = num("original_max_position_embeddings", 4096.0);
                let long = scaling
                    .get("long_factor")
                    .and_then(|v| v.as_array())
                    .map(|a| a.iter().filter_map(|x| x.as_f64()).collect::<Vec<_>>())
                    .unwrap_or_default();
                let stretch = max_pos / original;
                let mscale = match scaling.get("long_mscale").and_then(|v| v.as_f64()) {
                    Some(m) if m != 0.0 => m,
                    _ if stretch <= 1.0 => 1.0,
                    _ => (1.0 + stretch.ln() / original.ln()).sqrt(),
                };
                Ok(Rope {
                    freqs: Some(longrope_freqs(dims, base, &long)?),
                    mscale: mscale as f32,
                    ..plain
                })
            }
            "dynamic" => Ok(Rope {
                dynamic: Some((cfg.max_position_embeddings as i32, factor)),
                ..plain
            }),
            "proportional" => {
                let rotated = (f64::from(dims) * num("partial_rotary_factor", 1.0)) as i32;
                Ok(Rope {
                    freqs: Some(proportional_freqs(dims, rotated, base, factor as f32)?),
                    ..plain
                })
            }
            _ => Ok(plain), // mrope: the text model's positions are plain
        }
    }

    /// Whether this is plain RoPE (what BenchBar's q/k norm + RoPE kernel computes).
    pub fn is_plain(&self) -> bool {
        self.freqs.is_none() && self.scale == 1.0 && self.dynamic.is_none()
    }

    /// The base (of the plain embedding).
    pub fn base(&self) -> f32 {
        self.base
    }

    /// `x [B, H, L, D]` rotated at `off`.
    pub fn apply(&self, x: &Array, off: RopeOffset<'_>) -> Result<Array> {
        let scaled;
        let x = if self.mscale != 1.0 {
            scaled = self.scale_rotated(x)?;
            &scaled
        } else {
            x
        };
        let base = match self.dynamic {
            None => self.base,
            Some((trained, factor)) => {
                let RopeOffset::Scalar(offset) = off else {
                    return Err(Error::Invalid(
                        "dynamic RoPE scaling with a left-padded batch (one offset per row)".into(),
                    ));
                };
                // as mlx_lm: the base for the longest sequence so far, at least the trained one
                let seq = f64::from((x.dim(-2) + offset).max(trained));
                let d = f64::from(self.dims);
                let grown =
                    (factor * seq / f64::from(trained) - (factor - 1.0)).powf(d / (d - 2.0));
                (f64::from(self.base) * grown) as f32
            }
        };
        let freqs = match &self.freqs {
            Some(f) => RopeFreqs::Given(f),
            None => RopeFreqs::Base(base),
        };
        ops::rope(x, self.dims, false, freqs, self.scale, off)
    }

    /// `x` with its first `dims` (the rotated part) multiplied by `mscale`.
    fn scale_rotated(&self, x: &Array) -> Result<Array> {
        let m = Array::scalar(self.mscale, x.dtype().unwrap_or(Dtype::F32))?;
        let width = x.dim(-1);
        if width == self.dims {
            return ops::mul(x, &m);
        }
        let s = x.shape();
        let mut stop = s.clone();
        *stop.last_mut().expect("4 axes") = self.dims;
        let mut start = vec![0; s.len()];
        let rotated = ops::mul(&ops::slice(x, &start, &stop)?, &m)?;
        *start.last_mut().expect("4 axes") = self.dims;
        let rest = ops::slice(x, &start, &s)?;
        ops::concatenate(&[&rotated, &rest], -1)
    }
}

fn f32s(v: Vec<f32>) -> Result<Array> {
    let n = v.len() as i32;
    Array::from_f32(&v, &[n])
}

fn scalar(v: f32) -> Result<Array> {
    Array::scalar(v, Dtype::F32)
}

/// `base^(2i / dims)` for the `dims / 2` pairs (mlx_lm's `base ** (arange(0, dims, 2) / dims)`).
fn wavelength_base(dims: i32, base: f32) -> Result<Array> {
    let even = f32s((0..dims / 2).map(|i| (2 * i) as f32).collect())?;
    ops::binary(
        BinaryOp::Power,
        &scalar(base)?,
        &ops::div(&even, &scalar(dims as f32)?)?,
    )
}

/// Evaluated, and checked to hold one frequency per pair.
fn done(freqs: Array, pairs: i32) -> Result<Array> {
    ops::eval(&[&freqs])?;
    if freqs.dim(0) != pairs {
        return Err(Error::Mlx("rope: frequency count".into()));
    }
    Ok(freqs)
}

/// YaRN's frequencies: `base^(2i / dims)` blended with `factor` times it by the ramp
/// `clip((i - low) / (high - low), 0, 1)`.
fn yarn_freqs(dims: i32, base: f32, factor: f32, (low, high): (f64, f64)) -> Result<Array> {
    let half = dims / 2;
    let extra = wavelength_base(dims, base)?;
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
    done(ops::div(&num, &den)?, half)
}

/// Llama 3's frequencies: wavelengths longer than `original / low` stretched by `factor`, those
/// between `original / high` and it blended smoothly, the short ones kept.
fn llama3_freqs(
    dims: i32,
    base: f32,
    factor: f64,
    original: f64,
    (low, high): (f64, f64),
) -> Result<Array> {
    let freqs = wavelength_base(dims, base)?;
    let wavelens = ops::mul(&scalar((2.0 * std::f64::consts::PI) as f32)?, &freqs)?;
    let (low_wavelen, high_wavelen) = ((original / low) as f32, (original / high) as f32);
    let factor_a = scalar(factor as f32)?;
    let long = ops::binary(BinaryOp::Greater, &wavelens, &scalar(low_wavelen)?)?;
    let freqs = ops::where_(&long, &ops::mul(&freqs, &factor_a)?, &freqs)?;
    let medium = ops::binary(
        BinaryOp::LogicalAnd,
        &ops::binary(BinaryOp::Greater, &wavelens, &scalar(high_wavelen)?)?,
        &ops::binary(BinaryOp::Less, &wavelens, &scalar(low_wavelen)?)?,
    )?;
    let smooth = ops::div(
        &ops::sub(
            &ops::div(&scalar(original as f32)?, &wavelens)?,
            &scalar(low as f32)?,
        )?,
        &scalar((high - low) as f32)?,
    )?;
    let smooth_freqs = ops::div(
        &freqs,
        &ops::add(
            &ops::div(&ops::sub(&scalar(1.0)?, &smooth)?, &factor_a)?,
            &smooth,
        )?,
    )?;
    done(ops::where_(&medium, &smooth_freqs, &freqs)?, dims / 2)
}

/// LongRoPE's frequencies: `long_factor[i] · base^(2i / dims)`.
fn longrope_freqs(dims: i32, base: f32, long_factor: &[f64]) -> Result<Array> {
    let freqs = wavelength_base(dims, base)?;
    let factors = match long_factor {
        [] => scalar(1.0)?,
        f => f32s(f.iter().map(|&x| x as f32).collect())?,
    };
    done(ops::mul(&factors, &freqs)?, dims / 2)
}

/// Proportional RoPE: `factor · base^(2i / dims)` for the first `rotated / 2` pairs, the rest
/// never rotated (infinite wavelength).
fn proportional_freqs(dims: i32, rotated: i32, base: f32, factor: f32) -> Result<Array> {
    let even = f32s((0..rotated / 2).map(|i| (2 * i) as f32).collect())?;
    let turned = ops::mul(
        &scalar(factor)?,
        &ops::binary(
            BinaryOp::Power,
            &scalar(base)?,
            &ops::div(&even, &scalar(dims as f32)?)?,
        )?,
    )?;
    let still = ops::full(&[(dims - rotated) / 2], f32::INFINITY, Dtype::F32)?;
    done(ops::concatenate(&[&turned, &still], 0)?, dims / 2)
}
