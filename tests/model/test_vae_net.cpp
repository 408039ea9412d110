// The plain C++ clip VAE (src/vae/net.cpp) against its libtorch twin (src/train/vae_train.cpp) on
// the same random weights: encoder mean / log-variance and teacher-forced decoder logits.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "continuo/vae_train.hpp"

using namespace continuo;
using namespace continuo::vae;

namespace {

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, double(std::abs(a[i] - b[i])));
  return m;
}

void check(Kind kind, uint64_t seed) {
  VaeConfig c;
  c.kind = kind;
  c.enc_hidden = 24;
  c.dec_hidden = 40;
  c.latent = 8;
  const auto w = random_vae_weights(c, seed);
  const Vae net(c, w);
  std::mt19937_64 rng(seed);
  Clip clip;
  clip.kind = kind;
  std::uniform_int_distribution<int> tok(0, dims(kind) - 1), bit(0, 1);
  clip.v.resize(size_t(kind == Kind::kMelody ? kSteps : kSteps * dims(kind)));
  for (auto& v : clip.v) v = kind == Kind::kMelody ? tok(rng) : bit(rng);
  const auto x = features(clip);
  std::normal_distribution<float> N(0, 1);
  std::vector<float> z(size_t(c.latent));
  for (auto& v : z) v = N(rng);
  std::vector<float> mu, lv, logits, tmu, tlv, tlogits;
  net.encode(x, mu, lv);
  logits = net.decode_logits(z, x);
  torch_reference(c, w, x, z, tmu, tlv, tlogits);
  EXPECT_LT(max_abs_diff(mu, tmu), 2e-5);
  EXPECT_LT(max_abs_diff(lv, tlv), 2e-5);
  EXPECT_LT(max_abs_diff(logits, tlogits), 2e-5);
  // the step-by-step decoder at temperature 0 follows the teacher-forced logits of its own output
  std::mt19937_64 r2(1);
  const Clip y = net.decode(z, 0.0, r2);
  const auto yl = net.decode_logits(z, features(y));
  for (int s = 0; s < kSteps; ++s) {
    const float* row = &yl[size_t(s * dims(kind))];
    if (kind == Kind::kMelody) {
      const int best = int(std::max_element(row, row + dims(kind)) - row);
      if (!(best == kHold && (s == 0 || y.v[size_t(s - 1)] == kRest))) {
        EXPECT_EQ(y.v[size_t(s)], best) << "step " << s;
      }
    } else {
      for (int k = 0; k < dims(kind); ++k) EXPECT_EQ(y.v[size_t(s * dims(kind) + k)], row[k] > 0 ? 1 : 0);
    }
  }
}

}  // namespace

TEST(VaeNet, MelodyMatchesLibtorch) { check(Kind::kMelody, 3); }
TEST(VaeNet, DrumsMatchLibtorch) { check(Kind::kDrums, 4); }
