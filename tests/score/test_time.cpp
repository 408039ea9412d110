// Unit tests of score/time.cpp: exact tick <-> second conversion and bar arithmetic.
#include <gtest/gtest.h>

#include "continuo/score.hpp"
#include "score_builders.hpp"

namespace continuo::score {
namespace {

using testing::note;

Score tempo_score() {
  Score s;
  s.ticks_per_beat = 480;
  s.tempos = {TempoChange{Ticks{0}, 500000}, TempoChange{Ticks{1000}, 333333},
              TempoChange{Ticks{1500}, 750000}, TempoChange{Ticks{1501}, 1},
              TempoChange{Ticks{4000}, 0xFFFFFF}, TempoChange{Ticks{9000}, 600000}};
  return s;
}

TEST(Time, TickToSecondsIsExact) {
  Score s = tempo_score();
  const double d = 480e6;  // ticks_per_beat * 1e6
  EXPECT_EQ(tick_to_seconds(s, Ticks{0}).count(), 0.0);
  EXPECT_EQ(tick_to_seconds(s, Ticks{1000}).count(), 1000.0 * 500000 / d);
  EXPECT_EQ(tick_to_seconds(s, Ticks{1200}).count(), (1000.0 * 500000 + 200.0 * 333333) / d);
  const double n1501 = 1000.0 * 500000 + 500.0 * 333333 + 1.0 * 750000;
  EXPECT_EQ(tick_to_seconds(s, Ticks{1501}).count(), n1501 / d);
  EXPECT_EQ(tick_to_seconds(s, Ticks{4001}).count(), (n1501 + 2499.0 * 1 + 1.0 * 0xFFFFFF) / d);
  // A tempo change exactly at t does not affect t.
  EXPECT_EQ(tick_to_seconds(s, Ticks{1500}).count(), (1000.0 * 500000 + 500.0 * 333333) / d);
}

TEST(Time, RoundTripAtEveryTick) {
  Score s = tempo_score();
  double prev = -1;
  for (int64_t t = 0; t <= 20000; ++t) {
    const double sec = tick_to_seconds(s, Ticks{t}).count();
    ASSERT_GT(sec, prev) << "tick " << t;
    prev = sec;
    ASSERT_EQ(seconds_to_tick(s, Seconds{sec}).count(), t) << "tick " << t;
  }
}

TEST(Time, SecondsToTickRoundsToNearest) {
  Score s;
  s.ticks_per_beat = 4;  // 120 BPM: a tick is 0.125 s
  EXPECT_EQ(seconds_to_tick(s, Seconds{0.124}).count(), 1);
  EXPECT_EQ(seconds_to_tick(s, Seconds{0.06}).count(), 0);
  EXPECT_EQ(seconds_to_tick(s, Seconds{0.07}).count(), 1);
  EXPECT_EQ(seconds_to_tick(s, Seconds{100.0}).count(), 800);
  EXPECT_EQ(tick_to_seconds(s, Ticks{8}).count(), 1.0);   // empty map: 120 BPM
  s.tempos = {TempoChange{Ticks{8}, 1000000}};           // 120 BPM until tick 8, then 60
  EXPECT_EQ(tick_to_seconds(s, Ticks{12}).count(), 2.0);
  EXPECT_EQ(seconds_to_tick(s, Seconds{2.0}).count(), 12);
  EXPECT_EQ(tick_to_beats(s, Ticks{6}).count(), 1.5);
}

// 3/4 for two bars, 6/8 from bar 3 (index 2), 4/4 half way through the second 6/8 bar.
Score metre_score() {
  Score s;
  s.ticks_per_beat = 480;
  s.time_signatures = {TimeSignature{Ticks{0}, 3, 4}, TimeSignature{Ticks{2880}, 6, 8},
                       TimeSignature{Ticks{5760 + 720}, 4, 4}};
  return s;
}

TEST(Bars, ChangesOfMetre) {
  Score s = metre_score();
  const std::vector<int64_t> starts = {0, 1440, 2880, 4320, 5760, 6480, 8400, 10320};
  for (size_t b = 0; b < starts.size(); ++b) {
    EXPECT_EQ(bar_start(s, int64_t(b)).count(), starts[b]) << "bar " << b;
    EXPECT_EQ(bar_of(s, Ticks{starts[b]}), int64_t(b));
    if (b > 0) {
      EXPECT_EQ(bar_of(s, Ticks{starts[b] - 1}), int64_t(b) - 1);
    }
  }
  EXPECT_EQ(bar_of(s, Ticks{6479}), 4);  // the bar cut short by the 4/4
  EXPECT_EQ(bar_start(s, -1).count(), -1440);
  EXPECT_EQ(bar_of(s, Ticks{-1}), -1);

  Track t;
  t.notes = {note(0, 8400, 60)};
  s.tracks = {t};
  EXPECT_EQ(end_tick(s).count(), 8400);
  EXPECT_EQ(bar_count(s), 6);
  s.tracks[0].notes[0].duration = Ticks{8401};
  EXPECT_EQ(bar_count(s), 7);
}

TEST(Bars, DefaultsAndLateFirstSignature) {
  Score s;
  s.ticks_per_beat = 96;
  EXPECT_EQ(bar_start(s, 3).count(), 3 * 4 * 96);
  EXPECT_EQ(bar_count(s), 0);
  s.time_signatures = {TimeSignature{Ticks{96}, 2, 4}};  // one 4/4 bar cut to a beat, then 2/4
  EXPECT_EQ(bar_start(s, 1).count(), 96);
  EXPECT_EQ(bar_start(s, 2).count(), 96 + 192);
  // A fractional bar length: 7/16 at 10 ticks per beat is 17.5 ticks.
  s.ticks_per_beat = 10;
  s.time_signatures = {TimeSignature{Ticks{0}, 7, 16}};
  EXPECT_EQ(bar_start(s, 1).count(), 18);
  EXPECT_EQ(bar_start(s, 2).count(), 35);
  for (int64_t b = 0; b < 20; ++b) EXPECT_EQ(bar_of(s, bar_start(s, b)), b);
}

TEST(Time, EndTickWithoutNotes) {
  Score s;
  EXPECT_EQ(end_tick(s).count(), 0);
  s.tempos = {TempoChange{Ticks{500}, 1}};
  Track t;
  t.controls = {ControlChange{Ticks{700}, 7, 1}};
  s.tracks = {t};
  EXPECT_EQ(end_tick(s).count(), 700);
  s.tracks[0].notes = {note(0, 10, 60)};
  EXPECT_EQ(end_tick(s).count(), 10);
}

}  // namespace
}  // namespace continuo::score
