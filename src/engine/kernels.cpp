// engine/kernels.cpp: the naive kernels (algorithmic reference and portable fallback) and the
// run-time choice of the fastest table the CPU supports.
#include "engine/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace continuo::engine::kernels {
namespace {

float bf16_to_f32(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void naive_matmul_f32(const float* x, int64_t ldx, int64_t m, int64_t k, const float* w, int64_t n0, int64_t n1,
                      float* y, int64_t ldy) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n0; j < n1; ++j) {
      const float* xi = x + i * ldx;   // [k]
      const float* wj = w + j * k;     // [k]
      float acc = 0;
      for (int64_t c = 0; c < k; ++c) acc += xi[c] * wj[c];
      y[i * ldy + j] = acc;
    }
}

void naive_matmul_bf16(const float* x, int64_t ldx, int64_t m, int64_t k, const uint16_t* w, int64_t n0, int64_t n1,
                       float* y, int64_t ldy) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n0; j < n1; ++j) {
      const float* xi = x + i * ldx;     // [k]
      const uint16_t* wj = w + j * k;    // [k]
      float acc = 0;
      for (int64_t c = 0; c < k; ++c) acc += xi[c] * bf16_to_f32(wj[c]);
      y[i * ldy + j] = acc;
    }
}

void naive_attend(const float* q, const float* k, const float* v, int64_t n, int64_t dh, int64_t ld, float scale,
                  float* scores, float* out) {
  float mx = -INFINITY;
  for (int64_t t = 0; t < n; ++t) {   // scores [n] = q . k_t * scale
    float s = 0;
    for (int64_t c = 0; c < dh; ++c) s += q[c] * k[t * ld + c];
    scores[t] = s * scale;
    mx = std::max(mx, scores[t]);
  }
  float sum = 0;
  for (int64_t t = 0; t < n; ++t) {
    scores[t] = std::exp(scores[t] - mx);
    sum += scores[t];
  }
  const float inv = 1.0f / sum;
  for (int64_t c = 0; c < dh; ++c) out[c] = 0;   // out [dh] = sum_t p_t v_t
  for (int64_t t = 0; t < n; ++t) {
    const float p = scores[t] * inv;
    for (int64_t c = 0; c < dh; ++c) out[c] += p * v[t * ld + c];
  }
}

const Table kNaiveTable = {"naive", naive_matmul_f32, naive_matmul_bf16, naive_attend};

}  // namespace

const Table& naive() { return kNaiveTable; }

const Table* avx2() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok ? &kAvx2Table : nullptr;
}

const Table* avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return ok ? &kAvx512Table : nullptr;
}

const Table& best() {
  static const Table* chosen = [] {
    const char* env = std::getenv("CONTINUO_KERNELS");
    std::string want = env ? env : "";
    if (want == "naive") return &naive();
    if (want == "avx2" && avx2()) return avx2();
    if (want == "avx512" && avx512()) return avx512();
    if (const Table* t = avx512()) return t;
    if (const Table* t = avx2()) return t;
    return &naive();
  }();
  return *chosen;
}

}  // namespace continuo::engine::kernels
