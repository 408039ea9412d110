// audio/conv2d.hpp: 2-D convolution, NHWC input, HWIO filter (TensorFlow's layout), float32.
#pragma once

#include <cstdint>

namespace continuo::audio {

struct ConvShape {
  int64_t batch = 1, in_h = 0, in_w = 0, in_c = 0;
  int64_t k_h = 0, k_w = 0, out_c = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;   // zeros before the input (SAME padding); after is implied
  int64_t out_h = 0, out_w = 0;
};

// y[b, oh, ow, co] = bias[co] + sum x[b, oh*sh + kh - pad_top, ow*sw + kw - pad_left, ci] * w[kh, kw, ci, co]
// (taps outside the input read zero), then max(0, .) if relu. bias may be null.
void conv2d_nhwc(const ConvShape& c, const float* x, const float* w, const float* bias, bool relu, float* y);

// The same, as the plain seven nested loops: the reference the fast version is tested against.
void conv2d_nhwc_reference(const ConvShape& c, const float* x, const float* w, const float* bias, bool relu, float* y);

}  // namespace continuo::audio
