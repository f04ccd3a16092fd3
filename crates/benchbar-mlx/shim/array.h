// The C++ types of the cxx bridge over the MLX C++ API (Linux backend of benchbar-mlx) and the
// conversions every operation shares. The operations are in ops.h; compiled functions in
// shim.cc; BenchBar's CUDA kernels in src/cuda/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"
#include "rust/cxx.h"

namespace benchbar {

struct Arr {
  mlx::core::array a;
  explicit Arr(mlx::core::array x) : a(std::move(x)) {}
};

struct ArrList {
  std::vector<mlx::core::array> v;
};

// A function compiled by mx::compile whose body calls back into Rust (`trace_trampoline` in
// src/backend/linux.rs), which runs the Rust function registered for the current call.
struct Compiled {
  std::function<std::vector<mlx::core::array>(const std::vector<mlx::core::array>&)> f;
};

struct ArrMap {
  std::vector<std::string> names;
  std::vector<mlx::core::array> arrays;
};

inline std::unique_ptr<Arr> wrap(mlx::core::array a) { return std::make_unique<Arr>(std::move(a)); }

inline std::unique_ptr<ArrList> list(std::vector<mlx::core::array> v) {
  auto out = std::make_unique<ArrList>();
  out->v = std::move(v);
  return out;
}

inline mlx::core::Shape to_shape(rust::Slice<const int32_t> s) {
  return mlx::core::Shape(s.begin(), s.end());
}

// Dtype codes of src/types.rs (Dtype).
inline mlx::core::Dtype to_dtype(uint8_t code) {
  namespace mx = mlx::core;
  switch (code) {
    case 0: return mx::bool_;
    case 1: return mx::uint8;
    case 2: return mx::uint32;
    case 3: return mx::int32;
    case 4: return mx::int64;
    case 5: return mx::float16;
    case 6: return mx::bfloat16;
    case 7: return mx::float32;
    default: throw std::invalid_argument("benchbar: unknown dtype code");
  }
}

inline uint8_t from_dtype(mlx::core::Dtype d) {
  namespace mx = mlx::core;
  if (d == mx::bool_) return 0;
  if (d == mx::uint8) return 1;
  if (d == mx::uint32) return 2;
  if (d == mx::int32) return 3;
  if (d == mx::int64) return 4;
  if (d == mx::float16) return 5;
  if (d == mx::bfloat16) return 6;
  if (d == mx::float32) return 7;
  return 255;
}

// shim.cc
std::unique_ptr<Compiled> compile_new(bool shapeless);
std::unique_ptr<ArrList> compile_call(const Compiled& c, const ArrList& inputs);
int32_t blas_threads_hint();

}  // namespace benchbar
