// Training windows: crop, augment (transpose, tempo, velocity), pad.
#include "train/batcher.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "model/transformer.hpp"

#include "continuo/error.hpp"

namespace continuo::train {
using tokenizer::Field;
using tokenizer::Kind;

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

Batcher::Batcher(const Split& split, int seq_len, Augment augment, bool copy, bool future)
    : split_(split), seq_len_(seq_len), aug_(augment), copy_(copy), future_(future) {
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

Augmenter::Augmenter(const Augment& aug, std::mt19937_64& rng) {
  shift_ = aug.transpose > 0 ? std::uniform_int_distribution<int>(-aug.transpose, aug.transpose)(rng) : 0;
  tempo_ = aug.tempo_bins > 0 ? std::uniform_int_distribution<int>(-aug.tempo_bins, aug.tempo_bins)(rng) : 0;
  vel_ = aug.velocity > 0 ? std::uniform_real_distribution<double>(1 - aug.velocity, 1 + aug.velocity)(rng) : 1;
}

void Augmenter::fit(const tokenizer::Window& w) {
  int lo = 127, hi = 0;
  for (const auto& e : w.events) {
    if (e.kind() == Kind::kTrack) drum_[e[Field::kTrack]] = e[Field::kValue] >= tokenizer::kDrumKitBase;
    if (e.kind() == Kind::kNote && !drum_[e[Field::kTrack]]) {
      lo = std::min<int>(lo, e[Field::kValue]);
      hi = std::max<int>(hi, e[Field::kValue]);
    }
  }
  if (lo + shift_ < 0 || hi + shift_ > 127) shift_ = 0;
}

void Augmenter::apply(tokenizer::Event& e) const {
  switch (e.kind()) {
    case Kind::kNote:
      if (!drum_[e[Field::kTrack] % tokenizer::kMaxTracks])
        e[Field::kValue] = static_cast<uint16_t>(std::clamp(e[Field::kValue] + shift_, 0, 127));
      e[Field::kValue2] = static_cast<uint16_t>(std::clamp<long>(std::lround(e[Field::kValue2] * vel_), 1, 127));
      break;
    case Kind::kTempo:
      e[Field::kValue] = static_cast<uint16_t>(std::clamp(e[Field::kValue] + tempo_, tokenizer::kTempoBase,
                                                          tokenizer::kTempoBase + tokenizer::kTempoBins - 1));
      break;
    case Kind::kKeySig: {
      int cls = e[Field::kValue] - tokenizer::kKeyBase;
      int sharps = cls / 2 - 7 + 7 * shift_;                // a semitone up = 7 more sharps
      sharps = ((sharps % 12) + 12 + 6) % 12 - 6;           // fewest accidentals: -6..5
      e[Field::kValue] = static_cast<uint16_t>(tokenizer::kKeyBase + tokenizer::key_to_class(sharps, cls % 2));
      break;
    }
    default: break;
  }
}

torch::Tensor window_copy_proposals(const std::vector<tokenizer::Event>& ev, size_t begin, size_t end,
                                    size_t window_header, int64_t T) {
  constexpr int64_t K = tokenizer::kCopySources, C = model::kCopyColumns;
  auto out = torch::zeros({T, K, C}, torch::kInt64);
  int64_t* o = out.data_ptr<int64_t>();
  tokenizer::CopyTracker tr;
  end = std::min(end, ev.size());
  for (size_t i = 0; i < end; ++i) {
    const auto& p = tr.next(ev[i]);
    if (i < begin) continue;
    const int64_t j = int64_t(window_header + (i - begin));   // window position of doc event i
    if (j >= T) break;
    model::write_copy_proposals(p, o + j * K * C);
  }
  return out;
}

Batch Batcher::sample(int batch, std::mt19937_64& rng, bool do_augment) {
  return sample(batch, rng, do_augment, BatchShare{0, batch});
}

// One window of a batch as drawn: where it is cut, and its augmentation.
struct Batcher::Draw {
  size_t doc = 0, begin = 0;
  std::optional<Augmenter> aug;
  uint64_t future_seed = 0;   // the known future's draws (future batchers only)
};

Batch Batcher::sample(int batch, std::mt19937_64& rng, bool do_augment, BatchShare share) {
  // First every draw of the batch, in order (the generator's sequence must not depend on the
  // share or on threads), keeping this share's; then the windows, in parallel.
  std::vector<Draw> draws;
  const int64_t total = split_.docs.back();
  for (int drawn = 0; drawn < batch; ++drawn) {
    Draw d;
    int64_t r = std::uniform_int_distribution<int64_t>(0, total - 1)(rng);
    d.doc = std::upper_bound(split_.docs.begin(), split_.docs.end(), r) - split_.docs.begin() - 1;
    int64_t len = split_.docs[d.doc + 1] - split_.docs[d.doc];
    int64_t span = std::max<int64_t>(1, len - seq_len_ + 24);
    d.begin = size_t(std::uniform_int_distribution<int64_t>(0, span - 1)(rng));
    if (do_augment) d.aug.emplace(aug_, rng);
    // a function of the window alone: the same windows are cut with and without known futures
    if (future_) d.future_seed = splitmix64((uint64_t(d.doc) << 32) ^ uint64_t(d.begin) ^ 0x5eedf0f0ull);
    if (drawn >= share.first && drawn < share.first + share.count) draws.push_back(std::move(d));
  }
  const int64_t rows = int64_t(draws.size());
  Batch out;
  out.events = torch::zeros({rows, seq_len_, tokenizer::kNumFields}, torch::kInt64);  // [B, T, 6]
  out.pos = torch::zeros({rows, seq_len_, 2}, torch::kInt64);                          // [B, T, 2]
  if (copy_) out.copy = torch::zeros({rows, seq_len_, tokenizer::kCopySources, model::kCopyColumns}, torch::kInt64);
  if (future_) {
    out.future = torch::zeros({rows, seq_len_, tokenizer::kFutureContextSize}, torch::kFloat32);
    out.ignore = torch::zeros({rows, seq_len_}, torch::kBool);
  }
  // the copy proposals read each piece from its start: most of the work, worth the threads
  at::parallel_for(0, rows, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) build_row(draws[size_t(b)], b, out);
  });
  return out;
}

void Batcher::build_row(Draw& d, int64_t b, Batch& out) const {
  auto ea = out.events.accessor<int64_t, 3>();
  auto pa = out.pos.accessor<int64_t, 3>();
  auto w = window(d.doc, d.begin);
  if (d.aug) {
    d.aug->fit(w);
    for (auto& e : w.events) d.aug->apply(e);
  }
  for (size_t t = 0; t < w.events.size() && t < size_t(seq_len_); ++t) {
    for (int f = 0; f < tokenizer::kNumFields; ++f) ea[b][t][f] = w.events[t].f[f];
    pa[b][t][0] = w.pos[t].beat_pos;
    pa[b][t][1] = w.pos[t].bar_pos;
  }
  if (future_) build_future(d, w, b, out);
  if (!copy_) return;
  const auto ev = split_.events(d.doc);
  const size_t h = tokenizer::Tokenizer::header_length(ev);
  const size_t first = std::max(d.begin, h);
  const size_t wh = tokenizer::Tokenizer::header_length(w.events);
  auto c = window_copy_proposals(ev, first, first + (w.events.size() - wh), wh, seq_len_);   // [T, K, 8]
  if (d.aug) {
    int64_t* p = c.data_ptr<int64_t>();
    for (int64_t i = 0; i < seq_len_ * tokenizer::kCopySources; ++i) {
      int64_t* q = p + i * model::kCopyColumns;
      if (q[0] == 0) continue;
      tokenizer::Event e;
      for (int f = 0; f < tokenizer::kNumFields; ++f) e.f[size_t(f)] = uint16_t(q[f]);
      d.aug->apply(e);
      for (int f = 0; f < tokenizer::kNumFields; ++f) q[f] = e.f[size_t(f)];
    }
  }
  out.copy[b].copy_(c);
}

void Batcher::build_future(const Draw& d, const tokenizer::Window& w, int64_t b, Batch& out) const {
  std::mt19937_64 r(d.future_seed);
  std::uniform_real_distribution<double> u(0, 1);
  const double pick = u(r);
  int mode = 0;
  for (double acc = 0; mode < 3 && pick >= (acc += kFutureModes[size_t(mode)]);) ++mode;
  if (mode == 0) return;
  const auto ev = split_.events(d.doc);
  const auto pos = split_.positions(d.doc);
  const size_t h = tokenizer::Tokenizer::header_length(ev);
  const size_t first = std::max(d.begin, h);
  const size_t wh = tokenizer::Tokenizer::header_length(w.events);
  const size_t body = std::min(w.events.size(), size_t(seq_len_)) > wh ? std::min(w.events.size(), size_t(seq_len_)) - wh : 0;
  if (body < 8) return;
  // every doc event's time, and which tracks are drums (the augmenter transposes the rest)
  std::vector<int64_t> at(ev.size());
  std::vector<uint8_t> drum_at(ev.size(), 0);
  tokenizer::PositionTracker tr;
  std::array<bool, tokenizer::kMaxTracks> drum{};
  for (size_t i = 0; i < ev.size(); ++i) {
    tr.next(ev[i]);
    at[i] = tr.now();
    if (ev[i].kind() == Kind::kTrack) drum[ev[i][Field::kTrack] % tokenizer::kMaxTracks] = ev[i][Field::kValue] >= tokenizer::kDrumKitBase;
    drum_at[i] = drum[ev[i][Field::kTrack] % tokenizer::kMaxTracks];
  }
  const size_t last = first + body;   // doc events [first, last) are the window's body
  const int64_t beat = tokenizer::kStepsPerBeat, reach = int64_t(tokenizer::kFutureWindowBeats + 1) * beat;
  auto known_note = [&](size_t i) {
    tokenizer::Event e = ev[i];
    if (d.aug) d.aug->apply(e);
    return tokenizer::KnownNote{at[i], uint8_t(e[Field::kValue] & 127), drum_at[i] != 0};
  };
  // the tracks with notes in the window
  std::array<bool, tokenizer::kMaxTracks> playing{};
  int n_playing = 0;
  for (size_t i = first; i < last; ++i)
    if (ev[i].kind() == Kind::kNote && !playing[ev[i][Field::kTrack] % tokenizer::kMaxTracks]) {
      playing[ev[i][Field::kTrack] % tokenizer::kMaxTracks] = true;
      ++n_playing;
    }
  if (n_playing < 2 && mode >= 2) mode = 1;
  // G: the first downbeat at or after a random body event
  int64_t g = std::numeric_limits<int64_t>::max();
  if (mode != 2) {
    size_t k = first + size_t(std::uniform_int_distribution<size_t>(body * 15 / 100, body * 95 / 100)(r));
    size_t j = k;
    while (j < last && !(pos[j].bar_pos == 0 && pos[j].beat_pos == 0 && at[j] > at[first])) ++j;
    g = at[j < last ? j : k];
  }
  std::array<bool, tokenizer::kMaxTracks> kept{};
  if (mode >= 2) {
    std::vector<int> tracks;
    for (int t = 0; t < tokenizer::kMaxTracks; ++t)
      if (playing[size_t(t)]) tracks.push_back(t);
    int n_kept = 0;
    for (int t : tracks) n_kept += (kept[size_t(t)] = u(r) < 0.5);
    if (n_kept == 0 || n_kept == int(tracks.size())) {   // none or all: flip one
      const int t = tracks[size_t(std::uniform_int_distribution<size_t>(0, tracks.size() - 1)(r))];
      kept[size_t(t)] = !kept[size_t(t)];
    }
  }
  std::vector<tokenizer::KnownNote> known;
  const int64_t until = (mode == 2 ? at[last - 1] : std::min(g, at[last - 1])) + reach;
  for (size_t i = first; i < ev.size() && at[i] < until; ++i) {
    if (ev[i].kind() != Kind::kNote) continue;
    const bool after = mode != 2 && at[i] >= g;
    const bool track = mode >= 2 && kept[ev[i][Field::kTrack] % tokenizer::kMaxTracks];
    if (after || track) known.push_back(known_note(i));
  }
  std::stable_sort(known.begin(), known.end());
  auto fa = out.future.accessor<float, 3>();
  auto ia = out.ignore.accessor<bool, 2>();
  for (size_t j = 0; j < wh + body; ++j) {
    const int64_t t = j < wh ? at[first] : at[first + (j - wh)];
    if (mode != 2 && t >= g) break;
    // a known part's own notes and controls are given, not predicted: trained on them, the
    // model learned to double the part it was told of (accompany wrote over the melody)
    if (mode >= 2 && j >= wh) {
      const auto& e = ev[first + (j - wh)];
      if ((e.kind() == Kind::kNote || e.kind() == Kind::kControl) && kept[e[Field::kTrack] % tokenizer::kMaxTracks]) ia[b][int64_t(j)] = true;
    }
    const tokenizer::FutureContext f = tokenizer::future_context(known, t);
    for (int k = 0; k < tokenizer::kFutureContextSize; ++k) fa[b][int64_t(j)][k] = f[size_t(k)];
  }
}

}  // namespace continuo::train
