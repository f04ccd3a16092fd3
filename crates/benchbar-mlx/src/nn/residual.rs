//! The residual stream between a model's blocks, and how its adds and RMSNorms are run.
//!
//! A pre-norm layer is `h += attn(norm1(h)); h += mlp(norm2(h))`. With MLX's ops that is an add
//! and an RMSNorm before each block (one kernel of BenchBar's, `add_rms_norm`, where it runs).
//! With [`crate::options::Kernel::Fold`] they go into the matrix-vector kernels around them at
//! one row: the RMSNorm into the block's first projection (which takes the stream itself,
//! [`Input::Normed`]) and the add into its last one (which returns the new stream,
//! [`BlockOut::Summed`]). Wherever a kernel does not apply, the same values come from MLX's ops
//! ([`Input::value`], [`Residual::input`]).

use crate::fast::{Fold, Kernels};
use crate::ops::{self, Array};
use crate::weights::Weights;
use crate::Result;

/// RMSNorm with a learned scale.
#[derive(Debug, Clone)]
pub struct RmsNorm {
    pub(crate) w: Array,
    pub(crate) eps: f32,
}

impl RmsNorm {
    pub(crate) fn load(w: &Weights, name: &str, dim: usize, eps: f64) -> Result<RmsNorm> {
        Ok(RmsNorm {
            w: w.get(&format!("{name}.weight"), Some(&[dim as i32]))?,
            eps: eps as f32,
        })
    }
    /// Normalise the last axis.
    pub fn forward(&self, x: &Array) -> Result<Array> {
        ops::rms_norm(x, Some(&self.w), self.eps)
    }
}

/// The input of a projection: an array, or the residual stream with the RMSNorm in front of the
/// block still to apply (a kernel folds it in; [`Input::value`] applies it with MLX's op).
#[derive(Debug, Clone)]
pub enum Input<'a> {
    /// The input itself.
    Plain(Array),
    /// `norm(h)`, not computed yet.
    Normed(Array, &'a RmsNorm),
}

impl Input<'_> {
    /// The input's value (the RMSNorm applied here for [`Input::Normed`]).
    pub fn value(&self) -> Result<Array> {
        match self {
            Input::Plain(x) => Ok(x.clone()),
            Input::Normed(h, norm) => norm.forward(h),
        }
    }

    /// The array a kernel reads (`h` for [`Input::Normed`]) and the [`Fold`] that makes it the
    /// input (the norm, for [`Input::Normed`]).
    pub(crate) fn for_kernel(&self) -> (&Array, Fold<'_>) {
        match self {
            Input::Plain(x) => (x, Fold::default()),
            Input::Normed(h, norm) => (
                h,
                Fold {
                    norm: Some((&norm.w, norm.eps)),
                    ..Fold::default()
                },
            ),
        }
    }

    /// Whether the input is one row (`[.., K]` with every leading dimension 1).
    pub(crate) fn one_row(&self) -> bool {
        one_row(match self {
            Input::Plain(x) | Input::Normed(x, _) => x,
        })
    }
}

/// What a block returns: its output, to be added to the stream before the next norm, or the new
/// stream (the add folded into its last projection).
#[derive(Debug)]
pub enum BlockOut {
    /// The block's output.
    Pending(Array),
    /// The stream plus the block's output.
    Summed(Array),
}

/// A block's input: the normalised input of its first projection and, where the stream's ops
/// are folded, the stream `h` its last projection adds itself to.
#[derive(Debug)]
pub struct BlockIn<'a> {
    /// `norm(h)`, computed or not.
    pub x: Input<'a>,
    /// The residual stream, for the add folded into the block's last projection; `None` where
    /// the folding is off (the block's output stays pending).
    pub fold_into: Option<Array>,
}

/// The residual stream `[B, L, H]` between blocks: the running sum and the last block's output
/// not yet added to it.
pub(crate) struct Residual {
    h: Array,
    pending: Option<Array>,
    /// The pending add and the next norm in BenchBar's one kernel (`add_rms_norm`).
    add_norm_kernel: Option<Kernels>,
    /// The next norm left to the block's first projection ([`Input::Normed`]) and the add after
    /// the block to its last one ([`BlockIn::fold_into`]).
    fold: bool,
}

impl Residual {
    /// A stream starting at `h` (the embeddings).
    pub(crate) fn new(h: Array, add_norm_kernel: Option<Kernels>, fold: bool) -> Residual {
        Residual {
            h,
            pending: None,
            add_norm_kernel,
            fold,
        }
    }

    /// The input of the block behind `norm`: the pending output added to the stream first.
    pub(crate) fn input<'a>(&mut self, norm: &'a RmsNorm) -> Result<BlockIn<'a>> {
        let x = match self.pending.take() {
            None if self.fold => Input::Normed(self.h.clone(), norm),
            None => Input::Plain(norm.forward(&self.h)?),
            Some(r) => {
                let (h, y) = add_rms_norm(&self.h, &r, &norm.w, norm.eps, self.add_norm_kernel)?;
                self.h = h;
                Input::Plain(y)
            }
        };
        Ok(BlockIn {
            x,
            fold_into: self.fold.then(|| self.h.clone()),
        })
    }

    /// Take a block's output into the stream.
    pub(crate) fn take(&mut self, out: BlockOut) {
        match out {
            BlockOut::Pending(r) => self.pending = Some(r),
            BlockOut::Summed(h) => self.h = h,
        }
    }
}

/// Whether `x [.., K]` holds a single row.
pub(crate) fn one_row(x: &Array) -> bool {
    x.shape()
        .split_last()
        .is_some_and(|(_, lead)| lead.iter().product::<i32>() == 1)
}

/// `(x + r, rms_norm(x + r) · w)`: BenchBar's one kernel where `kernel` is given, else MLX's add
/// and rms_norm.
pub fn add_rms_norm(
    x: &Array,
    r: &Array,
    w: &Array,
    eps: f32,
    kernel: Option<Kernels>,
) -> Result<(Array, Array)> {
    if let Some(k) = kernel {
        return k.add_rms_norm(x, r, w, eps);
    }
    let h = ops::add(x, r)?;
    let y = ops::rms_norm(&h, Some(w), eps)?;
    Ok((h, y))
}
