// The shipped continuation models use what the piece already did (issue: "Continuations that
// continue"): an exact second pass costs them a fraction of the first, and a strict loop is
// continued at the CLI's default sampling settings (mean note F1 over 16 seeds). A random-weight
// model of the same shape fails both, so these tests can fail.
#include <gtest/gtest.h>

#include "continuo/eval.hpp"
#include "engine_test_util.hpp"
#include "model/transformer.hpp"

namespace continuo::engine {
namespace {
using testing::example_events;

Model random_like(const model::Config& cfg) {
  model::Transformer net(cfg);
  model::init_weights(net, 5);
  return Model::from_weights(cfg, model::export_weights(net));
}

SampleOptions cli_defaults() {
  SampleOptions so;
  so.temperature = 1.0f;
  so.top_p = 0.98f;
  so.key_strength = 0.5f;
  return so;
}

TEST(CopyModels, AnExactRepeatCostsAFractionOfTheFirstPass) {
  const auto rp = eval::repeated_piece(example_events(), 400);
  ASSERT_GT(rp.second, rp.header + 100);
  for (const char* name : {"default", "piano", "folk"}) {
    Model m = Model::load(model::find_model(name));
    auto [first, second] = eval::repeat_bits(m, rp);
    std::cout << "[ " << name << ": " << first << " -> " << second << " bits per note ]\n";
    EXPECT_LT(second, 0.3 * first) << name;
    auto [rf, rs] = eval::repeat_bits(random_like(m.config()), rp);
    // a random network with the copy gates at their initial values: the copy path alone, untrained
    EXPECT_GT(rs, 0.3 * rf) << "a random-weight " << name << " fails the same bound";
  }
}

TEST(CopyModels, DefaultContinuesAStrictLoop) {
  Model m = Model::load(model::find_model("default"));
  const auto loop = eval::loop_continuation(m, cli_defaults(), 16);
  for (double f : loop.f1) std::cout << "[ loop F1 " << f << " ]\n";
  EXPECT_GE(loop.mean_f1, 0.9);
  EXPECT_LT(loop.bits_32, loop.bits_8) << "more repetitions, more predictable";
  const auto rnd = eval::loop_continuation(random_like(m.config()), cli_defaults(), 2);
  EXPECT_LT(rnd.mean_f1, 0.3);
}

}  // namespace
}  // namespace continuo::engine
