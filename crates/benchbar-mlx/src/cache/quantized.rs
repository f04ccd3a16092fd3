//! A layer's keys and values kept MLX-affine quantized ([`super::KvQuant`]), as mlx_lm's
//! `KVCache.to_quantized` and `QuantizedKVCache` keep them.

use super::{first_positions, KvCache, KvQuant, QuantizedKv, KV_STEP};
use crate::ops::{self, Array, Dtype, QuantParams};
use crate::{Error, Result};

/// Packed weights, scales and biases from a list of three.
pub(crate) fn three(v: Vec<Array>) -> Result<QuantizedKv> {
    v.try_into()
        .map_err(|_| Error::Mlx("quantized KV: three arrays".into()))
}

impl KvCache {
    /// Quantize the keys and values once the cache holds `kv.start_tokens` positions
    /// ([`KvCache::quantize_when_due`], after each attention call, as mlx_lm's
    /// `maybe_quantize_kv_cache` after each model call); `None`: never.
    pub fn set_kv_quant(&mut self, kv: Option<KvQuant>) {
        self.kv_quant = kv;
    }

    /// Quantize now if [`KvCache::set_kv_quant`] asked for it and the cache holds enough
    /// positions.
    pub fn quantize_when_due(&mut self) -> Result<()> {
        match self.kv_quant {
            Some(kv) if self.quantized.is_none() && self.offset >= kv.start_tokens => {
                self.quantize(kv.params())
            }
            _ => Ok(()),
        }
    }

    /// The quantization of the keys and values, once [`KvCache::quantize`] ran.
    pub fn quantization(&self) -> Option<QuantParams> {
        self.quantized.as_ref().map(|(q, _)| *q)
    }

    /// From now on keep the keys and values quantized with `q` (those stored are quantized
    /// now, whole buffers, as mlx_lm's `to_quantized`); a no-op for a Gated DeltaNet layer's
    /// state and for a cache already quantized.
    pub fn quantize(&mut self, q: QuantParams) -> Result<()> {
        if self.quantized.is_some() || self.linear.is_some() {
            return Ok(());
        }
        let stored = match (self.keys.take(), self.values.take()) {
            (Some(k), Some(v)) => {
                let (kw, ks, kb) = ops::quantize(&k, q)?;
                let (vw, vs, vb) = ops::quantize(&v, q)?;
                Some(([kw, ks, kb], [vw, vs, vb]))
            }
            _ => None,
        };
        self.quantized = Some((q, stored));
        Ok(())
    }

    /// [`KvCache::update_and_fetch`] of a quantized cache: `k, v [B, Nkv, L, D]` quantized and
    /// appended (buffers grown in steps of 256 positions, as mlx_lm's `QuantizedKVCache`); all
    /// valid positions returned, quantized.
    pub fn update_and_fetch_quantized(
        &mut self,
        k: &Array,
        v: &Array,
    ) -> Result<(QuantizedKv, QuantizedKv)> {
        let Some((q, stored)) = self.quantized.as_mut() else {
            return Err(Error::Mlx("KV cache: not quantized".into()));
        };
        let q = *q;
        let ks = k.shape();
        let (b, nkv, l) = (ks[0], ks[1], ks[2]);
        let prev = self.offset as i32;
        if stored
            .as_ref()
            .is_none_or(|(kq, _)| prev + l > kq[0].dim(2))
        {
            let steps = (l + KV_STEP - 1) / KV_STEP * KV_STEP;
            let dtype = k.dtype().unwrap_or(Dtype::F32);
            let zeros = |d: i32| -> Result<QuantizedKv> {
                let groups = d / q.group_size;
                Ok([
                    ops::zeros(&[b, nkv, steps, d * q.bits / 32], Dtype::U32)?,
                    ops::zeros(&[b, nkv, steps, groups], dtype)?,
                    ops::zeros(&[b, nkv, steps, groups], dtype)?,
                ])
            };
            let (new_k, new_v) = (zeros(ks[3])?, zeros(v.dim(3))?);
            *stored = Some(match stored.take() {
                None => (new_k, new_v),
                Some((old_k, old_v)) => {
                    let extend = |old: QuantizedKv, new: QuantizedKv| -> Result<QuantizedKv> {
                        let mut out = Vec::with_capacity(3);
                        for (o, n) in old.into_iter().zip(new) {
                            // a partly filled last step is cut first (as mlx_lm does)
                            let o = if prev % KV_STEP != 0 {
                                first_positions(&o, prev)?
                            } else {
                                o
                            };
                            out.push(ops::concatenate(&[&o, &n], 2)?);
                        }
                        three(out)
                    };
                    (extend(old_k, new_k)?, extend(old_v, new_v)?)
                }
            });
        }
        let end = prev + l;
        let (kw, kscales, kbiases) = ops::quantize(k, q)?;
        let (vw, vscales, vbiases) = ops::quantize(v, q)?;
        let Some((kq, vq)) = stored.as_mut() else {
            return Err(Error::Mlx("quantized KV: not allocated".into()));
        };
        let new = [kw, kscales, kbiases, vw, vscales, vbiases];
        for (buf, n) in kq.iter_mut().chain(vq.iter_mut()).zip(new) {
            let s = buf.shape();
            *buf = ops::slice_update(buf, &n, &[0, 0, prev, 0], &[s[0], s[1], end, s[3]])?;
        }
        self.offset = end as usize;
        let fetch = |x: &QuantizedKv| -> Result<QuantizedKv> {
            three(
                x.iter()
                    .map(|a| first_positions(a, end))
                    .collect::<Result<_>>()?,
            )
        };
        Ok((fetch(kq)?, fetch(vq)?))
    }
}
