//! Building blocks shared by the model architectures in [`crate::models`]: linear layers
//! (dense or quantized, [`Linear`]; stacked, [`Stacked`]), RMSNorm and the residual stream
//! between blocks ([`RmsNorm`], `residual`), self-attention ([`Attention`]), the SwiGLU MLP
//! ([`Mlp`]) and the mixture-of-experts MLP ([`SparseMoe`]); the hybrids' gated attention
//! ([`GatedAttention`]) and Gated DeltaNet linear attention ([`GatedDeltaNet`]). Each is `new`/`load` from the config and the weights plus a forward; each asks
//! the model's kernels handle ([`crate::fast`]) whether one of BenchBar's kernels applies.

mod attention;
mod gated_attention;
mod gated_delta;
mod kv_attention;
mod linear;
mod mlp;
mod moe;
mod residual;
mod rope;
mod stacked;

pub use attention::{qk_norm_rope, Attention, AttnInputs};
pub use gated_attention::GatedAttention;
pub use gated_delta::GatedDeltaNet;
pub use linear::{Embedding, Linear};
pub use mlp::{swiglu, Mlp};
pub use moe::{SparseMoe, SwitchGlu, SwitchLinear};
pub use residual::{add_rms_norm, RmsNorm};
pub(crate) use residual::{BlockIn, BlockOut, Input, Residual};
pub use rope::Rope;
pub use stacked::Stacked;
