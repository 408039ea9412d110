// Unit tests of score/summary.cpp and score/gm_names.cpp: statistics, piano roll, names.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "continuo/score.hpp"
#include "score_builders.hpp"

namespace continuo::score {
namespace {

using testing::note;
using testing::sample_score;

TEST(Summary, SampleScore) {
  Score s = sample_score();
  Summary m = summarize(s);
  EXPECT_EQ(m.ticks_per_beat, 480);
  EXPECT_EQ(m.notes, 10u);
  ASSERT_EQ(m.tracks.size(), 3u);
  EXPECT_EQ(m.tracks[0].name, "Piano");
  EXPECT_EQ(m.tracks[0].instrument, "Acoustic Grand Piano");
  EXPECT_EQ(m.tracks[0].pitch_min, 60);
  EXPECT_EQ(m.tracks[0].pitch_max, 67);
  EXPECT_EQ(m.tracks[1].instrument, "Electric Bass (finger)");
  EXPECT_EQ(m.tracks[1].program, 33);
  EXPECT_TRUE(m.tracks[2].is_drum);
  EXPECT_EQ(m.tracks[2].channel, 9);
  EXPECT_EQ(m.tracks[2].instrument, "Drum kit");
  EXPECT_EQ(m.tempos_bpm, (std::vector<double>{120.0, 150.0}));
  EXPECT_EQ(m.time_signatures, (std::vector<std::string>{"4/4"}));
  EXPECT_EQ(m.key_signatures, (std::vector<std::string>{"D major"}));
  // Ends at 1920 = 4 beats: 2 beats at 120 BPM + 2 at 150 BPM = 1.0 + 0.8 s.
  EXPECT_EQ(m.beats, 4.0);
  EXPECT_DOUBLE_EQ(m.seconds, 1.8);
  EXPECT_EQ(m.bars, 1);
  EXPECT_DOUBLE_EQ(m.notes_per_second, 10 / 1.8);
  // Pitched notes: 60 64 62 67 36 43 -> C E D G C G.
  EXPECT_DOUBLE_EQ(m.pitch_class_histogram[0], 2.0 / 6);
  EXPECT_DOUBLE_EQ(m.pitch_class_histogram[7], 2.0 / 6);
  EXPECT_DOUBLE_EQ(m.pitch_class_histogram[1], 0.0);
  EXPECT_DOUBLE_EQ(m.mean_velocity, (80 + 80 + 90 + 100 + 70 + 70 + 110 + 100 + 110 + 100) / 10.0);
}

TEST(Summary, EmptyScoreAndDefaults) {
  Summary m = summarize(Score{});
  EXPECT_EQ(m.notes, 0u);
  EXPECT_EQ(m.bars, 0);
  EXPECT_EQ(m.seconds, 0.0);
  EXPECT_EQ(m.tempos_bpm, (std::vector<double>{120.0}));
  EXPECT_EQ(m.time_signatures, (std::vector<std::string>{"4/4"}));
  EXPECT_TRUE(m.key_signatures.empty());
}

TEST(PianoRoll, CellsHoldTheLoudestSoundingNote) {
  Score s;
  s.ticks_per_beat = 4;
  Track t;
  t.notes = {note(0, 4, 60, 50), note(2, 4, 60, 90), note(3, 0, 72, 10), note(5, 1, 61, 7)};
  Track drums;
  drums.is_drum = true;
  drums.channel = 9;
  drums.notes = {note(8, 1, 36, 127)};
  s.tracks = {t, drums};
  PianoRoll r = piano_roll(s, 2, true);  // a column is 2 ticks
  EXPECT_EQ(r.steps_per_beat, 2);
  EXPECT_EQ(r.columns, 5);
  ASSERT_EQ(r.cells.size(), 128u * 5);
  EXPECT_EQ(r.at(60, 0), 50);
  EXPECT_EQ(r.at(60, 1), 90);
  EXPECT_EQ(r.at(60, 2), 90);
  EXPECT_EQ(r.at(60, 3), 0);
  EXPECT_EQ(r.at(72, 1), 10);  // zero-length notes take their column
  EXPECT_EQ(r.at(61, 2), 7);
  EXPECT_EQ(r.at(36, 4), 127);
  PianoRoll no_drums = piano_roll(s, 2, false);
  EXPECT_EQ(no_drums.columns, 3);
  EXPECT_EQ(piano_roll(s, 0).columns, 0);
}

TEST(Names, GeneralMidiTables) {
  EXPECT_STREQ(gm_program_name(0), "Acoustic Grand Piano");
  EXPECT_STREQ(gm_program_name(40), "Violin");
  EXPECT_STREQ(gm_program_name(127), "Gunshot");
  EXPECT_STREQ(gm_program_name(128), "");
  std::set<std::string> names;
  for (int p = 0; p < 128; ++p) names.insert(gm_program_name(p));
  EXPECT_EQ(names.size(), 128u);
  EXPECT_STREQ(gm_drum_name(35), "Acoustic Bass Drum");
  EXPECT_STREQ(gm_drum_name(38), "Acoustic Snare");
  EXPECT_STREQ(gm_drum_name(42), "Closed Hi-Hat");
  EXPECT_STREQ(gm_drum_name(81), "Open Triangle");
  EXPECT_STREQ(gm_drum_name(34), "");
  EXPECT_STREQ(gm_drum_name(82), "");
  EXPECT_EQ(key_name(2, false), "D major");
  EXPECT_EQ(key_name(2, true), "B minor");
  EXPECT_EQ(key_name(-3, false), "Eb major");
  EXPECT_EQ(key_name(-7, false), "Cb major");
  EXPECT_EQ(key_name(7, true), "A# minor");
  EXPECT_EQ(key_name(0, true), "A minor");
  EXPECT_EQ(key_name(8, false), "unknown key");
}

}  // namespace
}  // namespace continuo::score
