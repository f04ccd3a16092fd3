// C++ side of the cxx bridge over the MLX C++ API (Linux backend of benchbar-mlx).
// Every function is a thin call into mlx::core; errors surface as C++ exceptions, which cxx
// turns into Rust `Result`s.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

std::unique_ptr<Arr> arr_clone(const Arr& a);
std::unique_ptr<ArrList> list_new();
void list_push(ArrList& l, const Arr& a);
std::size_t list_len(const ArrList& l);
std::unique_ptr<Arr> list_get(const ArrList& l, std::size_t i);

std::unique_ptr<Arr> from_f32(rust::Slice<const float> data, rust::Slice<const int32_t> shape);
std::unique_ptr<Arr> from_i32(rust::Slice<const int32_t> data, rust::Slice<const int32_t> shape);
std::unique_ptr<Arr> full(rust::Slice<const int32_t> shape, float value, uint8_t dtype);
std::unique_ptr<Arr> arange(int32_t start, int32_t stop);

rust::Vec<int32_t> shape(const Arr& a);
uint8_t dtype(const Arr& a);
std::size_t nbytes(const Arr& a);
rust::Vec<float> to_f32_vec(const Arr& a);
rust::Vec<int32_t> to_i32_vec(const Arr& a);
rust::Vec<uint32_t> read_u32(const Arr& a);
void wait_ready(const Arr& a);
void eval(const ArrList& l);
void async_eval(const ArrList& l);

std::unique_ptr<Arr> binary(uint8_t op, const Arr& a, const Arr& b);
std::unique_ptr<Arr> unary(uint8_t op, const Arr& a);
std::unique_ptr<Arr> where_(const Arr& c, const Arr& x, const Arr& y);
std::unique_ptr<Arr> astype(const Arr& a, uint8_t dtype);

std::unique_ptr<Arr> reshape(const Arr& a, rust::Slice<const int32_t> shape);
std::unique_ptr<Arr> transpose(const Arr& a, rust::Slice<const int32_t> axes);
std::unique_ptr<Arr> concatenate(const ArrList& l, int32_t axis);
std::unique_ptr<Arr> slice(const Arr& a, rust::Slice<const int32_t> start, rust::Slice<const int32_t> stop);
std::unique_ptr<Arr> slice_update(const Arr& src, const Arr& upd, rust::Slice<const int32_t> start,
                                  rust::Slice<const int32_t> stop);
std::unique_ptr<Arr> slice_update_dynamic(const Arr& src, const Arr& upd, const Arr& start,
                                          rust::Slice<const int32_t> axes);
std::unique_ptr<Arr> take(const Arr& a, const Arr& idx, int32_t axis);
std::unique_ptr<Arr> take_along_axis(const Arr& a, const Arr& idx, int32_t axis);

std::unique_ptr<Arr> reduce(uint8_t op, const Arr& a, int32_t axis, bool keepdims);
std::unique_ptr<Arr> softmax(const Arr& a, int32_t axis, bool precise);
std::unique_ptr<Arr> sort(const Arr& a, int32_t axis);
std::unique_ptr<Arr> argsort(const Arr& a, int32_t axis);
std::unique_ptr<Arr> argpartition(const Arr& a, int32_t kth, int32_t axis);
std::unique_ptr<Arr> cumsum(const Arr& a, int32_t axis, bool reverse, bool inclusive);

std::unique_ptr<Arr> matmul(const Arr& a, const Arr& b);
std::unique_ptr<Arr> quantized_matmul(const Arr& x, const Arr& w, const Arr& scales, const Arr& biases,
                                      bool has_biases, bool transpose, int32_t group_size, int32_t bits);
std::unique_ptr<ArrList> quantize(const Arr& w, int32_t group_size, int32_t bits);
std::unique_ptr<Arr> dequantize(const Arr& w, const Arr& scales, const Arr& biases, bool has_biases,
                                int32_t group_size, int32_t bits);

std::unique_ptr<Arr> rms_norm(const Arr& x, const Arr& w, bool has_weight, float eps);
std::unique_ptr<Arr> rope(const Arr& x, int32_t dims, bool traditional, float base, float scale, int32_t offset);
std::unique_ptr<Arr> rope_offsets(const Arr& x, int32_t dims, bool traditional, float base, float scale,
                                  const Arr& offsets);
std::unique_ptr<Arr> sdpa(const Arr& q, const Arr& k, const Arr& v, float scale, uint8_t mask_kind,
                          const Arr& mask);

std::unique_ptr<Arr> random_key(uint64_t seed);
std::unique_ptr<ArrList> random_split(const Arr& key);
std::unique_ptr<Arr> categorical(const Arr& logits, int32_t axis, const Arr& key);

std::unique_ptr<ArrMap> load_safetensors(rust::Str path);
rust::Vec<rust::String> map_names(const ArrMap& m);
std::unique_ptr<Arr> map_get(const ArrMap& m, std::size_t i);

std::size_t active_memory();
std::size_t peak_memory();
void reset_peak_memory();
std::size_t cache_memory();
void clear_cache();
rust::String mlx_version();
bool default_device_is_gpu();
rust::String device_description();
rust::String mlx_build();

// kernels.cc: BenchBar's CUDA kernels for the batch-1 decode step (MLX CUDA only).
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

std::unique_ptr<Compiled> compile_new(bool shapeless);
std::unique_ptr<ArrList> compile_call(const Compiled& c, const ArrList& inputs);
int32_t blas_threads_hint();

}  // namespace benchbar
