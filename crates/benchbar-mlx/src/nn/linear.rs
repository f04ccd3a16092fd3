//! Linear layers: dense or MLX-quantized ([`Linear`]) and the embedding table that
//! doubles as the tied head ([`Embedding`]).

use super::residual::{one_row, BlockOut, Input};
use crate::config::LayerQuant;
use crate::fast::{Fold, Kernels};
use crate::ops::{self, Array, Dtype, QuantMode, QuantParams};
use crate::options::{Kernel, ModelOptions};
use crate::weights::Weights;
use crate::{Error, Result};

/// A linear layer without bias: dense `[out, in]` or MLX-quantized.
#[derive(Debug, Clone)]
pub enum Linear {
    /// `y = x @ w.T`
    Dense {
        /// `[out, in]`
        w: Array,
        /// `w.T` as a view made once at load: a decode step then adds one node per matmul, not
        /// two (the transpose node was rebuilt every step; ~200 nodes per 1.7B step).
        wt: Array,
        /// BenchBar's matrix-vector kernel, run for one row (a float weight, [`Kernel::Gemv`]
        /// given).
        gemv: Option<Kernels>,
    },
    /// `y = quantized_matmul(x, w, scales, biases, transpose=true)` in any MLX mode
    Quantized {
        /// packed `[out, in * bits / 32]` uint32
        w: Array,
        /// `[out, in / group_size]`
        scales: Array,
        /// `[out, in / group_size]` (affine only)
        biases: Option<Array>,
        /// group size and bits
        q: QuantParams,
        /// BenchBar's 4-bit matrix-vector kernel, run for one row (4 bits in groups of a
        /// multiple of 32, [`Kernel::GemvQ4`] given).
        gemv: Option<Kernels>,
    },
}

impl Linear {
    /// A dense layer of `w [out, in]` (its transpose made once, here), using BenchBar's
    /// matrix-vector kernel where `opts` gives it.
    pub fn dense(w: Array, opts: &ModelOptions) -> Result<Linear> {
        let wt = ops::transpose(&w, &[1, 0])?;
        let float = w.dtype().is_some_and(|d| d.is_float());
        let gemv = opts.kernel(Kernel::Gemv).filter(|_| float);
        Ok(Linear::Dense { w, wt, gemv })
    }

    /// A 4-bit or 8-bit layer, using BenchBar's 4-bit kernel where `opts` gives it.
    pub(crate) fn quantized(
        w: Array,
        scales: Array,
        biases: Option<Array>,
        q: QuantParams,
        opts: &ModelOptions,
    ) -> Linear {
        let fits = q.mode == QuantMode::Affine
            && q.bits == 4
            && q.group_size % 32 == 0
            && biases.is_some();
        let gemv = opts.kernel(Kernel::GemvQ4).filter(|_| fits);
        Linear::Quantized {
            w,
            scales,
            biases,
            q,
            gemv,
        }
    }

    /// Load `{prefix}.weight` (+ `.scales`, and `.biases` for affine, when quantized),
    /// checking shapes and the config's word on the layer (`expect`); the layer uses
    /// BenchBar's matrix-vector kernels where `opts` gives them.
    pub fn load(
        w: &Weights,
        prefix: &str,
        out: usize,
        inp: usize,
        expect: LayerQuant,
        opts: &ModelOptions,
    ) -> Result<Linear> {
        let wname = format!("{prefix}.weight");
        let sname = format!("{prefix}.scales");
        if !w.contains(&sname) {
            return Linear::dense(w.get(&wname, Some(&[out as i32, inp as i32]))?, opts);
        }
        let weight = w.get(&wname, None)?;
        let scales = w.get(&sname, None)?;
        let file = w.file_of(&wname);
        let q = quant_of(prefix, &weight, &scales, &[], out, inp)
            .map_err(|why| Error::unsupported(&file, why))?;
        check_expected(prefix, q, expect, &file)?;
        let biases = if q.mode.has_biases() {
            Some(w.get(&format!("{prefix}.biases"), Some(&scales.shape()))?)
        } else {
            None
        };
        Ok(Linear::quantized(weight, scales, biases, q, opts))
    }

    /// `[.., in] -> [.., out]`. One row (batch-1 decode) runs BenchBar's matrix-vector kernels
    /// where the layer was given them ([`Linear::one_row_kernel`]).
    pub fn forward(&self, x: &Array) -> Result<Array> {
        match self.one_row_kernel(x, Fold::default())? {
            Some(y) => Ok(y),
            None => self.forward_ops(x),
        }
    }

    /// [`Linear::forward`] of a block's input: with the RMSNorm folded into the kernel where the
    /// input is still the stream ([`Input::Normed`]) and the kernel runs, else on its value.
    pub(crate) fn forward_in(&self, x: &Input) -> Result<Array> {
        let x = self.kernel_input(x)?;
        let (a, fold) = x.for_kernel();
        match self.one_row_kernel(a, fold)? {
            Some(y) => Ok(y),
            None => self.forward_ops(&x.value()?),
        }
    }

    /// The block's last projection: the stream `h` ((`BlockIn::fold_into`)) plus
    /// the product in one kernel where one runs at one row ([`BlockOut::Summed`]), else the
    /// product alone.
    pub(crate) fn forward_residual(&self, x: &Array, h: Option<&Array>) -> Result<BlockOut> {
        if let Some(h) = h {
            let fold = Fold {
                residual: Some(h),
                ..Fold::default()
            };
            if let Some(y) = self.one_row_kernel(x, fold)? {
                return Ok(BlockOut::Summed(y));
            }
        }
        Ok(BlockOut::Pending(self.forward(x)?))
    }

    /// The product with MLX's ops.
    fn forward_ops(&self, x: &Array) -> Result<Array> {
        match self {
            Linear::Dense { wt, .. } => ops::matmul(x, wt),
            Linear::Quantized {
                w,
                scales,
                biases,
                q,
                ..
            } => ops::quantized_matmul(x, w, scales, biases.as_ref(), true, *q),
        }
    }

    /// For a stacked gate|up layer: `silu(gate) · up` `[.., out / 2]` of one row in one of
    /// BenchBar's kernels (the norm folded in as in [`Linear::forward_in`]); `None` where none
    /// applies (the caller runs the matmul and SwiGLU).
    pub(crate) fn forward_swiglu(&self, x: &Input) -> Result<Option<Array>> {
        if self.out_features() % 2 != 0 {
            return Ok(None);
        }
        let x = self.kernel_input(x)?;
        let (a, fold) = x.for_kernel();
        self.one_row_kernel(
            a,
            Fold {
                swiglu: true,
                ..fold
            },
        )
    }

    /// `x` as this layer's kernel takes it. The 4-bit kernel does not fold the RMSNorm in: its
    /// per-element work is what limits it, and the norm's share costs more than the node it
    /// saves (docs/perf-notes.md), so a stream input is normalised first with MLX's op (one
    /// kernel).
    fn kernel_input<'a>(&self, x: &Input<'a>) -> Result<Input<'a>> {
        match (self, x) {
            (Linear::Quantized { .. }, Input::Normed(..)) => Ok(Input::Plain(x.value()?)),
            _ => Ok(x.clone()),
        }
    }

    /// One row `x` through BenchBar's matrix-vector kernel for this layer with `fold`'s ops
    /// around it when the layer has one ([`Linear::load`]) and `x` is of the weight's type (the
    /// scales' for 4-bit); else `None`.
    fn one_row_kernel(&self, x: &Array, fold: Fold<'_>) -> Result<Option<Array>> {
        if !one_row(x) {
            return Ok(None);
        }
        match self {
            Linear::Quantized {
                w,
                scales,
                biases: Some(biases),
                gemv: Some(k),
                ..
            } if x.dtype() == scales.dtype() => k.gemv_q4(x, w, scales, biases, fold).map(Some),
            Linear::Dense {
                w, gemv: Some(k), ..
            } if x.dtype() == w.dtype() => k.gemv(x, w, fold).map(Some),
            _ => Ok(None),
        }
    }

    /// Whether the weights are MLX-quantized.
    pub fn is_quantized(&self) -> bool {
        matches!(self, Linear::Quantized { .. })
    }

    /// Output features (rows of the weight, packed or not).
    pub fn out_features(&self) -> i32 {
        match self {
            Linear::Dense { w, .. } | Linear::Quantized { w, .. } => w.dim(0),
        }
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
                ..
            } => {
                let biases = match biases {
                    Some(b) => Some(ops::take(b, ids, 0)?),
                    None => None,
                };
                ops::dequantize(
                    &ops::take(w, ids, 0)?,
                    &ops::take(scales, ids, 0)?,
                    biases.as_ref(),
                    *q,
                )
            }
        }
    }
    /// `[.., H] -> [.., V]` (tied head).
    pub fn as_linear(&self, x: &Array) -> Result<Array> {
        self.0.forward(x)
    }
}

/// The quantization of a packed `weight [..lead, out, in · bits / 32]` with `scales [..lead,
/// out, in / group]`, recovered as mlx_lm does (`infer_quant_config`): only affine keeps its
/// scales in a float type; each of the other modes has one (bits, group size). `Err`: why it is
/// not one of MLX's.
pub(crate) fn quant_of(
    prefix: &str,
    weight: &Array,
    scales: &Array,
    lead: &[i32],
    out: usize,
    inp: usize,
) -> std::result::Result<QuantParams, String> {
    let (ws, ss) = (weight.shape(), scales.shape());
    let n = lead.len();
    let fits = |s: &[i32]| s.len() == n + 2 && s[..n] == *lead && s[n] as usize == out;
    if !fits(&ws) || !fits(&ss) {
        return Err(format!(
            "{prefix}: quantized shapes {ws:?}/{ss:?} do not match {:?}",
            [lead, &[out as i32]].concat()
        ));
    }
    if weight.dtype() != Some(Dtype::U32) {
        return Err(format!(
            "{prefix}: quantized weight dtype {:?} (MLX packs uint32)",
            weight.dtype()
        ));
    }
    let (packed, groups) = (ws[n + 1] as usize, ss[n + 1] as usize);
    let bits_num = packed * 32;
    if packed == 0 || groups == 0 || !bits_num.is_multiple_of(inp) || !inp.is_multiple_of(groups) {
        return Err(format!(
            "{prefix}: quantized shapes {ws:?}/{ss:?} do not fit in_features {inp}"
        ));
    }
    let (bits, group_size) = ((bits_num / inp) as i32, (inp / groups) as i32);
    let mode = match (scales.dtype(), bits, group_size) {
        (Some(Dtype::U8), 4, 16) => QuantMode::Nvfp4,
        (Some(Dtype::U8), 4, 32) => QuantMode::Mxfp4,
        (Some(Dtype::U8), 8, 32) => QuantMode::Mxfp8,
        (Some(Dtype::U8), _, _) => {
            return Err(format!(
                "{prefix}: uint8 scales with {bits} bits in groups of {group_size} (no MLX mode)"
            ))
        }
        _ => QuantMode::Affine,
    };
    let q = QuantParams {
        group_size,
        bits,
        mode,
    };
    match q.unsupported() {
        Some(why) => Err(format!("{prefix}: {why}")),
        None => Ok(q),
    }
}

/// `q` against what config.json says of the layer at `prefix` (errors name `file`).
pub(crate) fn check_expected(
    prefix: &str,
    q: QuantParams,
    expect: LayerQuant,
    file: &std::path::Path,
) -> Result<()> {
    match expect {
        LayerQuant::Quantized(c) if c != q => Err(Error::file(
            file,
            format!(
                "{prefix}: tensors are {} but config.json says {}",
                show(q),
                show(c)
            ),
        )),
        LayerQuant::Float => Err(Error::file(
            file,
            format!("{prefix}: config.json says unquantized, the file has {prefix}.scales"),
        )),
        _ => Ok(()),
    }
}

/// `4-bit affine, group 64` and the like.
fn show(q: QuantParams) -> String {
    format!("{}-bit {}, group {}", q.bits, q.mode.name(), q.group_size)
}
