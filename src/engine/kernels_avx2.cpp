// engine/kernels_avx2.cpp: the SIMD kernels for AVX2 + FMA (most x86-64 CPUs since 2013, AMD Zen
// included). The target pragma applies to this file only; it is used only after a CPU check
// (kernels::avx2()). Nothing but intrinsics and declarations is included (see kernels_simd.hpp).
#pragma GCC target("avx2,fma")
#include <immintrin.h>

#include "engine/kernels.hpp"

namespace continuo::engine::kernels {
namespace {

struct V {
  using R = __m256;
  static constexpr int kW = 8;
  static constexpr int kMR = 4, kNR = 2;   // 8 accumulators + 2 weights + 1 input of 16 registers
  static constexpr int kNR1 = 8;           // single row: 8 independent FMA chains

  static __m256i mask(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static R zero() { return _mm256_setzero_ps(); }
  static R set1(float f) { return _mm256_set1_ps(f); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static R load_n(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  static R load_w(const float* p) { return load(p); }
  static R load_w_n(const float* p, int n) { return load_n(p, n); }
  static R load_w(const uint16_t* p) {   // 8 bf16 -> 8 fp32
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static R load_w_n(const uint16_t* p, int n) {
    alignas(16) uint16_t buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < n; ++i) buf[i] = p[i];
    return load_w(buf);
  }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static void store_n(float* p, R v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static float hsum(R v) {   // ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7))
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float hmax(R v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // e^x (Cephes expf polynomial, ~1 ulp on [-87, 88]; below -87 it returns ~1e-38, not 0).
  static R exp(R x) {
    x = _mm256_min_ps(_mm256_max_ps(x, set1(-87.3365f)), set1(88.7228f));
    const R n = _mm256_round_ps(_mm256_mul_ps(x, set1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    R r = _mm256_fnmadd_ps(n, set1(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, set1(-2.12194440e-4f), r);
    R p = set1(1.9875691500e-4f);
    p = fma(p, r, set1(1.3981999507e-3f));
    p = fma(p, r, set1(8.3334519073e-3f));
    p = fma(p, r, set1(4.1665795894e-2f));
    p = fma(p, r, set1(1.6666665459e-1f));
    p = fma(p, r, set1(5.0000001201e-1f));
    p = fma(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, set1(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  }
};

#include "engine/kernels_simd.hpp"

}  // namespace

const Table kAvx2Table = {"avx2", matmul_f32, matmul_bf16, attend};

}  // namespace continuo::engine::kernels
