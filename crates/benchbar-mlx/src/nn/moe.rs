//! The mixture-of-experts MLP of Qwen3-MoE ([`SparseMoe`]): a router picks `k` of `E` experts
//! per token, each expert a SwiGLU MLP whose weights are stacked `[E, out, in]`
//! ([`SwitchLinear`]) and multiplied through MLX's `gather_mm` / `gather_qmm`; tokens are
//! sorted by expert first when there are many (prefill), as mlx_lm's `SwitchGLU` does.

use super::linear::{check_expected, quant_of, Linear};
use super::mlp::{swiglu, Mlp};
use crate::config::{LayerQuant, Qwen3Config};
use crate::ops::{self, Array, Dtype, QuantParams, ReduceOp, UnaryOp};
use crate::options::ModelOptions;
use crate::weights::Weights;
use crate::{Error, Result};

/// One linear layer per expert, stacked: `[E, out, in]` dense or MLX-quantized.
#[derive(Debug, Clone)]
pub enum SwitchLinear {
    /// `[E, in, out]`: the stack transposed once at load, for `x @ w[e]`.
    Dense(Array),
    /// Packed `[E, out, in · bits / 32]` with its scales (and biases, affine).
    Quantized {
        /// packed weights
        w: Array,
        /// `[E, out, in / group]`
        scales: Array,
        /// `[E, out, in / group]` (affine only)
        biases: Option<Array>,
        /// group size, bits, mode
        q: QuantParams,
    },
}

impl SwitchLinear {
    /// `{prefix}.switch_mlp.{name}` (mlx-community) or `{prefix}.experts.{e}.{name}` for each
    /// expert (HF, stacked here), `experts` × `[out, inp]`.
    fn load(
        w: &Weights,
        prefix: &str,
        name: &str,
        shape: (usize, usize, usize),
        expect: LayerQuant,
    ) -> Result<SwitchLinear> {
        let (experts, out, inp) = shape;
        let stacked = format!("{prefix}.switch_mlp.{name}");
        let wname = format!("{stacked}.weight");
        if w.contains(&format!("{stacked}.scales")) {
            let weight = w.get(&wname, None)?;
            let scales = w.get(&format!("{stacked}.scales"), None)?;
            let file = w.file_of(&wname);
            let q = quant_of(&stacked, &weight, &scales, &[experts as i32], out, inp)
                .map_err(|why| Error::unsupported(&file, why))?;
            check_expected(&stacked, q, expect, &file)?;
            let biases = match q.mode.has_biases() {
                true => Some(w.get(&format!("{stacked}.biases"), Some(&scales.shape()))?),
                false => None,
            };
            return Ok(SwitchLinear::Quantized {
                w: weight,
                scales,
                biases,
                q,
            });
        }
        let dims = [experts as i32, out as i32, inp as i32];
        let stack =
            if w.contains(&wname) || !w.contains(&format!("{prefix}.experts.0.{name}.weight")) {
                w.get(&wname, Some(&dims))?
            } else {
                let parts = (0..experts)
                    .map(|e| {
                        let part = w.get(
                            &format!("{prefix}.experts.{e}.{name}.weight"),
                            Some(&dims[1..]),
                        )?;
                        ops::reshape(&part, &[1, dims[1], dims[2]])
                    })
                    .collect::<Result<Vec<_>>>()?;
                let stack = ops::concatenate(&parts.iter().collect::<Vec<_>>(), 0)?;
                ops::eval(&[&stack])?;
                stack
            };
        Ok(SwitchLinear::Dense(ops::transpose(&stack, &[0, 2, 1])?))
    }

    /// `x [.., 1, in]` through expert `idx` of each batch element -> `[.., 1, out]`.
    fn forward(&self, x: &Array, idx: &Array, sorted: bool) -> Result<Array> {
        match self {
            SwitchLinear::Dense(wt) => ops::gather_mm(x, wt, idx, sorted),
            SwitchLinear::Quantized {
                w,
                scales,
                biases,
                q,
            } => ops::gather_qmm(x, w, scales, biases.as_ref(), idx, true, *q, sorted),
        }
    }
}

/// Each token's chosen experts' SwiGLU MLPs.
#[derive(Debug, Clone)]
pub struct SwitchGlu {
    gate_proj: SwitchLinear,
    up_proj: SwitchLinear,
    down_proj: SwitchLinear,
}

impl SwitchGlu {
    /// `x [B, L, H]`, `indices [B, L, k]` -> `[B, L, k, H]`.
    fn forward(&self, x: &Array, indices: &Array) -> Result<Array> {
        let (b, l, h, k) = (x.dim(0), x.dim(1), x.dim(2), indices.dim(2));
        let n = b * l * k;
        let x = ops::reshape(x, &[b, l, 1, 1, h])?;
        // Many rows: group them by expert (one matrix per run of rows), as mlx_lm does from 64.
        let sort = n >= 64;
        let (x, idx, inverse) = if sort {
            let flat = ops::reshape(indices, &[n])?;
            let order = ops::argsort(&flat, 0)?;
            let inverse = ops::argsort(&order, 0)?;
            let rows = ops::binary(
                ops::BinaryOp::FloorDivide,
                &order,
                &Array::scalar(k as f32, Dtype::U32)?,
            )?;
            let x = ops::take(&ops::reshape(&x, &[b * l, 1, h])?, &rows, 0)?;
            (x, ops::take(&flat, &order, 0)?, Some(inverse))
        } else {
            (x, indices.clone(), None)
        };
        let up = self.up_proj.forward(&x, &idx, sort)?;
        let gate = self.gate_proj.forward(&x, &idx, sort)?;
        let y = self.down_proj.forward(&swiglu(&gate, &up)?, &idx, sort)?;
        let y = match inverse {
            Some(inv) => ops::take(&y, &inv, 0)?,
            None => y,
        };
        ops::reshape(&y, &[b, l, k, h])
    }
}

/// Qwen3-MoE's sparse MLP block: softmax router (in f32), top-k experts, optionally
/// renormalised scores, the experts' outputs summed by score; in the hybrids plus an always-on
/// shared expert scaled by `sigmoid(shared_expert_gate(x))`.
#[derive(Debug, Clone)]
pub struct SparseMoe {
    gate: Linear,
    switch_mlp: SwitchGlu,
    top_k: i32,
    norm_topk_prob: bool,
    /// The hybrids' shared expert and its one-output gate.
    shared: Option<(Mlp, Linear)>,
}

impl SparseMoe {
    /// The block of layer prefix `p` (`layers.{n}.mlp`).
    pub fn new(cfg: &Qwen3Config, w: &Weights, p: &str, opts: &ModelOptions) -> Result<SparseMoe> {
        let (e, h, i) = (cfg.num_experts, cfg.hidden_size, cfg.moe_intermediate_size);
        let gate_name = format!("{p}.gate");
        let gate = Linear::load(w, &gate_name, e, h, cfg.layer_quant(&gate_name), opts)?;
        let switch = |name: &str, out, inp| {
            let path = format!("{p}.switch_mlp.{name}");
            SwitchLinear::load(w, p, name, (e, out, inp), cfg.layer_quant(&path))
        };
        Ok(SparseMoe {
            gate,
            switch_mlp: SwitchGlu {
                gate_proj: switch("gate_proj", i, h)?,
                up_proj: switch("up_proj", i, h)?,
                down_proj: switch("down_proj", h, i)?,
            },
            top_k: cfg.num_experts_per_tok as i32,
            norm_topk_prob: cfg.norm_topk_prob,
            shared: match cfg.is_hybrid() {
                true => {
                    let size = cfg.shared_expert_intermediate_size;
                    let mlp = Mlp::load(cfg, w, &format!("{p}.shared_expert"), size, opts)?;
                    let name = format!("{p}.shared_expert_gate");
                    let gate = Linear::load(w, &name, 1, h, cfg.layer_quant(&name), opts)?;
                    Some((mlp, gate))
                }
                false => None,
            },
        })
    }

    /// `[B, L, H] -> [B, L, H]`.
    pub fn forward(&self, x: &Array) -> Result<Array> {
        let gates = ops::softmax(&self.gate.forward(x)?, -1, true)?; // [B, L, E]
        let e = gates.dim(-1);
        let k = self.top_k;
        let part = ops::argpartition(&gates, e - k, -1)?;
        let shape = part.shape();
        let mut start = vec![0; shape.len()];
        *start.last_mut().expect("3 axes") = e - k;
        let inds = ops::slice(&part, &start, &shape)?; // [B, L, k]
        let mut scores = ops::take_along_axis(&gates, &inds, -1)?;
        if self.norm_topk_prob {
            let sum = ops::reduce(ReduceOp::Sum, &scores, -1, true)?;
            scores = ops::div(&scores, &sum)?;
        }
        let y = self.switch_mlp.forward(x, &inds)?; // [B, L, k, H]
        let dtype = y.dtype().unwrap_or(Dtype::F32);
        let weighted = ops::mul(&y, &ops::reshape(&scores, &[y.dim(0), y.dim(1), k, 1])?)?;
        let y = ops::astype(&ops::reduce(ReduceOp::Sum, &weighted, -2, false)?, dtype)?;
        let Some((mlp, gate)) = &self.shared else {
            return Ok(y);
        };
        let shared = ops::mul(
            &ops::unary(UnaryOp::Sigmoid, &gate.forward(x)?)?,
            &mlp.forward_plain(x)?,
        )?;
        ops::add(&y, &shared)
    }
}
