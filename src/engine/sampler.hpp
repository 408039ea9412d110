// engine/sampler.hpp: choosing one value from logits under a mask (temperature, top-k, top-p).
//
//   std::mt19937_64 rng(engine::variation_seed(seed, v));
//   int value = engine::sample(logits, mask, n, {0.9f, 0, 0.95f}, rng, scratch);
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace continuo::engine {

struct SampleParams {
  float temperature = 1.0f;   // <= 0: argmax
  int top_k = 0;              // 0: off
  float top_p = 1.0f;         // 1: off
};

// Seed of variation v's generator: a different, well-mixed stream per (seed, v).
uint64_t variation_seed(uint64_t seed, int variation);
// Uniform in [0, 1) from the top 53 bits (the same on every platform, unlike std::uniform_*).
double uniform01(std::mt19937_64& rng);

// An index i with mask[i] != 0 drawn from softmax(logits / temperature) restricted to the mask,
// then to the top_k most likely, then to the smallest set whose probability reaches top_p.
// Returns -1 if the mask allows nothing. Ties are broken by the lower index.
int sample(const float* logits, const uint8_t* mask, int n, const SampleParams& p, std::mt19937_64& rng,
           std::vector<std::pair<float, int>>& scratch);

}  // namespace continuo::engine
