// BenchBar's CUDA kernels for the batch-1 decode step (MLX CUDA only), declared for the cxx
// bridge in src/cuda/ffi.rs and defined in kernels.cc.
#pragma once

#include "benchbar-mlx/shim/array.h"

namespace benchbar {

bool kernels_available();
// What a matrix-vector kernel folds in (bits of `fold`): the SwiGLU of a stacked gate|up weight;
// the RMSNorm of x (x is the residual stream; weight norm_w, eps; gemv only); the residual added
// to the product. An operand whose bit is clear is not read (pass any array, e.g. x).
constexpr uint32_t kFoldSwiglu = 1;
constexpr uint32_t kFoldNorm = 2;
constexpr uint32_t kFoldResidual = 4;
std::unique_ptr<Arr> gemv_q4(const Arr& x, const Arr& w, const Arr& scales, const Arr& biases,
                             const Arr& residual, uint32_t fold);
std::unique_ptr<Arr> gemv(const Arr& x, const Arr& w, const Arr& norm_w, const Arr& residual,
                          uint32_t fold, float eps);
std::unique_ptr<ArrList> add_rms_norm(const Arr& x, const Arr& r, const Arr& w, float eps);
// Returns q; writes k and v at position `pos` of the caches kc, vc [1, Hkv, capacity, D].
std::unique_ptr<Arr> qk_norm_rope_kv(const Arr& qkv, const Arr& qw, const Arr& kw, const Arr& kc,
                                     const Arr& vc, int32_t pos, float log2_base, float eps,
                                     int32_t n_q, int32_t d);
// Attention of one position (q [1, Hq, 1, D]) over the first n positions of the caches; scratch
// `part` (f32) and `tickets` (int32, zeros) are written. Returns [1, 1, Hq * D].
std::unique_ptr<Arr> attn_decode(const Arr& q, const Arr& kc, const Arr& vc, const Arr& part,
                                 const Arr& tickets, int32_t n, float scale);

}  // namespace benchbar
