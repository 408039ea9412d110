// Helpers for the drum tests: small scores and networks with random weights.
#pragma once

#include <random>

#include "continuo/drums.hpp"

namespace continuo::testing {

// Random weights of the right shapes (uniform in [-scale, scale]).
inline model::Weights random_drum_weights(const drums::NetConfig& c, uint64_t seed, float scale = 0.3f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> U(-scale, scale);
  model::Weights w;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    model::Tensor t;
    t.shape = shape;
    t.data.resize(size_t(t.numel()));
    for (auto& v : t.data) v = U(rng);
    w[name] = std::move(t);
  };
  const int64_t H = c.hidden;
  for (int l = 0; l < c.layers; ++l)
    for (const char* d : {"fwd", "bwd"}) {
      const std::string p = "gru." + std::to_string(l) + "." + d + ".";
      add(p + "weight_ih", {3 * H, l == 0 ? int64_t(c.features()) : 2 * H});
      add(p + "weight_hh", {3 * H, H});
      add(p + "bias_ih", {3 * H});
      add(p + "bias_hh", {3 * H});
    }
  add("head.weight", {drums::kOutputs, 2 * H});
  add("head.bias", {drums::kOutputs});
  return w;
}

inline drums::NetConfig small_config(drums::Task task) {
  drums::NetConfig c;
  c.task = task;
  c.hidden = 16;
  c.layers = 2;
  c.window = 16;
  if (task == drums::Task::kDrumify) c.styles = {"rock", "funk", "jazz"};
  return c;
}

// A quantized rock beat at 480 ticks per beat: kick on 1 and 3, snare on 2 and 4, closed hi-hat
// eighths, `bars` bars of num/den, drums on channel 10, velocity 100; 120 BPM.
inline score::Score rock_beat(int bars, int num = 4, int den = 4) {
  score::Score s;
  s.ticks_per_beat = 480;
  s.tempos.push_back({Ticks{0}, 500000});
  s.time_signatures.push_back({Ticks{0}, uint8_t(num), uint8_t(den)});
  score::Track t;
  t.channel = 9;
  t.is_drum = true;
  t.name = "Drums";
  const int64_t bar = int64_t(480) * 4 * num / den;
  for (int b = 0; b < bars; ++b)
    for (int64_t q = 0; q < bar; q += 240) {
      const int64_t at = b * bar + q;
      t.notes.push_back({Ticks{at}, Ticks{60}, 42, 100});
      if (q % 960 == 0) t.notes.push_back({Ticks{at}, Ticks{60}, 36, 100});
      if (q % 960 == 480) t.notes.push_back({Ticks{at}, Ticks{60}, 38, 100});
    }
  s.tracks.push_back(t);
  score::normalize(s);
  return s;
}

}  // namespace continuo::testing
