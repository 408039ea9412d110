// The known-future input of models with `future_context` (continuo/tokenizer.hpp).
#include <algorithm>
#include <cmath>

#include "continuo/tokenizer.hpp"

namespace continuo::tokenizer {

FutureContext future_context(const std::vector<KnownNote>& known, int64_t now) {
  FutureContext f{};
  f[0] = 1;
  auto it = std::lower_bound(known.begin(), known.end(), KnownNote{now, 0, false});
  if (it == known.end()) {
    f[6] = 1;
    return f;
  }
  const int64_t s = it->at, beat = kStepsPerBeat;
  const int64_t dist = s - now;
  const int bucket = dist == 0 ? 0 : dist < beat ? 1 : dist < 2 * beat ? 2 : dist < 4 * beat ? 3 : dist < 8 * beat ? 4 : 5;
  f[size_t(1 + bucket)] = 1;
  const int64_t window_end = s + int64_t(kFutureWindowBeats) * beat;
  int pitched = 0, drums = 0, lowest = 128;
  for (auto j = it; j != known.end() && j->at < window_end; ++j) {
    if (j->drum) {
      ++drums;
      continue;
    }
    ++pitched;
    f[size_t(7 + j->pitch % 12)] += 1;
    lowest = std::min<int>(lowest, j->pitch);
  }
  if (pitched > 0)
    for (int i = 0; i < 12; ++i) f[size_t(7 + i)] /= float(pitched);
  f[19] = float(std::log1p(double(pitched)) / 4.0);
  f[20] = float(std::log1p(double(drums)) / 4.0);
  int near = 0;
  for (auto j = it; j != known.end() && j->at < now + beat; ++j)
    if (!j->drum) {
      ++near;
      f[size_t(21 + j->pitch % 12)] += 1;
    }
  if (near > 0)
    for (int i = 0; i < 12; ++i) f[size_t(21 + i)] /= float(near);
  f[33] = lowest < 128 ? float(lowest) / 127.0f : 0.0f;
  return f;
}

std::array<float, 12> future_prior_bias(const FutureContext& f, const float* F) {
  std::array<float, 12> b{};
  for (int q = 0; q < 12; ++q)
    for (int c = 0; c < 12; ++c)
      b[size_t(q)] += F[(q - c + 12) % 12] * f[size_t(21 + c)] + F[12 + (q - c + 12) % 12] * f[size_t(7 + c)];
  float mean = 0;
  for (float x : b) mean += x;
  mean /= 12;
  for (float& x : b) x -= mean;
  return b;
}

}  // namespace continuo::tokenizer
