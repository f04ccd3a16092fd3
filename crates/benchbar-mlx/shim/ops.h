// Every MLX operation the Linux backend offers, each defined once, here: a thin call into
// mlx::core (`inline`, so this header is both the declaration the cxx bridge in
// src/backend/linux.rs needs and the definition). Errors surface as C++ exceptions, which cxx
// turns into Rust `Result`s. Codes (dtype, op, mask kind) are those of src/types.rs.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

#include "benchbar-mlx/shim/array.h"

namespace benchbar {

namespace mx = mlx::core;

inline std::unique_ptr<Arr> arr_clone(const Arr& a) { return wrap(a.a); }
inline std::unique_ptr<ArrList> list_new() { return std::make_unique<ArrList>(); }
inline void list_push(ArrList& l, const Arr& a) { l.v.push_back(a.a); }
inline std::size_t list_len(const ArrList& l) { return l.v.size(); }
inline std::unique_ptr<Arr> list_get(const ArrList& l, std::size_t i) { return wrap(l.v.at(i)); }

inline std::unique_ptr<Arr> from_f32(rust::Slice<const float> data, rust::Slice<const int32_t> shape) {
  return wrap(mx::array(data.begin(), to_shape(shape), mx::float32));
}
inline std::unique_ptr<Arr> from_i32(rust::Slice<const int32_t> data, rust::Slice<const int32_t> shape) {
  return wrap(mx::array(data.begin(), to_shape(shape), mx::int32));
}
inline std::unique_ptr<Arr> full(rust::Slice<const int32_t> shape, float value, uint8_t dtype) {
  auto dt = to_dtype(dtype);
  return wrap(mx::full(to_shape(shape), mx::array(value, dt), dt));
}
inline std::unique_ptr<Arr> arange(int32_t start, int32_t stop) { return wrap(mx::arange(start, stop)); }

inline rust::Vec<int32_t> shape(const Arr& a) {
  rust::Vec<int32_t> out;
  for (auto d : a.a.shape()) out.push_back(d);
  return out;
}
inline uint8_t dtype(const Arr& a) { return from_dtype(a.a.dtype()); }
inline std::size_t nbytes(const Arr& a) { return a.a.nbytes(); }

inline rust::Vec<float> to_f32_vec(const Arr& a) {
  auto x = mx::astype(a.a, mx::float32);
  x = mx::contiguous(x);
  x.eval();
  rust::Vec<float> out;
  out.reserve(x.size());
  const float* p = x.data<float>();
  for (size_t i = 0; i < x.size(); ++i) out.push_back(p[i]);
  return out;
}
inline rust::Vec<int32_t> to_i32_vec(const Arr& a) {
  auto x = mx::astype(a.a, mx::int32);
  x = mx::contiguous(x);
  x.eval();
  rust::Vec<int32_t> out;
  out.reserve(x.size());
  const int32_t* p = x.data<int32_t>();
  for (size_t i = 0; i < x.size(); ++i) out.push_back(p[i]);
  return out;
}
// Waits for `a` (already scheduled: waits on its own event only) and copies it out without
// adding any operation to the stream. A new op (astype, contiguous) would be queued behind work
// scheduled after `a` (the next decode step) and make the wait include that work too.
inline rust::Vec<uint32_t> read_u32(const Arr& a) {
  mx::array x = a.a;
  x.eval();
  if ((x.dtype() != mx::uint32 && x.dtype() != mx::int32) || !x.flags().row_contiguous ||
      x.data_size() != x.size()) {
    x = mx::contiguous(mx::astype(x, mx::uint32));
    x.eval();
  }
  rust::Vec<uint32_t> out;
  out.reserve(x.size());
  const uint32_t* p = x.data<uint32_t>();
  for (size_t i = 0; i < x.size(); ++i) out.push_back(p[i]);
  return out;
}
// Waits for `a` (scheduled: on its own event) without reading its data.
inline void wait_ready(const Arr& a) {
  mx::array x = a.a;
  x.eval();
}
inline void eval(const ArrList& l) { mx::eval(l.v); }
inline void async_eval(const ArrList& l) { mx::async_eval(l.v); }

// Binary op codes shared with ops::BinaryOp.
inline std::unique_ptr<Arr> binary(uint8_t op, const Arr& a, const Arr& b) {
  switch (op) {
    case 0: return wrap(mx::add(a.a, b.a));
    case 1: return wrap(mx::subtract(a.a, b.a));
    case 2: return wrap(mx::multiply(a.a, b.a));
    case 3: return wrap(mx::divide(a.a, b.a));
    case 4: return wrap(mx::maximum(a.a, b.a));
    case 5: return wrap(mx::minimum(a.a, b.a));
    case 6: return wrap(mx::less(a.a, b.a));
    case 7: return wrap(mx::less_equal(a.a, b.a));
    case 8: return wrap(mx::greater(a.a, b.a));
    case 9: return wrap(mx::greater_equal(a.a, b.a));
    case 10: return wrap(mx::equal(a.a, b.a));
    case 11: return wrap(mx::logical_and(a.a, b.a));
    case 12: return wrap(mx::floor_divide(a.a, b.a));
    case 13: return wrap(mx::power(a.a, b.a));
    case 14: return wrap(mx::logaddexp(a.a, b.a));
    default: throw std::invalid_argument("benchbar: unknown binary op");
  }
}
// Unary op codes shared with ops::UnaryOp.
inline std::unique_ptr<Arr> unary(uint8_t op, const Arr& a) {
  switch (op) {
    case 0: return wrap(mx::sigmoid(a.a));
    case 1: return wrap(mx::exp(a.a));
    case 2: return wrap(mx::log(a.a));
    case 3: return wrap(mx::negative(a.a));
    case 4: return wrap(mx::logical_not(a.a));
    case 5: return wrap(mx::multiply(a.a, mx::sigmoid(a.a)));  // silu, as mlx.nn.silu
    case 6: return wrap(mx::stop_gradient(a.a));  // identity node, shares the buffer
    default: throw std::invalid_argument("benchbar: unknown unary op");
  }
}
inline std::unique_ptr<Arr> where_(const Arr& c, const Arr& x, const Arr& y) { return wrap(mx::where(c.a, x.a, y.a)); }
inline std::unique_ptr<Arr> astype(const Arr& a, uint8_t dtype) { return wrap(mx::astype(a.a, to_dtype(dtype))); }

inline std::unique_ptr<Arr> reshape(const Arr& a, rust::Slice<const int32_t> shape) {
  return wrap(mx::reshape(a.a, to_shape(shape)));
}
inline std::unique_ptr<Arr> transpose(const Arr& a, rust::Slice<const int32_t> axes) {
  return wrap(mx::transpose(a.a, std::vector<int>(axes.begin(), axes.end())));
}
inline std::unique_ptr<Arr> concatenate(const ArrList& l, int32_t axis) { return wrap(mx::concatenate(l.v, axis)); }
inline std::unique_ptr<Arr> slice(const Arr& a, rust::Slice<const int32_t> start, rust::Slice<const int32_t> stop) {
  return wrap(mx::slice(a.a, to_shape(start), to_shape(stop)));
}
inline std::unique_ptr<Arr> slice_update(const Arr& src, const Arr& upd, rust::Slice<const int32_t> start,
                                  rust::Slice<const int32_t> stop) {
  return wrap(mx::slice_update(src.a, upd.a, to_shape(start), to_shape(stop)));
}
inline std::unique_ptr<Arr> take(const Arr& a, const Arr& idx, int32_t axis) { return wrap(mx::take(a.a, idx.a, axis)); }
inline std::unique_ptr<Arr> take_along_axis(const Arr& a, const Arr& idx, int32_t axis) {
  return wrap(mx::take_along_axis(a.a, idx.a, axis));
}

// Reduction codes shared with ops::ReduceOp.
inline std::unique_ptr<Arr> reduce(uint8_t op, const Arr& a, int32_t axis, bool keepdims) {
  switch (op) {
    case 0: return wrap(mx::sum(a.a, axis, keepdims));
    case 1: return wrap(mx::max(a.a, axis, keepdims));
    case 2: return wrap(mx::min(a.a, axis, keepdims));
    case 3: return wrap(mx::logsumexp(a.a, axis, keepdims));
    case 4: return wrap(mx::argmax(a.a, axis, keepdims));
    default: throw std::invalid_argument("benchbar: unknown reduce op");
  }
}
inline std::unique_ptr<Arr> softmax(const Arr& a, int32_t axis, bool precise) { return wrap(mx::softmax(a.a, axis, precise)); }
inline std::unique_ptr<Arr> sort(const Arr& a, int32_t axis) { return wrap(mx::sort(a.a, axis)); }
inline std::unique_ptr<Arr> argsort(const Arr& a, int32_t axis) { return wrap(mx::argsort(a.a, axis)); }
inline std::unique_ptr<Arr> argpartition(const Arr& a, int32_t kth, int32_t axis) {
  return wrap(mx::argpartition(a.a, kth, axis));
}
// Convolution over the middle axis: input [N, L, C_in], weight [C_out, K, C_in / groups],
// stride 1, no padding, no dilation.
inline std::unique_ptr<Arr> conv1d(const Arr& a, const Arr& w, int32_t groups) {
  return wrap(mx::conv1d(a.a, w.a, 1, 0, 1, groups));
}
inline std::unique_ptr<Arr> cumsum(const Arr& a, int32_t axis, bool reverse, bool inclusive) {
  return wrap(mx::cumsum(a.a, axis, reverse, inclusive));
}

inline std::unique_ptr<Arr> matmul(const Arr& a, const Arr& b) { return wrap(mx::matmul(a.a, b.a)); }
// QuantMode codes of src/types.rs.
inline std::string to_mode(uint8_t code) {
  switch (code) {
    case 0: return "affine";
    case 1: return "mxfp4";
    case 2: return "nvfp4";
    case 3: return "mxfp8";
    default: throw std::invalid_argument("benchbar: unknown quantization mode code");
  }
}
inline std::unique_ptr<Arr> quantized_matmul(const Arr& x, const Arr& w, const Arr& scales, const Arr& biases,
                                             bool has_biases, bool transpose, int32_t group_size, int32_t bits,
                                             uint8_t mode) {
  std::optional<mx::array> b;
  if (has_biases) b = biases.a;
  return wrap(mx::quantized_matmul(x.a, w.a, scales.a, b, transpose, group_size, bits, to_mode(mode)));
}
// Batched products with the right-hand matrix picked per batch element by `rhs` (the experts of
// a mixture-of-experts layer).
inline std::unique_ptr<Arr> gather_mm(const Arr& a, const Arr& b, const Arr& rhs, bool sorted) {
  return wrap(mx::gather_mm(a.a, b.a, std::nullopt, rhs.a, sorted));
}
inline std::unique_ptr<Arr> gather_qmm(const Arr& x, const Arr& w, const Arr& scales, const Arr& biases,
                                       bool has_biases, const Arr& rhs, bool transpose, int32_t group_size,
                                       int32_t bits, uint8_t mode, bool sorted) {
  std::optional<mx::array> b;
  if (has_biases) b = biases.a;
  return wrap(mx::gather_qmm(x.a, w.a, scales.a, b, std::nullopt, rhs.a, transpose, group_size, bits,
                             to_mode(mode), std::nullopt, sorted));
}
inline std::unique_ptr<ArrList> quantize(const Arr& w, int32_t group_size, int32_t bits) {
  auto out = std::make_unique<ArrList>();
  out->v = mx::quantize(w.a, group_size, bits, "affine");
  return out;
}
inline std::unique_ptr<Arr> dequantize(const Arr& w, const Arr& scales, const Arr& biases, bool has_biases,
                                       int32_t group_size, int32_t bits, uint8_t mode) {
  std::optional<mx::array> b;
  if (has_biases) b = biases.a;
  return wrap(mx::dequantize(w.a, scales.a, b, group_size, bits, to_mode(mode)));
}

inline std::unique_ptr<Arr> rms_norm(const Arr& x, const Arr& w, bool has_weight, float eps) {
  std::optional<mx::array> weight;
  if (has_weight) weight = w.a;
  return wrap(mx::fast::rms_norm(x.a, weight, eps));
}
// RoPE with `base`, or with the frequencies `freqs` where `has_freqs` (scaled variants: YaRN).
inline std::unique_ptr<Arr> rope(const Arr& x, int32_t dims, bool traditional, float base, float scale,
                                 int32_t offset, const Arr& freqs, bool has_freqs) {
  if (has_freqs) return wrap(mx::fast::rope(x.a, dims, traditional, std::nullopt, scale, offset, freqs.a));
  return wrap(mx::fast::rope(x.a, dims, traditional, base, scale, offset));
}
inline std::unique_ptr<Arr> rope_offsets(const Arr& x, int32_t dims, bool traditional, float base, float scale,
                                         const Arr& offsets, const Arr& freqs, bool has_freqs) {
  if (has_freqs) {
    return wrap(mx::fast::rope(x.a, dims, traditional, std::nullopt, scale, offsets.a, freqs.a));
  }
  return wrap(mx::fast::rope(x.a, dims, traditional, base, scale, offsets.a));
}
// mask_kind: 0 none, 1 causal, 2 explicit array (bool: true = attend, or additive float).
inline std::unique_ptr<Arr> sdpa(const Arr& q, const Arr& k, const Arr& v, float scale, uint8_t mask_kind,
                          const Arr& mask) {
  switch (mask_kind) {
    case 0: return wrap(mx::fast::scaled_dot_product_attention(q.a, k.a, v.a, scale, ""));
    case 1: return wrap(mx::fast::scaled_dot_product_attention(q.a, k.a, v.a, scale, "causal"));
    case 2: return wrap(mx::fast::scaled_dot_product_attention(q.a, k.a, v.a, scale, "array", mask.a));
    default: throw std::invalid_argument("benchbar: unknown mask kind");
  }
}

inline std::unique_ptr<Arr> random_key(uint64_t seed) { return wrap(mx::random::key(seed)); }
inline std::unique_ptr<ArrList> random_split(const Arr& key) {
  auto [a, b] = mx::random::split(key.a);
  auto out = std::make_unique<ArrList>();
  out->v.push_back(a);
  out->v.push_back(b);
  return out;
}
inline std::unique_ptr<Arr> categorical(const Arr& logits, int32_t axis, const Arr& key) {
  return wrap(mx::random::categorical(logits.a, axis, key.a));
}

inline std::unique_ptr<ArrMap> load_safetensors(rust::Str path) {
  auto [arrays, meta] = mx::load_safetensors(std::string(path));
  (void)meta;
  auto out = std::make_unique<ArrMap>();
  for (auto& [k, v] : arrays) {
    out->names.push_back(k);
    out->arrays.push_back(v);
  }
  return out;
}
inline rust::Vec<rust::String> map_names(const ArrMap& m) {
  rust::Vec<rust::String> out;
  for (auto& n : m.names) out.push_back(rust::String(n));
  return out;
}
inline std::unique_ptr<Arr> map_get(const ArrMap& m, std::size_t i) { return wrap(m.arrays.at(i)); }

inline std::size_t active_memory() { return mx::get_active_memory(); }
inline std::size_t peak_memory() { return mx::get_peak_memory(); }
inline void reset_peak_memory() { mx::reset_peak_memory(); }
inline std::size_t cache_memory() { return mx::get_cache_memory(); }
inline void clear_cache() { mx::clear_cache(); }
inline rust::String mlx_version() { return rust::String(mx::version()); }
inline bool default_device_is_gpu() { return mx::default_device() == mx::Device::gpu; }
inline rust::String device_description() {
  auto d = mx::default_device();
  std::string s = d == mx::Device::gpu ? "gpu" : "cpu";
  try {
    const auto& info = mx::device_info(d);
    auto it = info.find("device_name");
    if (it != info.end() && std::holds_alternative<std::string>(it->second)) {
      s += " (" + std::get<std::string>(it->second) + ")";
    }
  } catch (const std::exception&) {
    // no description: the type alone
  }
  return rust::String(s);
}
inline rust::String mlx_build() {
  if (mx::cu::is_available()) return rust::String("cuda");
  if (mx::metal::is_available()) return rust::String("metal");
  return rust::String("cpu");
}

}  // namespace benchbar
