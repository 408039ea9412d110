// engine/sampler.cpp: see sampler.hpp.
#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>

namespace continuo::engine {

uint64_t variation_seed(uint64_t seed, int variation) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (uint64_t(variation) + 1);   // splitmix64
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

int sample(const float* logits, const uint8_t* mask, int n, const SampleParams& p, std::mt19937_64& rng,
           std::vector<std::pair<float, int>>& cand) {
  int best = -1;
  for (int i = 0; i < n; ++i)
    if (mask[i] && (best < 0 || logits[i] > logits[best])) best = i;
  if (best < 0 || p.temperature <= 0) return best;

  // probabilities of the allowed values (unnormalised), most likely first
  const float inv_t = 1.0f / p.temperature, mx = logits[best];
  cand.clear();
  for (int i = 0; i < n; ++i)
    if (mask[i]) cand.push_back({std::exp((logits[i] - mx) * inv_t), i});
  const bool sorted = p.top_k > 0 || p.top_p < 1.0f;
  if (sorted)
    std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
  size_t keep = cand.size();
  if (p.top_k > 0) keep = std::min(keep, size_t(p.top_k));
  double total = 0;
  for (size_t i = 0; i < keep; ++i) total += cand[i].first;
  if (p.top_p < 1.0f) {
    double cum = 0;
    size_t i = 0;
    while (i < keep) {
      cum += cand[i].first;
      ++i;
      if (cum >= double(p.top_p) * total) break;
    }
    keep = i;
    total = cum;
  }
  double u = uniform01(rng) * total;
  for (size_t i = 0; i < keep; ++i) {
    u -= cand[i].first;
    if (u < 0) return cand[i].second;
  }
  return cand[keep - 1].second;   // rounding: the last kept value
}

}  // namespace continuo::engine
