// Drum classes, the sixteenth grid, tapped rhythms, features, the Groove MIDI index reader.
#include <gtest/gtest.h>

#include <fstream>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "drums_test_util.hpp"
#include "test_support.hpp"

using namespace continuo;
using namespace continuo::drums;

TEST(DrumClass, MapsGmAndTd11Notes) {
  EXPECT_EQ(drum_class(36), 0);
  EXPECT_EQ(drum_class(35), 0);
  EXPECT_EQ(drum_class(38), 1);
  EXPECT_EQ(drum_class(40), 1);
  EXPECT_EQ(drum_class(42), 2);
  EXPECT_EQ(drum_class(22), 2);   // TD-11 hi-hat edge closed
  EXPECT_EQ(drum_class(26), 3);   // TD-11 hi-hat edge open
  EXPECT_EQ(drum_class(58), 4);   // TD-11 floor tom rim
  EXPECT_EQ(drum_class(47), 5);
  EXPECT_EQ(drum_class(50), 6);
  EXPECT_EQ(drum_class(55), 7);
  EXPECT_EQ(drum_class(59), 8);
  EXPECT_EQ(drum_class(100), -1);
  EXPECT_EQ(drum_class(-3), -1);
  for (int c = 0; c < kClasses; ++c) EXPECT_EQ(drum_class(class_pitch(c)), c) << class_name(c);
}

TEST(Grid, SnapsHitsKeepsOffsetsAndLouderDuplicates) {
  score::Score s = continuo::testing::rock_beat(1);
  auto& n = s.tracks[0].notes;
  n.push_back({Ticks{120 + 30}, Ticks{10}, 38, 90});   // step 1, +0.25 step
  n.push_back({Ticks{480 - 30}, Ticks{10}, 46, 70});   // step 4, -0.25 step
  n.push_back({Ticks{480}, Ticks{10}, 40, 127});       // snare rim on step 4: louder than the snare
  score::normalize(s);
  Grid g = grid_from_drums(s);
  ASSERT_EQ(g.steps, 16);
  EXPECT_EQ(g.bar_start[0], 1);
  EXPECT_EQ(g.bar_start[4], 0);
  EXPECT_EQ(g.beat_pos[5], 1);
  EXPECT_EQ(g.hit[g.at(0, 0)], 1);
  EXPECT_EQ(g.hit[g.at(0, 1)], 0);
  EXPECT_EQ(g.hit[g.at(1, 1)], 1);
  EXPECT_NEAR(g.offset[g.at(1, 1)], 0.25, 1e-6);
  EXPECT_NEAR(g.velocity[g.at(1, 1)], 90 / 127.0, 1e-6);
  EXPECT_NEAR(g.offset[g.at(4, 3)], -0.25, 1e-6);
  EXPECT_NEAR(g.velocity[g.at(4, 1)], 1.0, 1e-6);
  int hits = 0;
  for (float h : g.hit) hits += h > 0;
  EXPECT_EQ(hits, 8 + 2 + 2 + 2);   // hats, kicks, snares (one merged), the extra snare, open hat
}

TEST(Grid, FollowsTheMetre) {
  Grid g = grid_from_drums(continuo::testing::rock_beat(3, 7, 8));   // 7/8: 14 sixteenths a bar
  ASSERT_EQ(g.steps, 42);
  for (int64_t s = 0; s < g.steps; ++s) EXPECT_EQ(g.bar_start[size_t(s)], s % 14 == 0 ? 1 : 0) << s;
  Grid h = grid_from_drums(continuo::testing::rock_beat(2, 3, 4));
  EXPECT_EQ(h.steps, 24);
  EXPECT_EQ(h.bar_start[12], 1);
}

TEST(Grid, NoDrumsGivesAnEmptyGrid) {
  score::Score s = continuo::testing::rock_beat(1);
  s.tracks[0].is_drum = false;
  s.tracks[0].channel = 0;
  EXPECT_EQ(grid_from_drums(s).steps, 0);
}

TEST(Taps, OneVoiceLoudestWins) {
  score::Score s;
  s.ticks_per_beat = 96;
  score::Track t;
  t.notes = {{Ticks{0}, Ticks{24}, 60, 50}, {Ticks{0}, Ticks{24}, 64, 80}, {Ticks{50}, Ticks{24}, 67, 70}};
  s.tracks.push_back(t);
  Taps taps = taps_from_tracks(s, {});
  ASSERT_EQ(taps.steps, 16);
  EXPECT_EQ(taps.hit[0], 1);
  EXPECT_NEAR(taps.velocity[0], 80 / 127.0, 1e-6);
  EXPECT_EQ(taps.hit[2], 1);                       // 50 ticks = 2.08 steps of 24
  EXPECT_NEAR(taps.offset[2], 2.0 / 24, 1e-6);
  EXPECT_EQ(taps.hit[1], 0);
  EXPECT_THROW(taps_from_tracks(s, {3}), Error);
  Grid g = grid_from_drums(continuo::testing::rock_beat(1));
  Taps gt = taps_from_grid(g);
  for (int64_t i = 0; i < g.steps; ++i) EXPECT_EQ(gt.hit[size_t(i)], i % 2 == 0 ? 1 : 0);
}

TEST(Features, Layout) {
  Grid g = grid_from_drums(continuo::testing::rock_beat(1));
  auto x = groove_features(g);
  NetConfig c;
  ASSERT_EQ(x.size(), size_t(16 * c.features()));
  const float* r4 = &x[size_t(4 * c.features())];   // beat 2: hat + snare
  EXPECT_EQ(r4[0], 1);
  EXPECT_EQ(r4[4], 0);
  EXPECT_EQ(r4[5 + 1], 1);
  EXPECT_EQ(r4[5 + 2], 1);
  EXPECT_EQ(r4[5 + 0], 0);
  EXPECT_EQ(x[4], 1);   // bar start on step 0
  auto d = drumify_features(g, taps_from_grid(g), 1, 3);
  ASSERT_EQ(d.size(), size_t(16 * 11));
  EXPECT_EQ(d[5], 1);
  EXPECT_EQ(d[8 + 1], 1);
  EXPECT_EQ(d[8 + 0], 0);
}

TEST(GmdIndex, ReadsTheOfficialSplit) {
  continuo::testing::TempDir dir;
  {
    std::ofstream f(dir.file("info.csv"));
    f << "drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,duration,split\n"
         "drummer1,drummer1/s,drummer1/s/1,funk/groove1,138,beat,4-4,drummer1/s/1.mid,x.wav,27.8,test\n"
         "drummer1,drummer1/s,drummer1/s/2,rock/fill2,100,fill,3-4,drummer1/s/2.mid,,2.0,train\n";
  }
  auto items = read_gmd_index(dir.path().string());
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].style, "funk");
  EXPECT_EQ(items[0].split, "test");
  EXPECT_DOUBLE_EQ(items[0].bpm, 138);
  EXPECT_FALSE(items[0].fill);
  EXPECT_TRUE(items[1].fill);
  EXPECT_EQ(items[1].time_signature, "3-4");
  EXPECT_EQ(items[1].path, (dir.path() / "drummer1/s/2.mid").string());
  EXPECT_EQ(gmd_styles(items, 1), std::vector<std::string>{"rock"});
  EXPECT_THROW(read_gmd_index(dir.file("nope")), Error);
}
