//! One layer's cache: for an attention layer the keys and values, preallocated and grown in
//! steps of 256 positions (as mlx_lm's `KVCache`; with a reserve, the first write allocates
//! room for the whole generation, so decode never grows it); for a Gated DeltaNet layer of the
//! hybrids the convolution's last inputs and the recurrent state (mlx_lm's `ArraysCache`).

use crate::ops::{self, Array, QuantParams};
use crate::Result;

mod quantized;
pub(crate) use quantized::three;

/// KV-cache quantization (mlx_lm's `kv_bits`, `kv_group_size` and `quantized_kv_start`): once
/// a layer's cache holds `start` positions (checked after each forward call, as mlx_lm does),
/// its keys and values are kept MLX-affine quantized and attention runs through quantized
/// matrix products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KvQuant {
    /// Bits per element (MLX affine: 2, 3, 4, 5, 6 or 8).
    pub bits: i32,
    /// Elements per scale (32, 64 or 128; must divide the head size).
    pub group_size: i32,
    /// Positions held before the cache is quantized (mlx_lm's default: 5,000).
    pub start_tokens: usize,
}

impl KvQuant {
    /// mlx_lm's defaults: groups of 64, quantized from 5,000 positions.
    pub fn bits(bits: i32) -> KvQuant {
        KvQuant {
            bits,
            group_size: 64,
            start_tokens: 5000,
        }
    }

    /// The MLX quantization parameters.
    pub fn params(&self) -> QuantParams {
        QuantParams::affine(self.group_size, self.bits)
    }
}

/// Quantized keys or values: packed `[B, Nkv, capacity, D · bits / 32]` (u32), scales and
/// biases `[B, Nkv, capacity, D / group]`.
pub type QuantizedKv = [Array; 3];

/// Growth step in positions.
pub const KV_STEP: i32 = 256;

/// Keys and values of one layer: `[B, Nkv, capacity, D]`, valid up to `offset`; or, for a
/// Gated DeltaNet layer, its state after `offset` positions.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    keys: Option<Array>,
    values: Option<Array>,
    offset: usize,
    reserve: usize,
    /// Gated DeltaNet: the last `kernel - 1` convolution inputs `[B, kernel - 1, C]` and the
    /// recurrent state `[B, Hv, Dv, Dk]` (f32).
    linear: Option<(Array, Array)>,
    /// Once quantized ([`KvCache::quantize`]): the parameters, and the keys and values (`None`
    /// before the first write).
    quantized: Option<(QuantParams, Option<(QuantizedKv, QuantizedKv)>)>,
    /// When to quantize ([`KvCache::set_kv_quant`]).
    kv_quant: Option<KvQuant>,
}

impl KvCache {
    /// Empty cache.
    pub fn new() -> KvCache {
        KvCache::default()
    }

    /// Empty cache whose first allocation holds at least `positions` (rounded up to 32).
    pub fn with_reserve(positions: usize) -> KvCache {
        KvCache {
            reserve: positions,
            ..KvCache::default()
        }
    }

    /// Move out the whole buffers `[B, Nkv, capacity, D]` (valid up to [`KvCache::offset`]),
    /// leaving the cache empty; `None` before the first write. Moving (not sharing) lets MLX
    /// update them in place in later steps.
    pub fn take_buffers(&mut self) -> Option<(Array, Array)> {
        match (self.keys.take(), self.values.take()) {
            (Some(k), Some(v)) => Some((k, v)),
            _ => None,
        }
    }

    /// Positions stored.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Allocated positions.
    pub fn capacity(&self) -> usize {
        match &self.quantized {
            Some((_, Some((k, _)))) => k[0].dim(2) as usize,
            _ => self.keys.as_ref().map(|k| k.dim(2) as usize).unwrap_or(0),
        }
    }

    /// The arrays to evaluate to materialise the cache.
    pub fn state(&self) -> Vec<&Array> {
        let linear = self.linear.iter().flat_map(|(c, s)| [c, s]);
        let quantized = self
            .quantized
            .iter()
            .flat_map(|(_, kv)| kv.iter().flat_map(|(k, v)| k.iter().chain(v.iter())));
        self.keys
            .iter()
            .chain(self.values.iter())
            .chain(linear)
            .chain(quantized)
            .collect()
    }

    /// Gated DeltaNet: the convolution inputs and recurrent state, `None` before the first
    /// position.
    pub fn linear_state(&self) -> Option<&(Array, Array)> {
        self.linear.as_ref()
    }

    /// Gated DeltaNet: store the state after `positions` more positions.
    pub fn set_linear_state(&mut self, conv: Array, recurrent: Array, positions: usize) {
        self.linear = Some((conv, recurrent));
        self.offset += positions;
    }

    /// Append `k, v [B, Nkv, L, D]`; return all valid `[B, Nkv, offset + L, D]`.
    pub fn update_and_fetch(&mut self, k: &Array, v: &Array) -> Result<(Array, Array)> {
        let ks = k.shape();
        let (b, nkv, l, d) = (ks[0], ks[1], ks[2], ks[3]);
        let dv = v.dim(3);
        let prev = self.offset as i32;
        if self.keys.is_none() || prev + l > self.capacity() as i32 {
            let n_steps = (KV_STEP + l - 1) / KV_STEP;
            let mut cap = n_steps * KV_STEP;
            if self.keys.is_none() {
                // Rounded to 32 only: a compiled step attends over the whole capacity (masked),
                // so slack is read every step.
                let want = self.reserve as i32;
                cap = cap.max((want + 31) / 32 * 32);
            }
            let dtype = k.dtype().unwrap_or(ops::Dtype::F32);
            let new_k = ops::zeros(&[b, nkv, cap, d], dtype)?;
            let new_v = ops::zeros(&[b, nkv, cap, dv], v.dtype().unwrap_or(dtype))?;
            match (self.keys.take(), self.values.take()) {
                (Some(mut ok), Some(mut ov)) => {
                    if prev % KV_STEP != 0 {
                        ok = first_positions(&ok, prev)?;
                        ov = first_positions(&ov, prev)?;
                    }
                    self.keys = Some(ops::concatenate(&[&ok, &new_k], 2)?);
                    self.values = Some(ops::concatenate(&[&ov, &new_v], 2)?);
                }
                _ => {
                    self.keys = Some(new_k);
                    self.values = Some(new_v);
                }
            }
        }
        let end = prev + l;
        let (Some(keys), Some(values)) = (self.keys.take(), self.values.take()) else {
            unreachable!("allocated above")
        };
        self.keys = Some(ops::slice_update(
            &keys,
            k,
            &[0, 0, prev, 0],
            &[b, nkv, end, d],
        )?);
        self.values = Some(ops::slice_update(
            &values,
            v,
            &[0, 0, prev, 0],
            &[b, nkv, end, dv],
        )?);
        self.offset = end as usize;
        self.fetch()
    }

    /// The whole key and value buffers `[B, Nkv, capacity, D]` when position
    /// [`KvCache::offset`] fits in them, for a kernel that writes it in place
    /// ([`crate::fast::FastKernels::qk_norm_rope_kv`]); `None` before the first write or when full.
    pub fn room_for_one(&self) -> Option<(&Array, &Array)> {
        match (&self.keys, &self.values) {
            (Some(k), Some(v)) if self.offset < self.capacity() => Some((k, v)),
            _ => None,
        }
    }

    /// After position [`KvCache::offset`] was written in place: count it.
    pub fn advance(&mut self) -> Result<()> {
        if self.room_for_one().is_none() {
            return Err(crate::Error::Mlx(
                "KV cache: no room for one more position".into(),
            ));
        }
        self.offset += 1;
        Ok(())
    }

    /// [`KvCache::advance`], then all valid keys and values `[B, Nkv, offset, D]`.
    pub fn advance_one(&mut self) -> Result<(Array, Array)> {
        self.advance()?;
        self.fetch()
    }

    /// The valid keys and values `[B, Nkv, offset, D]` (views of the buffers).
    fn fetch(&self) -> Result<(Array, Array)> {
        let (Some(keys), Some(values)) = (&self.keys, &self.values) else {
            return Err(crate::Error::Mlx("KV cache: nothing stored".into()));
        };
        let end = self.offset as i32;
        Ok((first_positions(keys, end)?, first_positions(values, end)?))
    }
}

/// `a`'s positions `..end` on axis 2 (`[B, Nkv, positions, ..]`; the whole array when it has no
/// more).
fn first_positions(a: &Array, end: i32) -> Result<Array> {
    let s = a.shape();
    if end >= s[2] {
        return Ok(a.clone());
    }
    ops::slice(a, &[0, 0, 0, 0], &[s[0], s[1], end, s[3]])
}
