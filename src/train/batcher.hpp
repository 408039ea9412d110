// Training windows from token shards: random crops with an up-to-date header, augmentation, padding.
#pragma once

#include <random>

#include <torch/torch.h>

#include "continuo/train.hpp"

namespace continuo::train {

class Batcher {
 public:
  Batcher(const Split& split, int seq_len, Augment augment);
  // events [B, T, 6] and pos [B, T, 2] int64; windows are sampled uniformly over events.
  std::pair<torch::Tensor, torch::Tensor> sample(int batch, std::mt19937_64& rng, bool augment);
  // Window for document `doc` starting at body event `begin` (no augmentation).
  tokenizer::Window window(size_t doc, size_t begin) const;

 private:
  void augment(tokenizer::Window& w, std::mt19937_64& rng) const;
  const Split& split_;
  int seq_len_;
  Augment aug_;
};

}  // namespace continuo::train
