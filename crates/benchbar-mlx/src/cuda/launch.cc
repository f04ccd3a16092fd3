// Implementation of launch.h. The CPU build of libmlx this crate compiles against has neither
// MLX's CUDA headers' dependencies (the CUDA toolkit) nor the CUDA symbols, so everything CUDA is
// found at run time in the running process with dlsym: MLX CUDA's command encoder (exported by the
// CUDA libmlx, declared in mlx/backend/cuda/device.h of MLX 0.32), NVRTC and the CUDA driver
// (both loaded by that libmlx). Where any is missing, `available()` is false and nothing here runs.
#include "benchbar-mlx/src/cuda/launch.h"

#include <dlfcn.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "mlx/primitives.h"

namespace mx = mlx::core;

namespace benchbar::launch {

namespace {

// MLX CUDA's `cu::get_command_encoder(Stream)` and the `CommandEncoder` members used, by their
// Itanium-ABI names. A non-virtual member function is called as a plain function taking `this`
// first; a reference is passed or returned as a pointer; `Dim3` has the layout and the calling
// convention of CUDA's `dim3` (three unsigned ints, trivially copyable), `unsigned` is uint32_t.
using GetEncoder = void* (*)(mx::Stream);
using SetArray = void (*)(void*, const mx::array&);
using AddKernelNode = void (*)(void*, void*, Dim3, Dim3, Dim3, unsigned int, void**);
// NVRTC and the driver API: C functions returning an int status; handles are pointers.
using NvrtcCreate = int (*)(void**, const char*, const char*, int, const char* const*,
                            const char* const*);
using NvrtcCompile = int (*)(void*, int, const char* const*);
using NvrtcSize = int (*)(void*, size_t*);
using NvrtcBytes = int (*)(void*, char*);
using NvrtcName = int (*)(void*, const char*);
using NvrtcLowered = int (*)(void*, const char*, const char**);
using NvrtcDestroy = int (*)(void**);
using CuModuleLoad = int (*)(void**, const void*);
using CuGetFunction = int (*)(void**, void*, const char*);
using CuCtxGetDevice = int (*)(int*);
using CuDeviceAttribute = int (*)(int*, int, int);

constexpr int kComputeMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kComputeMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

struct Api {
  GetEncoder get_encoder;
  SetArray set_input;
  SetArray set_output;
  AddKernelNode add_kernel_node;
  NvrtcCreate create;
  NvrtcCompile compile;
  NvrtcSize log_size;
  NvrtcBytes log;
  NvrtcSize cubin_size;
  NvrtcBytes cubin;
  NvrtcName add_name;
  NvrtcLowered lowered;
  NvrtcDestroy destroy;
  CuModuleLoad load;
  CuGetFunction get_function;
  CuCtxGetDevice ctx_device;
  CuDeviceAttribute attribute;
  bool ok;
};

template <typename F>
F find(const char* name, bool& ok) {
  void* p = dlsym(RTLD_DEFAULT, name);
  ok = ok && p != nullptr;
  return reinterpret_cast<F>(p);
}

const Api& api() {
  static const Api a = [] {
    Api a{};
    bool ok = true;
    a.get_encoder = find<GetEncoder>("_ZN3mlx4core2cu19get_command_encoderENS0_6StreamE", ok);
    a.set_input =
        find<SetArray>("_ZN3mlx4core2cu14CommandEncoder15set_input_arrayERKNS0_5arrayE", ok);
    a.set_output =
        find<SetArray>("_ZN3mlx4core2cu14CommandEncoder16set_output_arrayERKNS0_5arrayE", ok);
    a.add_kernel_node = find<AddKernelNode>(
        "_ZN3mlx4core2cu14CommandEncoder19add_kernel_node_rawEP9CUfunc_st4dim3S5_S5_jPPv", ok);
    a.create = find<NvrtcCreate>("nvrtcCreateProgram", ok);
    a.compile = find<NvrtcCompile>("nvrtcCompileProgram", ok);
    a.log_size = find<NvrtcSize>("nvrtcGetProgramLogSize", ok);
    a.log = find<NvrtcBytes>("nvrtcGetProgramLog", ok);
    a.cubin_size = find<NvrtcSize>("nvrtcGetCUBINSize", ok);
    a.cubin = find<NvrtcBytes>("nvrtcGetCUBIN", ok);
    a.add_name = find<NvrtcName>("nvrtcAddNameExpression", ok);
    a.lowered = find<NvrtcLowered>("nvrtcGetLoweredName", ok);
    a.destroy = find<NvrtcDestroy>("nvrtcDestroyProgram", ok);
    a.load = find<CuModuleLoad>("cuModuleLoadData", ok);
    a.get_function = find<CuGetFunction>("cuModuleGetFunction", ok);
    a.ctx_device = find<CuCtxGetDevice>("cuCtxGetDevice", ok);
    a.attribute = find<CuDeviceAttribute>("cuDeviceGetAttribute", ok);
    a.ok = ok;
    return a;
  }();
  return a;
}

void check(int status, const char* what) {
  if (status != 0) {
    throw std::runtime_error(std::string("benchbar kernels: ") + what + " failed (status " +
                             std::to_string(status) + ")");
  }
}

// One kernel instantiation, compiled at its first evaluation (on MLX's evaluation thread, where
// MLX has made the CUDA context current).
struct Kernel {
  const char* source;
  std::string expr;
  std::mutex m;
  void* fn = nullptr;
};

Kernel& kernel(const char* source, const char* expr) {
  static std::mutex m;
  static std::unordered_map<std::string, std::unique_ptr<Kernel>> all;
  std::lock_guard<std::mutex> lock(m);
  auto& k = all[expr];
  if (!k) {
    k = std::make_unique<Kernel>();
    k->source = source;
    k->expr = expr;
  }
  return *k;
}

void* compile(const Kernel& k) {
  const Api& a = api();
  int dev = 0, major = 0, minor = 0;
  check(a.ctx_device(&dev), "cuCtxGetDevice");
  check(a.attribute(&major, kComputeMajor, dev), "cuDeviceGetAttribute");
  check(a.attribute(&minor, kComputeMinor, dev), "cuDeviceGetAttribute");
  void* prog = nullptr;
  check(a.create(&prog, k.source, "benchbar_kernels.cu", 0, nullptr, nullptr),
        "nvrtcCreateProgram");
  std::unique_ptr<void*, void (*)(void**)> guard(&prog, [](void** p) { api().destroy(p); });
  check(a.add_name(prog, k.expr.c_str()), "nvrtcAddNameExpression");
  const std::string arch = "--gpu-architecture=sm_" + std::to_string(major * 10 + minor);
  const char* opts[] = {arch.c_str(), "--std=c++17"};
  if (a.compile(prog, 2, opts) != 0) {
    size_t n = 0;
    a.log_size(prog, &n);
    std::string log(n, '\0');
    a.log(prog, log.data());
    throw std::runtime_error("benchbar kernels: NVRTC cannot compile " + k.expr + ": " + log);
  }
  const char* lowered = nullptr;
  check(a.lowered(prog, k.expr.c_str(), &lowered), "nvrtcGetLoweredName");
  const std::string name(lowered);
  size_t n = 0;
  check(a.cubin_size(prog, &n), "nvrtcGetCUBINSize");
  std::string cubin(n, '\0');
  check(a.cubin(prog, cubin.data()), "nvrtcGetCUBIN");
  void* module = nullptr;  // kept for the life of the process, like the kernel
  check(a.load(&module, cubin.data()), "cuModuleLoadData");
  void* fn = nullptr;
  check(a.get_function(&fn, module, name.c_str()), "cuModuleGetFunction");
  return fn;
}

void* function(Kernel& k) {
  std::lock_guard<std::mutex> lock(k.m);
  if (!k.fn) k.fn = compile(k);
  return k.fn;
}

// The device address of an array's first element: MLX CUDA's buffer (`cu::CudaBuffer`) starts
// with its data pointer; the array's offset is in bytes.
void* device_ptr(const mx::array& a) {
  return static_cast<char*>(*static_cast<void* const*>(a.buffer().ptr())) + a.offset();
}

bool can_donate(const mx::array& in, const mx::array& out) {
  return in.is_donatable() && in.flags().row_contiguous && in.data_size() == in.size() &&
         in.itemsize() == out.itemsize() && in.size() >= out.size();
}

// `out` as the first out.size() elements of `in`'s buffer, row-major.
void take_buffer(mx::array& out, const mx::array& in) {
  if (out.shape() == in.shape()) {
    out.copy_shared_buffer(in);
    return;
  }
  mx::Strides strides(out.ndim(), 1);
  for (int i = static_cast<int>(out.ndim()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * out.shape(i + 1);
  }
  int wide = 0;
  for (auto s : out.shape()) wide += s > 1 ? 1 : 0;
  mx::array::Flags flags{};
  flags.contiguous = true;
  flags.row_contiguous = true;
  flags.col_contiguous = wide <= 1;
  out.copy_shared_buffer(in, strides, flags, out.size(), 0);
}

class RawKernel : public mx::Primitive {
 public:
  RawKernel(mx::Stream s, Kernel& k, std::vector<int> donors, std::vector<int> written,
            Dim3 grid, Dim3 block, std::vector<Scalar> scalars)
      : mx::Primitive(s), k_(k), donors_(std::move(donors)), written_(std::move(written)),
        grid_(grid), block_(block), scalars_(std::move(scalars)) {}

  void eval_cpu(const std::vector<mx::array>&, std::vector<mx::array>&) override {
    throw std::runtime_error("benchbar kernels: CUDA only (no CPU evaluation)");
  }

  void eval_gpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) override {
    const Api& a = api();
    void* fn = function(k_);
    for (const auto& in : inputs) {
      if (!in.flags().row_contiguous) {
        throw std::runtime_error("benchbar kernels: " + k_.expr + ": non-contiguous input");
      }
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      auto& out = outputs[i];
      const int d = donors_[i];
      if (d >= 0 && outputs.size() == 1 && can_donate(inputs[d], out)) {
        take_buffer(out, inputs[d]);
      } else {
        out.set_data(mx::allocator::malloc(out.nbytes()));
      }
    }
    void* enc = a.get_encoder(stream());
    for (const auto& in : inputs) a.set_input(enc, in);
    for (const auto& out : outputs) a.set_output(enc, out);
    for (int i : written_) a.set_output(enc, inputs.at(i));
    std::vector<void*> ptrs;
    ptrs.reserve(inputs.size() + outputs.size());
    std::vector<void*> params;
    params.reserve(inputs.size() + outputs.size() + scalars_.size());
    for (const auto& in : inputs) ptrs.push_back(device_ptr(in));
    for (const auto& out : outputs) ptrs.push_back(device_ptr(out));
    for (auto& p : ptrs) params.push_back(&p);
    std::vector<Scalar> scalars = scalars_;  // the node copies the values when it is added
    for (auto& s : scalars) params.push_back(s.is_float ? static_cast<void*>(&s.f) : &s.i);
    a.add_kernel_node(enc, fn, grid_, block_, Dim3{}, 0, params.data());
  }

  const char* name() const override { return "BenchBarKernel"; }

 private:
  Kernel& k_;
  std::vector<int> donors_;
  std::vector<int> written_;
  Dim3 grid_;
  Dim3 block_;
  std::vector<Scalar> scalars_;
};

}  // namespace

bool available() {
  return api().ok && mx::cu::is_available() && mx::default_device() == mx::Device::gpu;
}

std::vector<mx::array> call(const char* source, const char* kernel_expr,
                            std::vector<mx::array> inputs, std::vector<Out> outs, Dim3 grid,
                            Dim3 block, std::vector<Scalar> scalars, std::vector<int> written) {
  if (!available()) {
    throw std::runtime_error("benchbar kernels: CUDA only (MLX CUDA build on a GPU)");
  }
  std::vector<mx::Shape> shapes;
  std::vector<mx::Dtype> dtypes;
  std::vector<int> donors;
  for (auto& o : outs) {
    shapes.push_back(std::move(o.shape));
    dtypes.push_back(o.dtype);
    donors.push_back(o.donor);
  }
  auto prim = std::make_shared<RawKernel>(mx::default_stream(mx::Device::gpu),
                                          kernel(source, kernel_expr), std::move(donors),
                                          std::move(written), grid, block, std::move(scalars));
  return mx::array::make_arrays(std::move(shapes), dtypes, prim, inputs);
}

}  // namespace benchbar::launch
