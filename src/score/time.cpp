// score/time.cpp: ticks <-> seconds through the tempo map, ticks -> beats, and bars under the
// time-signature map.
//
// Seconds are exact: the time of tick t is N / (ticks_per_beat * 1e6) seconds, where
// N = sum over tempo segments of (ticks in the segment) * (microseconds per beat) is an integer
// (128-bit); the only rounding is the one division to double at the end.
// Bars: a time signature n/d makes bars of n * 4/d beats; a change starts a new bar, so a bar cut
// short by a change still counts as one. Bars of a fractional number of ticks start at the first
// tick at or after their exact start. Before the first time signature the metre is 4/4.
// All functions expect the sorted maps of a normalized score.
#include <cmath>

#include "continuo/score.hpp"
#include "score/internal.hpp"

namespace continuo::score {
namespace {

using detail::ceil_div;
using detail::floor_div;

constexpr uint32_t kDefaultTempo = 500000;

uint32_t initial_tempo(const Score& s) {
  return (!s.tempos.empty() && s.tempos.front().time.count() <= 0) ? s.tempos.front().us_per_beat
                                                                   : kDefaultTempo;
}

// One stretch of constant metre: starts at `tick`, which is the start of bar `bar`; bars are
// num / den ticks long (num = numerator * 4 * ticks_per_beat, den = denominator).
struct MetreSegment {
  int64_t tick = 0;
  int64_t bar = 0;
  int64_t num = 0;
  int64_t den = 1;
};

// Calls f(segment) for each segment in order until f returns false.
template <class F>
void for_each_metre(const Score& s, F&& f) {
  const int64_t tpb = s.ticks_per_beat;
  MetreSegment cur{0, 0, 4 * 4 * tpb, 4};
  for (const TimeSignature& ts : s.time_signatures) {
    if (ts.numerator == 0 || ts.denominator == 0) continue;
    const int64_t t = ts.time.count();
    if (t > cur.tick) {
      MetreSegment next{t, cur.bar + ceil_div(__int128(t - cur.tick) * cur.den, cur.num),
                        int64_t(ts.numerator) * 4 * tpb, ts.denominator};
      if (!f(cur, false)) return;
      cur = next;
    } else {  // at the start of the current segment (or before 0): replaces its metre
      cur.num = int64_t(ts.numerator) * 4 * tpb;
      cur.den = ts.denominator;
    }
  }
  f(cur, true);
}

}  // namespace

Seconds tick_to_seconds(const Score& s, Ticks t) {
  const int64_t target = t.count();
  __int128 acc = 0;  // microseconds * ticks_per_beat
  int64_t prev = 0;
  uint32_t us = initial_tempo(s);
  for (const TempoChange& c : s.tempos) {
    const int64_t ct = c.time.count();
    if (ct >= target) break;
    if (ct > prev) {
      acc += __int128(ct - prev) * us;
      prev = ct;
    }
    us = c.us_per_beat;
  }
  acc += __int128(target - prev) * us;
  return Seconds{static_cast<double>(acc) / (double(s.ticks_per_beat) * 1e6)};
}

Ticks seconds_to_tick(const Score& s, Seconds sec) {
  // Target in units of microseconds * ticks_per_beat.
  const long double x = static_cast<long double>(sec.count()) * s.ticks_per_beat * 1e6L;
  long double acc = 0;
  int64_t prev = 0;
  uint32_t us = initial_tempo(s);
  for (const TempoChange& c : s.tempos) {
    const int64_t ct = c.time.count();
    if (ct > prev) {
      const long double end = acc + static_cast<long double>(ct - prev) * us;
      if (x < end) break;
      acc = end;
      prev = ct;
    }
    us = c.us_per_beat;
  }
  if (us == 0) return Ticks{prev};
  return Ticks{prev + std::llround((x - acc) / us)};
}

Beats tick_to_beats(const Score& s, Ticks t) {
  return Beats{static_cast<double>(t.count()) / s.ticks_per_beat};
}

Ticks end_tick(const Score& s) {
  int64_t end = 0;
  bool any_note = false;
  for (const Track& t : s.tracks)
    for (const Note& n : t.notes) {
      end = std::max(end, (n.start + n.duration).count());
      any_note = true;
    }
  if (any_note) return Ticks{end};
  auto last = [&](const auto& v) {
    for (const auto& e : v) end = std::max(end, e.time.count());
  };
  for (const Track& t : s.tracks) {
    last(t.controls);
    last(t.bends);
    last(t.texts);
    last(t.sysex);
  }
  last(s.tempos);
  last(s.time_signatures);
  last(s.key_signatures);
  last(s.global_texts);
  last(s.global_sysex);
  return Ticks{end};
}

Ticks bar_start(const Score& s, int64_t bar) {
  if (s.ticks_per_beat <= 0) return Ticks{0};
  // The last segment whose first bar is <= bar (the first segment also takes bars < 0).
  MetreSegment chosen;
  bool have = false;
  for_each_metre(s, [&](const MetreSegment& m, bool) {
    if (have && m.bar > bar) return false;
    chosen = m;
    have = true;
    return true;
  });
  return Ticks{chosen.tick + ceil_div(__int128(bar - chosen.bar) * chosen.num, chosen.den)};
}

int64_t bar_of(const Score& s, Ticks t) {
  if (s.ticks_per_beat <= 0) return 0;
  MetreSegment chosen;
  bool have = false;
  for_each_metre(s, [&](const MetreSegment& m, bool) {
    if (have && m.tick > t.count()) return false;
    chosen = m;
    have = true;
    return true;
  });
  return chosen.bar + floor_div(__int128(t.count() - chosen.tick) * chosen.den, chosen.num);
}

int64_t bar_count(const Score& s) {
  const int64_t end = end_tick(s).count();
  if (end <= 0) return 0;
  return bar_of(s, Ticks{end - 1}) + 1;
}

}  // namespace continuo::score
