// engine/kernels.hpp: the CPU kernels of the engine, as tables of function pointers chosen at run
// time (llm.c style: the naive table is the algorithmic reference and the fallback; every fast
// table is tested against it in tests/engine/test_kernels.cpp).
//
//   const kernels::Table& k = kernels::best();          // avx512, avx2 or naive
//   k.matmul_f32(x, d, B, d, w, 0, n, y, n);            // y[B, n] = x[B, d] @ w[n, d]^T
//
// Declarations only: this header is also included by the files compiled for AVX2 / AVX-512, which
// must not instantiate any inline code of their own that another file could link to.
#pragma once

#include <cstdint>

namespace continuo::engine::kernels {

struct Table {
  const char* name;
  // Rows [n0, n1) of y = x @ w^T:  y[i * ldy + j] = sum_c x[i * ldx + c] * w[j * k + c]
  // x [m, k] (row stride ldx), w [n, k] row-major (torch Linear layout), y [m, *] (row stride ldy).
  // Every element is accumulated in the same order whatever m, n0 and n1 are, so a row's result
  // does not depend on the batch it is computed in (same seed => same output at any batch size).
  void (*matmul_f32)(const float* x, int64_t ldx, int64_t m, int64_t k, const float* w, int64_t n0, int64_t n1,
                     float* y, int64_t ldy);
  // Same with w in bfloat16 (upper 16 bits of an fp32), widened to fp32 on the fly.
  void (*matmul_bf16)(const float* x, int64_t ldx, int64_t m, int64_t k, const uint16_t* w, int64_t n0, int64_t n1,
                      float* y, int64_t ldy);
  // One query against n cached keys/values of one head (causal attention of the newest row):
  //   p = softmax(scale * [q . k_t for t < n]);  out[dh] = sum_t p_t v_t
  // k, v: n rows of dh floats, row stride ld. scores: scratch of n floats.
  void (*attend)(const float* q, const float* k, const float* v, int64_t n, int64_t dh, int64_t ld, float scale,
                 float* scores, float* out);
};

const Table& naive();
const Table* avx2();     // nullptr when the CPU lacks AVX2+FMA
const Table* avx512();   // nullptr when the CPU lacks AVX-512 F/BW/VL/DQ
// The fastest table this CPU supports; CONTINUO_KERNELS=naive|avx2|avx512 forces one (if supported).
const Table& best();

// Tables as compiled (no CPU check): for the dispatcher only.
extern const Table kAvx2Table;
extern const Table kAvx512Table;

}  // namespace continuo::engine::kernels
