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
  torch::Tensor future;   // [B, T, 34] float known future (tokenizer::future_context), or undefined
  torch::Tensor ignore;   // [B, T] bool: events not to be predicted (a known part's own notes), or undefined
};

// A contiguous part of a batch: sequences [first, first + count).
struct BatchShare {
  int first = 0, count = 0;
};

class Batcher {
 public:
  // With `copy`, each batch also carries the copy proposals after every event, computed by a
  // tokenizer::CopyTracker that has read the piece from its beginning (not only the window):
  // the copy path sees the whole piece, the network its window, as in generation.
  //
  // With `future` (models with future_context), each window is also given a known future, drawn
  // at random (kFutureModes): none (all zeros, a plain continuation); the music from a downbeat
  // G on (infill: the features after each event before G, zeros from G); some of its tracks for
  // the whole window (accompany: the features after every event); or both before G.
  Batcher(const Split& split, int seq_len, Augment augment, bool copy = false, bool future = false);
  // Windows are sampled uniformly over events.
  Batch sample(int batch, std::mt19937_64& rng, bool augment);
  // Only sequences [share.first, share.first + share.count) of that batch, for one process of a
  // data-parallel run: the generator makes every draw of the whole batch (so all processes stay
  // in step, and one process with the same seed sees their union), but the windows of the
  // other shares are never cut, augmented or given copy proposals.
  Batch sample(int batch, std::mt19937_64& rng, bool augment, BatchShare share);
  // Window for document `doc` starting at body event `begin` (no augmentation).
  tokenizer::Window window(size_t doc, size_t begin) const;

 private:
  struct Draw;
  void build_row(Draw& d, int64_t b, Batch& out) const;
  void build_future(const Draw& d, const tokenizer::Window& w, int64_t b, Batch& out) const;

  const Split& split_;
  int seq_len_;
  Augment aug_;
  bool copy_, future_;
};

// The shares of the known-future modes a future Batcher draws: none, after G, tracks, both.
inline constexpr std::array<double, 4> kFutureModes = {0.30, 0.35, 0.20, 0.15};

// Copy proposals [T, K, 8] for a window of `doc_events` cut by Tokenizer::crop(.., begin, end)
// (`window_header` events of header, then events [begin, end)): the proposals after each body
// event from a tracker that read the document from its start; none after header events.
torch::Tensor window_copy_proposals(const std::vector<tokenizer::Event>& doc_events, size_t begin, size_t end,
                                    size_t window_header, int64_t T);

// The same random transposition / tempo / velocity change for a window and anything copied
// into it (drum tracks are never transposed; the shift is dropped if a pitch would leave 0..127).
class Augmenter {
 public:
  // Draws the change; always the same draws, whatever the window, so that a process can draw
  // the augmentation of a window it does not build (see Batcher::sample with a share).
  Augmenter(const Augment& a, std::mt19937_64& rng);
  // Fits the change to window `w`: notes its drum tracks, drops a shift that leaves 0..127.
  void fit(const tokenizer::Window& w);
  void apply(tokenizer::Event& e) const;

 private:
  int shift_ = 0, tempo_ = 0;
  double vel_ = 1;
  std::array<bool, tokenizer::kMaxTracks> drum_{};
};

}  // namespace continuo::train
