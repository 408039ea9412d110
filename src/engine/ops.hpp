// engine/ops.hpp: small row-wise operations (scalar; their cost is negligible next to the matmuls).
#pragma once

#include <cstdint>

namespace continuo::engine {

// out[d] = x / sqrt(mean(x^2) + eps) * w   (the reference's RMSNorm)
void rmsnorm(const float* x, const float* w, int64_t d, double eps, float* out);
// x * sigmoid(x)
float silu(float x);

}  // namespace continuo::engine
