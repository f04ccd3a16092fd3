// Launching BenchBar's CUDA kernels as nodes of MLX CUDA's graph through a primitive of our own
// (launch.cc) instead of MLX's custom-kernel API (`mx::fast::cuda_kernel`), which rebuilds the
// kernel's whole source text on every call and looks its module up by name at every evaluation.
// Here a kernel is compiled once per instantiation (NVRTC) and each call is one node handed to
// MLX's command encoder with its arguments, like MLX's own ops.
#pragma once

#include <cstdint>
#include <vector>

#include "mlx/mlx.h"

namespace benchbar::launch {

// A grid (in blocks) or block (in threads) size.
struct Dim3 {
  unsigned int x = 1, y = 1, z = 1;
};

// A kernel argument after the array pointers: a 32-bit int or float.
struct Scalar {
  bool is_float;
  int32_t i;
  float f;
  static Scalar of(int32_t v) { return Scalar{false, v, 0.0f}; }
  static Scalar of(float v) { return Scalar{true, 0, v}; }
};

// One output: its shape and type, and `donor`, the input whose buffer it takes over (from the
// start) when MLX allows it (a single-output kernel, the input row-contiguous, of the same element
// type, at least as large and read by nothing else); a new buffer otherwise or when `donor < 0`.
struct Out {
  mlx::core::Shape shape;
  mlx::core::Dtype dtype;
  int donor = -1;
};

// Whether kernels can be launched here: libmlx is the CUDA build, exports its command encoder,
// and NVRTC and the CUDA driver are loaded (all found in the running process).
bool available();

// The outputs of `kernel`, a name expression of a `__global__` function template in `source`
// (e.g. "bb_add_rms_norm<bb_bf16, 1>"), called as kernel(inputs..., outputs..., scalars...) with
// array arguments as device pointers, over `grid` blocks of `block` threads. `written`: the
// inputs the kernel also writes in place, declared to MLX's encoder as written so that any later
// node of the graph that touches their buffers is ordered after this one.
std::vector<mlx::core::array> call(const char* source, const char* kernel,
                                   std::vector<mlx::core::array> inputs, std::vector<Out> outs,
                                   Dim3 grid, Dim3 block, std::vector<Scalar> scalars,
                                   std::vector<int> written = {});

}  // namespace benchbar::launch
