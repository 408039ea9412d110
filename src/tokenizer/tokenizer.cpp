// Score <-> events: canonical form, encoding and decoding (see docs/TOKENS.md).
#include "continuo/tokenizer.hpp"
#include "continuo/limits.hpp"
#include "score/internal.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

namespace continuo::tokenizer {
namespace {

using score::Score;


int64_t to_step(int64_t tick, int tpb) {
  // round half up, also for the (invalid) negative ticks
  return tick >= 0 ? (tick * kStepsPerBeat + tpb / 2) / tpb : -((-tick * kStepsPerBeat + tpb / 2) / tpb);
}

uint32_t us_from_tempo_bin(int bin) {
  return static_cast<uint32_t>(std::lround(60'000'000.0 / tempo_from_bin(bin)));
}

int instrument_value(const score::Track& t) {
  return t.is_drum ? kDrumKitBase + (t.program & 127) : kProgramBase + (t.program & 127);
}

std::string track_name(bool drum, int program) {
  return drum ? std::string("Drums") : std::string(score::gm_program_name(program));
}

// Channels for decoded tracks: drums on 9, pitched tracks on the others in order.
uint8_t channel_for(int pitched_index) {
  int c = pitched_index % 15;
  return static_cast<uint8_t>(c >= 9 ? c + 1 : c);
}

}  // namespace

std::vector<std::vector<int>> Tokenizer::track_groups(const Score& in) {
  // non-empty tracks; too many -> merge those sharing an instrument, then keep the biggest
  std::vector<std::vector<int>> groups;
  for (size_t i = 0; i < in.tracks.size(); ++i)
    if (!in.tracks[i].notes.empty()) groups.push_back({int(i)});
  if (groups.size() > size_t(kMaxTracks)) {
    std::vector<std::vector<int>> merged;
    std::map<int, size_t> by_instrument;
    for (auto& g : groups) {
      int key = instrument_value(in.tracks[g[0]]);
      auto it = by_instrument.find(key);
      if (it == by_instrument.end()) {
        by_instrument[key] = merged.size();
        merged.push_back(g);
      } else {
        merged[it->second].push_back(g[0]);
      }
    }
    groups = std::move(merged);
  }
  if (groups.size() > size_t(kMaxTracks)) {
    auto count = [&](const std::vector<int>& g) {
      size_t n = 0;
      for (int i : g) n += in.tracks[i].notes.size();
      return n;
    };
    std::vector<size_t> order(groups.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return count(groups[a]) > count(groups[b]); });
    order.resize(kMaxTracks);
    std::sort(order.begin(), order.end());
    std::vector<std::vector<int>> kept;
    for (size_t g : order) kept.push_back(std::move(groups[g]));
    groups = std::move(kept);
  }
  return groups;
}

namespace {
// Shortens every silence longer than limits::kMaxSilenceSteps by whole bars (limits.hpp). The
// score is canonical: times in grid steps, time signatures sorted with one at 0.
void shorten_silences(Score& s, SilenceCuts* out) {
  struct Span { int64_t a, b; };
  std::vector<Span> spans;
  for (const auto& t : s.tracks) {
    for (const auto& n : t.notes) spans.push_back({n.start.count(), n.start.count() + n.duration.count()});
    for (const auto& c : t.controls) spans.push_back({c.time.count(), c.time.count() + 1});
  }
  for (const auto& x : s.tempos) spans.push_back({x.time.count(), x.time.count() + 1});
  for (const auto& x : s.time_signatures) spans.push_back({x.time.count(), x.time.count() + 1});
  for (const auto& x : s.key_signatures) spans.push_back({x.time.count(), x.time.count() + 1});
  std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) { return x.a < y.a; });
  auto bar_at = [&](int64_t t) {
    int64_t bar = 4 * kStepsPerBeat;
    for (const auto& x : s.time_signatures) {
      if (x.time.count() > t) break;
      bar = std::max<int64_t>(1, int64_t(x.numerator) * 4 * kStepsPerBeat / std::max(1, int(x.denominator)));
    }
    return bar;
  };
  std::vector<std::pair<int64_t, int64_t>> cuts;   // (first time after a shortened silence, total shift from there)
  int64_t covered = 0, shift = 0;
  for (const Span& sp : spans) {
    if (sp.a - covered > limits::kMaxSilenceSteps) {
      const int64_t bar = bar_at(covered);
      const int64_t cut = (sp.a - covered - limits::kMaxSilenceSteps) / bar * bar;
      if (cut > 0) cuts.push_back({sp.a, shift += cut});
    }
    covered = std::max(covered, sp.b);
  }
  if (out)
    for (const auto& [first, sh] : cuts) out->at_shift.push_back({first - sh, sh});
  if (cuts.empty()) return;
  auto moved = [&](Ticks t) {
    auto it = std::upper_bound(cuts.begin(), cuts.end(), t.count(), [](int64_t v, const auto& c) { return v < c.first; });
    return it == cuts.begin() ? t : Ticks{t.count() - std::prev(it)->second};
  };
  for (auto& t : s.tracks) {
    for (auto& n : t.notes) n.start = moved(n.start);
    for (auto& c : t.controls) c.time = moved(c.time);
  }
  for (auto& x : s.tempos) x.time = moved(x.time);
  for (auto& x : s.time_signatures) x.time = moved(x.time);
  for (auto& x : s.key_signatures) x.time = moved(x.time);
}
}  // namespace

int64_t SilenceCuts::to_original(int64_t step) const {
  auto it = std::upper_bound(at_shift.begin(), at_shift.end(), step, [](int64_t v, const auto& c) { return v < c.first; });
  return it == at_shift.begin() ? step : step + std::prev(it)->second;
}

Score Tokenizer::canonical(const Score& in, SilenceCuts* cuts) const {
  const int tpb = in.ticks_per_beat > 0 ? in.ticks_per_beat : 480;
  Score out;
  out.ticks_per_beat = kStepsPerBeat;

  std::vector<std::vector<const score::Track*>> groups;
  for (const auto& g : track_groups(in)) {
    groups.emplace_back();
    for (int i : g) groups.back().push_back(&in.tracks[i]);
  }

  int pitched = 0;
  for (auto& g : groups) {
    const score::Track& first = *g.front();
    score::Track t;
    t.is_drum = first.is_drum;
    t.program = first.program & 127;
    t.name = track_name(t.is_drum, t.program);
    t.channel = t.is_drum ? 9 : channel_for(pitched++);
    for (auto* s : g) {
      for (const auto& n : s->notes) {
        int64_t a = to_step(n.start.count(), tpb), b = to_step((n.start + n.duration).count(), tpb);
        if (a < 0) continue;
        int64_t d = std::clamp<int64_t>(b - a, 1, kMaxDuration);
        uint8_t v = std::clamp<uint8_t>(n.velocity, 1, 127);
        t.notes.push_back({Ticks{a}, Ticks{d}, n.pitch, v});
      }
      if (options_.controls) {
        for (const auto& c : s->controls) {
          if (std::find(kControllers.begin(), kControllers.end(), c.controller) == kControllers.end()) continue;
          int64_t a = to_step(c.time.count(), tpb);
          if (a < 0) continue;
          t.controls.push_back({Ticks{a}, c.controller, static_cast<uint8_t>(c.value & 127)});
        }
      }
    }
    score::detail::settle_notes(t.notes);
    // controls: one value per (time, controller): the last one given
    std::stable_sort(t.controls.begin(), t.controls.end(), [](const auto& x, const auto& y) {
      return std::pair(x.time, x.controller) < std::pair(y.time, y.controller);
    });
    std::vector<score::ControlChange> cc;
    for (const auto& c : t.controls) {
      if (!cc.empty() && cc.back().time == c.time && cc.back().controller == c.controller) cc.back() = c;
      else cc.push_back(c);
    }
    t.controls = std::move(cc);
    out.tracks.push_back(std::move(t));
  }

  // ---- tempo map: bins, one per step (last wins), no repeats; always one at 0.
  std::vector<std::pair<int64_t, int>> tempos;  // (step, bin)
  for (const auto& tc : in.tempos) {
    int64_t a = std::max<int64_t>(0, to_step(tc.time.count(), tpb));
    int bin = tempo_to_bin(tc.bpm());
    if (!tempos.empty() && tempos.back().first == a) tempos.back().second = bin;
    else tempos.push_back({a, bin});
  }
  if (tempos.empty() || tempos.front().first != 0) tempos.insert(tempos.begin(), {0, tempo_to_bin(120)});
  for (auto& [a, bin] : tempos) {
    if (!out.tempos.empty() && us_from_tempo_bin(bin) == out.tempos.back().us_per_beat) continue;
    out.tempos.push_back({Ticks{a}, us_from_tempo_bin(bin)});
  }

  // ---- time signatures: representable ones, always one at 0 (4/4 if none).
  std::vector<score::TimeSignature> ts;
  for (const auto& x : in.time_signatures) {
    if (timesig_to_class(x.numerator, x.denominator) < 0) continue;
    int64_t a = std::max<int64_t>(0, to_step(x.time.count(), tpb));
    if (!ts.empty() && ts.back().time.count() == a) ts.back() = {Ticks{a}, x.numerator, x.denominator};
    else ts.push_back({Ticks{a}, x.numerator, x.denominator});
  }
  if (ts.empty() || ts.front().time.count() != 0) ts.insert(ts.begin(), {Ticks{0}, 4, 4});
  for (const auto& x : ts) {
    if (!out.time_signatures.empty() && out.time_signatures.back().numerator == x.numerator &&
        out.time_signatures.back().denominator == x.denominator)
      continue;
    out.time_signatures.push_back(x);
  }

  // ---- key signatures: optional, one per step, no repeats.
  for (const auto& k : in.key_signatures) {
    int64_t a = std::max<int64_t>(0, to_step(k.time.count(), tpb));
    score::KeySignature ks{Ticks{a}, static_cast<int8_t>(std::clamp<int>(k.sharps, -7, 7)), k.minor};
    if (!out.key_signatures.empty() && out.key_signatures.back().time.count() == a) out.key_signatures.back() = ks;
    else out.key_signatures.push_back(ks);
  }
  std::vector<score::KeySignature> ks;
  for (const auto& k : out.key_signatures)
    if (ks.empty() || ks.back().sharps != k.sharps || ks.back().minor != k.minor) ks.push_back(k);
  out.key_signatures = std::move(ks);
  if (cuts) *cuts = {};
  shorten_silences(out, cuts);
  return out;
}

std::vector<Event> Tokenizer::encode(const Score& in, SilenceCuts* cuts) const {
  const Score s = canonical(in, cuts);
  std::vector<Event> out;
  auto make = [](Kind k, int dt, int track, int value, int value2, int dur) {
    Event e;
    e.f = {static_cast<uint16_t>(k), uint16_t(dt), uint16_t(track), uint16_t(value), uint16_t(value2), uint16_t(dur)};
    return e;
  };
  out.push_back(make(Kind::kBos, 0, 0, 0, 0, 0));

  auto ts_value = [](const score::TimeSignature& x) { return kTimeSigBase + timesig_to_class(x.numerator, x.denominator); };
  auto key_value = [](const score::KeySignature& k) { return kKeyBase + key_to_class(k.sharps, k.minor); };
  auto tempo_value = [](const score::TempoChange& t) { return kTempoBase + tempo_to_bin(t.bpm()); };

  // Header: time signature, key (if one at 0), tempo, tracks.
  out.push_back(make(Kind::kTimeSig, 0, 0, ts_value(s.time_signatures.front()), 0, 0));
  size_t key_i = 0;
  if (!s.key_signatures.empty() && s.key_signatures.front().time.count() == 0)
    out.push_back(make(Kind::kKeySig, 0, 0, key_value(s.key_signatures[key_i++]), 0, 0));
  out.push_back(make(Kind::kTempo, 0, 0, tempo_value(s.tempos.front()), 0, 0));
  for (size_t i = 0; i < s.tracks.size(); ++i)
    out.push_back(make(Kind::kTrack, 0, int(i), instrument_value(s.tracks[i]), 0, 0));

  // Body: every remaining item with its step; sorted by (step, order, track, value).
  struct Item {
    int64_t step;
    int order;
    Event e;
  };
  std::vector<Item> items;
  for (size_t i = 1; i < s.time_signatures.size(); ++i)
    items.push_back({s.time_signatures[i].time.count(), 0, make(Kind::kTimeSig, 0, 0, ts_value(s.time_signatures[i]), 0, 0)});
  for (size_t i = key_i; i < s.key_signatures.size(); ++i)
    items.push_back({s.key_signatures[i].time.count(), 1, make(Kind::kKeySig, 0, 0, key_value(s.key_signatures[i]), 0, 0)});
  for (size_t i = 1; i < s.tempos.size(); ++i)
    items.push_back({s.tempos[i].time.count(), 2, make(Kind::kTempo, 0, 0, tempo_value(s.tempos[i]), 0, 0)});
  for (size_t ti = 0; ti < s.tracks.size(); ++ti) {
    const auto& t = s.tracks[ti];
    for (const auto& c : t.controls) {
      int idx = int(std::find(kControllers.begin(), kControllers.end(), c.controller) - kControllers.begin());
      items.push_back({c.time.count(), 3, make(Kind::kControl, 0, int(ti), kControlBase + idx, c.value, 0)});
    }
    for (const auto& n : t.notes)
      items.push_back({n.start.count(), 4,
                       make(Kind::kNote, 0, int(ti), kPitchBase + n.pitch, n.velocity, int(n.duration.count() - 1))});
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.step != b.step) return a.step < b.step;
    if (a.order != b.order) return a.order < b.order;
    if (a.e.f[2] != b.e.f[2]) return a.e.f[2] < b.e.f[2];
    return a.e.f[3] < b.e.f[3];
  });
  int64_t now = 0;
  for (auto& it : items) {
    int64_t gap = it.step - now;
    while (gap >= kMaxDt) {
      int64_t w = std::min<int64_t>(gap, kMaxDt - 1);
      out.push_back(make(Kind::kWait, int(w), 0, 0, 0, 0));
      gap -= w;
    }
    it.e[Field::kDt] = static_cast<uint16_t>(gap);
    out.push_back(it.e);
    now = it.step;
  }
  out.push_back(make(Kind::kEos, 0, 0, 0, 0, 0));
  return out;
}

Score Tokenizer::decode(const std::vector<Event>& events) const {
  Score s;
  s.ticks_per_beat = kStepsPerBeat;
  Grammar g(options_);
  int64_t now = 0;
  int pitched = 0;
  for (const Event& e : events) {
    // validate every used field against the grammar; skip what does not fit
    bool ok = true;
    Event partial;
    for (int f = 0; f < kNumFields && ok; ++f) {
      auto mask = g.allowed(static_cast<Field>(f), partial);
      if (e.f[f] >= mask.size() || !mask[e.f[f]]) ok = false;
      partial.f[f] = e.f[f];
    }
    if (!ok) continue;
    g.feed(e);
    Kind k = e.kind();
    if (k == Kind::kEos) break;
    now += e[Field::kDt];
    const int v = e[Field::kValue];
    switch (k) {
      case Kind::kTrack: {
        score::Track t;
        t.is_drum = v >= kDrumKitBase;
        t.program = static_cast<uint8_t>(t.is_drum ? v - kDrumKitBase : v - kProgramBase);
        t.name = track_name(t.is_drum, t.program);
        t.channel = t.is_drum ? 9 : channel_for(pitched++);
        s.tracks.push_back(std::move(t));
        break;
      }
      case Kind::kNote:
        s.tracks[e[Field::kTrack]].notes.push_back(
            {Ticks{now}, Ticks{e[Field::kDuration] + 1}, static_cast<uint8_t>(v - kPitchBase),
             static_cast<uint8_t>(e[Field::kValue2])});
        break;
      case Kind::kControl:
        s.tracks[e[Field::kTrack]].controls.push_back(
            {Ticks{now}, kControllers[v - kControlBase], static_cast<uint8_t>(e[Field::kValue2])});
        break;
      case Kind::kTempo: {
        uint32_t us = us_from_tempo_bin(v - kTempoBase);
        if (!s.tempos.empty() && s.tempos.back().time.count() == now) s.tempos.back().us_per_beat = us;
        else if (s.tempos.empty() || s.tempos.back().us_per_beat != us) s.tempos.push_back({Ticks{now}, us});
        break;
      }
      case Kind::kTimeSig: {
        auto [num, den] = timesig_from_class(v - kTimeSigBase);
        score::TimeSignature x{Ticks{now}, uint8_t(num), uint8_t(den)};
        if (!s.time_signatures.empty() && s.time_signatures.back().time.count() == now) s.time_signatures.back() = x;
        else if (s.time_signatures.empty() || s.time_signatures.back().numerator != num ||
                 s.time_signatures.back().denominator != den)
          s.time_signatures.push_back(x);
        break;
      }
      case Kind::kKeySig: {
        int cls = v - kKeyBase;
        score::KeySignature x{Ticks{now}, static_cast<int8_t>(cls / 2 - 7), (cls % 2) == 1};
        if (!s.key_signatures.empty() && s.key_signatures.back().time.count() == now) s.key_signatures.back() = x;
        else if (s.key_signatures.empty() || s.key_signatures.back().sharps != x.sharps ||
                 s.key_signatures.back().minor != x.minor)
          s.key_signatures.push_back(x);
        break;
      }
      default: break;
    }
  }
  if (s.tempos.empty() || s.tempos.front().time.count() != 0)
    s.tempos.insert(s.tempos.begin(), {Ticks{0}, us_from_tempo_bin(tempo_to_bin(120))});
  if (s.time_signatures.empty() || s.time_signatures.front().time.count() != 0)
    s.time_signatures.insert(s.time_signatures.begin(), {Ticks{0}, 4, 4});
  // drop tracks that never got a note (the canonical form has none), keep order
  std::vector<score::Track> kept;
  for (auto& t : s.tracks) {
    if (t.notes.empty()) continue;
    score::detail::settle_notes(t.notes);
    kept.push_back(std::move(t));
  }
  s.tracks = std::move(kept);
  return s;
}

size_t Tokenizer::header_length(const std::vector<Event>& events) {
  size_t i = 0;
  if (i < events.size() && events[i].kind() == Kind::kBos) ++i;
  while (i < events.size()) {
    Kind k = events[i].kind();
    bool header = k == Kind::kTrack ||
                  ((k == Kind::kTimeSig || k == Kind::kKeySig || k == Kind::kTempo) && events[i][Field::kDt] == 0);
    if (!header) break;
    ++i;
  }
  return i;
}

Position PositionTracker::next(const Event& e) {
  now_ += e[Field::kDt];
  if (e.kind() == Kind::kTimeSig) {
    auto [num, den] = timesig_from_class(e[Field::kValue] - kTimeSigBase);
    anchor_ = now_;
    bar_len_ = std::max<int64_t>(1, int64_t(num) * 4 * kStepsPerBeat / den);
  }
  int64_t in_bar = (now_ - anchor_) % bar_len_;
  Position p;
  p.beat_pos = static_cast<uint16_t>(now_ % kStepsPerBeat);
  p.bar_pos = static_cast<uint16_t>(std::min<int64_t>(in_bar / kStepsPerBeat, kBarPosSize - 1));
  return p;
}

PitchContext PitchContextTracker::next(const Event& e) {
  switch (e.kind()) {
    case Kind::kBos: *this = PitchContextTracker(); break;
    case Kind::kTrack: drum_[e[Field::kTrack] % kMaxTracks] = e[Field::kValue] >= kDrumKitBase; break;
    case Kind::kNote:
      if (!drum_[e[Field::kTrack] % kMaxTracks]) {
        const int pc = e[Field::kValue] % 12;
        for (int i = 0; i < 12; ++i) {
          h_[size_t(i)] *= kPitchDecayShort;
          h_[size_t(12 + i)] *= kPitchDecayLong;
        }
        h_[size_t(pc)] += 1;
        h_[size_t(12 + pc)] += 1;
        ++notes_;
      }
      break;
    default: break;
  }
  return current();
}

std::array<float, 12> key_prior_bias(const PitchContext& ctx, const float* A) {
  std::array<float, 12> b{};
  for (int half = 0; half < 2; ++half) {
    float lg[12];
    for (int c = 0; c < 12; ++c) lg[c] = std::log(ctx[size_t(half * 12 + c)] + kKeyPriorEps);
    for (int q = 0; q < 12; ++q)
      for (int c = 0; c < 12; ++c) b[size_t(q)] += A[half * 12 + (q - c + 12) % 12] * lg[c];
  }
  float mean = 0;
  for (float x : b) mean += x;
  mean /= 12;
  for (float& x : b) x -= mean;
  return b;
}

void PitchContextTracker::seed_key(int key_class) {
  for (double x : h_)
    if (x > 0) return;
  const int sharps = std::clamp(key_class, 0, kKeyCount - 1) / 2 - 7;
  const bool minor = key_class % 2 == 1;
  const int tonic = ((7 * sharps) % 12 + 12) % 12;   // of the major key with these sharps
  for (int step : {0, 2, 4, 5, 7, 9, 11}) {
    h_[size_t((tonic + step) % 12)] = 1;
    h_[size_t(12 + (tonic + step) % 12)] = 1;
  }
  if (minor) {   // the relative minor's leading tone (G# in A minor)
    h_[size_t((tonic + 8) % 12)] = 1;
    h_[size_t(12 + (tonic + 8) % 12)] = 1;
  }
}

PitchContext PitchContextTracker::current() const {
  PitchContext out{};
  for (int half = 0; half < 2; ++half) {
    double s = 0;
    for (int i = 0; i < 12; ++i) s += h_[size_t(half * 12 + i)];
    if (s > 0)
      for (int i = 0; i < 12; ++i) out[size_t(half * 12 + i)] = float(h_[size_t(half * 12 + i)] / s);
  }
  return out;
}

std::vector<Position> Tokenizer::positions(const std::vector<Event>& events) {
  std::vector<Position> out(events.size());
  PositionTracker t;
  for (size_t i = 0; i < events.size(); ++i) out[i] = t.next(events[i]);
  return out;
}

Window Tokenizer::crop(const std::vector<Event>& seq, const std::vector<Position>& pos, size_t begin, size_t end) {
  Window w;
  const size_t h = header_length(seq);
  begin = std::max(begin, h);
  end = std::min(end, seq.size());
  // the latest signature / tempo events before `begin` replace the header's
  const Event* latest[3] = {nullptr, nullptr, nullptr};  // timesig, key, tempo
  for (size_t i = h; i < begin; ++i) {
    Kind k = seq[i].kind();
    if (k == Kind::kTimeSig) latest[0] = &seq[i];
    else if (k == Kind::kKeySig) latest[1] = &seq[i];
    else if (k == Kind::kTempo) latest[2] = &seq[i];
  }
  bool have_key = false;
  for (size_t i = 0; i < h; ++i) {
    Event e = seq[i];
    Kind k = e.kind();
    if (k == Kind::kTimeSig && latest[0]) e[Field::kValue] = (*latest[0])[Field::kValue];
    if (k == Kind::kKeySig) {
      have_key = true;
      if (latest[1]) e[Field::kValue] = (*latest[1])[Field::kValue];
    }
    if (k == Kind::kTempo && latest[2]) e[Field::kValue] = (*latest[2])[Field::kValue];
    if (k == Kind::kTempo && !have_key && latest[1]) {  // a key that started after time 0
      Event key = *latest[1];
      key[Field::kDt] = 0;
      w.events.push_back(key);
      have_key = true;
    }
    w.events.push_back(e);
  }
  // The first body event keeps its place in the bar: its dt becomes the distance from the bar
  // line (the header's time signature sits at time 0), so positions follow from the events alone.
  const size_t first_body = w.events.size();
  for (size_t i = begin; i < end; ++i) w.events.push_back(seq[i]);
  if (begin > h && first_body < w.events.size()) {
    PositionTracker t;
    int64_t anchor = 0, bar_len = 4 * kStepsPerBeat;
    for (size_t i = 0; i <= begin && i < seq.size(); ++i) {
      t.next(seq[i]);
      if (seq[i].kind() == Kind::kTimeSig) {
        auto [num, den] = timesig_from_class(seq[i][Field::kValue] - kTimeSigBase);
        anchor = t.now();
        bar_len = std::max<int64_t>(1, int64_t(num) * 4 * kStepsPerBeat / den);
      }
    }
    int64_t in_bar = (t.now() - anchor) % bar_len;
    w.events[first_body][Field::kDt] = static_cast<uint16_t>(std::min<int64_t>(in_bar, kMaxDt - 1));
  }
  w.pos = positions(w.events);
  (void)pos;
  return w;
}

std::string Tokenizer::describe(const Event& e) {
  static const char* names[] = {"PAD", "BOS", "EOS", "NOTE", "TRACK", "TEMPO", "TIMESIG", "KEYSIG", "CONTROL", "WAIT"};
  char buf[160];
  int k = std::min<int>(e.f[0], int(Kind::kCount) - 1);
  std::snprintf(buf, sizeof buf, "%s dt=%d track=%d value=%d value2=%d dur=%d", names[k], e.f[1], e.f[2], e.f[3],
                e.f[4], e.f[5]);
  return buf;
}

}  // namespace continuo::tokenizer
