// Shared helpers for the engine tests: a small randomly initialised reference network (libtorch)
// and real encoded sequences.
#pragma once

#include <string>
#include <vector>

#include "continuo/engine.hpp"
#include "continuo/score.hpp"
#include "continuo/tokenizer.hpp"
#include "model/transformer.hpp"

namespace continuo::engine::testing {

// A small network whose weights are large enough (8x the init scale) for attention to be far
// from uniform and logits to be O(1); norm weights are randomised too, so a forgotten norm
// weight shows.
inline model::Transformer make_net(const model::Config& cfg, uint64_t seed) {
  model::Transformer net(cfg);
  model::init_weights(net, seed);
  torch::NoGradGuard ng;
  for (auto& p : net->named_parameters()) {
    if (p.key().find("norm") != std::string::npos) p.value().add_(0.3 * torch::randn(p.value().sizes()));
    else if (p.key() == "heads.key_prior") p.value().copy_(0.5 * torch::randn(p.value().sizes()));   // zero at init
    else if (p.key().rfind("heads.copy.", 0) == 0) p.value().copy_(torch::randn(p.value().sizes()));   // copy gates that matter
    else p.value().mul_(8.0);
  }
  return net;
}

// With pitch_context on unless asked otherwise; key_prior off unless asked.
inline model::Config small_config(int max_len = 96, bool pitch_context = true, bool key_prior = false,
                                   bool copy_prior = false) {
  model::Config c;
  c.name = "test";
  c.d_model = 64;
  c.n_layers = 2;
  c.n_heads = 4;
  c.d_ff = 96;
  c.d_head = 40;
  c.max_len = max_len;
  c.pitch_context = pitch_context;
  c.key_prior = key_prior;
  c.copy_prior = copy_prior;
  return c;
}

// The events of examples/example.mid (BOS, header, body, EOS).
inline std::vector<tokenizer::Event> example_events() {
  static const std::vector<tokenizer::Event> ev = [] {
    tokenizer::Tokenizer tok;
    return tok.encode(score::load(std::string(CONTINUO_SOURCE_DIR) + "/examples/example.mid"));
  }();
  return ev;
}

// [1, T, 6] and [1, T, 2] int64 tensors of a sequence and its position features.
inline std::pair<torch::Tensor, torch::Tensor> to_tensors(const std::vector<tokenizer::Event>& ev) {
  const auto pos = tokenizer::Tokenizer::positions(ev);
  const int64_t T = int64_t(ev.size());
  auto e = torch::zeros({1, T, tokenizer::kNumFields}, torch::kLong);
  auto p = torch::zeros({1, T, 2}, torch::kLong);
  for (int64_t t = 0; t < T; ++t) {
    for (int f = 0; f < tokenizer::kNumFields; ++f) e[0][t][f] = int64_t(ev[size_t(t)].f[size_t(f)]);
    p[0][t][0] = int64_t(pos[size_t(t)].beat_pos);
    p[0][t][1] = int64_t(pos[size_t(t)].bar_pos);
  }
  return {e, p};
}

}  // namespace continuo::engine::testing
