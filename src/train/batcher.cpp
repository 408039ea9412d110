// Training windows: crop, augment (transpose, tempo, velocity), pad.
#include "train/batcher.hpp"

#include <algorithm>

#include "continuo/error.hpp"

namespace continuo::train {
using tokenizer::Field;
using tokenizer::Kind;

Batcher::Batcher(const Split& split, int seq_len, Augment augment) : split_(split), seq_len_(seq_len), aug_(augment) {
  if (split.size() == 0) throw Error(ErrorCode::kInvalidArgument, "the dataset split is empty");
}

tokenizer::Window Batcher::window(size_t doc, size_t begin) const {
  auto ev = split_.events(doc);
  auto pos = split_.positions(doc);
  size_t h = tokenizer::Tokenizer::header_length(ev);
  begin = std::max(begin, h);
  // leave room for the header (it can grow by one key signature)
  size_t room = size_t(seq_len_) > h + 2 ? size_t(seq_len_) - h - 1 : 1;
  return tokenizer::Tokenizer::crop(ev, pos, begin, std::min(ev.size(), begin + room));
}

void Batcher::augment(tokenizer::Window& w, std::mt19937_64& rng) const {
  int shift = aug_.transpose > 0 ? std::uniform_int_distribution<int>(-aug_.transpose, aug_.transpose)(rng) : 0;
  int tempo = aug_.tempo_bins > 0 ? std::uniform_int_distribution<int>(-aug_.tempo_bins, aug_.tempo_bins)(rng) : 0;
  double vel = aug_.velocity > 0 ? std::uniform_real_distribution<double>(1 - aug_.velocity, 1 + aug_.velocity)(rng) : 1;
  // drum tracks are never transposed; keep the shift only if every pitched note stays in range
  std::array<bool, tokenizer::kMaxTracks> drum{};
  int lo = 127, hi = 0;
  for (const auto& e : w.events) {
    if (e.kind() == Kind::kTrack) drum[e[Field::kTrack]] = e[Field::kValue] >= tokenizer::kDrumKitBase;
    if (e.kind() == Kind::kNote && !drum[e[Field::kTrack]]) {
      lo = std::min<int>(lo, e[Field::kValue]);
      hi = std::max<int>(hi, e[Field::kValue]);
    }
  }
  if (lo + shift < 0 || hi + shift > 127) shift = 0;
  for (auto& e : w.events) {
    switch (e.kind()) {
      case Kind::kNote:
        if (!drum[e[Field::kTrack]]) e[Field::kValue] = static_cast<uint16_t>(e[Field::kValue] + shift);
        e[Field::kValue2] = static_cast<uint16_t>(std::clamp<long>(std::lround(e[Field::kValue2] * vel), 1, 127));
        break;
      case Kind::kTempo:
        e[Field::kValue] = static_cast<uint16_t>(std::clamp(e[Field::kValue] + tempo, tokenizer::kTempoBase,
                                                            tokenizer::kTempoBase + tokenizer::kTempoBins - 1));
        break;
      case Kind::kKeySig: {
        int cls = e[Field::kValue] - tokenizer::kKeyBase;
        int sharps = cls / 2 - 7 + 7 * shift;                 // a semitone up = 7 more sharps
        sharps = ((sharps % 12) + 12 + 6) % 12 - 6;           // fewest accidentals: -6..5
        e[Field::kValue] = static_cast<uint16_t>(tokenizer::kKeyBase + tokenizer::key_to_class(sharps, cls % 2));
        break;
      }
      default: break;
    }
  }
}

std::pair<torch::Tensor, torch::Tensor> Batcher::sample(int batch, std::mt19937_64& rng, bool do_augment) {
  auto events = torch::zeros({batch, seq_len_, tokenizer::kNumFields}, torch::kInt64);  // [B, T, 6]
  auto pos = torch::zeros({batch, seq_len_, 2}, torch::kInt64);                          // [B, T, 2]
  auto ea = events.accessor<int64_t, 3>();
  auto pa = pos.accessor<int64_t, 3>();
  const int64_t total = split_.docs.back();
  for (int b = 0; b < batch; ++b) {
    int64_t r = std::uniform_int_distribution<int64_t>(0, total - 1)(rng);
    size_t doc = std::upper_bound(split_.docs.begin(), split_.docs.end(), r) - split_.docs.begin() - 1;
    int64_t len = split_.docs[doc + 1] - split_.docs[doc];
    int64_t span = std::max<int64_t>(1, len - seq_len_ + 24);
    size_t begin = size_t(std::uniform_int_distribution<int64_t>(0, span - 1)(rng));
    auto w = window(doc, begin);
    if (do_augment) augment(w, rng);
    for (size_t t = 0; t < w.events.size() && t < size_t(seq_len_); ++t) {
      for (int f = 0; f < tokenizer::kNumFields; ++f) ea[b][t][f] = w.events[t].f[f];
      pa[b][t][0] = w.pos[t].beat_pos;
      pa[b][t][1] = w.pos[t].bar_pos;
    }
  }
  return {events, pos};
}

}  // namespace continuo::train
