// audio/conv2d_avx2.cpp: the fast convolution compiled for AVX2 + FMA (CMakeLists.txt gives this
// file the flags); conv2d.cpp calls it only on CPUs that have both.
#define CONV2D_NAME conv2d_nhwc_avx2
#include "audio/conv2d_kernel.inl"
