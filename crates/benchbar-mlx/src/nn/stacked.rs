//! Projections of one input stacked into one matmul ([`Stacked`]: q|k|v and gate|up, as
//! inference engines do to launch fewer, larger kernels).

use super::linear::Linear;
use super::residual::Input;
use crate::ops::{self, Array, QuantParams};
use crate::options::ModelOptions;
use crate::{Error, Result};

/// A quantized part's weight, scales, biases (affine) and parameters.
type QuantizedPart<'a> = (&'a Array, &'a Array, Option<&'a Array>, QuantParams);

/// Linear layers of the same input stacked along the output axis: one matmul (one kernel, one
/// larger GEMV at decode) instead of one per layer, split again by views. Each output row is
/// the same dot product as before. Parts stay separate when they cannot be stacked (dense and
/// quantized mixed, different dtypes or quantization) or with fusion off
/// ([`ModelOptions::fuse`]).
#[derive(Debug, Clone)]
pub enum Stacked {
    /// One layer holding every part's rows, and each part's output features.
    One(Linear, Vec<i32>),
    /// The parts as loaded.
    Separate(Vec<Linear>),
}

impl Stacked {
    /// Stack `parts` (unless `opts.fuse` is off); the stacked layer uses `opts`' kernels. The
    /// stacked weights are evaluated here, one layer at a time, so the parts' memory is released
    /// as loading goes on.
    pub fn new(parts: Vec<Linear>, opts: &ModelOptions) -> Result<Stacked> {
        if parts.len() < 2 || !opts.fuse {
            return Ok(Stacked::Separate(parts));
        }
        let outs: Vec<i32> = parts.iter().map(Linear::out_features).collect();
        let dense: Option<Vec<&Array>> = parts
            .iter()
            .map(|p| match p {
                Linear::Dense { w, .. } => Some(w),
                Linear::Quantized { .. } => None,
            })
            .collect();
        let quantized: Option<Vec<QuantizedPart<'_>>> = parts
            .iter()
            .map(|p| match p {
                Linear::Quantized {
                    w,
                    scales,
                    biases,
                    q,
                    ..
                } => Some((w, scales, biases.as_ref(), *q)),
                Linear::Dense { .. } => None,
            })
            .collect();
        let stacked = match (dense, quantized) {
            (Some(ws), _) if ws.iter().all(|w| w.dtype() == ws[0].dtype()) => {
                let w = ops::concatenate(&ws, 0)?;
                ops::eval(&[&w])?;
                Linear::dense(w, opts)?
            }
            (_, Some(qs))
                if qs
                    .iter()
                    .all(|p| p.3 == qs[0].3 && p.2.is_some() == qs[0].2.is_some()) =>
            {
                let w = ops::concatenate(&qs.iter().map(|p| p.0).collect::<Vec<_>>(), 0)?;
                let scales = ops::concatenate(&qs.iter().map(|p| p.1).collect::<Vec<_>>(), 0)?;
                let biases: Option<Vec<&Array>> = qs.iter().map(|p| p.2).collect();
                let biases = match biases {
                    Some(b) => Some(ops::concatenate(&b, 0)?),
                    None => None,
                };
                ops::eval(&[&w, &scales])?;
                if let Some(b) = &biases {
                    ops::eval(&[b])?;
                }
                Linear::quantized(w, scales, biases, qs[0].3, opts)
            }
            _ => return Ok(Stacked::Separate(parts)),
        };
        Ok(Stacked::One(stacked, outs))
    }

    /// `x [.., in]` -> one `[.., out_i]` per part.
    pub fn forward(&self, x: &Array) -> Result<Vec<Array>> {
        let (one, outs) = match self {
            Stacked::Separate(parts) => return parts.iter().map(|p| p.forward(x)).collect(),
            Stacked::One(one, outs) => (one, outs),
        };
        let y = one.forward(x)?;
        let shape = y.shape();
        let last = shape.len() - 1;
        let mut start = vec![0; shape.len()];
        let mut stop = shape.clone();
        let mut out = Vec::with_capacity(outs.len());
        for &n in outs {
            stop[last] = start[last] + n;
            out.push(ops::slice(&y, &start, &stop)?);
            start[last] = stop[last];
        }
        Ok(out)
    }

    /// `silu(gate) · up` of one row in one kernel when the parts are one gate|up layer of two
    /// equal halves ([`Linear::forward_swiglu`]), else `None`.
    pub(crate) fn forward_swiglu(&self, x: &Input) -> Result<Option<Array>> {
        match self {
            Stacked::One(one, outs) if outs.len() == 2 && outs[0] == outs[1] => {
                one.forward_swiglu(x)
            }
            _ => Ok(None),
        }
    }

    /// The stacked output `[.., sum of out_i]` of a block's input ([`Linear::forward_in`]) when
    /// the parts are one layer, else `None`.
    pub(crate) fn forward_stacked(&self, x: &Input) -> Result<Option<Array>> {
        match self {
            Stacked::One(one, _) => one.forward_in(x).map(Some),
            Stacked::Separate(_) => Ok(None),
        }
    }

    /// `x [B, L, in]` -> one `[B, L, out_i / head_dim, head_dim]` per part, or with
    /// `heads_first` one `[B, out_i / head_dim, L, head_dim]` (only for L = 1, where both are the
    /// same memory: the attention layout without a transpose node). Stacked, the output is
    /// reshaped once and split on the head axis (views; no copy even for B, L > 1).
    pub fn forward_heads(&self, x: &Array, head_dim: i32, heads_first: bool) -> Result<Vec<Array>> {
        let (b, l) = (x.dim(0), x.dim(1));
        if heads_first && l != 1 {
            return Err(Error::Invalid(format!(
                "heads-first projection of {l} positions (only one)"
            )));
        }
        let shape = |n: i32| {
            if heads_first {
                [b, n, l, head_dim]
            } else {
                [b, l, n, head_dim]
            }
        };
        let (one, outs) = match self {
            Stacked::Separate(parts) => {
                return parts
                    .iter()
                    .map(|p| ops::reshape(&p.forward(x)?, &shape(p.out_features() / head_dim)))
                    .collect()
            }
            Stacked::One(one, outs) => (one, outs),
        };
        let heads: Vec<i32> = outs.iter().map(|n| n / head_dim).collect();
        let total: i32 = heads.iter().sum();
        let y = ops::reshape(&one.forward(x)?, &shape(total))?;
        let axis = if heads_first { 1 } else { 2 };
        let mut at = 0;
        let mut out = Vec::with_capacity(heads.len());
        for n in heads {
            let (mut start, mut stop) = ([0; 4], shape(0));
            start[axis] = at;
            stop[axis] = at + n;
            out.push(ops::slice(&y, &start, &stop)?);
            at += n;
        }
        Ok(out)
    }
}
