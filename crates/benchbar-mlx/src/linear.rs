//! Linear layers: dense or MLX affine-quantized ([`Linear`]), the embedding table that doubles as
//! the tied head ([`Embedding`]), and projections of one input stacked into one matmul
//! ([`Stacked`]: q|k|v and gate|up, as inference engines do to launch fewer, larger kernels).

use crate::ops::{self, Array, Dtype, QuantParams};
use crate::weights::Weights;
use crate::{Error, Result};

/// A linear layer without bias: dense `[out, in]` or MLX affine-quantized.
#[derive(Debug, Clone)]
pub enum Linear {
    /// `y = x @ w.T`
    Dense {
        /// `[out, in]`
        w: Array,
        /// `w.T` as a view made once at load: a decode step then adds one node per matmul, not
        /// two (the transpose node was rebuilt every step; ~200 nodes per 1.7B step).
        wt: Array,
    },
    /// `y = quantized_matmul(x, w, scales, biases, transpose=true)`
    Quantized {
        /// packed `[out, in * bits / 32]` uint32
        w: Array,
        /// `[out, in / group_size]`
        scales: Array,
        /// `[out, in / group_size]`
        biases: Array,
        /// group size and bits
        q: QuantParams,
    },
}

impl Linear {
    /// Load `{prefix}.weight` (+ `.scales`/`.biases` when quantized), checking shapes.
    pub fn load(
        w: &Weights,
        prefix: &str,
        out: usize,
        inp: usize,
        cfg_q: Option<QuantParams>,
    ) -> Result<Linear> {
        let wname = format!("{prefix}.weight");
        let sname = format!("{prefix}.scales");
        if !w.contains(&sname) {
            let w = w.get(&wname, Some(&[out as i32, inp as i32]))?;
            let wt = ops::transpose(&w, &[1, 0])?;
            return Ok(Linear::Dense { w, wt });
        }
        let weight = w.get(&wname, None)?;
        let scales = w.get(&sname, None)?;
        let file = w.file_of(&wname);
        let (ws, ss) = (weight.shape(), scales.shape());
        if ws.len() != 2
            || ss.len() != 2
            || ws[0] as usize != out
            || ss[0] as usize != out
            || ws[1] == 0
            || ss[1] == 0
        {
            return Err(Error::file(
                &file,
                format!("{prefix}: quantized shapes {ws:?}/{ss:?} do not match [{out}, ...]"),
            ));
        }
        if weight.dtype() != Some(Dtype::U32) {
            return Err(Error::unsupported(
                &file,
                format!(
                    "{prefix}: quantized weight dtype {:?} (MLX packs uint32)",
                    weight.dtype()
                ),
            ));
        }
        let bits_num = ws[1] as usize * 32;
        if !bits_num.is_multiple_of(inp) || !inp.is_multiple_of(ss[1] as usize) {
            return Err(Error::file(
                &file,
                format!("{prefix}: quantized shapes {ws:?}/{ss:?} do not fit in_features {inp}"),
            ));
        }
        let q = QuantParams {
            bits: (bits_num / inp) as i32,
            group_size: (inp / ss[1] as usize) as i32,
        };
        if q.bits != 4 && q.bits != 8 {
            return Err(Error::unsupported(
                &file,
                format!(
                    "{prefix}: {}-bit quantization (4 and 8 are supported)",
                    q.bits
                ),
            ));
        }
        if let Some(c) = cfg_q {
            if c != q {
                return Err(Error::file(
                    &file,
                    format!("{prefix}: tensors are {q:?} but config.json says {c:?}"),
                ));
            }
        }
        let biases = w.get(&format!("{prefix}.biases"), Some(&ss))?;
        Ok(Linear::Quantized {
            w: weight,
            scales,
            biases,
            q,
        })
    }

    /// `[.., in] -> [.., out]`
    pub fn forward(&self, x: &Array) -> Result<Array> {
        match self {
            Linear::Dense { wt, .. } => ops::matmul(x, wt),
            Linear::Quantized {
                w,
                scales,
                biases,
                q,
            } => ops::quantized_matmul(x, w, scales, Some(biases), true, *q),
        }
    }

    /// Logical parameter count (unpacked).
    pub fn is_quantized(&self) -> bool {
        matches!(self, Linear::Quantized { .. })
    }
}

/// Token embedding table (dense or quantized), usable as the tied output head.
#[derive(Debug, Clone)]
pub struct Embedding(pub(crate) Linear);

impl Embedding {
    /// `ids [B, L] -> [B, L, H]`
    pub fn forward(&self, ids: &Array) -> Result<Array> {
        match &self.0 {
            Linear::Dense { w, .. } => ops::take(w, ids, 0),
            Linear::Quantized {
                w,
                scales,
                biases,
                q,
            } => ops::dequantize(
                &ops::take(w, ids, 0)?,
                &ops::take(scales, ids, 0)?,
                Some(&ops::take(biases, ids, 0)?),
                *q,
            ),
        }
    }
    /// `[.., H] -> [.., V]` (tied head).
    pub fn as_linear(&self, x: &Array) -> Result<Array> {
        self.0.forward(x)
    }
}

/// Linear layers of the same input stacked along the output axis: one matmul (one kernel, one
/// larger GEMV at decode) instead of one per layer, split again by views. Each output row is
/// the same dot product as before. Parts stay separate when they cannot be stacked (dense and
/// quantized mixed, different quantization) or with `BENCHBAR_MLX_FUSE=0`.
#[derive(Debug, Clone)]
pub struct Stacked {
    /// One stacked layer, or the parts as loaded.
    parts: Vec<Linear>,
    /// Output features of each part.
    outs: Vec<i32>,
}

impl Stacked {
    /// Stack `parts` (with `outs[i]` output features each). The stacked weights are evaluated
    /// here, one layer at a time, so the parts' memory is released as loading goes on.
    pub fn new(parts: Vec<Linear>, outs: Vec<i32>) -> Result<Stacked> {
        if parts.len() != outs.len() || parts.is_empty() {
            return Err(Error::Invalid("stacked linear: one size per part".into()));
        }
        if parts.len() == 1 || !crate::fused::enabled() {
            return Ok(Stacked { parts, outs });
        }
        let stacked = match parts.as_slice() {
            [Linear::Dense { w, .. }, rest @ ..]
                if rest
                    .iter()
                    .all(|p| matches!(p, Linear::Dense { w: o, .. } if o.dtype() == w.dtype())) =>
            {
                let ws: Vec<&Array> = parts
                    .iter()
                    .filter_map(|p| match p {
                        Linear::Dense { w, .. } => Some(w),
                        Linear::Quantized { .. } => None,
                    })
                    .collect();
                let w = ops::concatenate(&ws, 0)?;
                ops::eval(&[&w])?;
                let wt = ops::transpose(&w, &[1, 0])?;
                Some(Linear::Dense { w, wt })
            }
            [Linear::Quantized { q, .. }, rest @ ..]
                if rest
                    .iter()
                    .all(|p| matches!(p, Linear::Quantized { q: o, .. } if o == q)) =>
            {
                let pick = |f: fn(&Linear) -> Option<&Array>| -> Result<Array> {
                    let xs: Vec<&Array> = parts.iter().filter_map(f).collect();
                    ops::concatenate(&xs, 0)
                };
                let w = pick(|p| match p {
                    Linear::Quantized { w, .. } => Some(w),
                    Linear::Dense { .. } => None,
                })?;
                let scales = pick(|p| match p {
                    Linear::Quantized { scales, .. } => Some(scales),
                    Linear::Dense { .. } => None,
                })?;
                let biases = pick(|p| match p {
                    Linear::Quantized { biases, .. } => Some(biases),
                    Linear::Dense { .. } => None,
                })?;
                ops::eval(&[&w, &scales, &biases])?;
                Some(Linear::Quantized {
                    w,
                    scales,
                    biases,
                    q: *q,
                })
            }
            _ => None,
        };
        Ok(match stacked {
            Some(one) => Stacked {
                parts: vec![one],
                outs,
            },
            None => Stacked { parts, outs },
        })
    }

    /// `x [.., in]` -> one `[.., outs[i]]` per part.
    pub fn forward(&self, x: &Array) -> Result<Vec<Array>> {
        if self.parts.len() == self.outs.len() {
            return self.parts.iter().map(|p| p.forward(x)).collect();
        }
        let y = self.parts[0].forward(x)?;
        let shape = y.shape();
        let last = shape.len() - 1;
        let mut start = vec![0; shape.len()];
        let mut stop = shape.clone();
        let mut out = Vec::with_capacity(self.outs.len());
        for &n in &self.outs {
            stop[last] = start[last] + n;
            out.push(ops::slice(&y, &start, &stop)?);
            start[last] = stop[last];
        }
        Ok(out)
    }

    /// `x [B, L, in]` -> one `[B, L, outs[i] / head_dim, head_dim]` per part. Stacked, the
    /// output is reshaped once and split on the head axis (views; no copy even for B, L > 1).
    pub fn forward_heads(&self, x: &Array, head_dim: i32) -> Result<Vec<Array>> {
        let (b, l) = (x.dim(0), x.dim(1));
        let heads: Vec<i32> = self.outs.iter().map(|n| n / head_dim).collect();
        if self.parts.len() == self.outs.len() {
            return self
                .parts
                .iter()
                .zip(&heads)
                .map(|(p, &n)| ops::reshape(&p.forward(x)?, &[b, l, n, head_dim]))
                .collect();
        }
        let total: i32 = heads.iter().sum();
        let y = ops::reshape(&self.parts[0].forward(x)?, &[b, l, total, head_dim])?;
        let mut at = 0;
        let mut out = Vec::with_capacity(heads.len());
        for n in heads {
            out.push(ops::slice(&y, &[0, 0, at, 0], &[b, l, at + n, head_dim])?);
            at += n;
        }
        Ok(out)
    }
}
