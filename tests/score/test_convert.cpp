// Unit tests of score/convert.cpp: reading hand-built midi::File objects, writing, round trips.
#include <gtest/gtest.h>

#include "continuo/error.hpp"
#include "continuo/limits.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"
#include "score_builders.hpp"
#include "test_support.hpp"

namespace continuo::score {
namespace {

using testing::make_file;
using testing::note;
using testing::TrackBuilder;

Score round_trip(const Score& s) { return from_midi(to_midi(s)); }
Score byte_round_trip(const Score& s) { return parse(serialize(s), "round trip"); }

TEST(FromMidi, OverlappingSamePitchNotesPairFirstInFirstOut) {
  midi::File f = make_file();
  TrackBuilder(f).on(0, 0, 60, 100).on(100, 0, 60, 50).off(200, 0, 60).off(300, 0, 60).end(300).done();
  Score s = from_midi(f);
  ASSERT_EQ(s.tracks.size(), 1u);
  EXPECT_EQ(s.tracks[0].notes, (std::vector<Note>{note(0, 200, 60, 100), note(100, 200, 60, 50)}));
}

TEST(FromMidi, VelocityZeroNoteOnIsANoteOff) {
  midi::File f = make_file();
  TrackBuilder(f).on(0, 3, 64, 90).on(240, 3, 64, 0).on(240, 3, 64, 70).on(480, 3, 64, 0).end(480).done();
  Score s = from_midi(f);
  ASSERT_EQ(s.tracks.size(), 1u);
  EXPECT_EQ(s.tracks[0].channel, 3);
  EXPECT_EQ(s.tracks[0].notes, (std::vector<Note>{note(0, 240, 64, 90), note(240, 240, 64, 70)}));
}

TEST(FromMidi, StrayNoteOffIgnoredAndHangingNotesEndAtTrackEnd) {
  midi::File f = make_file();
  TrackBuilder(f).off(0, 0, 50).on(10, 0, 60, 80).on(20, 0, 60, 80).off(30, 0, 60).end(1000).done();
  Score s = from_midi(f);
  ASSERT_EQ(s.tracks.size(), 1u);
  EXPECT_EQ(s.tracks[0].notes, (std::vector<Note>{note(10, 20, 60), note(20, 980, 60)}));
}

TEST(FromMidi, ZeroLengthNotesAndChordOrder) {
  midi::File f = make_file();
  TrackBuilder(f).on(0, 0, 67, 80).on(0, 0, 60, 80).off(0, 0, 67).on(0, 0, 64, 80)
      .off(100, 0, 60).off(100, 0, 64).end(100).done();
  Score s = from_midi(f);
  ASSERT_EQ(s.tracks.size(), 1u);
  EXPECT_EQ(s.tracks[0].notes,
            (std::vector<Note>{note(0, 100, 60), note(0, 100, 64), note(0, 0, 67)}));
}

TEST(FromMidi, OneTrackPerMidiTrackAndChannel) {
  midi::File f = make_file(96, 1);
  TrackBuilder(f).text(0, midi::Meta::kTrackName, "Song").tempo(0, 600000).time_sig(0, 3, 2)
      .key_sig(0, -3, true).text(0, midi::Meta::kCopyright, "(c) nobody").sysex(0, {0x7E, 0x7F, 0x09, 0x01, 0xF7})
      .end(0).done();
  TrackBuilder(f).text(0, midi::Meta::kTrackName, "Band").cc(0, 2, 0, 1).cc(0, 2, 32, 3).cc(0, 2, 7, 90)
      .program(0, 2, 24).program(10, 2, 25).program(0, 9, 0).on(0, 9, 36, 100).on(0, 2, 52, 60)
      .bend(5, 2, -8192).bend(6, 2, 8191).cc(8, 2, 0, 5).off(48, 9, 36).off(96, 2, 52)
      .text(50, midi::Meta::kLyric, "la").end(96).done();
  TrackBuilder(f).program(0, 2, 40).end(0).done();     // only a program change: a track
  TrackBuilder(f).cc(0, 4, 7, 100).bend(0, 5, 10).end(0).done();  // no notes, no program: none
  Score s = from_midi(f);
  EXPECT_EQ(s.ticks_per_beat, 96);
  ASSERT_EQ(s.tracks.size(), 3u);
  const Track& guitar = s.tracks[0];
  EXPECT_EQ(guitar.name, "Band");
  EXPECT_EQ(guitar.channel, 2);
  EXPECT_EQ(guitar.program, 24);  // the first program change
  EXPECT_EQ(guitar.bank, 1 * 128 + 3);
  EXPECT_FALSE(guitar.is_drum);
  EXPECT_EQ(guitar.controls, (std::vector<ControlChange>{{Ticks{0}, 7, 90}}));  // CC0/CC32 folded
  EXPECT_EQ(guitar.bends, (std::vector<PitchBend>{{Ticks{5}, -8192}, {Ticks{6}, 8191}}));
  EXPECT_EQ(guitar.notes, (std::vector<Note>{note(0, 96, 52, 60)}));
  EXPECT_EQ(guitar.texts, (std::vector<TextEvent>{{Ticks{50}, 5, "la"}}));
  const Track& drums = s.tracks[1];
  EXPECT_EQ(drums.name, "Band");
  EXPECT_EQ(drums.channel, 9);
  EXPECT_TRUE(drums.is_drum);
  EXPECT_TRUE(drums.texts.empty());
  EXPECT_EQ(drums.notes, (std::vector<Note>{note(0, 48, 36, 100)}));
  EXPECT_EQ(s.tracks[2].program, 40);
  EXPECT_TRUE(s.tracks[2].notes.empty());

  EXPECT_EQ(s.tempos, (std::vector<TempoChange>{{Ticks{0}, 600000}}));
  EXPECT_EQ(s.time_signatures, (std::vector<TimeSignature>{{Ticks{0}, 3, 4}}));
  EXPECT_EQ(s.key_signatures, (std::vector<KeySignature>{{Ticks{0}, -3, true}}));
  EXPECT_EQ(s.global_texts, (std::vector<TextEvent>{{Ticks{0}, 3, "Song"}, {Ticks{0}, 2, "(c) nobody"}}));
  ASSERT_EQ(s.global_sysex.size(), 1u);
  EXPECT_EQ(s.global_sysex[0].bytes, (std::vector<uint8_t>{0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7}));
  EXPECT_EQ(round_trip(s), s);
}

TEST(FromMidi, TempoAndSignaturesFromAnyTrackLastOneAtATickWins) {
  midi::File f = make_file(480, 1);
  TrackBuilder(f).tempo(0, 500000).tempo(0, 400000).tempo(960, 300000).time_sig(0, 4, 2).end(960).done();
  TrackBuilder(f).tempo(480, 450000).tempo(960, 250000).time_sig(0, 6, 3).on(0, 0, 60, 1).end(10).done();
  Score s = from_midi(f);
  EXPECT_EQ(s.tempos, (std::vector<TempoChange>{{Ticks{0}, 400000}, {Ticks{480}, 450000}, {Ticks{960}, 250000}}));
  EXPECT_EQ(s.time_signatures, (std::vector<TimeSignature>{{Ticks{0}, 6, 8}}));
}

TEST(FromMidi, FormatZeroAndSmpteDivision) {
  midi::File f;
  f.format = 0;
  f.division.smpte = true;
  f.division.fps = 25;
  f.division.ticks_per_frame = 40;
  TrackBuilder(f).tempo(0, 123456).meta(0, midi::Meta::kSmpteOffset, {1, 2, 3, 4, 5})
      .on(0, 0, 60, 80).off(1000, 0, 60).on(2500, 1, 62, 80).off(3000, 1, 62).end(3000).done();
  Score s = from_midi(f);
  EXPECT_TRUE(s.source_smpte);
  EXPECT_EQ(s.source_format, 0);
  EXPECT_EQ(s.ticks_per_beat, 1000);
  EXPECT_EQ(s.tempos, (std::vector<TempoChange>{{Ticks{0}, 1000000}}));  // tempo meta ignored
  ASSERT_TRUE(s.smpte_offset);
  EXPECT_EQ(*s.smpte_offset, (SmpteOffset{1, 2, 3, 4, 5}));
  ASSERT_EQ(s.tracks.size(), 2u);
  // 25 frames of 40 ticks per second: tick 1000 is exactly 1 s, 2500 is 2.5 s.
  EXPECT_EQ(tick_to_seconds(s, Ticks{1000}).count(), 1.0);
  EXPECT_EQ(tick_to_seconds(s, Ticks{2500}).count(), 2.5);
  EXPECT_EQ(tick_to_seconds(s, Ticks{1}).count(), 0.001);
  Score back = round_trip(s);
  EXPECT_FALSE(back.source_smpte);
  EXPECT_EQ(back, s);

  // 29.97 drop frame: 30 frames per 1.001 s.
  f.division.fps = 29;
  f.division.ticks_per_frame = 4;
  s = from_midi(f);
  EXPECT_EQ(s.ticks_per_beat, 120);
  EXPECT_EQ(tick_to_seconds(s, Ticks{120}).count(), 1.001);
  EXPECT_DOUBLE_EQ(tick_to_seconds(s, Ticks{4}).count(), 1.001 / 30);
}

TEST(FromMidi, TrackNameRulesSurviveRoundTrip) {
  midi::File f = make_file();
  // An empty name first, then a second name meta: the second stays a text.
  TrackBuilder(f).text(0, midi::Meta::kTrackName, "").text(5, midi::Meta::kTrackName, "late").on(0, 0, 60, 9)
      .end(10).done();
  Score s = from_midi(f);
  ASSERT_EQ(s.tracks.size(), 1u);
  EXPECT_EQ(s.tracks[0].name, "");
  EXPECT_EQ(s.tracks[0].texts, (std::vector<TextEvent>{{Ticks{5}, 3, "late"}}));
  EXPECT_EQ(round_trip(s), s);
}

TEST(ToMidi, WritesConductorThenTracksWithNoteOffsFirst) {
  Score s;
  s.ticks_per_beat = 100;
  Track t;
  t.channel = 4;
  t.program = 10;
  t.notes = {note(0, 100, 60), note(100, 50, 60), note(100, 0, 61)};
  s.tracks = {t};
  s.tempos = {TempoChange{Ticks{0}, 500000}};
  midi::File f = to_midi(s);
  EXPECT_EQ(f.format, 1);
  EXPECT_EQ(f.division.ticks_per_beat, 100);
  ASSERT_EQ(f.tracks.size(), 2u);
  const auto& ev = f.tracks[1].events;
  // program, on 60, [tick 100] off 60, on 60, on 61, off 61, [150] off 60
  std::vector<std::tuple<int64_t, int, int>> got;
  for (const auto& e : ev)
    if (e.is_channel()) got.emplace_back(e.tick, e.status, e.data1);
  std::vector<std::tuple<int64_t, int, int>> want = {
      {0, 0xC4, 10}, {0, 0x94, 60}, {100, 0x84, 60}, {100, 0x94, 60},
      {100, 0x94, 61}, {100, 0x84, 61}, {150, 0x84, 60}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(round_trip(s), s);
}

TEST(ToMidi, RejectsWhatMidiCannotHold) {
  Score s;
  s.tracks.push_back(Track{});
  s.tracks[0].channel = 16;
  EXPECT_THROW(to_midi(s), Error);
  s.tracks[0].channel = 0;
  s.ticks_per_beat = 40000;
  EXPECT_THROW(to_midi(s), Error);
  s.ticks_per_beat = 480;
  s.tracks[0].notes = {note(-1, 10, 60)};
  EXPECT_THROW(to_midi(s), Error);
  s.tracks[0].notes.clear();
  s.time_signatures = {TimeSignature{Ticks{0}, 3, 3}};
  EXPECT_THROW(to_midi(s), Error);
}

TEST(RoundTrip, SampleScore) {
  Score s = testing::sample_score();
  EXPECT_EQ(round_trip(s), s);
  EXPECT_EQ(byte_round_trip(s), s);
}

TEST(RoundTrip, EdgeCases) {
  Score s;
  s.ticks_per_beat = 1;
  Track t;
  t.name = "edge";
  t.channel = 15;
  t.program = 127;
  t.bank = 16383;
  // Overlapping same-pitch notes (FIFO-consistent), identical stacked notes, zero-length notes
  // at the start and end of others, a note at a huge tick.
  t.notes = {note(0, 0, 60), note(0, 3, 60), note(0, 3, 60), note(1, 2, 60), note(3, 0, 60),
             note(3, 4, 60, 1), note(7, 0, 127, 127), note(1 << 27, 1, 0)};
  t.controls = {ControlChange{Ticks{0}, 101, 0}, ControlChange{Ticks{0}, 100, 0},
                ControlChange{Ticks{0}, 6, 12}, ControlChange{Ticks{0}, 6, 12}};
  t.bends = {PitchBend{Ticks{0}, -8192}, PitchBend{Ticks{0}, 8191}};
  t.texts = {TextEvent{Ticks{2}, 5, "\xff\xfe binary"}, TextEvent{Ticks{2}, 1, ""}};
  t.sysex = {SysEx{Ticks{0}, {0xF0, 0x43, 0x10, 0xF7}}, SysEx{Ticks{5}, {0xF7, 0x01}}};
  Track same_channel = t;  // a second track on the same channel
  same_channel.name = "";
  same_channel.texts.clear();
  s.tracks = {t, same_channel};
  s.tempos = {TempoChange{Ticks{0}, 1}, TempoChange{Ticks{2}, 0xFFFFFF}};
  s.time_signatures = {TimeSignature{Ticks{0}, 255, 128}, TimeSignature{Ticks{9}, 1, 1}};
  s.key_signatures = {KeySignature{Ticks{0}, -7, true}, KeySignature{Ticks{4}, 7, false}};
  s.global_texts = {TextEvent{Ticks{0}, 3, "title"}, TextEvent{Ticks{1}, 6, "A"}};
  s.smpte_offset = SmpteOffset{96, 59, 59, 29, 99};
  EXPECT_EQ(round_trip(s), s);
  EXPECT_EQ(byte_round_trip(s), s);

  Score empty;
  EXPECT_EQ(byte_round_trip(empty), empty);
}

TEST(Files, SaveAndLoad) {
  continuo::testing::TempDir dir;
  Score s = testing::sample_score();
  save(s, dir.file("a.mid"));
  EXPECT_EQ(load(dir.file("a.mid")), s);
  try {
    load(dir.file("missing.mid"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("missing.mid"), std::string::npos);
  }
  const std::vector<uint8_t> junk = {'M', 'T', 'h', 'd', 0, 0};
  try {
    parse(junk, "junk.mid");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_EQ(std::string(e.what()).rfind("junk.mid: ", 0), 0u) << e.what();
  }
}

TEST(Normalize, SortsAndDropsDuplicates) {
  Score s;
  Track t;
  t.notes = {note(10, 5, 60), note(0, 5, 64), note(0, 5, 60), note(0, 5, 60)};
  t.controls = {ControlChange{Ticks{5}, 1, 1}, ControlChange{Ticks{0}, 7, 1}, ControlChange{Ticks{0}, 7, 1},
                ControlChange{Ticks{0}, 6, 1}};
  s.tracks = {t};
  s.tempos = {TempoChange{Ticks{10}, 1}, TempoChange{Ticks{0}, 2}, TempoChange{Ticks{0}, 3}};
  normalize(s);
  EXPECT_EQ(s.tracks[0].notes, (std::vector<Note>{note(0, 5, 60), note(0, 5, 64), note(10, 5, 60)}));
  EXPECT_EQ(s.tracks[0].controls, (std::vector<ControlChange>{{Ticks{0}, 7, 1}, {Ticks{0}, 6, 1}, {Ticks{5}, 1, 1}}));
  EXPECT_EQ(s.tempos, (std::vector<TempoChange>{{Ticks{0}, 3}, {Ticks{10}, 1}}));
}

TEST(Equality, IgnoresSourceFacts) {
  Score a = testing::sample_score(), b = a;
  b.source_format = 0;
  b.source_smpte = true;
  EXPECT_EQ(a, b);
  b.tracks[0].bank = 1;
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace continuo::score

namespace continuo {
// The stated limits of continuo/limits.hpp: a MIDI file over kMaxMidiFileBytes and a score of
// more than kMaxNotes notes are refused with a message naming the limit, before (bytes) or
// instead of (notes) the work that would follow.
namespace {
// one track: `notes` quarter notes of pitch 60, as note-on / note-on velocity 0 with running status
std::vector<uint8_t> many_notes(int64_t notes) {
  std::vector<uint8_t> trk = {0x00, 0x90, 60, 64};   // the first note on, with its status
  trk.reserve(size_t(notes) * 8 + 16);
  for (int64_t i = 0; i < notes; ++i) {
    if (i > 0) trk.insert(trk.end(), {0x00, 60, 64});   // on (running status)
    trk.insert(trk.end(), {0x60, 60, 0});                // off after 96 ticks
  }
  trk.insert(trk.end(), {0x00, 0xFF, 0x2F, 0x00});
  std::vector<uint8_t> f = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0, 'M', 'T', 'r', 'k'};
  const uint32_t n = uint32_t(trk.size());
  f.insert(f.end(), {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)});
  f.insert(f.end(), trk.begin(), trk.end());
  return f;
}

// `tracks` MIDI tracks of one note each, on channels 0..15 with program i % 128
std::vector<uint8_t> many_tracks(int tracks) {
  std::vector<uint8_t> f = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, uint8_t(tracks >> 8), uint8_t(tracks), 0x01, 0xE0};
  for (int i = 0; i < tracks; ++i) {
    const uint8_t ch = uint8_t(i % 16), p = uint8_t(60 + i % 24);
    const std::vector<uint8_t> trk = {0x00, uint8_t(0xC0 | ch), uint8_t(i % 128), 0x00, uint8_t(0x90 | ch), p, 90,
                                      0x60, uint8_t(0x80 | ch), p, 0, 0x00, 0xFF, 0x2F, 0x00};
    f.insert(f.end(), {'M', 'T', 'r', 'k', 0, 0, 0, uint8_t(trk.size())});
    f.insert(f.end(), trk.begin(), trk.end());
  }
  return f;
}
}  // namespace

TEST(Limits, TooManyTracksAreRefused) {
  EXPECT_EQ(score::parse(many_tracks(5000), "5000.mid").tracks.size(), 5000u);
  try {
    score::parse(many_tracks(65535), "65535.mid");
    ADD_FAILURE() << "a score over the track limit was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("65535.mid: 65535 tracks; Continuo reads at most " + std::to_string(limits::kMaxTracks)),
              std::string::npos) << e.what();
  }
}

TEST(Limits, TooManyNotesAndTooLargeFilesAreRefused) {
  EXPECT_EQ(score::parse(many_notes(1000), "small.mid").tracks.at(0).notes.size(), 1000u);
  try {
    score::parse(many_notes(limits::kMaxNotes + 1), "many.mid");
    ADD_FAILURE() << "a score over the note limit was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("many.mid: " + std::to_string(limits::kMaxNotes + 1) + " notes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("kMaxNotes"), std::string::npos) << e.what();
  }
  std::vector<uint8_t> big = many_notes(10);
  big.resize(size_t(limits::kMaxMidiFileBytes) + 1, 0);   // trailing bytes after the track
  try {
    score::parse(big, "big.mid");
    ADD_FAILURE() << "a file over the byte limit was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("kMaxMidiFileBytes"), std::string::npos) << e.what();
  }
  // from a file: refused before it is read
  continuo::testing::TempDir dir;
  const std::string path = dir.file("big.mid");
  write_file_atomic(path, std::span<const uint8_t>(big));
  EXPECT_THROW(score::load(path), Error);
  EXPECT_THROW(midi::read_file_bytes(path, 1000), Error);
  EXPECT_EQ(midi::read_file_bytes(path).size(), big.size());
}
}  // namespace continuo
