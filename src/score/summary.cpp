// score/summary.cpp: statistics of a score (summarize) and the piano-roll view.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "continuo/score.hpp"
#include "score/internal.hpp"

namespace continuo::score {

Summary summarize(const Score& s) {
  Summary r;
  r.ticks_per_beat = s.ticks_per_beat;
  double velocity_sum = 0;
  size_t pitched = 0;
  for (const Track& t : s.tracks) {
    TrackSummary ts;
    ts.name = t.name;
    ts.channel = t.channel;
    ts.program = t.program;
    ts.is_drum = t.is_drum;
    ts.instrument = t.is_drum ? "Drum kit" : gm_program_name(t.program);
    ts.notes = t.notes.size();
    if (!t.notes.empty()) {
      ts.pitch_min = 127;
      ts.pitch_max = 0;
    }
    for (const Note& n : t.notes) {
      ts.pitch_min = std::min<int>(ts.pitch_min, n.pitch);
      ts.pitch_max = std::max<int>(ts.pitch_max, n.pitch);
      velocity_sum += n.velocity;
      if (!t.is_drum) {
        r.pitch_class_histogram[n.pitch % 12] += 1;
        ++pitched;
      }
    }
    r.notes += t.notes.size();
    r.tracks.push_back(std::move(ts));
  }
  if (pitched)
    for (double& h : r.pitch_class_histogram) h /= double(pitched);
  r.mean_velocity = r.notes ? velocity_sum / double(r.notes) : 0.0;

  auto add_distinct = [](auto& v, auto x) {
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(std::move(x));
  };
  if (s.tempos.empty() || s.tempos.front().time.count() > 0) r.tempos_bpm.push_back(120.0);
  for (const TempoChange& t : s.tempos) add_distinct(r.tempos_bpm, t.bpm());
  if (s.time_signatures.empty() || s.time_signatures.front().time.count() > 0)
    r.time_signatures.push_back("4/4");
  for (const TimeSignature& t : s.time_signatures)
    add_distinct(r.time_signatures,
                 std::to_string(t.numerator) + "/" + std::to_string(t.denominator));
  for (const KeySignature& k : s.key_signatures)
    add_distinct(r.key_signatures, key_name(k.sharps, k.minor));

  const Ticks end = end_tick(s);
  r.bars = bar_count(s);
  r.beats = tick_to_beats(s, end).count();
  r.seconds = tick_to_seconds(s, end).count();
  r.notes_per_second = r.seconds > 0 ? double(r.notes) / r.seconds : 0.0;
  return r;
}

PianoRoll piano_roll(const Score& s, int steps_per_beat, bool include_drums) {
  PianoRoll roll;
  roll.steps_per_beat = steps_per_beat;
  if (steps_per_beat <= 0 || s.ticks_per_beat <= 0) return roll;
  const int64_t tpb = s.ticks_per_beat, spb = steps_per_beat;
  // Column c covers ticks [c * tpb / spb, (c + 1) * tpb / spb).
  auto first_col = [&](int64_t t) { return detail::floor_div(__int128(t) * spb, tpb); };
  auto end_col = [&](int64_t t) { return detail::ceil_div(__int128(t) * spb, tpb); };
  int64_t columns = 0;
  for (const Track& t : s.tracks) {
    if (t.is_drum && !include_drums) continue;
    for (const Note& n : t.notes)
      columns = std::max(columns, std::max(end_col((n.start + n.duration).count()),
                                           first_col(n.start.count()) + 1));
  }
  roll.columns = columns;
  roll.cells.assign(size_t(128) * size_t(columns), 0);
  for (const Track& t : s.tracks) {
    if (t.is_drum && !include_drums) continue;
    for (const Note& n : t.notes) {
      if (n.pitch > 127 || n.start.count() < 0) continue;
      const int64_t c0 = first_col(n.start.count());
      const int64_t c1 = std::max(end_col((n.start + n.duration).count()), c0 + 1);
      uint8_t* row = roll.cells.data() + size_t(n.pitch) * size_t(columns);
      for (int64_t c = c0; c < c1; ++c) row[c] = std::max(row[c], n.velocity);
    }
  }
  return roll;
}

}  // namespace continuo::score
