// drums/grid.cpp: drum classes, the sixteenth-note grid of a drum part, tapped rhythms.
#include <algorithm>
#include <array>
#include <cmath>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"

namespace continuo::drums {
namespace {

// GM drum notes and the Roland TD-11 numbers of the Groove MIDI Dataset (22 hi-hat edge closed,
// 26 hi-hat edge open, 58 floor-tom rim, 50 / 47 tom rims, 55 / 57 / 52 crash bow and edge,
// 59 / 53 ride edge and bell), folded into nine classes.
constexpr std::array<int8_t, 128> make_classes() {
  std::array<int8_t, 128> t{};
  for (auto& v : t) v = -1;
  for (int p : {35, 36}) t[p] = 0;                      // kick
  for (int p : {37, 38, 39, 40}) t[p] = 1;              // snare, side stick, clap, rim
  for (int p : {22, 42, 44, 54, 69, 70}) t[p] = 2;      // closed / pedal hi-hat, tambourine, shakers
  for (int p : {26, 46}) t[p] = 3;                      // open hi-hat
  for (int p : {41, 43, 58, 64}) t[p] = 4;              // low (floor) toms, low conga
  for (int p : {45, 47, 61, 63}) t[p] = 5;              // mid toms, low bongo, open conga
  for (int p : {48, 50, 60, 62}) t[p] = 6;              // high toms, high bongo, muted conga
  for (int p : {49, 52, 55, 57}) t[p] = 7;              // crash, china, splash
  for (int p : {51, 53, 56, 59}) t[p] = 8;              // ride, bell, cowbell
  return t;
}
constexpr std::array<int8_t, 128> kClassOf = make_classes();
constexpr int kPitchOf[kClasses] = {36, 38, 42, 46, 43, 47, 50, 49, 51};
constexpr const char* kNames[kClasses] = {"kick", "snare", "closed hi-hat", "open hi-hat", "low tom",
                                          "mid tom", "high tom", "crash", "ride"};

}  // namespace

int drum_class(int pitch) { return pitch < 0 || pitch > 127 ? -1 : kClassOf[size_t(pitch)]; }
int class_pitch(int c) { return c >= 0 && c < kClasses ? kPitchOf[c] : 38; }
const char* class_name(int c) { return c >= 0 && c < kClasses ? kNames[c] : "?"; }

void Grid::resize(int64_t n) {
  steps = n;
  hit.assign(size_t(n) * kClasses, 0.f);
  velocity.assign(size_t(n) * kClasses, 0.f);
  offset.assign(size_t(n) * kClasses, 0.f);
  bar_start.assign(size_t(n), 0);
  beat_pos.assign(size_t(n), 0);
}

double step_ticks(const score::Score& s) {
  if (s.ticks_per_beat <= 0) throw Error(ErrorCode::kInvalidArgument, "ticks per beat must be positive");
  return double(s.ticks_per_beat) / kStepsPerBeat;
}

void fill_positions(const score::Score& s, Grid& g) {
  const double st = step_ticks(s);
  for (int64_t i = 0; i < g.steps; ++i) g.beat_pos[size_t(i)] = uint8_t(i % kStepsPerBeat);
  for (int64_t bar = 0;; ++bar) {
    const double t = double(score::bar_start(s, bar).count());
    const int64_t step = int64_t(std::llround(t / st));
    if (step >= g.steps) break;
    g.bar_start[size_t(step)] = 1;
  }
}

namespace {

// Steps up to the end of the bar holding the last onset.
int64_t steps_to_bar_end(const score::Score& s, int64_t last_step) {
  const double st = step_ticks(s);
  const int64_t tick = int64_t(std::llround(double(last_step) * st));
  const int64_t bar = score::bar_of(s, Ticks{tick});
  const double end = double(score::bar_start(s, bar + 1).count());
  return std::max<int64_t>(last_step + 1, int64_t(std::ceil(end / st - 1e-9)));
}

// Grid step and offset (in steps) of a tick.
std::pair<int64_t, float> snap(double tick, double st) {
  const double x = tick / st;
  const int64_t step = int64_t(std::llround(x));
  return {step, float(std::clamp(x - double(step), -0.5, 0.5))};
}

}  // namespace

Grid grid_from_drums(const score::Score& s) {
  const double st = step_ticks(s);
  int64_t last = -1;
  for (const auto& tr : s.tracks)
    if (tr.is_drum)
      for (const auto& n : tr.notes)
        if (drum_class(n.pitch) >= 0) last = std::max(last, snap(double(n.start.count()), st).first);
  Grid g;
  if (last < 0) return g;
  g.resize(steps_to_bar_end(s, last));
  fill_positions(s, g);
  for (const auto& tr : s.tracks) {
    if (!tr.is_drum) continue;
    for (const auto& n : tr.notes) {
      const int c = drum_class(n.pitch);
      if (c < 0) continue;
      auto [step, off] = snap(double(n.start.count()), st);
      const size_t i = g.at(step, c);
      const float v = float(n.velocity) / 127.f;
      if (g.hit[i] > 0 && g.velocity[i] >= v) continue;
      g.hit[i] = 1;
      g.velocity[i] = v;
      g.offset[i] = off;
    }
  }
  return g;
}

Taps taps_from_tracks(const score::Score& s, const std::vector<int>& tracks) {
  const double st = step_ticks(s);
  std::vector<int> use = tracks;
  if (use.empty())
    for (size_t i = 0; i < s.tracks.size(); ++i)
      if (!s.tracks[i].is_drum) use.push_back(int(i));
  for (int t : use)
    if (t < 0 || size_t(t) >= s.tracks.size())
      throw Error(ErrorCode::kInvalidArgument, "track " + std::to_string(t) + " does not exist (the file has " +
                                                   std::to_string(s.tracks.size()) + " tracks, numbered from 0)");
  int64_t last = -1;
  for (int t : use)
    for (const auto& n : s.tracks[size_t(t)].notes) last = std::max(last, snap(double(n.start.count()), st).first);
  Taps taps;
  if (last < 0) return taps;
  taps.steps = steps_to_bar_end(s, last);
  taps.hit.assign(size_t(taps.steps), 0.f);
  taps.velocity.assign(size_t(taps.steps), 0.f);
  taps.offset.assign(size_t(taps.steps), 0.f);
  for (int t : use)
    for (const auto& n : s.tracks[size_t(t)].notes) {
      auto [step, off] = snap(double(n.start.count()), st);
      const float v = float(n.velocity) / 127.f;
      auto i = size_t(step);
      if (taps.hit[i] > 0 && taps.velocity[i] >= v) continue;
      taps.hit[i] = 1;
      taps.velocity[i] = v;
      taps.offset[i] = off;
    }
  return taps;
}

Taps taps_from_grid(const Grid& g) {
  Taps t;
  t.steps = g.steps;
  t.hit.assign(size_t(g.steps), 0.f);
  t.velocity.assign(size_t(g.steps), 0.f);
  t.offset.assign(size_t(g.steps), 0.f);
  for (int64_t s = 0; s < g.steps; ++s)
    for (int c = 0; c < kClasses; ++c) {
      const size_t i = g.at(s, c);
      if (g.hit[i] <= 0 || (t.hit[size_t(s)] > 0 && t.velocity[size_t(s)] >= g.velocity[i])) continue;
      t.hit[size_t(s)] = 1;
      t.velocity[size_t(s)] = g.velocity[i];
      t.offset[size_t(s)] = g.offset[i];
    }
  return t;
}

std::vector<float> groove_features(const Grid& g) {
  NetConfig c;
  c.task = Task::kGroove;
  const int F = c.features();
  std::vector<float> x(size_t(g.steps) * F, 0.f);
  for (int64_t s = 0; s < g.steps; ++s) {
    float* r = &x[size_t(s) * F];
    r[g.beat_pos[size_t(s)] % 4] = 1;
    r[4] = g.bar_start[size_t(s)];
    for (int k = 0; k < kClasses; ++k) r[5 + k] = g.hit[g.at(s, k)] > 0 ? 1.f : 0.f;
  }
  return x;
}

std::vector<float> drumify_features(const Grid& positions, const Taps& t, int style, int n_styles) {
  if (positions.steps != t.steps) throw Error(ErrorCode::kInternal, "drumify_features: grid and taps differ in length");
  const int F = 8 + n_styles;
  std::vector<float> x(size_t(t.steps) * F, 0.f);
  for (int64_t s = 0; s < t.steps; ++s) {
    float* r = &x[size_t(s) * F];
    r[positions.beat_pos[size_t(s)] % 4] = 1;
    r[4] = positions.bar_start[size_t(s)];
    r[5] = t.hit[size_t(s)];
    r[6] = t.velocity[size_t(s)];
    r[7] = t.offset[size_t(s)] * 2;
    if (style >= 0 && style < n_styles) r[8 + style] = 1;
  }
  return x;
}

}  // namespace continuo::drums
