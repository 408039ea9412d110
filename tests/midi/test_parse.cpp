// midi::parse on hand-built byte sequences: every event kind, running status, chunks, divisions,
// wrappers, leniency, and the exact form of error messages.
#include <gtest/gtest.h>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "midi_bytes.hpp"

namespace continuo::midi {
namespace {
using namespace test;

const Track& only_track(const File& f) {
  EXPECT_EQ(f.tracks.size(), 1u);
  return f.tracks.at(0);
}

// The message of the kCorruptData error that parse() throws, or "" if it does not.
std::string parse_error(const Bytes& bytes, std::string_view name = "x.mid") {
  try {
    parse(bytes, name);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    return e.what();
  }
  return "";
}

TEST(Parse, Format0NoteOnOff) {
  File f = parse(smf0({0x00, 0x90, 60, 100, 0x60, 0x80, 60, 64}));
  EXPECT_EQ(f.format, 0);
  EXPECT_FALSE(f.division.smpte);
  EXPECT_EQ(f.division.ticks_per_beat, 96);
  const auto& ev = only_track(f).events;
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].tick, 0);
  EXPECT_EQ(ev[0].status, 0x90);
  EXPECT_EQ(ev[0].data1, 60);
  EXPECT_EQ(ev[0].data2, 100);
  EXPECT_EQ(ev[1].tick, 96);
  EXPECT_EQ(ev[1].status, 0x80);
  EXPECT_EQ(ev[1].data2, 64);
  EXPECT_TRUE(is_end_of_track(ev[2]));
  EXPECT_EQ(ev[2].tick, 96);
}

TEST(Parse, RunningStatusAndVelocityZeroKeptRaw) {
  // 90 3C 40, then running status: 3E 40, 3C 00 (note-on velocity 0), 3E 00.
  File f = parse(smf0({0x00, 0x93, 0x3C, 0x40, 0x00, 0x3E, 0x40, 0x60, 0x3C, 0x00, 0x00, 0x3E, 0x00}));
  const auto& ev = only_track(f).events;
  ASSERT_EQ(ev.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ev[i].status, 0x93) << i;
  EXPECT_EQ(ev[1].data1, 0x3E);
  EXPECT_EQ(ev[2].tick, 96);
  EXPECT_EQ(ev[2].data1, 0x3C);
  EXPECT_EQ(ev[2].data2, 0);  // velocity 0 stays a note-on here; the score layer interprets it
  EXPECT_EQ(ev[3].data2, 0);
  EXPECT_EQ(ev[0].channel(), 3);
  EXPECT_EQ(ev[0].kind(), 0x90);
}

TEST(Parse, EveryChannelMessageKind) {
  File f = parse(smf0({
      0x00, 0x80, 60, 10,          // note off
      0x00, 0x91, 61, 20,          // note on
      0x00, 0xA2, 62, 30,          // poly aftertouch
      0x00, 0xB3, 7, 100,          // control change
      0x00, 0xC4, 33,              // program change (2 bytes)
      0x00, 0x25,                  // ... with running status (1 data byte)
      0x00, 0xD5, 90,              // channel pressure (2 bytes)
      0x00, 0x50,                  // ... running status
      0x00, 0xE6, 0x00, 0x40,      // pitch bend, centre
      0x00, 0x7F, 0x7F,            // ... running status, maximum
  }));
  const auto& ev = only_track(f).events;
  ASSERT_EQ(ev.size(), 11u);
  const uint8_t status[] = {0x80, 0x91, 0xA2, 0xB3, 0xC4, 0xC4, 0xD5, 0xD5, 0xE6, 0xE6};
  const uint8_t d1[] = {60, 61, 62, 7, 33, 0x25, 90, 0x50, 0x00, 0x7F};
  const uint8_t d2[] = {10, 20, 30, 100, 0, 0, 0, 0, 0x40, 0x7F};
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ev[i].status, status[i]) << i;
    EXPECT_EQ(ev[i].data1, d1[i]) << i;
    EXPECT_EQ(ev[i].data2, d2[i]) << i;
    EXPECT_TRUE(ev[i].is_channel());
  }
  EXPECT_EQ(ev[9].kind(), 0xE0);
  EXPECT_EQ(ev[9].channel(), 6);
}

TEST(Parse, MetaEvents) {
  File f = parse(smf0(cat({
      {0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20},        // tempo 500000
      {0x00, 0xFF, 0x58, 0x04, 0x06, 0x03, 0x18, 0x08},  // 6/8
      {0x00, 0xFF, 0x59, 0x02, 0xFD, 0x01},              // 3 flats, minor
      {0x00, 0xFF, 0x03, 0x05}, str("Piano"),            // track name
      {0x00, 0xFF, 0x54, 0x05, 0x21, 0x02, 0x03, 0x04, 0x05},  // SMPTE offset
      {0x10, 0xFF, 0x05, 0x04}, str("la-a"),             // lyric
      {0x00, 0xFF, 0x01, 0x00},                          // empty text
      {0x00, 0xFF, 0x7F, 0x03, 0x00, 0x00, 0x41},        // sequencer specific
  })));
  const auto& ev = only_track(f).events;
  ASSERT_EQ(ev.size(), 9u);
  for (const Event& e : ev) EXPECT_TRUE(e.is_meta());
  EXPECT_EQ(ev[0].data1, uint8_t(Meta::kTempo));
  EXPECT_EQ(Bytes(f.payload(ev[0]).begin(), f.payload(ev[0]).end()), (Bytes{0x07, 0xA1, 0x20}));
  EXPECT_EQ(ev[1].data1, uint8_t(Meta::kTimeSignature));
  EXPECT_EQ(f.payload(ev[1]).size(), 4u);
  EXPECT_EQ(f.payload(ev[1])[0], 6);
  EXPECT_EQ(ev[2].data1, uint8_t(Meta::kKeySignature));
  EXPECT_EQ(int8_t(f.payload(ev[2])[0]), -3);
  EXPECT_EQ(ev[3].data1, uint8_t(Meta::kTrackName));
  EXPECT_EQ(f.text(ev[3]), "Piano");
  EXPECT_EQ(ev[4].data1, uint8_t(Meta::kSmpteOffset));
  EXPECT_EQ(f.payload(ev[4])[4], 5);
  EXPECT_EQ(ev[5].data1, uint8_t(Meta::kLyric));
  EXPECT_EQ(ev[5].tick, 16);
  EXPECT_EQ(f.text(ev[5]), "la-a");
  EXPECT_EQ(ev[6].data_size, 0u);
  EXPECT_EQ(ev[7].data1, uint8_t(Meta::kSequencerSpecific));
  EXPECT_TRUE(is_end_of_track(ev[8]));
  EXPECT_EQ(ev[8].tick, 16);
}

TEST(Parse, SysexAndEscapes) {
  File f = parse(smf0({
      0x00, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7,  // GM on, complete
      0x00, 0xF0, 0x03, 0x43, 0x12, 0x00,              // first packet of a split sysex
      0x10, 0xF7, 0x02, 0x34, 0xF7,                    // continuation packet
      0x00, 0xF7, 0x02, 0xF3, 0x01,                    // escape: song select
  }));
  const auto& ev = only_track(f).events;
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0].status, 0xF0);
  EXPECT_TRUE(ev[0].is_sysex());
  EXPECT_EQ(Bytes(f.payload(ev[0]).begin(), f.payload(ev[0]).end()), (Bytes{0x7E, 0x7F, 0x09, 0x01, 0xF7}));
  EXPECT_EQ(ev[1].data_size, 3u);
  EXPECT_EQ(ev[2].status, 0xF7);
  EXPECT_EQ(ev[2].tick, 16);
  EXPECT_EQ(Bytes(f.payload(ev[3]).begin(), f.payload(ev[3]).end()), (Bytes{0xF3, 0x01}));
}

TEST(Parse, RunningStatusSurvivesMetaAndSysex) {
  // Lenient: a data byte after a meta or sysex event continues the last channel status.
  File f = parse(smf0({0x00, 0x92, 60, 90, 0x00, 0xFF, 0x01, 0x01, 'x', 0x00, 62, 90,
                       0x00, 0xF0, 0x01, 0xF7, 0x00, 64, 90}));
  const auto& ev = only_track(f).events;
  ASSERT_EQ(ev.size(), 6u);
  EXPECT_EQ(ev[2].status, 0x92);
  EXPECT_EQ(ev[2].data1, 62);
  EXPECT_EQ(ev[4].status, 0x92);
  EXPECT_EQ(ev[4].data1, 64);
}

TEST(Parse, RunningStatusDoesNotCrossTracks) {
  Bytes b = cat({header(1, 2, 96), track(cat({{0x00, 0x90, 60, 90}, kEndOfTrack})),
                 track(cat({{0x00, 62, 90}, kEndOfTrack}))});
  EXPECT_NE(parse_error(b).find("running status with no status byte"), std::string::npos);
}

TEST(Parse, VariableLengthDeltas) {
  File f = parse(smf0(cat({vlq(0x7F), {0x90, 60, 1}, vlq(0x80), {0x90, 61, 1}, vlq(0x3FFF),
                           {0x90, 62, 1}, vlq(0x0FFFFFFF), {0x90, 63, 1}})));
  const auto& ev = only_track(f).events;
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0].tick, 0x7F);
  EXPECT_EQ(ev[1].tick, 0x7F + 0x80);
  EXPECT_EQ(ev[2].tick, 0x7F + 0x80 + 0x3FFF);
  EXPECT_EQ(ev[3].tick, int64_t(0x7F + 0x80 + 0x3FFF) + 0x0FFFFFFF);
}

TEST(Parse, LongMetaLength) {
  Bytes text(300, 'a');
  File f = parse(smf0(cat({{0x00, 0xFF, 0x01}, vlq(300), text})));
  EXPECT_EQ(f.text(only_track(f).events[0]).size(), 300u);
}

TEST(Parse, Format1And2) {
  for (uint16_t format : {1, 2}) {
    Bytes b = cat({header(format, 3, 480), track(cat({{0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20}, kEndOfTrack})),
                   track(cat({{0x00, 0x90, 60, 90, 0x83, 0x60, 0x80, 60, 0}, kEndOfTrack})),
                   track(cat({{0x00, 0x99, 36, 90}, kEndOfTrack}))});
    File f = parse(b);
    EXPECT_EQ(f.format, format);
    ASSERT_EQ(f.tracks.size(), 3u);
    EXPECT_EQ(f.tracks[1].events[1].tick, 480);
    EXPECT_EQ(f.tracks[2].events[0].channel(), 9);
  }
}

TEST(Parse, LongHeaderAndUnknownChunksAreSkipped) {
  Bytes b = cat({header(1, 2, 96, 10), chunk("XFIH", {1, 2, 3}),
                 track(cat({{0x00, 0x90, 60, 90}, kEndOfTrack})), chunk("XFKM", Bytes(20, 0x90)),
                 track(cat({{0x00, 0x91, 61, 91}, kEndOfTrack}))});
  File f = parse(b);
  ASSERT_EQ(f.tracks.size(), 2u);
  EXPECT_EQ(f.tracks[1].events[0].data1, 61);
  EXPECT_EQ(f.division.ticks_per_beat, 96);
}

TEST(Parse, MissingEndOfTrackAndBytesAfterItAndTrailingJunk) {
  Bytes b = cat({header(1, 2, 96), track({0x00, 0x90, 60, 90, 0x10, 0x80, 60, 0}),
                 track(cat({{0x00, 0x91, 61, 91}, kEndOfTrack, {0x00, 0x00, 0x00}})), {0, 0, 0}});
  File f = parse(b);
  ASSERT_EQ(f.tracks.size(), 2u);
  EXPECT_EQ(f.tracks[0].events.size(), 2u);  // no End of Track, accepted
  EXPECT_EQ(f.tracks[1].events.size(), 2u);  // the bytes after End of Track are ignored
}

TEST(Parse, TrackCountDifferentFromHeader) {
  Bytes t = track(cat({{0x00, 0x90, 60, 90}, kEndOfTrack}));
  EXPECT_EQ(parse(cat({header(1, 3, 96), t, t})).tracks.size(), 2u);  // fewer than declared
  EXPECT_EQ(parse(cat({header(1, 1, 96), t, t})).tracks.size(), 2u);  // more than declared
  EXPECT_EQ(parse(header(1, 0, 96)).tracks.size(), 0u);              // none, none declared
}

TEST(Parse, SmpteDivision) {
  const std::pair<uint8_t, int> rates[] = {{0xE8, 24}, {0xE7, 25}, {0xE3, 29}, {0xE2, 30}};
  for (auto [high, fps] : rates) {
    File f = parse(cat({header(0, 1, uint16_t(high << 8 | 40)), track(kEndOfTrack)}));
    EXPECT_TRUE(f.division.smpte);
    EXPECT_EQ(f.division.fps, fps);
    EXPECT_EQ(f.division.ticks_per_frame, 40);
  }
}

TEST(Parse, RmidWrapper) {
  Bytes smf = smf0({0x00, 0x90, 60, 90});
  Bytes list = cat({str("LIST"), le32(5), str("INFOx"), {0}});  // odd length, padded
  Bytes body = cat({str("RMID"), list, str("data"), le32(uint32_t(smf.size())), smf});
  Bytes rmid = cat({str("RIFF"), le32(uint32_t(body.size())), body});
  File f = parse(rmid);
  ASSERT_EQ(f.tracks.size(), 1u);
  EXPECT_EQ(f.tracks[0].events[0].data1, 60);
  // Error offsets count from the start of the RIFF file.
  Bytes broken = rmid;
  broken[rmid.size() - smf.size() + 12] = 0x80;  // MThd division high byte: a bad SMPTE rate
  EXPECT_NE(parse_error(broken).find("(at byte " + std::to_string(rmid.size() - smf.size() + 12) + ")"),
            std::string::npos)
      << parse_error(broken);
}

TEST(Parse, ErrorMessageNamesFileProblemAndOffset) {
  EXPECT_EQ(parse_error(smf0({0x00, 0x3C, 0x40}), "song.mid"),
            "song.mid: running status with no status byte (at byte 23)");
  EXPECT_EQ(parse_error({}, "a.mid"), "a.mid: empty file (at byte 0)");
  EXPECT_EQ(parse_error(header(0, 1, 0), "z.mid"), "z.mid: zero division (0 ticks per beat) (at byte 12)");
}

TEST(Parse, Errors) {
  const std::pair<Bytes, const char*> cases[] = {
      {str("hello"), "not a MIDI file"},
      {str("MThd"), "truncated header"},
      {cat({header(0, 1, 96, 5), track(kEndOfTrack)}), "header chunk too short"},
      {header(4, 1, 96), "unknown format"},
      {header(0, 1, 0xEC28), "bad SMPTE frame rate"},
      {header(0, 1, 0xE700), "zero division"},
      {header(0, 2, 96), "no track chunk"},
      {cat({header(0, 1, 96), str("MTrk"), be32(100), {0, 0x90}}), "chunk length past the end"},
      {smf0({0xFF, 0xFF, 0xFF, 0xFF, 0x00}), "absurd variable-length number"},
      {smf0({0x00, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}), "absurd variable-length number"},
      {cat({header(0, 1, 96), track({0x00, 0x90, 60})}), "truncated channel message"},
      {cat({header(0, 1, 96), track({0x00, 0xC0})}), "truncated channel message"},
      {cat({header(0, 1, 96), track({0x00, 0xFF, 0x03, 0x05, 'a'})}), "truncated meta event"},
      {cat({header(0, 1, 96), track({0x00, 0xFF})}), "truncated meta event"},
      {cat({header(0, 1, 96), track({0x00, 0xFF, 0x03})}), "truncated meta event"},
      {cat({header(0, 1, 96), track({0x00, 0xF0, 0x7F, 0x01})}), "truncated sysex event"},
      {cat({header(0, 1, 96), track({0x00, 0xF0, 0xFF, 0xFF, 0xFF, 0x7F})}), "truncated sysex event"},
      {cat({header(0, 1, 96), track({0x81})}), "truncated delta time"},
      {cat({header(0, 1, 96), track({0x00})}), "truncated event"},
      {smf0({0x00, 0x90, 0x3C, 0x90}), "data byte above 127"},
      {smf0({0x00, 0xF1, 0x01}), "unexpected status byte 0xF1"},
      {cat({str("RIFF"), le32(4), str("RMID")}), "RIFF file without a 'data' chunk"},
      {cat({str("RIFF"), le32(4), str("WAVE")}), "RIFF file is not RMID"},
      {str("RIFF1234"), "truncated RIFF header"},
  };
  for (const auto& [bytes, phrase] : cases) {
    std::string msg = parse_error(bytes, "bad.mid");
    EXPECT_NE(msg.find(phrase), std::string::npos) << "expected '" << phrase << "', got '" << msg << "'";
    EXPECT_EQ(msg.rfind("bad.mid: ", 0), 0u) << msg;
    EXPECT_NE(msg.find("(at byte "), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace continuo::midi
