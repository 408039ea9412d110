// audio/conv2d.cpp: the convolutions of the transcription model: the fast kernel (built twice,
// see conv2d_kernel.inl), chosen at run time, and the plain reference it is tested against.
#include "audio/conv2d.hpp"

#include <algorithm>

#define CONV2D_NAME conv2d_nhwc_baseline
#include "audio/conv2d_kernel.inl"
#undef CONV2D_NAME

namespace continuo::audio {

void conv2d_nhwc_avx2(const ConvShape& c, const float* x, const float* w, const float* bias, bool relu, float* y);

void conv2d_nhwc(const ConvShape& c, const float* x, const float* w, const float* bias, bool relu, float* y) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  (avx2 ? conv2d_nhwc_avx2 : conv2d_nhwc_baseline)(c, x, w, bias, relu, y);
}

void conv2d_nhwc_reference(const ConvShape& c, const float* x, const float* w, const float* bias, bool relu, float* y) {
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t oh = 0; oh < c.out_h; ++oh)
      for (int64_t ow = 0; ow < c.out_w; ++ow)
        for (int64_t co = 0; co < c.out_c; ++co) {
          double acc = bias ? bias[co] : 0.0;
          for (int64_t kh = 0; kh < c.k_h; ++kh)
            for (int64_t kw = 0; kw < c.k_w; ++kw) {
              const int64_t ih = oh * c.stride_h + kh - c.pad_top, iw = ow * c.stride_w + kw - c.pad_left;
              if (ih < 0 || ih >= c.in_h || iw < 0 || iw >= c.in_w) continue;
              for (int64_t ci = 0; ci < c.in_c; ++ci)
                acc += double(x[((b * c.in_h + ih) * c.in_w + iw) * c.in_c + ci]) *
                       double(w[((kh * c.k_w + kw) * c.in_c + ci) * c.out_c + co]);
            }
          y[((b * c.out_h + oh) * c.out_w + ow) * c.out_c + co] = relu ? std::max(float(acc), 0.0f) : float(acc);
        }
}

}  // namespace continuo::audio
