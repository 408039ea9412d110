// `continuo eval --copy`: does a model use what the piece already did? The cost of an exact
// second pass, the continuation of a strict loop, and generation without a prompt (docs/EVAL.md).
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "continuo/eval.hpp"

namespace continuo::eval {
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;

namespace {

Event make(Kind k, int dt = 0, int track = 0, int value = 0, int value2 = 0, int dur = 0) {
  Event e;
  e[Field::kKind] = uint16_t(k);
  e[Field::kDt] = uint16_t(dt);
  e[Field::kTrack] = uint16_t(track);
  e[Field::kValue] = uint16_t(value);
  e[Field::kValue2] = uint16_t(value2);
  e[Field::kDuration] = uint16_t(dur);
  return e;
}

// Appends `e` to `out` at absolute time `at` (grid steps), `now` the time of the last event;
// long gaps become WAIT events as the tokenizer writes them.
void append_at(std::vector<Event>& out, int64_t& now, int64_t at, Event e) {
  int64_t gap = at - now;
  while (gap >= tokenizer::kMaxDt) {
    out.push_back(make(Kind::kWait, tokenizer::kMaxDt - 1));
    gap -= tokenizer::kMaxDt - 1;
  }
  e[Field::kDt] = uint16_t(gap);
  out.push_back(e);
  now = at;
}

int64_t bar_steps(const std::vector<Event>& header) {
  int64_t bar = 4 * tokenizer::kStepsPerBeat;
  for (const Event& e : header)
    if (e.kind() == Kind::kTimeSig) {
      auto [num, den] = tokenizer::timesig_from_class(e[Field::kValue] - tokenizer::kTimeSigBase);
      bar = std::max<int64_t>(1, int64_t(num) * 4 * tokenizer::kStepsPerBeat / std::max(1, den));
    }
  return bar;
}

double median_of(std::vector<double> v, double q = 0.5) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const size_t i = size_t(pos);
  return i + 1 < v.size() ? v[i] + (pos - double(i)) * (v[i + 1] - v[i]) : v[i];
}

using NoteKey = std::tuple<int64_t, int, int>;   // onset (steps), track, pitch

std::multiset<NoteKey> notes_in(const std::vector<Event>& seq, int64_t from, int64_t to) {
  std::multiset<NoteKey> out;
  int64_t now = 0;
  for (const Event& e : seq) {
    now += e[Field::kDt];
    if (e.kind() == Kind::kNote && now >= from && now < to) out.insert({now - from, e[Field::kTrack], e[Field::kValue]});
  }
  return out;
}

double f1(const std::multiset<NoteKey>& got, const std::multiset<NoteKey>& want) {
  if (got.empty() && want.empty()) return 1;
  size_t hit = 0;
  std::multiset<NoteKey> left = want;
  for (const auto& n : got)
    if (auto it = left.find(n); it != left.end()) {
      left.erase(it);
      ++hit;
    }
  const double p = got.empty() ? 0 : double(hit) / double(got.size());
  const double r = want.empty() ? 0 : double(hit) / double(want.size());
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

}  // namespace

std::vector<Event> strict_loop_events(int bars) {
  // 4/4, 100 BPM; track 0 electric bass, 1 piano, 2 drums
  std::vector<Event> ev{make(Kind::kBos), make(Kind::kTimeSig, 0, 0, tokenizer::kTimeSigBase + tokenizer::timesig_to_class(4, 4)),
                        make(Kind::kTempo, 0, 0, tokenizer::kTempoBase + tokenizer::tempo_to_bin(100)),
                        make(Kind::kTrack, 0, 0, tokenizer::kProgramBase + 33), make(Kind::kTrack, 0, 1, tokenizer::kProgramBase + 0),
                        make(Kind::kTrack, 0, 2, tokenizer::kDrumKitBase + 0)};
  struct N {
    int64_t t;
    int track, pitch, vel, dur;
  };
  std::vector<N> notes;
  const int q = tokenizer::kStepsPerBeat, bar = 4 * q;
  for (int b = 0; b < bars; ++b) {
    const int64_t t0 = int64_t(b) * bar;
    const bool c = (b % 4) < 2;   // bars 1-2 on C, 3-4 on G, then again
    const int root = c ? 36 : 43;
    for (int k = 0; k < 4; ++k) notes.push_back({t0 + k * q, 0, root, 96, q - 2});   // bass: C C G G by bar
    const int chord[3] = {c ? 60 : 55, c ? 64 : 59, c ? 67 : 62};
    for (int k : {0, 2})
      for (int p : chord) notes.push_back({t0 + k * q, 1, p, 72, 2 * q - 4});           // chords on beats 1 and 3
    for (int k = 0; k < 8; ++k) notes.push_back({t0 + k * q / 2, 2, 42, 64, 6});       // eighth hi-hats
    notes.push_back({t0, 2, 36, 110, 6});                                                // kick 1, 3
    notes.push_back({t0 + 2 * q, 2, 36, 110, 6});
    notes.push_back({t0 + q, 2, 38, 100, 6});                                            // snare 2, 4
    notes.push_back({t0 + 3 * q, 2, 38, 100, 6});
  }
  std::sort(notes.begin(), notes.end(), [](const N& a, const N& b) {
    return std::tie(a.t, a.track, a.pitch) < std::tie(b.t, b.track, b.pitch);
  });
  int64_t now = 0;
  for (const N& n : notes) append_at(ev, now, n.t, make(Kind::kNote, 0, n.track, n.pitch, n.vel, n.dur - 1));
  return ev;
}

RepeatedPiece repeated_piece(const std::vector<Event>& ev, int max_events) {
  RepeatedPiece out;
  const size_t h = tokenizer::Tokenizer::header_length(ev);
  std::vector<Event> header(ev.begin(), ev.begin() + h);
  const int64_t bar = bar_steps(header);
  // the first whole bars of the piece, up to max_events body events, no EOS
  std::vector<std::pair<int64_t, Event>> body;   // absolute time, event
  int64_t now = 0;
  for (size_t i = h; i < ev.size() && body.size() < size_t(max_events); ++i) {
    now += ev[i][Field::kDt];
    if (ev[i].kind() == Kind::kEos) break;
    body.push_back({now, ev[i]});
  }
  if (body.empty()) return out;
  const int64_t bars = std::max<int64_t>(1, (body.back().first + 1) / bar);   // whole bars covered
  const int64_t len = bars * bar;
  while (!body.empty() && body.back().first >= len) body.pop_back();
  out.events = header;
  int64_t at = 0;
  for (auto& [t, e] : body)
    if (e.kind() != Kind::kWait) append_at(out.events, at, t, e);
  out.second = out.events.size();
  for (auto& [t, e] : body)
    if (e.kind() != Kind::kWait) append_at(out.events, at, t + len, e);
  out.header = h;
  return out;
}

std::pair<double, double> repeat_bits(const engine::Model& m, const RepeatedPiece& rp) {
  const auto nll = engine::score_events(m, rp.events);
  double a = 0, b = 0;
  int n1 = 0, n2 = 0;
  for (size_t i = rp.header; i < rp.events.size(); ++i) {
    (i < rp.second ? a : b) += nll[i];
    if (rp.events[i].kind() == Kind::kNote) ++(i < rp.second ? n1 : n2);
  }
  return {a / std::log(2.0) / std::max(n1, 1), b / std::log(2.0) / std::max(n2, 1)};
}

RepeatResult repeat_cost(const engine::Model& m, const train::Split& split, int pieces, int max_events,
                         const std::function<void(const std::string&)>& log) {
  RepeatResult r;
  // eligible pieces: spread evenly over the split
  std::vector<size_t> eligible;
  for (size_t d = 0; d < split.size(); ++d)
    if (split.docs[d + 1] - split.docs[d] > 64) eligible.push_back(d);
  std::vector<size_t> docs;
  for (int i = 0; i < pieces && !eligible.empty(); ++i) {
    size_t d = eligible[size_t(i) * eligible.size() / size_t(pieces)];
    if (docs.empty() || docs.back() != d) docs.push_back(d);
  }
  for (size_t d : docs) {
    const RepeatedPiece rp = repeated_piece(split.events(d), max_events);
    int notes1 = 0;
    for (size_t i = rp.header; i < rp.second; ++i) notes1 += rp.events[i].kind() == Kind::kNote;
    if (notes1 < 16) continue;
    auto [bits1, bits2] = repeat_bits(m, rp);
    r.first_bits.push_back(bits1);
    r.second_bits.push_back(bits2);
    r.ratios.push_back(bits2 / bits1);
    if (log) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "repeat %zu/%zu: %.2f -> %.2f bits per note (%.2f) %s", r.ratios.size(), docs.size(),
                    bits1, bits2, bits2 / bits1, split.files[d].c_str());
      log(buf);
    }
  }
  r.median = median_of(r.ratios);
  r.q1 = median_of(r.ratios, 0.25);
  r.q3 = median_of(r.ratios, 0.75);
  return r;
}

LoopResult loop_continuation(const engine::Model& m, const engine::SampleOptions& sampling, int seeds) {
  LoopResult r;
  const int q = tokenizer::kStepsPerBeat, bar = 4 * q;
  for (int bars : {8, 32}) {
    auto ev = strict_loop_events(bars);
    const auto nll = engine::score_events(m, ev);
    double s = 0;
    int notes = 0;
    for (size_t i = 0; i < ev.size(); ++i) {
      s += nll[i];
      notes += ev[i].kind() == Kind::kNote;
    }
    (bars == 8 ? r.bits_8 : r.bits_32) = s / std::log(2.0) / std::max(notes, 1);
  }
  const auto prompt = strict_loop_events(8);
  const auto truth = strict_loop_events(10);
  const int64_t from = 8 * bar, to = 10 * bar;
  const auto want = notes_in(truth, from, to);
  for (int seed = 1; seed <= seeds; ++seed) {
    engine::SampleOptions so = sampling;
    so.seed = uint64_t(seed);
    so.variations = 1;
    so.events = int(want.size()) * 2 + 32;   // room for the two bars and more
    auto gen = engine::generate(m, prompt, so);
    std::vector<Event> all = prompt;
    all.insert(all.end(), gen[0].begin(), gen[0].end());
    r.f1.push_back(f1(notes_in(all, from, to), want));
  }
  double t = 0;
  for (double x : r.f1) t += x;
  r.mean_f1 = r.f1.empty() ? 0 : t / double(r.f1.size());
  r.min_f1 = r.f1.empty() ? 0 : *std::min_element(r.f1.begin(), r.f1.end());
  return r;
}

namespace {
// Share of the most frequent pitch and number of distinct pitches among the pitched notes of
// events [begin, end) (drum tracks excluded).
std::pair<double, int> pitch_spread(const std::vector<Event>& seq, size_t begin, size_t end) {
  std::array<bool, tokenizer::kMaxTracks> drum{};
  std::map<int, int> count;
  int n = 0;
  for (size_t i = 0; i < seq.size() && i < end; ++i) {
    const Event& e = seq[i];
    if (e.kind() == Kind::kTrack) drum[e[Field::kTrack] % tokenizer::kMaxTracks] = e[Field::kValue] >= tokenizer::kDrumKitBase;
    if (i < begin || e.kind() != Kind::kNote || drum[e[Field::kTrack] % tokenizer::kMaxTracks]) continue;
    ++count[e[Field::kValue]];
    ++n;
  }
  int top = 0;
  for (auto& [p, c] : count) top = std::max(top, c);
  return {n ? double(top) / n : 0.0, int(count.size())};
}
}  // namespace

UnpromptedResult unprompted(const engine::Model& m, const train::Split& split, const engine::SampleOptions& sampling,
                            int seeds, int events) {
  UnpromptedResult r;
  for (int seed = 1; seed <= seeds; ++seed) {
    engine::SampleOptions so = sampling;
    so.seed = uint64_t(seed);
    so.variations = 1;
    so.events = events;
    const std::vector<Event> bos{make(Kind::kBos)};
    auto gen = engine::generate(m, bos, so);
    std::vector<Event> all = bos;
    all.insert(all.end(), gen[0].begin(), gen[0].end());
    auto [share, distinct] = pitch_spread(all, 0, all.size());
    r.model_top_share.push_back(share);
    r.model_distinct.push_back(distinct);
  }
  // real pieces: the first `events` events of validation pieces
  const size_t n = std::min<size_t>(split.size(), 200);
  for (size_t i = 0; i < n; ++i) {
    auto ev = split.events(i * split.size() / n);
    if (ev.size() < size_t(events)) continue;
    auto [share, distinct] = pitch_spread(ev, 0, size_t(events));
    if (distinct == 0) continue;   // drums only
    r.real_top_share.push_back(share);
    r.real_distinct.push_back(distinct);
  }
  return r;
}

double quantile_of(const std::vector<double>& v, double q) { return median_of(v, q); }

CopyHits copy_source_hits(const train::Split& split) {
  CopyHits r;
  std::array<int64_t, tokenizer::kCopySources> hit{};
  int64_t first = 0, parts = 0, any = 0;
  for (size_t d = 0; d < split.size(); ++d) {
    tokenizer::CopyTracker tr;
    tokenizer::CopyProposals prev{};
    for (const Event& e : split.events(d)) {
      if (e.kind() == Kind::kNote) {
        ++r.notes;
        bool h_first = false, h_parts = false;
        for (int k = 0; k < tokenizer::kCopySources; ++k) {
          const bool h = prev[size_t(k)].valid && tokenizer::same_but_velocity(prev[size_t(k)].event, e);
          hit[size_t(k)] += h;
          (k < tokenizer::kCopyFirstSources ? h_first : h_parts) |= h;
        }
        first += h_first;
        parts += h_parts;
        any += h_first || h_parts;
      }
      prev = tr.next(e);
    }
  }
  const double n = double(std::max<int64_t>(r.notes, 1));
  for (int k = 0; k < tokenizer::kCopySources; ++k) r.source[size_t(k)] = double(hit[size_t(k)]) / n;
  r.any_first = double(first) / n;
  r.any_parts = double(parts) / n;
  r.any = double(any) / n;
  return r;
}

}  // namespace continuo::eval
