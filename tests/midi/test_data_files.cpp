// The valid example files of tests/data/midi/ and examples/example.mid (written by
// tools/make_test_midis.py with python3-mido): what the parser sees in them, and round trips.
#include <gtest/gtest.h>

#include <algorithm>

#include "continuo/midi.hpp"
#include "midi_bytes.hpp"
#include "test_support.hpp"

namespace continuo::midi {
namespace {
using namespace test;

File load(const std::string& relative) {
  auto path = (testing::test_data_dir() / relative).string();
  return parse(read_file_bytes(path), path);
}

size_t count_if_status(const File& f, auto pred) {
  size_t n = 0;
  for (const Track& t : f.tracks) n += std::count_if(t.events.begin(), t.events.end(), pred);
  return n;
}

TEST(DataFiles, Format0) {
  File f = load("midi/format0.mid");
  EXPECT_EQ(f.format, 0);
  ASSERT_EQ(f.tracks.size(), 1u);
  EXPECT_EQ(f.division.ticks_per_beat, 480);
  EXPECT_EQ(count_if_status(f, [](const Event& e) { return e.kind() == 0x90 && e.channel() == 9; }), 10u);
}

TEST(DataFiles, Format1Multitrack) {
  File f = load("midi/format1_multitrack.mid");
  EXPECT_EQ(f.format, 1);
  ASSERT_EQ(f.tracks.size(), 4u);
  std::vector<int64_t> tempo_ticks;
  for (const Event& e : f.tracks[0].events)
    if (e.is_meta() && e.data1 == uint8_t(Meta::kTempo)) tempo_ticks.push_back(e.tick);
  EXPECT_EQ(tempo_ticks, (std::vector<int64_t>{0, 1920, 3840}));
  std::string lyrics;
  for (const Event& e : f.tracks[1].events)
    if (e.is_meta() && e.data1 == uint8_t(Meta::kLyric)) lyrics += std::string(f.text(e)) + " ";
  EXPECT_EQ(lyrics, "Here comes the song, la la end now ");
  EXPECT_EQ(f.tracks[1].events[1].status, 0xF0);  // GM on sysex after the track name
  EXPECT_GT(count_if_status(f, [](const Event& e) { return e.kind() == 0x90 && e.data2 == 0; }), 0u);
  EXPECT_EQ(count_if_status(f, [](const Event& e) { return e.kind() == 0xE0; }), 3u);
  EXPECT_EQ(count_if_status(f, [](const Event& e) { return e.kind() == 0xD0; }), 1u);
  EXPECT_EQ(count_if_status(f, [](const Event& e) { return e.kind() == 0xA0; }), 1u);
  EXPECT_GT(count_if_status(f, [](const Event& e) { return e.is_channel() && e.channel() == 9; }), 20u);
}

TEST(DataFiles, Format2SmpteAndRmid) {
  EXPECT_EQ(load("midi/format2.mid").format, 2);
  File s = load("midi/smpte.mid");
  EXPECT_TRUE(s.division.smpte);
  EXPECT_EQ(s.division.fps, 25);
  EXPECT_EQ(s.division.ticks_per_frame, 40);
  File plain = load("midi/format0.mid");
  File wrapped = load("midi/wrapped.rmi");
  EXPECT_EQ(diff_events(plain, wrapped), "");
}

TEST(DataFiles, ExampleIsEightBarsOfFourInstruments) {
  auto path = testing::test_data_dir().parent_path().parent_path() / "examples" / "example.mid";
  File f = parse(read_file_bytes(path.string()), path.string());
  ASSERT_EQ(f.tracks.size(), 5u);
  int64_t last = 0;
  for (const Track& t : f.tracks)
    for (const Event& e : t.events) last = std::max(last, e.tick);
  EXPECT_LE(last, 8 * 4 * f.division.ticks_per_beat);
  EXPECT_GT(last, 7 * 4 * f.division.ticks_per_beat);
}

TEST(DataFiles, RoundTripsAreExact) {
  for (auto path : testing::midi_files_under(testing::test_data_dir() / "midi")) {
    File f = parse(read_file_bytes(path.string()), path.string());
    EXPECT_EQ(diff_events(f, parse(serialize(f))), "") << path;
  }
}

}  // namespace
}  // namespace continuo::midi
