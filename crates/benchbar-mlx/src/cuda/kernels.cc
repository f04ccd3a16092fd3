// BenchBar's own CUDA kernels for the batch-1 decode step on MLX CUDA (source: kernels.cu),
// each launched as one node of MLX's graph through shim/launch.cc.
//
// - gemv_q4: `y[1, N] = x[1, K] · dequantize(W)[N, K]ᵀ` for MLX's 4-bit affine layout as stored
//   (8 nibbles per uint32, lowest first; one scale and bias per group of a multiple of 32). Each
//   warp owns two output rows, so every 32 values of x are loaded and converted once for both;
//   16-byte streaming loads of the weights (evict-first: x stays in cache), nibbles turned into
//   floats by an exponent trick (no int-to-float conversion), f32 accumulation, s·Σx·q + b·Σx
//   per group, warp-shuffle sum. At batch 1 every weight byte is used once, so this kernel is
//   what the 4-bit decode step streams at.
// - gemv: the same product for a float weight (bf16, f16, f32) [N, K]: two rows per block of four
//   warps that split K, four 16-byte streaming loads per row in flight per lane. Both products
//   have a SwiGLU form for a stacked gate|up weight: gate row j and up row j together give
//   silu(g)·u (the MLP's separate SwiGLU kernel and its graph node go). Both can also fold in
//   the residual stream's ops around them: the RMSNorm in front of a projection (x is the stream
//   h; the product is taken of h · g and scaled by 1 / rms(h), Σh² summed as h is read for the
//   products) and the residual add after one (y = res + the product, in res's buffer when MLX
//   can donate it): with both, a layer needs no separate add + RMSNorm kernel. The norm fold is
//   the float gemv's only: the 4-bit kernel is compute-bound, and the norm's per-element work
//   cost it more than the node it saves (docs/perf-notes.md); a 4-bit layer gets MLX's
//   rms_norm first.
// - add_rms_norm: `h = x + r` and `y = rms_norm(h) · w` in one pass (the residual add and the
//   next RMSNorm, two MLX kernels), rounding as MLX does (h to the element type first, then
//   `w · T(h · inv_rms)`).
// - qk_norm_rope_kv: Qwen3's q/k RMSNorm and RoPE (non-traditional) of one position, read straight
//   from the stacked q|k|v projection, with k and v written into the KV cache at that position
//   (four MLX kernels and the cache's two slice updates). q takes the projection's own buffer when
//   MLX can donate it. The cache is written in place: the caller (src/attention.rs) owns the
//   cache buffers and only ever writes the position after the last one read.
// - attn_decode: attention of that position over the cache's valid positions (GQA),
//   split over the keys into blocks of 128 whose partial softmax sums the last block to finish
//   combines (scratch and per-kv-head tickets owned by the layer): one node instead of MLX's
//   attention and the two views of the cache it needs.
//
// Only used when libmlx is the CUDA build (`kernels_available`); which kernels run is the
// caller's choice (EngineOptions::kernels), each checked against MLX's ops once before use
// (src/cuda/self_check.rs); the Rust side runs MLX's ops everywhere else.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "benchbar-mlx/src/cuda/kernels.h"
#include "benchbar-mlx/src/cuda/launch.h"
#include "benchbar_kernels_source.h"  // kKernelSource: kernels.cu, embedded by build.rs

namespace mx = mlx::core;

namespace benchbar {

namespace {

constexpr int kRowsPerWarp = 2;
// Warps splitting K in one block of the float-weight gemv (each block: kRowsPerWarp rows).
constexpr int kGemvWarps = 4;

// The kernel source's name for an element type (float types only).
std::string type_name(mx::Dtype d) {
  if (d == mx::bfloat16) return "bb_bf16";
  if (d == mx::float16) return "bb_f16";
  if (d == mx::float32) return "float";
  throw std::invalid_argument("benchbar kernels: bf16, f16 or f32 expected");
}

bool float_type(mx::Dtype d) { return d == mx::bfloat16 || d == mx::float16 || d == mx::float32; }

// Rows of `x` [..., last]: the product of the leading dimensions.
int rows_of(const mx::array& x) {
  if (x.ndim() == 0) throw std::invalid_argument("benchbar kernels: scalar input");
  return static_cast<int>(x.size() / x.shape().back());
}

unsigned int blocks(long long threads, int per_block) {
  return static_cast<unsigned int>((threads + per_block - 1) / per_block);
}


}  // namespace

bool kernels_available() { return launch::available(); }

namespace {

// The fold bits of gemv_q4 / gemv (kernels.h) as template arguments: SwiGLU, norm, residual.
struct Fold {
  bool swiglu, norm, residual;
  explicit Fold(uint32_t bits)
      : swiglu((bits & kFoldSwiglu) != 0), norm((bits & kFoldNorm) != 0),
        residual((bits & kFoldResidual) != 0) {}
  // The template's bool arguments: SwiGLU, [norm,] residual.
  std::string args(bool with_norm) const {
    return std::string(swiglu ? "true" : "false") +
           (with_norm ? (norm ? ", true" : ", false") : "") + (residual ? ", true>" : ", false>");
  }
};

// Checks the fold's operands against x [.., K] and the product's n outputs: the norm weight
// [K] and the residual [.., n] of x's type; SwiGLU and the residual exclude each other; no norm
// where the kernel has none (`norm_ok`).
void check_fold(const Fold& f, const mx::array& x, const mx::array& g, const mx::array& res,
                int n, bool norm_ok, const char* what) {
  if (f.norm && !norm_ok) {
    throw std::invalid_argument(std::string(what) + ": no RMSNorm fold in this kernel");
  }
  const bool ok = !(f.swiglu && f.residual) &&
                  (!f.norm || (g.dtype() == x.dtype() && g.ndim() == 1 &&
                               g.shape(0) == x.shape().back())) &&
                  (!f.residual || (res.dtype() == x.dtype() && rows_of(res) == 1 &&
                                   res.shape().back() == n));
  if (!ok) {
    throw std::invalid_argument(std::string(what) +
                                ": a norm weight [K] and a residual [.., N] of x's type expected "
                                "(the residual not with SwiGLU)");
  }
}

// The output: y [.., n] of x's shape; with the residual folded in it takes the residual's buffer
// (input `res_index`) when MLX can donate it (never x's own: every block reads all of x).
launch::Out fold_out(const Fold& f, const mx::array& x, const mx::array& res, int n,
                     mx::Dtype dt, int res_index) {
  mx::Shape out = x.shape();
  out.back() = n;
  const bool donate = f.residual && res.id() != x.id();
  return launch::Out{out, dt, donate ? res_index : -1};
}

}  // namespace

std::unique_ptr<Arr> gemv_q4(const Arr& x, const Arr& w, const Arr& scales, const Arr& biases,
                             const Arr& residual, uint32_t fold) {
  const auto& xa = x.a;
  const auto& wa = w.a;
  const auto& sa = scales.a;
  const auto& ba = biases.a;
  const Fold f(fold);
  if (wa.ndim() != 2 || wa.dtype() != mx::uint32 || sa.ndim() != 2 || ba.shape() != sa.shape() ||
      sa.shape(0) != wa.shape(0) || xa.dtype() != sa.dtype() || ba.dtype() != sa.dtype() ||
      !float_type(sa.dtype()) || rows_of(xa) != 1 || xa.shape().back() != wa.shape(1) * 8 ||
      (wa.shape(1) * 8) % sa.shape(1) != 0 || (f.swiglu && wa.shape(0) % 2 != 0)) {
    throw std::invalid_argument(
        "benchbar gemv_q4: one row x [.., K], 4-bit w [N, K/8], scales/biases [N, K/group] of "
        "x's type (N even for SwiGLU) expected");
  }
  const int n = f.swiglu ? wa.shape(0) / 2 : wa.shape(0);
  check_fold(f, xa, xa, residual.a, n, false, "benchbar gemv_q4");
  const long long warps = f.swiglu ? n : (n + kRowsPerWarp - 1) / kRowsPerWarp;
  const std::string expr = "bb_gemv_q4<" + type_name(sa.dtype()) + ", " +
                           std::to_string(kRowsPerWarp) + ", " + f.args(false);
  // An unused residual is passed as x (never read).
  auto res = launch::call(
      kKernelSource, expr.c_str(), {xa, wa, sa, ba, f.residual ? residual.a : xa},
      {fold_out(f, xa, residual.a, n, sa.dtype(), 4)}, {blocks(warps * 32, 256)}, {256},
      {launch::Scalar::of(n), launch::Scalar::of(wa.shape(1)), launch::Scalar::of(sa.shape(1))});
  return std::make_unique<Arr>(std::move(res.at(0)));
}

std::unique_ptr<Arr> gemv(const Arr& x, const Arr& w, const Arr& norm_w, const Arr& residual,
                          uint32_t fold, float eps) {
  const auto& xa = x.a;
  const auto& wa = w.a;
  const Fold f(fold);
  if (wa.ndim() != 2 || xa.dtype() != wa.dtype() || !float_type(wa.dtype()) || rows_of(xa) != 1 ||
      xa.shape().back() != wa.shape(1) || (f.swiglu && wa.shape(0) % 2 != 0)) {
    throw std::invalid_argument(
        "benchbar gemv: one row x [.., K] and w [N, K] of one float type (N even for SwiGLU) "
        "expected");
  }
  const int n = f.swiglu ? wa.shape(0) / 2 : wa.shape(0);
  check_fold(f, xa, norm_w.a, residual.a, n, true, "benchbar gemv");
  const unsigned int groups = f.swiglu ? n : (n + kRowsPerWarp - 1) / kRowsPerWarp;
  const std::string expr = "bb_gemv<" + type_name(wa.dtype()) + ", " +
                           std::to_string(kRowsPerWarp) + ", " + std::to_string(kGemvWarps) +
                           ", " + f.args(true);
  // Unused operands are passed as x (never read).
  auto res = launch::call(
      kKernelSource, expr.c_str(),
      {xa, wa, f.norm ? norm_w.a : xa, f.residual ? residual.a : xa},
      {fold_out(f, xa, residual.a, n, wa.dtype(), 3)}, {groups}, {32 * kGemvWarps},
      {launch::Scalar::of(n), launch::Scalar::of(wa.shape(1)), launch::Scalar::of(eps)});
  return std::make_unique<Arr>(std::move(res.at(0)));
}

std::unique_ptr<ArrList> add_rms_norm(const Arr& x, const Arr& r, const Arr& w, float eps) {
  const auto& xa = x.a;
  const auto& ra = r.a;
  const auto& wa = w.a;
  if (xa.shape() != ra.shape() || xa.dtype() != ra.dtype() || wa.dtype() != xa.dtype() ||
      !float_type(xa.dtype()) || wa.ndim() != 1 || xa.ndim() == 0 ||
      xa.shape().back() != wa.shape(0)) {
    throw std::invalid_argument(
        "benchbar add_rms_norm: x, r [.., H] and w [H] of one float type expected");
  }
  // One 16-byte chunk per thread where a row fits in 1024 threads (every Qwen3 width: 2048 to
  // 5120 elements), up to 4 chunks per thread beyond; wider rows take the per-element loop.
  const int h = xa.shape().back();
  const int chunks = (h * static_cast<int>(xa.itemsize()) + 15) / 16;
  const int threads = std::min(1024, std::max(32, (chunks + 31) / 32 * 32));
  const int per_thread = std::min(4, (chunks + threads - 1) / threads);
  const std::string expr =
      "bb_add_rms_norm<" + type_name(xa.dtype()) + ", " + std::to_string(per_thread) + ">";
  return list(launch::call(
      kKernelSource, expr.c_str(), {xa, ra, wa},
      {{xa.shape(), xa.dtype()}, {xa.shape(), xa.dtype()}},
      {static_cast<unsigned int>(rows_of(xa))}, {static_cast<unsigned int>(threads)},
      {launch::Scalar::of(h), launch::Scalar::of(eps)}));
}

std::unique_ptr<Arr> qk_norm_rope_kv(const Arr& qkv, const Arr& qw, const Arr& kw, const Arr& kc,
                                     const Arr& vc, int32_t pos, float log2_base, float eps,
                                     int32_t n_q, int32_t d) {
  const auto& ya = qkv.a;
  const auto dt = ya.dtype();
  const auto& ks = kc.a.shape();
  if (!float_type(dt) || qw.a.dtype() != dt || kw.a.dtype() != dt || kc.a.dtype() != dt ||
      vc.a.dtype() != dt || qw.a.size() != static_cast<size_t>(d) ||
      kw.a.size() != static_cast<size_t>(d) || (d != 64 && d != 128 && d != 256) || n_q <= 0 ||
      kc.a.ndim() != 4 || ks[0] != 1 || ks[3] != d || vc.a.shape() != ks || pos < 0 ||
      pos >= ks[2] || ya.size() != static_cast<size_t>(n_q + 2 * ks[1]) * d) {
    throw std::invalid_argument(
        "benchbar qk_norm_rope_kv: one position of q|k|v heads, norm weights [D] (D 64, 128 or "
        "256), caches [1, Hkv, capacity, D] of its type and a position inside them expected");
  }
  const int n_kv = ks[1];
  const std::string expr = "bb_qk_norm_rope_kv<" + type_name(dt) + ", " + std::to_string(d) + ">";
  auto res = launch::call(
      kKernelSource, expr.c_str(), {ya, qw.a, kw.a, kc.a, vc.a}, {{{1, n_q, 1, d}, dt, 0}},
      {blocks(static_cast<long long>(n_q + 2 * n_kv) * 32, 128)}, {128},
      {launch::Scalar::of(n_q), launch::Scalar::of(n_kv), launch::Scalar::of(pos),
       launch::Scalar::of(ks[2]), launch::Scalar::of(log2_base), launch::Scalar::of(eps)},
      {3, 4});
  return std::make_unique<Arr>(std::move(res.at(0)));
}

std::unique_ptr<Arr> attn_decode(const Arr& q, const Arr& kc, const Arr& vc, const Arr& part,
                                 const Arr& tickets, int32_t n, float scale) {
  const auto& qa = q.a;
  const auto dt = qa.dtype();
  const auto& ks = kc.a.shape();
  const bool shapes_ok = kc.a.ndim() == 4 && ks[0] == 1 && vc.a.shape() == ks && qa.ndim() == 4 &&
                         qa.shape(0) == 1 && qa.shape(2) == 1 && qa.shape(3) == ks[3];
  const int hq = shapes_ok ? qa.shape(1) : 0;
  const int hkv = shapes_ok ? ks[1] : 0;
  const int d = shapes_ok ? ks[3] : 0;
  const int g = hkv > 0 ? hq / hkv : 0;
  const long long per_split = static_cast<long long>(hq) * (d + 2);
  if (!shapes_ok || !float_type(dt) || kc.a.dtype() != dt || vc.a.dtype() != dt || hq % hkv != 0 ||
      (g != 1 && g != 2 && g != 4 && g != 8) || (d != 64 && d != 128 && d != 256) || n < 1 ||
      n > ks[2] || part.a.dtype() != mx::float32 || per_split == 0 ||
      static_cast<long long>(part.a.size()) < per_split || tickets.a.dtype() != mx::int32 ||
      static_cast<int>(tickets.a.size()) < hkv) {
    throw std::invalid_argument(
        "benchbar attn_decode: q [1, Hq, 1, D], caches [1, Hkv, capacity, D] of its type (Hq / Hkv "
        "1, 2, 4 or 8; D 64, 128 or 256), 1 <= n <= capacity, f32 scratch of >= Hq (D + 2) and "
        "int32 tickets of >= Hkv expected");
  }
  // One chunk of 128 positions per block (the kernel's block size); the scratch must hold them.
  const long long most = static_cast<long long>(part.a.size()) / per_split;
  const int splits = (n + 127) / 128;
  if (splits > most) {
    throw std::invalid_argument("benchbar attn_decode: more positions than the scratch covers");
  }
  const std::string expr = "bb_attn_decode<" + type_name(dt) + ", " + std::to_string(d) + ", " +
                           std::to_string(g) + ">";
  auto res = launch::call(
      kKernelSource, expr.c_str(), {qa, kc.a, vc.a, part.a, tickets.a}, {{{1, 1, hq * d}, dt}},
      {static_cast<unsigned int>(hkv * splits)}, {128},
      {launch::Scalar::of(ks[2]), launch::Scalar::of(n), launch::Scalar::of(splits),
       launch::Scalar::of(scale)},
      {3, 4});
  return std::make_unique<Arr>(std::move(res.at(0)));
}

}  // namespace benchbar
