// Batch-1 matrix-vector kernels for MLX CUDA (`mx::fast::cuda_kernel`, compiled by MLX's NVRTC
// JIT on first use). At decode with one sequence every linear layer is `y[1, N] = x[1, K] · W[N, K]ᵀ`:
// each weight is read once per token and nothing is reused, so the step is bounded by how fast
// the weights stream from memory. One warp owns one output row: its 32 lanes read the row in
// 16-byte vectors (streaming loads that bypass L1 for the weights; `x` stays cached), accumulate
// in f32 and reduce with warp shuffles. The 4-bit kernel reads MLX's affine layout as it is
// (8 nibbles per uint32, lowest first; one bf16/f16 scale and bias per group) and applies each
// group's scale and bias once per 32 weights: s·Σ x·q + b·Σ x.
//
// Only used when libmlx is the CUDA build (`gemv_available`); the Rust side falls back to MLX's
// matmul / quantized_matmul for every other case.
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
__device__ inline bool bb_aligned16(const void* a, const void* b) {
  return ((reinterpret_cast<unsigned long long>(a) | reinterpret_cast<unsigned long long>(b)) &
          15ull) == 0;
}
__device__ inline float bb_warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
)";

// Inputs: x (one row of K), w [N, K]. Output y (N). Template type T = element type of x, w, y.
constexpr const char* kDense = R"(
  const int n_rows = w_shape[0];
  const int k = w_shape[1];
  const int row = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= n_rows) return;
  const T* wr = w + static_cast<size_t>(row) * k;
  constexpr int V = 16 / sizeof(T);
  float acc = 0.0f;
  if (bb_aligned16(wr, x) && k % V == 0) {
    const uint4* w4 = reinterpret_cast<const uint4*>(wr);
    const uint4* x4 = reinterpret_cast<const uint4*>(x);
    const int n4 = k / V;
#pragma unroll 4
    for (int i = lane; i < n4; i += 32) {
      const uint4 wv = __ldcs(w4 + i);
      const uint4 xv = __ldg(x4 + i);
      const T* wp = reinterpret_cast<const T*>(&wv);
      const T* xp = reinterpret_cast<const T*>(&xv);
#pragma unroll
      for (int j = 0; j < V; ++j) acc += bb_f(wp[j]) * bb_f(xp[j]);
    }
  } else {
    for (int i = lane; i < k; i += 32) acc += bb_f(wr[i]) * bb_f(x[i]);
  }
  acc = bb_warp_sum(acc);
  if (lane == 0) y[row] = bb_out<T>(acc);
)";

// Inputs: x (one row of K), w [N, K / 8] uint32, scales and biases [N, K / group]. Output y (N).
constexpr const char* kQ4 = R"(
  const int n_rows = w_shape[0];
  const int kp = w_shape[1];
  const int groups = scales_shape[1];
  const int k = kp * 8;
  const int gs = k / groups;
  const int row = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= n_rows) return;
  const uint32_t* wr = w + static_cast<size_t>(row) * kp;
  const T* sr = scales + static_cast<size_t>(row) * groups;
  const T* br = biases + static_cast<size_t>(row) * groups;
  constexpr int V = 16 / sizeof(T);
  float acc = 0.0f;
  if (bb_aligned16(wr, x) && kp % 4 == 0 && gs % 32 == 0) {
    const uint4* w4 = reinterpret_cast<const uint4*>(wr);
    const uint4* x4 = reinterpret_cast<const uint4*>(x);
    const int n4 = kp / 4;
#pragma unroll 2
    for (int i = lane; i < n4; i += 32) {
      const uint4 wv = __ldcs(w4 + i);
      const int k0 = i * 32;
      const float s = bb_f(sr[k0 / gs]);
      const float b = bb_f(br[k0 / gs]);
      const uint32_t words[4] = {wv.x, wv.y, wv.z, wv.w};
      float dot = 0.0f;
      float xsum = 0.0f;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        __align__(16) T xv[8];
#pragma unroll
        for (int u = 0; u < 8 / V; ++u) {
          reinterpret_cast<uint4*>(xv)[u] = __ldg(x4 + (k0 + 8 * q) / V + u);
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const float xf = bb_f(xv[j]);
          dot += xf * static_cast<float>((words[q] >> (4 * j)) & 15u);
          xsum += xf;
        }
      }
      acc += s * dot + b * xsum;
    }
  } else {
    for (int kk = lane; kk < k; kk += 32) {
      const float q = static_cast<float>((wr[kk / 8] >> (4 * (kk % 8))) & 15u);
      acc += bb_f(x[kk]) * (bb_f(sr[kk / gs]) * q + bb_f(br[kk / gs]));
    }
  }
  acc = bb_warp_sum(acc);
  if (lane == 0) y[row] = bb_out<T>(acc);
)";

constexpr int kThreads = 256;  // 8 rows per block

const mx::fast::CustomKernelFunction& dense_kernel() {
  static const auto k = mx::fast::cuda_kernel("benchbar_gemv", {"x", "w"}, {"y"}, kDense, kHeader);
  return k;
}
const mx::fast::CustomKernelFunction& q4_kernel() {
  static const auto k = mx::fast::cuda_kernel("benchbar_gemv_q4", {"x", "w", "scales", "biases"},
                                              {"y"}, kQ4, kHeader);
  return k;
}

// x [..., K] with one row in all; out [..., N].
mx::Shape out_shape(const mx::array& x, int n) {
  if (x.ndim() == 0 || x.size() != static_cast<size_t>(x.shape().back())) {
    throw std::invalid_argument("benchbar gemv: x must hold exactly one row");
  }
  mx::Shape s = x.shape();
  s.back() = n;
  return s;
}

bool float_type(mx::Dtype d) { return d == mx::bfloat16 || d == mx::float16 || d == mx::float32; }

}  // namespace

bool gemv_available() { return mx::cu::is_available() && mx::default_device() == mx::Device::gpu; }

std::unique_ptr<Arr> gemv(const Arr& x, const Arr& w) {
  const auto& xa = x.a;
  const auto& wa = w.a;
  if (wa.ndim() != 2 || xa.dtype() != wa.dtype() || !float_type(wa.dtype()) ||
      xa.shape().back() != wa.shape(1)) {
    throw std::invalid_argument("benchbar gemv: x [.., K] and w [N, K] of one float type expected");
  }
  const int n = wa.shape(0);
  auto out = dense_kernel()({xa, wa}, {out_shape(xa, n)}, {wa.dtype()}, {n * 32, 1, 1},
                            {kThreads, 1, 1}, {{"T", wa.dtype()}}, std::nullopt, false, {});
  return std::make_unique<Arr>(std::move(out.at(0)));
}

std::unique_ptr<Arr> gemv_q4(const Arr& x, const Arr& w, const Arr& scales, const Arr& biases) {
  const auto& xa = x.a;
  const auto& wa = w.a;
  const auto& sa = scales.a;
  const auto& ba = biases.a;
  if (wa.ndim() != 2 || wa.dtype() != mx::uint32 || sa.ndim() != 2 || ba.shape() != sa.shape() ||
      sa.shape(0) != wa.shape(0) || xa.dtype() != sa.dtype() || ba.dtype() != sa.dtype() ||
      !float_type(sa.dtype()) || xa.shape().back() != wa.shape(1) * 8 ||
      (wa.shape(1) * 8) % sa.shape(1) != 0) {
    throw std::invalid_argument(
        "benchbar gemv_q4: x [.., K], 4-bit w [N, K/8], scales/biases [N, K/group] of x's type "
        "expected");
  }
  const int n = wa.shape(0);
  auto out = q4_kernel()({xa, wa, sa, ba}, {out_shape(xa, n)}, {sa.dtype()}, {n * 32, 1, 1},
                         {kThreads, 1, 1}, {{"T", sa.dtype()}}, std::nullopt, false, {});
  return std::make_unique<Arr>(std::move(out.at(0)));
}

}  // namespace benchbar
