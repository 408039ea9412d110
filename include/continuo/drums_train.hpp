// continuo/drums_train.hpp: training the drum networks of continuo/drums.hpp with libtorch
// (needs CONTINUO_TORCH; the shipped models run without it).
//
//   using namespace continuo;
//   drums::DrumTrainOptions o;
//   o.task = drums::Task::kGroove; o.data_dir = "~/.cache/continuo/data/groove-midi";
//   o.out_dir = "runs/groove"; o.max_minutes = 15;
//   drums::train_drums(o, [](const drums::DrumTrainLog& l) { ... });
//   // -> runs/groove/{config.json, model.safetensors, train.jsonl, checkpoint.pt, state.json}
//
// Data: the official train split of the Groove MIDI Dataset (info.csv), windows of `window` steps
// at random places; validation: fixed windows of the validation split. Losses: L1 on velocity and
// offset at the true hits (the evaluation measures mean absolute error), plus binary cross-entropy
// on every cell's hit for Drumify. Adam, cosine schedule, gradient clipping; model.safetensors is
// written at every validation that improves the validation loss; checkpoint.pt resumes training.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "continuo/drums.hpp"

namespace continuo::drums {

struct DrumTrainOptions {
  Task task = Task::kGroove;
  std::string data_dir, out_dir;
  int hidden = 128, layers = 2, window = 32, batch = 64;
  int64_t steps = 8000;
  double lr = 3e-3, min_lr = 1e-4, grad_clip = 1.0;
  double max_minutes = 0;          // stop (and export) after this long; 0 = no limit
  int eval_every = 250;
  double style_dropout = 0.3;      // Drumify: share of windows trained without their style
  int min_style_files = 15;        // Drumify: styles with fewer training files count as "any"
  uint64_t seed = 1;
  int threads = 1;
};

struct DrumTrainLog {
  int64_t step = 0;
  double loss = 0, seconds = 0;
  bool is_eval = false;
  double val_loss = 0, val_hit = 0, val_velocity = 0, val_offset = 0;   // components of val_loss
};

// Returns the best validation loss.
double train_drums(const DrumTrainOptions& o, const std::function<void(const DrumTrainLog&)>& log = {});

// The libtorch forward of the same network on the same weights (the numeric reference of
// Net::forward): x [T, features] -> [T, 27] with the same activations.
std::vector<float> torch_forward(const NetConfig& cfg, const model::Weights& w, const std::vector<float>& x, int64_t T);

}  // namespace continuo::drums
