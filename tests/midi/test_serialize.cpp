// midi::serialize: exact bytes (running status, End of Track, divisions), argument checks, the
// payload pool helpers, random serialize -> parse round trips, and python3-mido as an oracle.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "midi_bytes.hpp"
#include "test_support.hpp"

namespace continuo::midi {
namespace {
using namespace test;

Event channel(int64_t tick, uint8_t status, uint8_t d1, uint8_t d2 = 0) {
  Event e;
  e.tick = tick;
  e.status = status;
  e.data1 = d1;
  e.data2 = d2;
  return e;
}

File one_track_file(uint16_t tpb = 96) {
  File f;
  f.format = 0;
  f.division.ticks_per_beat = tpb;
  f.tracks.emplace_back();
  return f;
}

Bytes track_body(const Bytes& smf) { return Bytes(smf.begin() + 22, smf.end()); }

TEST(Serialize, RunningStatusAndOneEndOfTrack) {
  File f = one_track_file();
  auto& ev = f.tracks[0].events;
  const uint8_t name[] = {'A'};
  ev = {channel(0, 0x90, 60, 100), channel(0, 0x90, 62, 100), f.make_meta(96, Meta::kText, name),
        channel(96, 0x90, 60, 0), channel(96, 0x90, 62, 0), channel(200, 0xC0, 5),
        channel(200, 0xC0, 6)};
  const uint8_t none[] = {0};
  ev.insert(ev.begin() + 2, f.make_meta(0, Meta::kEndOfTrack, std::span(none, 0)));  // dropped
  Bytes out = serialize(f);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 22),
            cat({str("MThd"), be32(6), {0, 0, 0, 1, 0, 96}, str("MTrk"), be32(uint32_t(out.size() - 22))}));
  EXPECT_EQ(track_body(out), (Bytes{0x00, 0x90, 60, 100, 0x00, 62, 100,  // running status
                                    0x60, 0xFF, 0x01, 0x01, 'A',         // meta cancels it
                                    0x00, 0x90, 60, 0, 0x00, 62, 0,      // so the status is repeated
                                    0x68, 0xC0, 5, 0x00, 6,              // 2-byte messages
                                    0x00, 0xFF, 0x2F, 0x00}));           // exactly one End of Track
}

TEST(Serialize, EndOfTrackKeepsTheLatestTick) {
  File f = one_track_file();
  f.tracks[0].events = {channel(10, 0x90, 60, 1), f.make_meta(500, Meta::kEndOfTrack, {})};
  EXPECT_EQ(track_body(serialize(f)), (Bytes{0x0A, 0x90, 60, 1, 0x83, 0x6A, 0xFF, 0x2F, 0x00}));
  f.tracks[0].events.clear();
  EXPECT_EQ(track_body(serialize(f)), (Bytes{0x00, 0xFF, 0x2F, 0x00}));
}

TEST(Serialize, SysexAndDataBytesMasked) {
  File f = one_track_file();
  const uint8_t gm_on[] = {0x7E, 0x7F, 0x09, 0x01, 0xF7};
  const uint8_t escape[] = {0xF3, 0x01};
  f.tracks[0].events = {f.make_sysex(0, 0xF0, gm_on), f.make_sysex(1, 0xF7, escape),
                        channel(2, 0x90, 0xBC, 0xFF)};
  EXPECT_EQ(track_body(serialize(f)),
            (Bytes{0x00, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7, 0x01, 0xF7, 0x02, 0xF3, 0x01, 0x01,
                   0x90, 0x3C, 0x7F, 0x00, 0xFF, 0x2F, 0x00}));
}

TEST(Serialize, Divisions) {
  File f = one_track_file(480);
  Bytes out = serialize(f);
  EXPECT_EQ(out[12], 0x01);
  EXPECT_EQ(out[13], 0xE0);
  f.division = {true, 0, 29, 40};
  out = serialize(f);
  EXPECT_EQ(out[12], 0xE3);
  EXPECT_EQ(out[13], 40);
  File back = parse(out);
  EXPECT_TRUE(back.division.smpte);
  EXPECT_EQ(back.division.fps, 29);
  EXPECT_EQ(back.division.ticks_per_frame, 40);
}

TEST(Serialize, RejectsBadInput) {
  auto code_of = [](const File& f) {
    try {
      serialize(f);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::kInternal;
  };
  File f = one_track_file();
  f.tracks[0].events = {channel(10, 0x90, 60, 1), channel(5, 0x80, 60, 0)};
  EXPECT_EQ(code_of(f), ErrorCode::kInvalidArgument);  // ticks go backwards
  f.tracks[0].events = {channel(int64_t(1) << 40, 0x90, 60, 1)};
  EXPECT_EQ(code_of(f), ErrorCode::kUnsupported);  // the gap does not fit a VLQ
  f.tracks[0].events = {channel(0, 0xF2, 1, 2)};
  EXPECT_EQ(code_of(f), ErrorCode::kInvalidArgument);  // not a file event
  Event bad = channel(0, 0xFF, 1);
  bad.data_offset = 10;
  bad.data_size = 5;
  f.tracks[0].events = {bad};
  EXPECT_EQ(code_of(f), ErrorCode::kInvalidArgument);  // payload outside the pool
  f = one_track_file(0);
  EXPECT_EQ(code_of(f), ErrorCode::kInvalidArgument);
  f = one_track_file(0x8000);
  EXPECT_EQ(code_of(f), ErrorCode::kInvalidArgument);
  f = one_track_file();
  f.division = {true, 0, 23, 4};
  EXPECT_EQ(code_of(f), ErrorCode::kInvalidArgument);
  EXPECT_THROW(f.make_sysex(0, 0x90, {}), Error);
}

TEST(Serialize, MakeMetaFromThePoolItself) {
  File f = one_track_file();
  const std::string name = "Strings";
  Event a = f.make_meta(0, Meta::kTrackName, std::span(reinterpret_cast<const uint8_t*>(name.data()), name.size()));
  for (int i = 0; i < 10; ++i) a = f.make_meta(0, Meta::kText, f.payload(a));  // may reallocate
  EXPECT_EQ(f.text(a), "Strings");
}

// Random files of every event kind: serialize -> parse gives the same events.
File random_file(std::mt19937& rng) {
  auto pick = [&](int n) { return int(rng() % unsigned(n)); };
  File f;
  f.format = uint16_t(pick(3));
  if (pick(4) == 0)
    f.division = {true, 0, uint8_t(std::array{24, 25, 29, 30}[pick(4)]), uint8_t(1 + pick(255))};
  else
    f.division.ticks_per_beat = uint16_t(1 + pick(0x7FFF));
  const int ntracks = 1 + pick(4);
  for (int t = 0; t < ntracks; ++t) {
    Track& tr = f.tracks.emplace_back();
    int64_t tick = 0;
    const int n = pick(200);
    for (int i = 0; i < n; ++i) {
      const int gap = pick(10);
      tick += gap < 5 ? 0 : gap < 8 ? pick(200) : gap < 9 ? pick(100000) : pick(0x0FFFFFFF);
      const int kind = pick(10);
      if (kind < 7) {
        const uint8_t status = uint8_t(0x80 + 16 * pick(7) + pick(16));
        const bool two = (status & 0xF0) == 0xC0 || (status & 0xF0) == 0xD0;
        tr.events.push_back(channel(tick, status, uint8_t(pick(128)), two ? 0 : uint8_t(pick(128))));
        continue;
      }
      std::vector<uint8_t> payload(size_t(pick(4) == 0 ? pick(400) : pick(8)));
      for (auto& b : payload) b = uint8_t(pick(256));
      if (kind == 7)
        tr.events.push_back(f.make_sysex(tick, pick(2) ? 0xF0 : 0xF7, payload));
      else
        tr.events.push_back(f.make_meta(tick, Meta(pick(0x2F)), payload));  // never End of Track
    }
  }
  return f;
}

TEST(Serialize, RandomRoundTrips) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    File f = random_file(rng);
    Bytes once = serialize(f);
    File back = parse(once, "random");
    ASSERT_EQ(diff_events(f, back), "") << "file " << i;
    EXPECT_EQ(back.format, f.format);
    EXPECT_EQ(back.division.smpte, f.division.smpte);
    EXPECT_EQ(back.division.ticks_per_beat, f.division.ticks_per_beat);
    EXPECT_EQ(back.division.fps, f.division.fps);
    EXPECT_EQ(serialize(back), once) << "serialize is not stable, file " << i;
  }
}

// python3-mido, an independent reader, must read what we write and see the same messages.
TEST(Serialize, MidoReadsOurFiles) {
  const char* python = "/usr/bin/python3";
  if (testing::run_command(std::string(python) + " -c 'import mido'") != 0)
    GTEST_SKIP() << "python3-mido not installed";
  testing::TempDir dir;
  std::mt19937 rng(99);
  std::string expected, script = "import sys, mido\nfor p in sys.argv[1:]:\n"
                                 "    m = mido.MidiFile(p)\n"
                                 "    print(m.type, len(m.tracks), *[len(t) for t in m.tracks])\n";
  std::string args;
  for (int i = 0; i < 20; ++i) {
    File f = random_file(rng);
    f.division = Division{};  // mido reads SMPTE division as a plain number
    for (uint8_t& b : f.data) b &= 0x7F;  // mido checks that sysex bytes are 7-bit
    for (Track& t : f.tracks)  // mido decodes meta payloads: keep to text events
      for (Event& e : t.events)
        if (e.is_meta()) e.data1 = uint8_t(Meta::kText);
    Bytes bytes = serialize(f);
    std::string path = dir.file("r" + std::to_string(i) + ".mid");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // (append, not " " + string: that trips a GCC 12 -Wrestrict false positive)
    args.append(" ").append(path);
    expected.append(std::to_string(f.format)).append(" ").append(std::to_string(f.tracks.size()));
    for (const Track& t : f.tracks) expected.append(" ").append(std::to_string(t.events.size() + 1));  // + EoT
    expected.append("\n");
  }
  std::ofstream(dir.file("check.py")) << script;
  std::string out;
  ASSERT_EQ(testing::run_command(std::string(python) + " " + dir.file("check.py") + args, &out), 0) << out;
  EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace continuo::midi
