// Training windows from token shards: random crops with an up-to-date header, augmentation, padding.
#pragma once

#include <random>

#include <torch/torch.h>

#include "continuo/train.hpp"

namespace continuo::train {

struct Batch {
  torch::Tensor events;   // [B, T, 6] int64
  torch::Tensor pos;      // [B, T, 2] int64
  torch::Tensor copy;     // [B, T, K, 8] int64 copy proposals (model::copy_proposals layout), or undefined
};

class Batcher {
 public:
  // With `copy`, each batch also carries the copy proposals after every event, computed by a
  // tokenizer::CopyTracker that has read the piece from its beginning (not only the window):
  // the copy path sees the whole piece, the network its window, as in generation.
  Batcher(const Split& split, int seq_len, Augment augment, bool copy = false);
  // Windows are sampled uniformly over events.
  Batch sample(int batch, std::mt19937_64& rng, bool augment);
  // Window for document `doc` starting at body event `begin` (no augmentation).
  tokenizer::Window window(size_t doc, size_t begin) const;

 private:
  const Split& split_;
  int seq_len_;
  Augment aug_;
  bool copy_;
};

// Copy proposals [T, K, 8] for a window of `doc_events` cut by Tokenizer::crop(.., begin, end)
// (`window_header` events of header, then events [begin, end)): the proposals after each body
// event from a tracker that read the document from its start; none after header events.
torch::Tensor window_copy_proposals(const std::vector<tokenizer::Event>& doc_events, size_t begin, size_t end,
                                    size_t window_header, int64_t T);

// The same random transposition / tempo / velocity change for a window and anything copied
// into it (drum tracks are never transposed; the shift is dropped if a pitch would leave 0..127).
class Augmenter {
 public:
  Augmenter(const Augment& a, const tokenizer::Window& w, std::mt19937_64& rng);
  void apply(tokenizer::Event& e) const;

 private:
  int shift_ = 0, tempo_ = 0;
  double vel_ = 1;
  std::array<bool, tokenizer::kMaxTracks> drum_{};
};

}  // namespace continuo::train
