// vae/clips.cpp: melody and drum clips on the sixteenth grid, cut at bar lines, and back to scores.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/vae.hpp"

namespace continuo::vae {

const char* kind_name(Kind k) { return k == Kind::kMelody ? "melody" : "drums"; }
int dims(Kind k) { return k == Kind::kMelody ? 2 + kPitches : drums::kClasses; }

std::vector<float> features(const Clip& c) {
  const int D = dims(c.kind);
  std::vector<float> x(size_t(kSteps) * D, 0.f);
  for (int s = 0; s < kSteps; ++s) {
    if (c.kind == Kind::kMelody) {
      const int t = std::clamp(c.v[size_t(s)], 0, D - 1);
      x[size_t(s * D + t)] = 1.f;
    } else {
      for (int k = 0; k < D; ++k) x[size_t(s * D + k)] = c.v[size_t(s * D + k)] ? 1.f : 0.f;
    }
  }
  return x;
}

int distance(const Clip& a, const Clip& b) {
  if (a.kind != b.kind || a.v.size() != b.v.size()) throw Error(ErrorCode::kInternal, "distance: clips differ in kind");
  int d = 0;
  for (size_t i = 0; i < a.v.size(); ++i) d += a.v[i] != b.v[i];
  return d;
}

int melody_track(const score::Score& s) {
  for (size_t i = 0; i < s.tracks.size(); ++i) {
    std::string n = s.tracks[i].name;
    for (auto& ch : n) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (!s.tracks[i].is_drum && !s.tracks[i].notes.empty() && n.find("melody") != std::string::npos) return int(i);
  }
  for (size_t i = 0; i < s.tracks.size(); ++i)
    if (!s.tracks[i].is_drum && !s.tracks[i].notes.empty()) return int(i);
  return -1;
}

Kind kind_of(const score::Score& s) {
  bool drum = false, other = false;
  for (const auto& t : s.tracks) (t.is_drum ? drum : other) |= !t.notes.empty();
  return drum && !other ? Kind::kDrums : Kind::kMelody;
}

namespace {

int64_t tick_step(const score::Score& s, int64_t tick) {
  return int64_t(std::llround(double(tick) / drums::step_ticks(s)));
}

int64_t last_step(const score::Score& s, Kind kind, int track) {
  int64_t last = -1;
  for (size_t i = 0; i < s.tracks.size(); ++i) {
    const auto& t = s.tracks[i];
    if (kind == Kind::kDrums ? !t.is_drum : int(i) != track) continue;
    for (const auto& n : t.notes)
      if (kind == Kind::kMelody || drums::drum_class(n.pitch) >= 0) last = std::max(last, tick_step(s, n.start.count()));
  }
  return last;
}

std::vector<Chunk> chunks_to(const score::Score& s, int64_t last) {
  std::vector<Chunk> out;
  int64_t bar = 0;
  auto step_of_bar = [&](int64_t b) { return tick_step(s, score::bar_start(s, b).count()); };
  while (step_of_bar(bar) <= last) {
    const int64_t b0 = step_of_bar(bar), b1 = step_of_bar(bar + 1), b2 = step_of_bar(bar + 2);
    if (b2 - b0 <= kSteps) {
      out.push_back({b0, b2 - b0});
      bar += 2;
    } else if (b1 - b0 <= kSteps) {
      out.push_back({b0, b1 - b0});
      bar += 1;
    } else {
      throw Error(ErrorCode::kUnsupported, "a bar longer than " + std::to_string(kSteps) +
                                               " sixteenths does not fit a clip");
    }
  }
  return out;
}

// The melody on the grid: -1 rest, -2 hold, else the pitch starting there.
std::vector<int> melody_grid(const score::Score& s, int track, int64_t steps) {
  std::vector<int> g(size_t(steps), -1);
  std::vector<int64_t> end(size_t(steps), -1);
  const auto& notes = s.tracks[size_t(track)].notes;
  const double st = drums::step_ticks(s);
  for (const auto& n : notes) {
    const int64_t a = tick_step(s, n.start.count());
    if (a < 0 || a >= steps) continue;
    if (g[size_t(a)] < 0 || n.pitch > g[size_t(a)]) {
      g[size_t(a)] = n.pitch;
      end[size_t(a)] = std::max<int64_t>(a + 1, int64_t(std::llround(double((n.start + n.duration).count()) / st)));
    }
  }
  int64_t sounding_until = -1;
  for (int64_t i = 0; i < steps; ++i) {
    if (g[size_t(i)] >= 0) sounding_until = end[size_t(i)];
    else if (i < sounding_until) g[size_t(i)] = -2;
  }
  return g;
}

Clip melody_clip(const std::vector<int>& g, int64_t first, int64_t n) {
  Clip c;
  c.kind = Kind::kMelody;
  c.v.assign(kSteps, kRest);
  // The octave shift that puts most onsets in range (ties: the smallest move).
  int best = 0, best_in = -1;
  for (int sh = -60; sh <= 60; sh += 12) {
    int in = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int p = g[size_t(first + i)];
      in += p >= 0 && p + sh >= kLow && p + sh < kLow + kPitches;
    }
    if (in > best_in || (in == best_in && std::abs(sh) < std::abs(best))) best_in = in, best = sh;
  }
  c.shift = best;
  for (int64_t i = 0; i < n && i < kSteps; ++i) {
    int p = g[size_t(first + i)];
    if (p == -1) continue;
    if (p == -2) {
      c.v[size_t(i)] = i == 0 ? kRest : (c.v[size_t(i - 1)] == kRest ? kRest : kHold);
      continue;
    }
    p += best;
    while (p < kLow) p += 12;
    while (p >= kLow + kPitches) p -= 12;
    c.v[size_t(i)] = 2 + p - kLow;
  }
  return c;
}

}  // namespace

std::vector<Chunk> chunks(const score::Score& s) {
  int64_t last = last_step(s, kind_of(s), melody_track(s));
  if (last < 0) return {};
  return chunks_to(s, last);
}

std::vector<Chunk> chunks_through(const score::Score& s, int64_t last_step) { return chunks_to(s, last_step); }

std::vector<Clip> melody_clips(const score::Score& s, int track) {
  if (track < 0 || size_t(track) >= s.tracks.size() || s.tracks[size_t(track)].notes.empty())
    throw Error(ErrorCode::kInvalidArgument, "the file has no melody notes");
  const int64_t last = last_step(s, Kind::kMelody, track);
  const auto cs = chunks_to(s, last);
  const auto g = melody_grid(s, track, cs.back().first_step + cs.back().steps);
  std::vector<Clip> out;
  for (const auto& c : cs) out.push_back(melody_clip(g, c.first_step, c.steps));
  return out;
}

std::vector<Clip> drum_clips(const score::Score& s) {
  const drums::Grid g = drums::grid_from_drums(s);
  if (g.steps == 0) throw Error(ErrorCode::kInvalidArgument, "the file has no drum notes");
  const auto cs = chunks_to(s, g.steps - 1);
  std::vector<Clip> out;
  for (const auto& c : cs) {
    Clip k;
    k.kind = Kind::kDrums;
    k.v.assign(size_t(kSteps) * drums::kClasses, 0);
    for (int64_t i = 0; i < c.steps && c.first_step + i < g.steps; ++i)
      for (int j = 0; j < drums::kClasses; ++j)
        k.v[size_t(i * drums::kClasses + j)] = g.hit[g.at(c.first_step + i, j)] > 0;
    out.push_back(std::move(k));
  }
  return out;
}

std::vector<Clip> training_clips(const score::Score& s, Kind kind, int min_notes) {
  std::vector<Clip> all;
  if (kind == Kind::kMelody) {
    const int t = melody_track(s);
    if (t < 0) return {};
    all = melody_clips(s, t);
  } else {
    if (drums::grid_from_drums(s).steps == 0) return {};
    all = drum_clips(s);
  }
  std::vector<Clip> out;
  for (auto& c : all) {
    int n = 0;
    for (size_t i = 0; i < c.v.size(); ++i) n += kind == Kind::kMelody ? c.v[i] >= 2 : c.v[i] != 0;
    if (n >= min_notes) out.push_back(std::move(c));
  }
  return out;
}

score::Score clips_to_score(const std::vector<Clip>& clips, const score::Score& layout, const std::vector<Chunk>& where,
                            int melody_track) {
  if (clips.size() != where.size()) throw Error(ErrorCode::kInternal, "clips_to_score: clips and chunks differ");
  score::Score s;
  s.ticks_per_beat = layout.ticks_per_beat;
  s.tempos = layout.tempos;
  s.time_signatures = layout.time_signatures;
  s.key_signatures = layout.key_signatures;
  const double st = drums::step_ticks(layout);
  auto tick = [&](int64_t step) { return Ticks{int64_t(std::llround(double(step) * st))}; };
  score::Track tr;
  if (clips.empty()) return s;
  if (clips[0].kind == Kind::kDrums) {
    tr.name = "Drums";
    tr.channel = 9;
    tr.is_drum = true;
    for (size_t c = 0; c < clips.size(); ++c)
      for (int64_t i = 0; i < where[c].steps; ++i)
        for (int j = 0; j < drums::kClasses; ++j)
          if (clips[c].v[size_t(i * drums::kClasses + j)])
            tr.notes.push_back({tick(where[c].first_step + i), tick(1), uint8_t(drums::class_pitch(j)),
                                uint8_t(j == 0 || j == 1 ? 100 : 80)});
  } else {
    tr.name = "Melody";
    if (melody_track >= 0 && size_t(melody_track) < layout.tracks.size()) {
      tr.channel = layout.tracks[size_t(melody_track)].channel;
      tr.program = layout.tracks[size_t(melody_track)].program;
      if (!layout.tracks[size_t(melody_track)].name.empty()) tr.name = layout.tracks[size_t(melody_track)].name;
    }
    for (size_t c = 0; c < clips.size(); ++c) {
      const auto& v = clips[c].v;
      for (int64_t i = 0; i < where[c].steps; ++i) {
        if (v[size_t(i)] < 2) continue;
        int64_t e = i + 1;
        while (e < where[c].steps && v[size_t(e)] == kHold) ++e;
        const int p = v[size_t(i)] - 2 + kLow - clips[c].shift;
        if (p < 0 || p > 127) continue;
        tr.notes.push_back({tick(where[c].first_step + i), Ticks{tick(where[c].first_step + e).count() -
                                                                 tick(where[c].first_step + i).count()},
                            uint8_t(p), 90});
      }
    }
  }
  s.tracks.push_back(std::move(tr));
  score::normalize(s);
  return s;
}

}  // namespace continuo::vae
