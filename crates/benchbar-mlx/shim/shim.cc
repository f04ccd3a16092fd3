// Compiled functions (mx::compile with a body that calls back into Rust) and the BLAS hint;
// the operations themselves are in ops.h.
#include "benchbar-mlx/shim/array.h"

#include <atomic>

#include "benchbar-mlx/src/backend/linux.rs.h"

namespace mx = mlx::core;

#ifdef BENCHBAR_OPENBLAS
// Referencing one OpenBLAS symbol makes the linker keep libopenblas as a direct dependency
// (rustc links with --as-needed). Loaded ahead of libmlx's own reference BLAS, its cblas_*
// symbols are the ones libmlx binds to: ~20x faster f32 matmul on x86.
extern "C" int openblas_get_num_threads(void);
#endif

namespace benchbar {

std::unique_ptr<Compiled> compile_new(bool shapeless) {
  // A capturing lambda selects mx::compile's std::function overload, which keys MLX's compile
  // cache by this object's own id: two Compiled never share a trace (a capture-less lambda
  // would become one function pointer, i.e. one cache entry for every model).
  static std::atomic<uint64_t> next_id{1};
  uint64_t id = next_id++;
  std::function<std::vector<mx::array>(const std::vector<mx::array>&)> body =
      [id](const std::vector<mx::array>& in) {
        (void)id;
        ArrList l;
        l.v = in;
        std::unique_ptr<ArrList> out = trace_trampoline(l);
        return std::move(out->v);
      };
  auto c = std::make_unique<Compiled>();
  c->f = mx::compile(std::move(body), shapeless);
  return c;
}
std::unique_ptr<ArrList> compile_call(const Compiled& c, const ArrList& inputs) {
  auto out = std::make_unique<ArrList>();
  out->v = c.f(inputs.v);
  return out;
}
int32_t blas_threads_hint() {
#ifdef BENCHBAR_OPENBLAS
  return openblas_get_num_threads();
#else
  return -1;
#endif
}

}  // namespace benchbar
