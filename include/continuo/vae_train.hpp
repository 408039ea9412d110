// continuo/vae_train.hpp: training the clip VAEs of continuo/vae.hpp with libtorch (needs
// CONTINUO_TORCH; the shipped models run without it).
//
//   using namespace continuo;
//   vae::VaeTrainOptions o;
//   o.kind = vae::Kind::kDrums; o.data_dir = "~/.cache/continuo/data"; o.out_dir = "runs/drums-vae";
//   o.max_minutes = 12;
//   vae::train_vae(o, [](const vae::VaeTrainLog& l) { ... });
//   // -> runs/drums-vae/{config.json, model.safetensors, train.jsonl, checkpoint.pt, state.json}
//
// Data: melody clips of folk-abc-music21, nottingham and pop909 (train split of vae::melody_split),
// or drum clips of the Groove MIDI Dataset's official train split. Loss: reconstruction
// (cross-entropy per step for melody, binary cross-entropy per cell for drums, summed over the
// clip) + beta * KL(q(z|x) || N(0, I)) with beta rising linearly over the first `kl_warmup` steps
// and the KL of each latent dimension counted only above `free_bits` nats. Adam, cosine schedule,
// gradient clipping; model.safetensors is written at every validation that improves the
// validation reconstruction accuracy; checkpoint.pt resumes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "continuo/vae.hpp"

namespace continuo::vae {

struct VaeTrainOptions {
  Kind kind = Kind::kMelody;
  std::string data_dir, out_dir;   // data_dir: the corpora folder (melody) or groove-midi (drums)
  int enc_hidden = 128, dec_hidden = 256, latent = 32, batch = 64;
  int64_t steps = 6000;
  double lr = 2e-3, min_lr = 1e-4, grad_clip = 1.0;
  double beta = 0.2, free_bits = 0.25;
  int64_t kl_warmup = 2000;
  double max_minutes = 0;
  int eval_every = 250;
  uint64_t seed = 1;
  int threads = 1;
};

struct VaeTrainLog {
  int64_t step = 0;
  double loss = 0, recon = 0, kl = 0, seconds = 0;
  bool is_eval = false;
  double val_recon = 0, val_kl = 0, val_accuracy = 0;   // teacher-forced accuracy at the mean
};

double train_vae(const VaeTrainOptions& o, const std::function<void(const VaeTrainLog&)>& log = {});

// The libtorch forward on the same weights (numeric reference of Vae::encode / decode_logits):
// x [kSteps, D] -> mu, logvar [L] and teacher-forced logits [kSteps, D] decoded from z.
void torch_reference(const VaeConfig& cfg, const model::Weights& w, const std::vector<float>& x,
                     const std::vector<float>& z, std::vector<float>& mu, std::vector<float>& logvar,
                     std::vector<float>& logits);
// Random weights of the network's shapes (for tests).
model::Weights random_vae_weights(const VaeConfig& cfg, uint64_t seed);

}  // namespace continuo::vae
