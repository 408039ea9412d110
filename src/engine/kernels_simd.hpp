// engine/kernels_simd.hpp: the SIMD kernels, written once over a vector type `V` and compiled once
// per instruction set (kernels_avx2.cpp, kernels_avx512.cpp). Include it INSIDE an anonymous
// namespace after defining `struct V` (so nothing here gets external linkage, and no code compiled
// for one instruction set can be picked by the linker for another). It includes nothing itself.
//
// V provides: R (the register type), kW (floats per register), kMR x kNR (the matmul tile for
// batches of rows), kNR1 (the tile width for single rows), zero, set1, load, load_n (first n lanes,
// rest 0), load_w / load_w_n for float and bf16 weights, store, store_n, add, sub, mul, max,
// fma(a, b, c) = a * b + c, hsum, hmax, exp.

// One tile of y = x @ w^T: MR rows of x times NR rows of w. Each output is one register-wide
// accumulator over k in steps of kW, then hsum: the same order for every tile shape.
template <int MR, int NR, typename WT>
inline __attribute__((always_inline)) void tile(const float* x, int64_t ldx, int64_t k, const WT* w, float* y,
                                                int64_t ldy) {
  using R = typename V::R;
  R acc[MR][NR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j) acc[i][j] = V::zero();
  int64_t c = 0;
  for (; c + V::kW <= k; c += V::kW) {
    R wv[NR];   // [NR, kW]
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j) wv[j] = V::load_w(w + j * k + c);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const R xv = V::load(x + i * ldx + c);   // [kW]
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) acc[i][j] = V::fma(xv, wv[j], acc[i][j]);
    }
  }
  if (c < k) {
    const int r = int(k - c);
    R wv[NR];
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j) wv[j] = V::load_w_n(w + j * k + c, r);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const R xv = V::load_n(x + i * ldx + c, r);
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) acc[i][j] = V::fma(xv, wv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j) y[i * ldy + j] = V::hsum(acc[i][j]);
}

// y[m, n0:n1] = x[m, k] @ w[n0:n1, k]^T. Rows of x in chunks of kMChunk (kept in L2 while a
// block of w rows stays in L1).
template <typename WT>
void matmul(const float* x, int64_t ldx, int64_t m, int64_t k, const WT* w, int64_t n0, int64_t n1, float* y,
            int64_t ldy) {
  constexpr int64_t kMChunk = 64;
  for (int64_t m0 = 0; m0 < m; m0 += kMChunk) {
    const int64_t m1 = m0 + kMChunk < m ? m0 + kMChunk : m;
    int64_t j = n0;
    if (m1 - m0 < V::kMR) {   // a few rows (decoding): wide single-row tiles
      for (; j + V::kNR1 <= n1; j += V::kNR1)
        for (int64_t i = m0; i < m1; ++i) tile<1, V::kNR1>(x + i * ldx, ldx, k, w + j * k, y + i * ldy + j, ldy);
    } else {
      for (; j + V::kNR <= n1; j += V::kNR) {
        int64_t i = m0;
        for (; i + V::kMR <= m1; i += V::kMR)
          tile<V::kMR, V::kNR>(x + i * ldx, ldx, k, w + j * k, y + i * ldy + j, ldy);
        for (; i < m1; ++i) tile<1, V::kNR>(x + i * ldx, ldx, k, w + j * k, y + i * ldy + j, ldy);
      }
    }
    for (; j < n1; ++j)
      for (int64_t i = m0; i < m1; ++i) tile<1, 1>(x + i * ldx, ldx, k, w + j * k, y + i * ldy + j, ldy);
  }
}

void matmul_f32(const float* x, int64_t ldx, int64_t m, int64_t k, const float* w, int64_t n0, int64_t n1, float* y,
                int64_t ldy) {
  matmul<float>(x, ldx, m, k, w, n0, n1, y, ldy);
}

void matmul_bf16(const float* x, int64_t ldx, int64_t m, int64_t k, const uint16_t* w, int64_t n0, int64_t n1,
                 float* y, int64_t ldy) {
  matmul<uint16_t>(x, ldx, m, k, w, n0, n1, y, ldy);
}

// o[0:NV*kW] += sum_t p_t * v_t[c0 : c0 + NV*kW]  (o kept in registers over all t)
template <int NV>
inline __attribute__((always_inline)) void weighted_sum(const float* p, const float* v, int64_t n, int64_t ld,
                                                        float* out) {
  using R = typename V::R;
  R o[NV];
#pragma GCC unroll 8
  for (int u = 0; u < NV; ++u) o[u] = V::zero();
  for (int64_t t = 0; t < n; ++t) {
    const R pt = V::set1(p[t]);
    const float* vt = v + t * ld;   // [NV * kW]
#pragma GCC unroll 8
    for (int u = 0; u < NV; ++u) o[u] = V::fma(pt, V::load(vt + u * V::kW), o[u]);
  }
#pragma GCC unroll 8
  for (int u = 0; u < NV; ++u) V::store(out + u * V::kW, o[u]);
}

// scores[t0 : t0 + NK] = scale * q . k_t  (NK keys at once, accumulators in registers)
template <int NK>
inline __attribute__((always_inline)) void dot_keys(const float* q, const float* k, int64_t t0, int64_t dh,
                                                    int64_t ld, float scale, float* scores) {
  using R = typename V::R;
  R a[NK];
#pragma GCC unroll 8
  for (int u = 0; u < NK; ++u) a[u] = V::zero();
  int64_t c = 0;
  for (; c + V::kW <= dh; c += V::kW) {
    const R qv = V::load(q + c);
#pragma GCC unroll 8
    for (int u = 0; u < NK; ++u) a[u] = V::fma(qv, V::load(k + (t0 + u) * ld + c), a[u]);
  }
  if (c < dh) {
    const int r = int(dh - c);
    const R qv = V::load_n(q + c, r);
#pragma GCC unroll 8
    for (int u = 0; u < NK; ++u) a[u] = V::fma(qv, V::load_n(k + (t0 + u) * ld + c, r), a[u]);
  }
#pragma GCC unroll 8
  for (int u = 0; u < NK; ++u) scores[t0 + u] = V::hsum(a[u]) * scale;
}

void attend(const float* q, const float* k, const float* v, int64_t n, int64_t dh, int64_t ld, float scale,
            float* scores, float* out) {
  using R = typename V::R;
  // scores [n] = scale * q . k_t
  R vmx = V::set1(-3.0e38f);
  int64_t t = 0;
  for (; t + 4 <= n; t += 4) dot_keys<4>(q, k, t, dh, ld, scale, scores);
  for (; t < n; ++t) dot_keys<1>(q, k, t, dh, ld, scale, scores);
  for (t = 0; t + V::kW <= n; t += V::kW) vmx = V::max(vmx, V::load(scores + t));
  float mx = V::hmax(vmx);
  for (; t < n; ++t) mx = scores[t] > mx ? scores[t] : mx;

  // p [n] = exp(scores - max), unnormalised
  const R m = V::set1(mx);
  R vsum = V::zero();
  for (t = 0; t + V::kW <= n; t += V::kW) {
    const R e = V::exp(V::sub(V::load(scores + t), m));
    V::store(scores + t, e);
    vsum = V::add(vsum, e);
  }
  if (t < n) {
    const int r = int(n - t);
    V::store_n(scores + t, V::exp(V::sub(V::load_n(scores + t, r), m)), r);
    vsum = V::add(vsum, V::load_n(scores + t, r));
  }
  const float inv = 1.0f / V::hsum(vsum);

  // out [dh] = inv * sum_t p_t v_t, up to four registers of out at a time
  int64_t c = 0;
  for (; c + 4 * V::kW <= dh; c += 4 * V::kW) weighted_sum<4>(scores, v + c, n, ld, out + c);
  for (; c + V::kW <= dh; c += V::kW) weighted_sum<1>(scores, v + c, n, ld, out + c);
  if (c < dh) {
    const int r = int(dh - c);
    R o = V::zero();
    for (t = 0; t < n; ++t) o = V::fma(V::set1(scores[t]), V::load_n(v + t * ld + c, r), o);
    V::store_n(out + c, o, r);
  }
  const R vi = V::set1(inv);
  for (c = 0; c + V::kW <= dh; c += V::kW) V::store(out + c, V::mul(V::load(out + c), vi));
  if (c < dh) V::store_n(out + c, V::mul(V::load_n(out + c, int(dh - c)), vi), int(dh - c));
}
