// Unit tests of score/ops.cpp: quantize, resample, transpose, slices, first_notes, merge.
#include <gtest/gtest.h>

#include "continuo/error.hpp"
#include "continuo/score.hpp"
#include "score_builders.hpp"

namespace continuo::score {
namespace {

using testing::note;
using testing::sample_score;

Score one_track(std::vector<Note> notes, int tpb = 480) {
  Score s;
  s.ticks_per_beat = tpb;
  Track t;
  t.notes = std::move(notes);
  s.tracks = {t};
  return s;
}

TEST(Quantize, SnapsStartsAndEndsKeepingOneStep) {
  // Sixteenths at 480 ticks per beat: a step is 120 ticks.
  Score s = one_track({note(59, 200, 60), note(61, 10, 62), note(700, 0, 64), note(1000, 300, 65)});
  s.tracks[0].controls = {ControlChange{Ticks{50}, 64, 127}};
  s.tempos = {TempoChange{Ticks{0}, 500000}, TempoChange{Ticks{130}, 400000}};
  Score q = quantize(s, 4);
  EXPECT_EQ(q.tracks[0].notes, (std::vector<Note>{note(0, 240, 60), note(120, 120, 62),
                                                  note(720, 120, 64), note(960, 360, 65)}));
  EXPECT_EQ(q.tracks[0].controls, (std::vector<ControlChange>{{Ticks{0}, 64, 127}}));
  EXPECT_EQ(q.tempos, (std::vector<TempoChange>{{Ticks{0}, 500000}, {Ticks{120}, 400000}}));
  // A grid that does not divide ticks_per_beat: triplet eighths at 100 ticks per beat.
  Score t = quantize(one_track({note(30, 40, 60)}, 100), 3);
  EXPECT_EQ(t.tracks[0].notes, (std::vector<Note>{note(33, 34, 60)}));  // steps at 0, 33, 67
  EXPECT_THROW(quantize(s, 0), Error);
}

TEST(Resample, RescalesEveryTime) {
  Score s = sample_score();
  Score r = resample(s, 96);
  EXPECT_EQ(r.ticks_per_beat, 96);
  EXPECT_EQ(r.tracks[0].notes[2], note(96, 48, 62, 90));
  EXPECT_EQ(r.tempos[1].time.count(), 192);
  Score back = resample(r, 480);
  EXPECT_EQ(back, s);
  // A sounding note keeps at least one tick.
  Score tiny = resample(one_track({note(0, 1, 60)}, 480), 4);
  EXPECT_EQ(tiny.tracks[0].notes[0].duration.count(), 1);
}

TEST(Transpose, DrumsUntouchedOutOfRangeDropped) {
  Score s = sample_score();
  s.tracks[0].notes.push_back(note(0, 10, 126));
  Score t = transpose(s, 2);
  ASSERT_EQ(t.tracks[0].notes.size(), 4u);  // 126 + 2 left the range
  EXPECT_EQ(t.tracks[0].notes[0].pitch, 62);
  EXPECT_EQ(t.tracks[1].notes[0].pitch, 38);
  EXPECT_EQ(t.tracks[2].notes, s.tracks[2].notes);  // drums
  EXPECT_EQ(t.key_signatures[0].sharps, 4);          // D major -> E major
  EXPECT_EQ(transpose(s, -2).key_signatures[0].sharps, 0);  // C major
  EXPECT_EQ(transpose(s, 12).key_signatures[0].sharps, 2);
  Score down = transpose(s, -44);
  EXPECT_TRUE(down.tracks[1].notes.empty());  // bass below 0
}

TEST(Slice, TicksCarryStateAndCutNotes) {
  Score s = sample_score();
  // [600, 1500): piano note at 480 starts before -> dropped; 960..1920 cut at 1500.
  Score r = slice_ticks(s, Ticks{600}, Ticks{1500});
  EXPECT_EQ(r.tracks[0].notes, (std::vector<Note>{note(360, 540, 67, 100)}));
  EXPECT_EQ(r.tracks[1].notes, (std::vector<Note>{note(360, 540, 43, 70)}));
  EXPECT_EQ(r.tracks[2].notes, (std::vector<Note>{note(360, 60, 36, 110), note(840, 60, 38, 100)}));
  // The sustain pedal went down at 0 and up at 900: carried down to 0, up at 300.
  EXPECT_EQ(r.tracks[0].controls, (std::vector<ControlChange>{{Ticks{0}, 7, 100}, {Ticks{0}, 64, 127},
                                                               {Ticks{300}, 64, 0}}));
  EXPECT_EQ(r.tracks[1].bends, (std::vector<PitchBend>{{Ticks{0}, 0}}));
  EXPECT_EQ(r.tempos, (std::vector<TempoChange>{{Ticks{0}, 500000}, {Ticks{360}, 400000}}));
  EXPECT_EQ(r.time_signatures, s.time_signatures);
  EXPECT_EQ(r.key_signatures, s.key_signatures);
  EXPECT_EQ(r.tracks.size(), 3u);
  // A tempo exactly at `begin` wins over the carried one.
  Score at = slice_ticks(s, Ticks{960}, Ticks{2000});
  EXPECT_EQ(at.tempos, (std::vector<TempoChange>{{Ticks{0}, 400000}}));
  EXPECT_TRUE(slice_ticks(s, Ticks{10}, Ticks{5}).tracks[0].notes.empty());
}

TEST(Slice, BeatsAndBars) {
  Score s = sample_score();
  s.time_signatures = {TimeSignature{Ticks{0}, 2, 4}};  // bars of 960 ticks
  EXPECT_EQ(slice_beats(s, 1.0, 2.5), slice_ticks(s, Ticks{480}, Ticks{1200}));
  Score b = slice_bars(s, 1, 2);
  EXPECT_EQ(b, slice_ticks(s, Ticks{960}, Ticks{1920}));
  EXPECT_EQ(b.tracks[0].notes, (std::vector<Note>{note(0, 960, 67, 100)}));
}

TEST(FirstNotes, CountsOverAllTracksInTimeOrder) {
  Score s = sample_score();
  // Notes by start: 0: piano 60, 64, bass 36, drum 36; 480: piano 62, drum 38; 960: ...
  Score f = first_notes(s, 5);
  EXPECT_EQ(f.tracks[0].notes, (std::vector<Note>{note(0, 480, 60), note(0, 480, 64), note(480, 240, 62, 90)}));
  EXPECT_EQ(f.tracks[1].notes.size(), 1u);
  EXPECT_EQ(f.tracks[2].notes, (std::vector<Note>{note(0, 60, 36, 110)}));  // drum at 480 is the 6th
  EXPECT_EQ(f.tempos.size(), 1u);                // the change at 960 is after the last start
  EXPECT_EQ(f.tracks[0].controls.size(), 2u);    // pedal up at 900 dropped
  EXPECT_EQ(first_notes(s, 1000), s);
  Score none = first_notes(s, 0);
  EXPECT_EQ(none.tracks.size(), 3u);
  for (const Track& t : none.tracks) EXPECT_TRUE(t.notes.empty());
}

TEST(Merge, AppendsTracksRescaledAndOffset) {
  Score a = sample_score();
  Score b = one_track({note(0, 96, 72), note(96, 48, 74)}, 96);
  b.tracks[0].name = "Lead";
  b.tempos = {TempoChange{Ticks{0}, 300000}};
  Score m = merge(a, b, Ticks{1920});
  ASSERT_EQ(m.tracks.size(), 4u);
  EXPECT_EQ(m.tracks[3].name, "Lead");
  EXPECT_EQ(m.tracks[3].notes, (std::vector<Note>{note(1920, 480, 72), note(2400, 240, 74)}));
  EXPECT_EQ(m.tempos, a.tempos);  // a's tempo map wins
  Score early = merge(a, b, Ticks{-480});
  EXPECT_EQ(early.tracks[3].notes, (std::vector<Note>{note(0, 240, 74)}));
}

}  // namespace
}  // namespace continuo::score
