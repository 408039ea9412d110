// A random-weight model for task tests (no libtorch needed), shapes as model::check_weights wants
// them; a short context, so that generation slides its window too.
#pragma once

#include <random>
#include <string>

#include "continuo/engine.hpp"

namespace continuo::testing {

using tokenizer::kFieldSizes;
using tokenizer::kNumFields;

inline engine::Model random_model(int max_len = 64) {
  model::Config c;
  c.name = "random";
  c.d_model = 32;
  c.n_layers = 1;
  c.n_heads = 2;
  c.d_ff = 48;
  c.d_head = 24;
  c.max_len = max_len;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  model::Weights w;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool ones = false) {
    model::Tensor t;
    t.shape = shape;
    t.data.resize(size_t(t.numel()));
    for (auto& x : t.data) x = ones ? 1.0f : normal(rng);
    w[name] = std::move(t);
  };
  const int64_t d = c.d_model;
  for (int f = 0; f < kNumFields; ++f) add("model.embed_fields." + std::to_string(f) + ".weight", {kFieldSizes[f], d});
  add("model.embed_beat_pos.weight", {tokenizer::kBeatPosSize, d});
  add("model.embed_bar_pos.weight", {tokenizer::kBarPosSize, d});
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "input_layernorm.weight", {d}, true);
    for (const char* n : {"q", "k", "v", "o"}) add(p + "self_attn." + n + "_proj.weight", {d, d});
    add(p + "post_attention_layernorm.weight", {d}, true);
    add(p + "mlp.gate_proj.weight", {c.d_ff, d});
    add(p + "mlp.up_proj.weight", {c.d_ff, d});
    add(p + "mlp.down_proj.weight", {d, c.d_ff});
  }
  add("model.norm.weight", {d}, true);
  for (int g = 0; g < kNumFields - 1; ++g) add("heads.embed." + std::to_string(g) + ".weight", {kFieldSizes[g], d});
  for (int f = 0; f < kNumFields; ++f) {
    const std::string p = "heads." + std::to_string(f) + ".";
    add(p + "norm.weight", {d}, true);
    add(p + "proj.weight", {c.d_head, d});
    add(p + "out.weight", {kFieldSizes[f], c.d_head});
  }
  model::check_weights(c, w);
  return engine::Model::from_weights(c, w, engine::WeightFormat::kF32);
}


}  // namespace continuo::testing
