// The plain C++ drum network (src/drums/net.cpp) against its libtorch twin on the same weights.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "../drums/drums_test_util.hpp"
#include "continuo/drums_train.hpp"

using namespace continuo;
using namespace continuo::drums;

namespace {

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, double(std::abs(a[i] - b[i])));
  return m;
}

void check(Task task, int hidden, int layers, int64_t T, uint64_t seed) {
  NetConfig c = continuo::testing::small_config(task);
  c.hidden = hidden;
  c.layers = layers;
  auto w = continuo::testing::random_drum_weights(c, seed, 0.4f);
  std::mt19937_64 rng(seed + 1);
  std::uniform_real_distribution<float> U(-1, 1);
  std::vector<float> x(size_t(T * c.features()));
  for (auto& v : x) v = U(rng);
  Net net(c, w);
  auto ours = net.forward(x.data(), T);
  auto ref = torch_forward(c, w, x, T);
  EXPECT_LT(max_abs_diff(ours, ref), 2e-5) << "hidden " << hidden << " layers " << layers << " T " << T;
  // The comparison must be able to fail: other weights give other outputs.
  auto w2 = continuo::testing::random_drum_weights(c, seed + 100, 0.4f);
  EXPECT_GT(max_abs_diff(Net(c, w2).forward(x.data(), T), ref), 1e-3);
}

}  // namespace

TEST(DrumNet, GrooveMatchesLibtorch) {
  check(Task::kGroove, 16, 1, 7, 1);
  check(Task::kGroove, 24, 2, 40, 2);
}

TEST(DrumNet, DrumifyMatchesLibtorch) {
  check(Task::kDrumify, 16, 2, 33, 3);
  check(Task::kDrumify, 8, 3, 1, 4);
}
