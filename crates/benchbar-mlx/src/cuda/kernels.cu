// CUDA C++ source of BenchBar's kernels, compiled at run time by NVRTC once per instantiation
// (launch.cc); build.rs embeds this file in the library as `kKernelSource`. No includes: NVRTC's
// built-ins cover everything used. What each kernel does: kernels.cc.
// bf16 and f16 as their bits (no CUDA headers needed), converted with the PTX instructions that
// cuda_bf16.h / cuda_fp16.h use (round to nearest even).
struct bb_bf16 {
  unsigned short u;
};
struct bb_f16 {
  unsigned short u;
};
__device__ inline float bb_f(float v) { return v; }
__device__ inline float bb_f(bb_bf16 v) { return __uint_as_float(static_cast<unsigned int>(v.u) << 16); }
__device__ inline float bb_f(bb_f16 v) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v.u));
  return f;
}
template <typename T> __device__ inline T bb_out(float v);
template <> __device__ inline float bb_out<float>(float v) { return v; }
template <> __device__ inline bb_bf16 bb_out<bb_bf16>(float v) {
  bb_bf16 r;
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r.u) : "f"(v));
  return r;
}
template <> __device__ inline bb_f16 bb_out<bb_f16>(float v) {
  bb_f16 r;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r.u) : "f"(v));
  return r;
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

// The weight rows a warp reads: R consecutive rows from warp · R, or with SW (R = 2) the gate row
// `warp` and the up row `warp + n_out` of a stacked gate|up weight; clamped to the last row.
template <int R, bool SW>
__device__ inline int bb_rows(int warp, int n_out, int (&rows)[R]) {
  const int first = SW ? warp : warp * R;
  const int last = (SW ? 2 * n_out : n_out) - 1;
#pragma unroll
  for (int r = 0; r < R; ++r) rows[r] = min(SW ? warp + r * n_out : first + r, last);
  return first;
}

// What a warp or block writes from its R dot products: y[first + r] (with RES, res[first + r] +
// the product rounded to T, as MLX's add after its matmul), or with SW y[warp] = silu(g) · u
// with g and u rounded to T first and each step rounded to T, as MLX's compiled SwiGLU does on T.
template <typename T, int R, bool SW, bool RES>
__device__ inline void bb_store(T* y, const T* res, int first, int n_out, const float (&acc)[R]) {
  if (SW) {
    const float g = bb_round<T>(acc[0]);
    const float u = bb_round<T>(acc[1]);
    const float s = bb_round<T>(1.0f / (1.0f + expf(-g)));
    y[first] = bb_out<T>(bb_round<T>(g * s) * u);
  } else {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      if (first + r < n_out) {
        y[first + r] = RES ? bb_out<T>(bb_round<T>(acc[r]) + bb_f(res[first + r]))
                           : bb_out<T>(acc[r]);
      }
    }
  }
}

// With NORM the input x was the un-normalised residual stream h and the products are of h · g
// (g: the RMSNorm weight): scaled here by 1 / rms(h) = rsqrt(Σh² / k + eps) (ss: Σh²).
template <int R, bool NORM>
__device__ inline void bb_scale(float (&acc)[R], float ss, int k, float eps) {
  if (NORM) {
    const float inv = rsqrtf(ss / static_cast<float>(k) + eps);
#pragma unroll
    for (int r = 0; r < R; ++r) acc[r] *= inv;
  }
}

// Sums each row's partial dot products (and with NORM the partial Σh²) over the block's W warps
// (lane sums first) and has thread 0 scale and write them (bb_scale, bb_store).
template <typename T, int R, bool SW, int W, bool NORM, bool RES>
__device__ inline void bb_block_store(T* y, const T* res, int first, int n_out, float (&acc)[R],
                                      float ss, int k, float eps) {
  __shared__ float part[W][R + 1];
  const int wid = threadIdx.x >> 5;
#pragma unroll
  for (int r = 0; r < R; ++r) {
    acc[r] = bb_warp_sum(acc[r]);
    if ((threadIdx.x & 31) == 0) part[wid][r] = acc[r];
  }
  if (NORM) {
    ss = bb_warp_sum(ss);
    if ((threadIdx.x & 31) == 0) part[wid][R] = ss;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    ss = 0.0f;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      acc[r] = 0.0f;
#pragma unroll
      for (int v = 0; v < W; ++v) acc[r] += part[v][r];
    }
    if (NORM) {
#pragma unroll
      for (int v = 0; v < W; ++v) ss += part[v][R];
    }
    bb_scale<R, NORM>(acc, ss, k, eps);
    bb_store<T, R, SW, RES>(y, res, first, n_out, acc);
  }
}

// y[1, n_out] = x[1, K] · dequantize(w)ᵀ; w [rows, kp = K / 8] uint32, scales and biases
// [rows, groups]; rows = n_out, or 2 n_out with SW (gate|up, y = SwiGLU). R rows per warp.
// RES: y = res + the product (bb_store; res not read without it). (No RMSNorm fold as in bb_gemv:
// this kernel is compute-bound, and the norm's per-element work cost more than its node.)
template <typename T, int R, bool SW, bool RES>
__global__ void bb_gemv_q4(const T* x, const unsigned int* w, const T* scales, const T* biases,
                           const T* res, T* y, int n_out, int kp, int groups) {
  const int k = kp * 8;
  const int gs = k / groups;
  const int warp = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) >> 5);
  const int lane = threadIdx.x & 31;
  int rows[R];
  const int row0 = bb_rows<R, SW>(warp, n_out, rows);
  if (row0 >= n_out) return;
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
        const int row = rows[r];
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
        const int row = rows[r];
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
      const int row = rows[r];
      for (int kk = lane; kk < k; kk += 32) {
        const size_t sb = static_cast<size_t>(row) * groups + kk / gs;
        const float q = bb_nibble(w[static_cast<size_t>(row) * kp + kk / 8], kk % 8);
        acc[r] += bb_f(x[kk]) * (bb_f(scales[sb]) * q + bb_f(biases[sb]));
      }
    }
  }
#pragma unroll
  for (int r = 0; r < R; ++r) acc[r] = bb_warp_sum(acc[r]);
  if (lane == 0) bb_store<T, R, SW, RES>(y, res, row0, n_out, acc);
}

// y[1, n_out] = x[1, K] · wᵀ for a float weight w [rows, K] of x's type; rows = n_out, or 2 n_out
// with SW (gate|up, y = SwiGLU). One block of W warps per R rows, the warps splitting K (enough
// blocks in flight per SM even for 4096-row layers); each lane keeps U 16-byte loads per row in
// flight (streaming: the weights are read once per step, x stays in cache). NORM: x is the
// residual stream, normalised on the way (rms_norm(x) · g: each element of x is read by one
// thread of the block, so Σx² comes with the products; bb_scale); RES as in bb_gemv_q4. g and res
// are not read without them.
template <typename T, int R, int W, bool SW, bool NORM, bool RES>
__global__ void bb_gemv(const T* x, const T* w, const T* g, const T* res, T* y, int n_out, int k,
                        float eps) {
  const int wid = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  int rows[R];
  const int first = bb_rows<R, SW>(blockIdx.x, n_out, rows);
  if (first >= n_out) return;
  constexpr int V = 16 / sizeof(T);
  constexpr int U = 4;
  constexpr int STEP = 32 * W;
  float acc[R];
#pragma unroll
  for (int r = 0; r < R; ++r) acc[r] = 0.0f;
  float ss = 0.0f;
  if (k % V == 0 && bb_aligned16(x, w) && (!NORM || bb_aligned16(g, g))) {
    const uint4* x4 = reinterpret_cast<const uint4*>(x);
    const uint4* g4 = reinterpret_cast<const uint4*>(g);
    const int n4 = k / V;
    for (int i0 = wid * 32 + lane; i0 < n4; i0 += STEP * U) {
      uint4 wv[U][R];
      uint4 xv[U];
      uint4 gv[NORM ? U : 1];
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int i = min(i0 + STEP * u, n4 - 1);
        xv[u] = __ldg(x4 + i);
        if (NORM) gv[u] = __ldg(g4 + i);
#pragma unroll
        for (int r = 0; r < R; ++r) {
          wv[u][r] = __ldcs(reinterpret_cast<const uint4*>(w + static_cast<size_t>(rows[r]) * k) + i);
        }
      }
#pragma unroll
      for (int u = 0; u < U; ++u) {
        if (i0 + STEP * u >= n4) break;
        const T* xs = reinterpret_cast<const T*>(&xv[u]);
        const T* gs = reinterpret_cast<const T*>(&gv[NORM ? u : 0]);
        float xe[V];
#pragma unroll
        for (int j = 0; j < V; ++j) {
          xe[j] = bb_f(xs[j]);
          if (NORM) {
            ss += xe[j] * xe[j];
            xe[j] *= bb_f(gs[j]);
          }
        }
#pragma unroll
        for (int r = 0; r < R; ++r) {
          const T* ws = reinterpret_cast<const T*>(&wv[u][r]);
#pragma unroll
          for (int j = 0; j < V; ++j) acc[r] += xe[j] * bb_f(ws[j]);
        }
      }
    }
  } else {
    for (int kk = threadIdx.x; kk < k; kk += STEP) {
      float xv = bb_f(x[kk]);
      if (NORM) {
        ss += xv * xv;
        xv *= bb_f(g[kk]);
      }
#pragma unroll
      for (int r = 0; r < R; ++r) acc[r] += xv * bb_f(w[static_cast<size_t>(rows[r]) * k + kk]);
    }
  }
  bb_block_store<T, R, SW, W, NORM, RES>(y, res, first, n_out, acc, ss, k, eps);
}

// Attention of one query position over the first n positions of the KV cache kc, vc [hkv, cap, D]
// (GQA: G = Hq / Hkv q heads per kv head): o = softmax(q·kᵀ · scale) · v in f32, split over the
// keys in chunks of 128 (one per thread of a block). Block b takes kv head b / splits and its
// chunk for its G q heads: each thread scores its key (16-byte loads of the key row, q in shared
// memory), the block takes max and sum, then accumulates p · v over the chunk with 16-byte loads
// of the value rows (several rows at a time). Every key and value load of a thread is issued at
// the start, before q is read: the block waits for memory once, not once per pass. It leaves
// (max, sum, Σ p·v) per q
// head in `part` [Hq, splits, D + 2]; the last block of a kv head to finish (a ticket per kv head
// in `tickets`, reset by that block) combines the splits into o [Hq · D].
template <typename T, int D, int G>
__global__ void bb_attn_decode(const T* q, const T* kc, const T* vc, const float* part_buf,
                               const int* ticket_buf, T* o, int cap, int n, int splits,
                               float scale) {
  constexpr int B = 128;  // threads per block = keys per chunk
  constexpr int V = 16 / sizeof(T);
  float* part = const_cast<float*>(part_buf);
  int* tickets = const_cast<int*>(ticket_buf);
  const int kvh = blockIdx.x / splits;
  const int sp = blockIdx.x % splits;
  const int tid = threadIdx.x;
  const int k0 = sp * B;
  const int k1 = min(n, k0 + B);
  const float neg_inf = __int_as_float(0xff800000);
  __shared__ float qs[G][D];
  __shared__ float ps[G][B];
  __shared__ float red[G][B / 32];
  const T* kh = kc + static_cast<size_t>(kvh) * cap * D;
  const T* vh = vc + static_cast<size_t>(kvh) * cap * D;
  // The thread's loads, all in flight at once: its key row (thread tid scores key k0 + tid) and
  // its value slices for the Σ p · v pass below (a value row is read by D / V threads with
  // 16-byte loads, B · V / D rows at a time: NV rows per thread; zeros past the valid keys).
  constexpr int TPR = D / V;
  constexpr int RPS = B / TPR;
  constexpr int NV = B / RPS;
  const int c = tid % TPR;
  const int r0 = tid / TPR;
  const int j = k0 + tid;
  uint4 kreg[D / V];
  if (j < k1) {
    const uint4* kr = reinterpret_cast<const uint4*>(kh + static_cast<size_t>(j) * D);
#pragma unroll
    for (int e = 0; e < D / V; ++e) kreg[e] = kr[e];
  }
  uint4 vreg[NV];
#pragma unroll
  for (int i = 0; i < NV; ++i) {
    const int t = r0 + i * RPS;
    vreg[i] = t < k1 - k0
                  ? reinterpret_cast<const uint4*>(vh + static_cast<size_t>(k0 + t) * D)[c]
                  : make_uint4(0u, 0u, 0u, 0u);
  }
  for (int t = tid; t < G * D; t += B) {
    qs[t / D][t % D] = bb_f(q[static_cast<size_t>(kvh * G) * D + t]) * scale;
  }
  __syncthreads();
  // scores
  float s[G];
#pragma unroll
  for (int g = 0; g < G; ++g) s[g] = neg_inf;
  if (j < k1) {
#pragma unroll
    for (int g = 0; g < G; ++g) s[g] = 0.0f;
#pragma unroll
    for (int c = 0; c < D / V; ++c) {
      const uint4 kv = kreg[c];
      const T* ke = reinterpret_cast<const T*>(&kv);
#pragma unroll
      for (int e = 0; e < V; ++e) {
        const float kf = bb_f(ke[e]);
#pragma unroll
        for (int g = 0; g < G; ++g) s[g] += qs[g][c * V + e] * kf;
      }
    }
  }
  // block max and sum of exp per q head
  float mx[G], sum[G];
#pragma unroll
  for (int g = 0; g < G; ++g) {
    float m = s[g];
    for (int off = 16; off > 0; off >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
    if ((tid & 31) == 0) red[g][tid >> 5] = m;
  }
  __syncthreads();
#pragma unroll
  for (int g = 0; g < G; ++g) {
    mx[g] = red[g][0];
#pragma unroll
    for (int w = 1; w < B / 32; ++w) mx[g] = fmaxf(mx[g], red[g][w]);
  }
  __syncthreads();
#pragma unroll
  for (int g = 0; g < G; ++g) {
    const float p = j < k1 ? expf(s[g] - mx[g]) : 0.0f;
    ps[g][tid] = p;
    const float t = bb_warp_sum(p);
    if ((tid & 31) == 0) red[g][tid >> 5] = t;
  }
  __syncthreads();
#pragma unroll
  for (int g = 0; g < G; ++g) {
    sum[g] = 0.0f;
#pragma unroll
    for (int w = 0; w < B / 32; ++w) sum[g] += red[g][w];
  }
  // Σ p · v over the chunk from the value slices loaded above (p = 0 past the valid keys); the
  // row groups' sums meet in shared memory
  float acc[G][V];
#pragma unroll
  for (int g = 0; g < G; ++g) {
#pragma unroll
    for (int e = 0; e < V; ++e) acc[g][e] = 0.0f;
  }
#pragma unroll
  for (int i = 0; i < NV; ++i) {
    const int t = r0 + i * RPS;
    const T* ve = reinterpret_cast<const T*>(&vreg[i]);
#pragma unroll
    for (int g = 0; g < G; ++g) {
      const float p = ps[g][t];
#pragma unroll
      for (int e = 0; e < V; ++e) acc[g][e] += p * bb_f(ve[e]);
    }
  }
  __shared__ float vs[RPS][G][D];
#pragma unroll
  for (int g = 0; g < G; ++g) {
#pragma unroll
    for (int e = 0; e < V; ++e) vs[r0][g][c * V + e] = acc[g][e];
  }
  __syncthreads();
  for (int t = tid; t < G * D; t += B) {
    const int g = t / D;
    const int d = t % D;
    float a = 0.0f;
#pragma unroll
    for (int r = 0; r < RPS; ++r) a += vs[r][g][d];
    float* pp = part + (static_cast<size_t>(kvh * G + g) * splits + sp) * (D + 2);
    pp[2 + d] = a;
    if (d == 0) {
      pp[0] = mx[g];
      pp[1] = sum[g];
    }
  }
  __threadfence();
  __syncthreads();
  __shared__ bool last;
  if (tid == 0) last = atomicAdd(&tickets[kvh], 1) == splits - 1;
  __syncthreads();
  if (!last) return;
  __threadfence();
  for (int t = tid; t < G * D; t += B) {
    const int g = t / D;
    const int d = t % D;
    const float* pp = part + static_cast<size_t>(kvh * G + g) * splits * (D + 2);
    float m = neg_inf;
    for (int c = 0; c < splits; ++c) m = fmaxf(m, __ldcg(pp + c * (D + 2)));
    float l = 0.0f, a = 0.0f;
    for (int c = 0; c < splits; ++c) {
      const float f = expf(__ldcg(pp + c * (D + 2)) - m);
      l += __ldcg(pp + c * (D + 2) + 1) * f;
      a += __ldcg(pp + c * (D + 2) + 2 + d) * f;
    }
    o[static_cast<size_t>(kvh * G + g) * D + d] = bb_out<T>(a / l);
  }
  if (tid == 0) tickets[kvh] = 0;
}

// h = x + r and y = rms_norm(h) · w for rows of hsz; one block per row, C 16-byte chunks per
// thread (the row stays in registers between the two passes); other rows a per-element loop.
template <typename T, int C>
__global__ void bb_add_rms_norm(const T* x, const T* r, const T* w, T* h, T* y, int hsz,
                                float eps) {
  constexpr int V = 16 / sizeof(T);
  const size_t base = static_cast<size_t>(blockIdx.x) * hsz;
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
}

// One position's q|k|v heads (qkv: hq + 2 hkv heads of D): q and k RMSNormed (weights qw, kw)
// and rotated (RoPE, non-traditional, at pos), q to `q`, k and v written in place at position
// `pos` of the caches kc, vc [hkv, cap, D]. One warp per head.
template <typename T, int D>
__global__ void bb_qk_norm_rope_kv(const T* qkv, const T* qw, const T* kw, const T* kc,
                                   const T* vc, T* q, int hq, int hkv, int pos, int cap,
                                   float log2_base, float eps) {
  const int head = static_cast<int>((blockIdx.x * blockDim.x + threadIdx.x) >> 5);
  const int lane = threadIdx.x & 31;
  if (head >= hq + 2 * hkv) return;
  constexpr int E = D / 32;
  const T* src = qkv + static_cast<size_t>(head) * D;
  if (head >= hq + hkv) {  // a v head: copied to the cache
    T* dst = const_cast<T*>(vc) + (static_cast<size_t>(head - hq - hkv) * cap + pos) * D;
#pragma unroll
    for (int j = 0; j < E; ++j) dst[lane + 32 * j] = src[lane + 32 * j];
    return;
  }
  const bool is_q = head < hq;
  const T* nw = is_q ? qw : kw;
  T* dst = is_q ? q + static_cast<size_t>(head) * D
                : const_cast<T*>(kc) + (static_cast<size_t>(head - hq) * cap + pos) * D;
  float v[E];
  float ss = 0.0f;
#pragma unroll
  for (int j = 0; j < E; ++j) {
    v[j] = bb_f(src[lane + 32 * j]);
    ss += v[j] * v[j];
  }
  // Every lane has read its part of the head before any writes (q may be qkv's own buffer).
  ss = bb_warp_sum(ss);
  const float inv = rsqrtf(ss / D + eps);
#pragma unroll
  for (int j = 0; j < E; ++j) {
    v[j] = bb_round<T>(bb_f(nw[lane + 32 * j]) * bb_round<T>(v[j] * inv));
  }
  const float p = static_cast<float>(pos);
#pragma unroll
  for (int j = 0; j < E / 2; ++j) {
    const int i = lane + 32 * j;
    const float d = static_cast<float>(i) / static_cast<float>(D / 2);
    const float theta = p * exp2f(-d * log2_base);
    const float c = cosf(theta);
    const float s = sinf(theta);
    const float x1 = v[j];
    const float x2 = v[j + E / 2];
    dst[i] = bb_out<T>(x1 * c - x2 * s);
    dst[i + D / 2] = bb_out<T>(x1 * s + x2 * c);
  }
}
