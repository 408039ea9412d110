// audio/conv2d_kernel.inl: the fast convolution, included by conv2d.cpp (baseline x86-64) and
// conv2d_avx2.cpp (compiled with AVX2 + FMA); CONV2D_NAME names the function it defines.
// The loop walks one output row at a time and, for each filter tap, adds the tap's (in_c x out_c)
// matrix times the input row into the whole output row: the innermost loop runs over contiguous
// output channels, which the compiler vectorises, and the output row (a few thousand floats at
// most) stays in L1 cache. Valid output columns for each tap are found up front, so the inner loops
// carry no bounds checks.
#include <algorithm>

#include "audio/conv2d.hpp"
#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace continuo::audio {
namespace {

// First and one-past-last output column whose tap kw reads inside the input.
void valid_columns(const ConvShape& c, int64_t kw, int64_t& first, int64_t& last) {
  const int64_t off = kw - c.pad_left;   // input column = ow * stride_w + off
  first = off >= 0 ? 0 : (-off + c.stride_w - 1) / c.stride_w;
  last = c.in_w - off <= 0 ? 0 : std::min<int64_t>(c.out_w, (c.in_w - off + c.stride_w - 1) / c.stride_w);
}

void init_row(const ConvShape& c, const float* bias, float* row) {
  for (int64_t ow = 0; ow < c.out_w; ++ow)
    for (int64_t co = 0; co < c.out_c; ++co) row[ow * c.out_c + co] = bias ? bias[co] : 0.0f;
}

// One tap (kh, kw) over the output columns [first, last): out[ow, :] += x[ow * stride + off, :] * w_tap.
// With the channel count known at compile time the pixel's sums live in registers.
template <int kOutC>
void accumulate_tap(const ConvShape& c, const float* __restrict x_row, const float* __restrict wk, int64_t off,
                    int64_t first, int64_t last, float* __restrict row) {
  for (int64_t ow = first; ow < last; ++ow) {
    const float* px = x_row + (ow * c.stride_w + off) * c.in_c;
    float acc[kOutC];
    for (int co = 0; co < kOutC; ++co) acc[co] = row[ow * kOutC + co];
    for (int64_t ci = 0; ci < c.in_c; ++ci) {
      const float v = px[ci];
      for (int co = 0; co < kOutC; ++co) acc[co] += v * wk[ci * kOutC + co];
    }
    for (int co = 0; co < kOutC; ++co) row[ow * kOutC + co] = acc[co];
  }
}

// The same for few channels, four output columns at a time: four independent sums hide the
// latency of the multiply-adds (one column's sums form a single dependent chain) and each filter
// row is loaded once for four columns. The biggest layer (3 x 39 taps, 8 -> 8 channels) runs here.
template <int kOutC>
void accumulate_tap_x4(const ConvShape& c, const float* __restrict x_row, const float* __restrict wk, int64_t off,
                       int64_t first, int64_t last, float* __restrict row) {
  constexpr int kCols = 4;
  const int64_t step = c.stride_w * c.in_c;
  int64_t ow = first;
  for (; ow + kCols <= last; ow += kCols) {
    const float* px = x_row + (ow * c.stride_w + off) * c.in_c;
    float acc[kCols][kOutC];
    for (int j = 0; j < kCols; ++j)
      for (int co = 0; co < kOutC; ++co) acc[j][co] = row[(ow + j) * kOutC + co];
    for (int64_t ci = 0; ci < c.in_c; ++ci) {
      const float* wr = wk + ci * kOutC;
      for (int j = 0; j < kCols; ++j) {
        const float v = px[j * step + ci];
        for (int co = 0; co < kOutC; ++co) acc[j][co] += v * wr[co];
      }
    }
    for (int j = 0; j < kCols; ++j)
      for (int co = 0; co < kOutC; ++co) row[(ow + j) * kOutC + co] = acc[j][co];
  }
  accumulate_tap<kOutC>(c, x_row, wk, off, ow, last, row);
}

#ifdef __AVX2__
// Eight output channels with AVX2: one register per output column, eight columns at a time, so
// eight independent multiply-add chains keep both FMA units busy.
void accumulate_tap_8ch(const ConvShape& c, const float* __restrict x_row, const float* __restrict wk, int64_t off,
                        int64_t first, int64_t last, float* __restrict row) {
  constexpr int kCols = 8;
  const int64_t step = c.stride_w * c.in_c;
  int64_t ow = first;
  for (; ow + kCols <= last; ow += kCols) {
    const float* px = x_row + (ow * c.stride_w + off) * c.in_c;
    __m256 acc[kCols];
    for (int j = 0; j < kCols; ++j) acc[j] = _mm256_loadu_ps(row + (ow + j) * 8);
    for (int64_t ci = 0; ci < c.in_c; ++ci) {
      const __m256 w = _mm256_loadu_ps(wk + ci * 8);
      for (int j = 0; j < kCols; ++j) acc[j] = _mm256_fmadd_ps(_mm256_broadcast_ss(px + j * step + ci), w, acc[j]);
    }
    for (int j = 0; j < kCols; ++j) _mm256_storeu_ps(row + (ow + j) * 8, acc[j]);
  }
  accumulate_tap<8>(c, x_row, wk, off, ow, last, row);
}

// 32 output channels: four registers per column, two columns at a time (eight chains).
void accumulate_tap_32ch(const ConvShape& c, const float* __restrict x_row, const float* __restrict wk, int64_t off,
                         int64_t first, int64_t last, float* __restrict row) {
  const int64_t step = c.stride_w * c.in_c;
  int64_t ow = first;
  for (; ow + 2 <= last; ow += 2) {
    const float* px = x_row + (ow * c.stride_w + off) * c.in_c;
    float* o = row + ow * 32;
    __m256 a[8];
    for (int k = 0; k < 8; ++k) a[k] = _mm256_loadu_ps(o + 8 * k);
    for (int64_t ci = 0; ci < c.in_c; ++ci) {
      const __m256 v0 = _mm256_broadcast_ss(px + ci), v1 = _mm256_broadcast_ss(px + step + ci);
      for (int k = 0; k < 4; ++k) {
        const __m256 w = _mm256_loadu_ps(wk + ci * 32 + 8 * k);
        a[k] = _mm256_fmadd_ps(v0, w, a[k]);
        a[4 + k] = _mm256_fmadd_ps(v1, w, a[4 + k]);
      }
    }
    for (int k = 0; k < 8; ++k) _mm256_storeu_ps(o + 8 * k, a[k]);
  }
  accumulate_tap<32>(c, x_row, wk, off, ow, last, row);
}
#endif

void accumulate_tap_any(const ConvShape& c, const float* __restrict x_row, const float* __restrict wk, int64_t off,
                        int64_t first, int64_t last, float* __restrict row) {
  for (int64_t ow = first; ow < last; ++ow) {
    const float* px = x_row + (ow * c.stride_w + off) * c.in_c;
    float* o = row + ow * c.out_c;
    for (int64_t ci = 0; ci < c.in_c; ++ci)
      for (int64_t co = 0; co < c.out_c; ++co) o[co] += px[ci] * wk[ci * c.out_c + co];
  }
}

// Dot product with eight running sums, which the compiler turns into vector code.
float dot(const float* __restrict a, const float* __restrict b, int64_t n) {
  float acc[8] = {};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[j + l] * b[j + l];
  float sum = 0;
  for (; j < n; ++j) sum += a[j] * b[j];
  for (int l = 0; l < 8; ++l) sum += acc[l];
  return sum;
}

// One output channel: for each filter row, the taps and input channels of a pixel are one
// contiguous run in both the input row and the filter, so each column is a dot product.
void filter_row_single_output(const ConvShape& c, const float* x_row, const float* w_row, float* row) {
  const int64_t run = c.k_w * c.in_c;
  for (int64_t ow = 0; ow < c.out_w; ++ow) {
    const int64_t iw0 = ow * c.stride_w - c.pad_left;
    if (iw0 >= 0 && iw0 + c.k_w <= c.in_w) {
      row[ow] += dot(x_row + iw0 * c.in_c, w_row, run);
      continue;
    }
    const int64_t kw0 = std::max<int64_t>(0, -iw0), kw1 = std::min<int64_t>(c.k_w, c.in_w - iw0);
    if (kw1 > kw0) row[ow] += dot(x_row + (iw0 + kw0) * c.in_c, w_row + kw0 * c.in_c, (kw1 - kw0) * c.in_c);
  }
}

}  // namespace

void CONV2D_NAME(const ConvShape& c, const float* x, const float* w, const float* bias, bool relu, float* y) {
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t oh = 0; oh < c.out_h; ++oh) {
      float* row = y + (b * c.out_h + oh) * c.out_w * c.out_c;
      init_row(c, bias, row);
      for (int64_t kh = 0; kh < c.k_h; ++kh) {
        const int64_t ih = oh * c.stride_h + kh - c.pad_top;
        if (ih < 0 || ih >= c.in_h) continue;
        const float* x_row = x + (b * c.in_h + ih) * c.in_w * c.in_c;
        if (c.out_c == 1) {
          filter_row_single_output(c, x_row, w + kh * c.k_w * c.in_c, row);
          continue;
        }
        for (int64_t kw = 0; kw < c.k_w; ++kw) {
          int64_t first, last;
          valid_columns(c, kw, first, last);
          const float* wk = w + (kh * c.k_w + kw) * c.in_c * c.out_c;
          const int64_t off = kw - c.pad_left;
          // fixed channel counts of the model's layers let the compiler unroll the inner loop
          switch (c.out_c) {
            case 8:
#ifdef __AVX2__
              accumulate_tap_8ch(c, x_row, wk, off, first, last, row);
#else
              accumulate_tap_x4<8>(c, x_row, wk, off, first, last, row);
#endif
              break;
            case 32:
#ifdef __AVX2__
              accumulate_tap_32ch(c, x_row, wk, off, first, last, row);
#else
              accumulate_tap<32>(c, x_row, wk, off, first, last, row);
#endif
              break;
            case 36: accumulate_tap<36>(c, x_row, wk, off, first, last, row); break;
            default: accumulate_tap_any(c, x_row, wk, off, first, last, row);
          }
        }
      }
      if (relu)
        for (int64_t k = 0; k < c.out_w * c.out_c; ++k) row[k] = std::max(row[k], 0.0f);
    }
}

}  // namespace continuo::audio
