// BenchBar's own CUDA kernels for the batch-1 decode step on MLX CUDA, JIT-compiled by MLX
// (`mx::fast::cuda_kernel`, NVRTC) on first use and scheduled in MLX's graph like any op.
//
// - gemv_q4: `y[1, N] = x[1, K] · dequantize(W)[N, K]ᵀ` for MLX's 4-bit affine layout as stored
//   (8 nibbles per uint32, lowest first; one scale and bias per group of a multiple of 32). Each
//   warp owns two output rows, so every 32 values of x are loaded and converted once for both;
//   16-byte streaming loads of the weights (evict-first: x stays in cache), nibbles turned into
//   floats by an exponent trick (no int-to-float conversion), f32 accumulation, s·Σx·q + b·Σx
//   per group, warp-shuffle sum. At batch 1 every weight byte is used once, so this kernel is
//   what the 4-bit decode step streams at.
// - add_rms_norm: `h = x + r` and `y = rms_norm(h) · w` in one pass (the residual add and the
//   next RMSNorm, two MLX kernels), rounding as MLX does (h to the element type first, then
//   `w · T(h · inv_rms)`).
// - qk_norm_rope: Qwen3's q/k RMSNorm and RoPE (non-traditional) of one position, read straight
//   from the stacked q|k|v projection (four MLX kernels).
//
// Only used when libmlx is the CUDA build (`kernels_available`): by default gemv_q4 always and
// the two fused kernels only for models of >= 256 MB per layer (src/kernels.rs, `enabled_for`);
// the Rust side runs MLX's ops everywhere else, and checks each kernel against them once before
// use.
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "benchbar-mlx/shim/shim.h"

namespace mx = mlx::core;

namespace benchbar {

namespace {

constexpr const char* kHeader = R"(
__device__ inline float bb_f(float v) { return v; }
__device__ inline float bb_f(__half v) { return __half2float(v); }
__device__ inline float bb_f(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ inline T bb_out(float v);
template <> __device__ inline float bb_out<float>(float v) { return v; }
template <> __device__ inline __half bb_out<__half>(float v) { return __float2half(v); }
template <> __device__ inline __nv_bfloat16 bb_out<__nv_bfloat16>(float v) {
  return __float2bfloat16(v);
}
// v rounded to T and back (what storing an intermediate in T does).
template <typename T> __device__ inline float bb_round(float v) { return bb_f(bb_out<T>(v)); }
__device__ inline bool bb_aligned16(const void* a, const void* b) {
  return ((reinterpret_cast<unsigned long long>(a) | reinterpret_cast<unsigned long long>(b)) &
          15ull) == 0;
}
__device__ inline float bb_warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
// Nibble j of w as a float: 2^23 + q has q in its low mantissa bits; subtracting 2^23 is exact.
__device__ inline float bb_nibble(unsigned int w, int j) {
  return __int_as_float(0x4B000000 | ((w >> (4 * j)) & 15u)) - 8388608.0f;
}
)";

// Inputs: x (one row of K), w [N, K / 8] uint32, scales and biases [N, K / group]. Output y (N).
// Template: T (x's element type), R (rows per warp).
constexpr const char* kQ4 = R"(
  const int n_rows = w_shape[0];
  const int kp = w_shape[1];
  const int groups = scales_shape[1];
  const int k = kp * 8;
  const int gs = k / groups;
  const int row0 = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) >> 5) * R;
  const int lane = threadIdx.x & 31;
  if (row0 >= n_rows) return;
  constexpr int V = 16 / sizeof(T);
  float acc[R];
#pragma unroll
  for (int r = 0; r < R; ++r) acc[r] = 0.0f;
  if (bb_aligned16(w, x) && kp % 4 == 0 && gs % 32 == 0) {
    const uint4* x4 = reinterpret_cast<const uint4*>(x);
    const int n4 = kp / 4;
#pragma unroll 2
    for (int i = lane; i < n4; i += 32) {
      uint4 wv[R];
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const int row = min(row0 + r, n_rows - 1);
        wv[r] = __ldcs(reinterpret_cast<const uint4*>(w + static_cast<size_t>(row) * kp) + i);
      }
      __align__(16) T xv[32];
#pragma unroll
      for (int u = 0; u < 32 / V; ++u) reinterpret_cast<uint4*>(xv)[u] = __ldg(x4 + i * (32 / V) + u);
      float xf[32];
      float xsum = 0.0f;
#pragma unroll
      for (int j = 0; j < 32; ++j) {
        xf[j] = bb_f(xv[j]);
        xsum += xf[j];
      }
      const int g = (i * 32) / gs;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const int row = min(row0 + r, n_rows - 1);
        const unsigned int words[4] = {wv[r].x, wv[r].y, wv[r].z, wv[r].w};
        float dot = 0.0f;
#pragma unroll
        for (int q = 0; q < 4; ++q) {
#pragma unroll
          for (int j = 0; j < 8; ++j) dot += xf[8 * q + j] * bb_nibble(words[q], j);
        }
        const size_t sb = static_cast<size_t>(row) * groups + g;
        acc[r] += bb_f(scales[sb]) * dot + bb_f(biases[sb]) * xsum;
      }
    }
  } else {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int row = min(row0 + r, n_rows - 1);
      for (int kk = lane; kk < k; kk += 32) {
        const size_t sb = static_cast<size_t>(row) * groups + kk / gs;
        const float q = bb_nibble(w[static_cast<size_t>(row) * kp + kk / 8], kk % 8);
        acc[r] += bb_f(x[kk]) * (bb_f(scales[sb]) * q + bb_f(biases[sb]));
      }
    }
  }
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const float v = bb_warp_sum(acc[r]);
    if (lane == 0 && row0 + r < n_rows) y[row0 + r] = bb_out<T>(v);
  }
)";

// Inputs: x, r [rows, H], w [H]. Outputs h, y [rows, H]. One block per row. Template: T, EPS
// (eps as the bits of an f32: a constant, not an input array), C (16-byte chunks per thread; the
// row stays in registers between the two passes, each thread's loads all in flight at once).
// Rows that are not whole aligned chunks take a plain per-element loop.
constexpr const char* kAddRmsNorm = R"(
  constexpr int V = 16 / sizeof(T);
  const int hsz = w_shape[0];
  const size_t base = static_cast<size_t>(blockIdx.x) * hsz;
  const float eps = __int_as_float(EPS);
  const int chunks = hsz / V;
  const bool vec = hsz % V == 0 && chunks <= C * static_cast<int>(blockDim.x) &&
                   bb_aligned16(x + base, r + base) && bb_aligned16(h + base, y + base) &&
                   bb_aligned16(w, w);
  float v[C][V];
  float ss = 0.0f;
  if (vec) {
#pragma unroll
    for (int c = 0; c < C; ++c) {
      const int i = threadIdx.x + c * blockDim.x;
      if (i < chunks) {
        const uint4 xa = reinterpret_cast<const uint4*>(x + base)[i];
        const uint4 ra = reinterpret_cast<const uint4*>(r + base)[i];
        const T* xs = reinterpret_cast<const T*>(&xa);
        const T* rs = reinterpret_cast<const T*>(&ra);
        __align__(16) T hs[V];
#pragma unroll
        for (int j = 0; j < V; ++j) {
          v[c][j] = bb_round<T>(bb_f(xs[j]) + bb_f(rs[j]));
          hs[j] = bb_out<T>(v[c][j]);
          ss += v[c][j] * v[c][j];
        }
        reinterpret_cast<uint4*>(h + base)[i] = *reinterpret_cast<const uint4*>(hs);
      }
    }
  } else {
    for (int i = threadIdx.x; i < hsz; i += blockDim.x) {
      const float s = bb_round<T>(bb_f(x[base + i]) + bb_f(r[base + i]));
      h[base + i] = bb_out<T>(s);
      ss += s * s;
    }
  }
  __shared__ float part[32];
  ss = bb_warp_sum(ss);
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = ss;
  __syncthreads();
  if (threadIdx.x < 32) {
    float t = threadIdx.x < (blockDim.x >> 5) ? part[threadIdx.x] : 0.0f;
    t = bb_warp_sum(t);
    if (threadIdx.x == 0) part[0] = t;
  }
  __syncthreads();
  const float inv = rsqrtf(part[0] / hsz + eps);
  if (vec) {
#pragma unroll
    for (int c = 0; c < C; ++c) {
      const int i = threadIdx.x + c * blockDim.x;
      if (i < chunks) {
        const uint4 wa = reinterpret_cast<const uint4*>(w)[i];
        const T* ws = reinterpret_cast<const T*>(&wa);
        __align__(16) T ys[V];
#pragma unroll
        for (int j = 0; j < V; ++j) ys[j] = bb_out<T>(bb_f(ws[j]) * bb_round<T>(v[c][j] * inv));
        reinterpret_cast<uint4*>(y + base)[i] = *reinterpret_cast<const uint4*>(ys);
      }
    }
  } else {
    for (int i = threadIdx.x; i < hsz; i += blockDim.x) {
      const float s = bb_round<T>(bb_f(x[base + i]) + bb_f(r[base + i]));
      y[base + i] = bb_out<T>(bb_f(w[i]) * bb_round<T>(s * inv));
    }
  }
)";

// Inputs: qkv (one position: HQ + 2 HKV heads of D), qw, kw [D], pos (int32 [1]), params
// (f32 [2]: log2(rope base), eps). Outputs q [HQ * D], k [HKV * D]. One warp per q/k head.
// Template: T, HQ, HKV, D (a multiple of 64).
constexpr const char* kQkNormRope = R"(
  const int head = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) >> 5);
  const int lane = threadIdx.x & 31;
  if (head >= HQ + HKV) return;
  const bool is_q = head < HQ;
  const T* src = qkv + static_cast<size_t>(head) * D;
  const T* nw = is_q ? qw : kw;
  T* dst = is_q ? q + static_cast<size_t>(head) * D : k + static_cast<size_t>(head - HQ) * D;
  constexpr int E = D / 32;
  float v[E];
  float ss = 0.0f;
#pragma unroll
  for (int j = 0; j < E; ++j) {
    v[j] = bb_f(src[lane + 32 * j]);
    ss += v[j] * v[j];
  }
  ss = bb_warp_sum(ss);
  const float inv = rsqrtf(ss / D + params[1]);
#pragma unroll
  for (int j = 0; j < E; ++j) {
    v[j] = bb_round<T>(bb_f(nw[lane + 32 * j]) * bb_round<T>(v[j] * inv));
  }
  const float pos = static_cast<float>(pos_in[0]);
#pragma unroll
  for (int j = 0; j < E / 2; ++j) {
    const int i = lane + 32 * j;
    const float d = static_cast<float>(i) / static_cast<float>(D / 2);
    const float theta = pos * exp2f(-d * params[0]);
    const float c = cosf(theta);
    const float s = sinf(theta);
    const float x1 = v[j];
    const float x2 = v[j + E / 2];
    dst[i] = bb_out<T>(x1 * c - x2 * s);
    dst[i + D / 2] = bb_out<T>(x1 * s + x2 * c);
  }
)";

constexpr int kRowsPerWarp = 2;

const mx::fast::CustomKernelFunction& q4_kernel() {
  static const auto k = mx::fast::cuda_kernel("benchbar_gemv_q4", {"x", "w", "scales", "biases"},
                                              {"y"}, kQ4, kHeader);
  return k;
}
const mx::fast::CustomKernelFunction& add_rms_norm_kernel() {
  static const auto k = mx::fast::cuda_kernel("benchbar_add_rms_norm", {"x", "r", "w"},
                                              {"h", "y"}, kAddRmsNorm, kHeader);
  return k;
}
const mx::fast::CustomKernelFunction& qk_norm_rope_kernel() {
  static const auto k = mx::fast::cuda_kernel("benchbar_qk_norm_rope",
                                              {"qkv", "qw", "kw", "pos_in", "params"}, {"q", "k"},
                                              kQkNormRope, kHeader);
  return k;
}

bool float_type(mx::Dtype d) { return d == mx::bfloat16 || d == mx::float16 || d == mx::float32; }

// Rows of `x` [..., last]: the product of the leading dimensions.
int rows_of(const mx::array& x) {
  if (x.ndim() == 0) throw std::invalid_argument("benchbar kernels: scalar input");
  return static_cast<int>(x.size() / x.shape().back());
}

}  // namespace

bool kernels_available() {
  return mx::cu::is_available() && mx::default_device() == mx::Device::gpu;
}

std::unique_ptr<Arr> gemv_q4(const Arr& x, const Arr& w, const Arr& scales, const Arr& biases) {
  const auto& xa = x.a;
  const auto& wa = w.a;
  const auto& sa = scales.a;
  const auto& ba = biases.a;
  if (wa.ndim() != 2 || wa.dtype() != mx::uint32 || sa.ndim() != 2 || ba.shape() != sa.shape() ||
      sa.shape(0) != wa.shape(0) || xa.dtype() != sa.dtype() || ba.dtype() != sa.dtype() ||
      !float_type(sa.dtype()) || rows_of(xa) != 1 || xa.shape().back() != wa.shape(1) * 8 ||
      (wa.shape(1) * 8) % sa.shape(1) != 0) {
    throw std::invalid_argument(
        "benchbar gemv_q4: one row x [.., K], 4-bit w [N, K/8], scales/biases [N, K/group] of "
        "x's type expected");
  }
  const int n = wa.shape(0);
  mx::Shape out = xa.shape();
  out.back() = n;
  const int warps = (n + kRowsPerWarp - 1) / kRowsPerWarp;
  auto res = q4_kernel()({xa, wa, sa, ba}, {out}, {sa.dtype()}, {warps * 32, 1, 1}, {256, 1, 1},
                         {{"T", sa.dtype()}, {"R", kRowsPerWarp}}, std::nullopt, false, {});
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
  int eps_bits = 0;
  std::memcpy(&eps_bits, &eps, sizeof eps_bits);
  auto res = add_rms_norm_kernel()(
      {xa, ra, wa}, {xa.shape(), xa.shape()}, {xa.dtype(), xa.dtype()},
      {rows_of(xa) * threads, 1, 1}, {threads, 1, 1},
      {{"T", xa.dtype()}, {"C", per_thread}, {"EPS", eps_bits}}, std::nullopt, false, {});
  auto out = std::make_unique<ArrList>();
  out->v = std::move(res);
  return out;
}

std::unique_ptr<ArrList> qk_norm_rope(const Arr& qkv, const Arr& qw, const Arr& kw, const Arr& pos,
                                      const Arr& params, int32_t n_q, int32_t n_kv, int32_t d) {
  const auto& ya = qkv.a;
  const auto dt = ya.dtype();
  if (!float_type(dt) || qw.a.dtype() != dt || kw.a.dtype() != dt || qw.a.size() != static_cast<size_t>(d) ||
      kw.a.size() != static_cast<size_t>(d) || d % 64 != 0 || n_q <= 0 || n_kv <= 0 ||
      ya.size() != static_cast<size_t>(n_q + 2 * n_kv) * d || pos.a.dtype() != mx::int32 ||
      pos.a.size() != 1 || params.a.dtype() != mx::float32 || params.a.size() != 2) {
    throw std::invalid_argument(
        "benchbar qk_norm_rope: one position of q|k|v heads, norm weights [D] (D a multiple of "
        "64), int32 position and f32 [log2 base, eps] expected");
  }
  auto res = qk_norm_rope_kernel()(
      {ya, qw.a, kw.a, pos.a, params.a}, {{1, n_q, 1, d}, {1, n_kv, 1, d}}, {dt, dt},
      {(n_q + n_kv) * 32, 1, 1}, {128, 1, 1},
      {{"T", dt}, {"HQ", n_q}, {"HKV", n_kv}, {"D", d}}, std::nullopt, false, {});
  auto out = std::make_unique<ArrList>();
  out->v = std::move(res);
  return out;
}

}  // namespace benchbar
