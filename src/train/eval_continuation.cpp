// `continuo eval --continuations`: does a continuation stay close to its prompt, as close as the
// real continuation does? Pitch classes, note density, velocities and instruments.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "continuo/eval.hpp"
#include "train/main_pitch_classes.hpp"

namespace continuo::eval {
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;

namespace {

struct Profile {
  std::array<double, 12> pc{};
  int notes = 0;
  double beats = 0;
  std::vector<int> velocities;
  std::set<int> instruments;   // TRACK values of tracks that play
};

// Profile of events[begin, end) of a sequence whose header declares the tracks.
Profile profile(const std::vector<Event>& seq, size_t begin, size_t end) {
  std::vector<int> track_value(tokenizer::kMaxTracks, 0);
  for (const auto& e : seq)
    if (e.kind() == Kind::kTrack) track_value[e[Field::kTrack]] = e[Field::kValue];
  Profile p;
  int64_t now = 0, first = -1, last = 0;
  for (size_t i = 0; i < end && i < seq.size(); ++i) {
    now += seq[i][Field::kDt];
    if (i < begin || seq[i].kind() != Kind::kNote) continue;
    if (first < 0) first = now;
    last = now;
    int tv = track_value[seq[i][Field::kTrack]];
    p.instruments.insert(tv);
    p.velocities.push_back(seq[i][Field::kValue2]);
    ++p.notes;
    if (tv < tokenizer::kDrumKitBase) p.pc[seq[i][Field::kValue] % 12] += 1;
  }
  p.beats = std::max(1.0, double(last - std::max<int64_t>(first, 0)) / tokenizer::kStepsPerBeat);
  double s = 0;
  for (double x : p.pc) s += x;
  if (s > 0)
    for (double& x : p.pc) x /= s;
  std::sort(p.velocities.begin(), p.velocities.end());
  return p;
}

double quantile(const std::vector<int>& v, double q) {
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, size_t(q * (v.size() - 1) + 0.5))];
}

void accumulate(ContinuationStats& s, const Profile& a, const Profile& b) {
  double l1 = 0;
  for (int i = 0; i < 12; ++i) l1 += std::abs(a.pc[i] - b.pc[i]);
  s.pitch_class_l1 += l1;
  // off key: the continuation's share of pitched notes outside the prompt's 7 most used classes
  const std::array<bool, 12> key = main_pitch_classes(a.pc);
  for (int i = 0; i < 12; ++i)
    if (!key[size_t(i)]) s.off_key += b.pc[size_t(i)];
  double da = std::max(a.notes, 1) / a.beats, db = std::max(b.notes, 1) / b.beats;
  s.density_ratio += std::abs(std::log(db / da));
  auto mean = [](const std::vector<int>& v) {
    double t = 0;
    for (int x : v) t += x;
    return v.empty() ? 0.0 : t / v.size();
  };
  s.velocity_mean_diff += std::abs(mean(a.velocities) - mean(b.velocities));
  double a0 = quantile(a.velocities, 0.1), a1 = quantile(a.velocities, 0.9) + 1;
  double b0 = quantile(b.velocities, 0.1), b1 = quantile(b.velocities, 0.9) + 1;
  double inter = std::max(0.0, std::min(a1, b1) - std::max(a0, b0)), uni = std::max(a1, b1) - std::min(a0, b0);
  s.velocity_range_iou += uni > 0 ? inter / uni : 1;
  std::set<int> u = a.instruments, in;
  u.insert(b.instruments.begin(), b.instruments.end());
  for (int x : a.instruments)
    if (b.instruments.count(x)) in.insert(x);
  s.instrument_jaccard += u.empty() ? 1 : double(in.size()) / u.size();
  ++s.pieces;
}

void finish(ContinuationStats& s) {
  if (s.pieces == 0) return;
  s.pitch_class_l1 /= s.pieces;
  s.off_key /= s.pieces;
  s.density_ratio /= s.pieces;
  s.velocity_mean_diff /= s.pieces;
  s.velocity_range_iou /= s.pieces;
  s.instrument_jaccard /= s.pieces;
}

}  // namespace

std::vector<ContinuationRow> continuations(const engine::Model& m, const train::Split& split,
                                           const ContinuationOptions& opt,
                                           const std::function<void(const std::string&)>& log) {
  // eligible pieces: long enough for prompt + continuation; spread evenly over the split
  std::vector<size_t> eligible;
  for (size_t d = 0; d < split.size(); ++d)
    if (split.docs[d + 1] - split.docs[d] > opt.prompt_events + opt.events + 32) eligible.push_back(d);
  std::vector<size_t> docs;
  for (int i = 0; i < opt.pieces && !eligible.empty(); ++i) {
    size_t d = eligible[size_t(i) * eligible.size() / size_t(opt.pieces)];
    if (docs.empty() || docs.back() != d) docs.push_back(d);
  }
  std::vector<ContinuationRow> rows(1 + opt.temperatures.size());
  rows[0].label = "true continuation";
  for (size_t t = 0; t < opt.temperatures.size(); ++t) {
    char buf[64];
    if (opt.key_strength > 0) std::snprintf(buf, sizeof buf, "T=%.2f key %.1f", opt.temperatures[t], opt.key_strength);
    else std::snprintf(buf, sizeof buf, "model T=%.2f", opt.temperatures[t]);
    rows[t + 1].label = buf;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    auto ev = split.events(docs[i]);
    const size_t h = tokenizer::Tokenizer::header_length(ev);
    const size_t p_end = h + opt.prompt_events;
    std::vector<Event> prompt(ev.begin(), ev.begin() + p_end);
    Profile p = profile(ev, h, p_end);
    accumulate(rows[0].stats, p, profile(ev, p_end, p_end + opt.events));
    for (size_t t = 0; t < opt.temperatures.size(); ++t) {
      engine::SampleOptions so;
      so.events = opt.events;
      so.temperature = opt.temperatures[t];
      so.top_p = opt.top_p;
      so.key_strength = opt.key_strength;
      so.seed = opt.seed + i;
      auto gen = engine::generate(m, prompt, so);
      std::vector<Event> all = prompt;
      all.insert(all.end(), gen[0].begin(), gen[0].end());
      accumulate(rows[t + 1].stats, p, profile(all, p_end, all.size()));
    }
    if (log) log("piece " + std::to_string(i + 1) + "/" + std::to_string(docs.size()) + ": " + split.files[docs[i]]);
  }
  for (auto& r : rows) finish(r.stats);
  return rows;
}

}  // namespace continuo::eval
