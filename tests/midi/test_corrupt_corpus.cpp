// Every file of tests/data/corrupt/ (written by tools/make_corrupt_corpus.py) is named after the
// failure it causes: parsing it must throw kCorruptData with the expected phrase, the file name
// and the byte offset.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "test_support.hpp"

namespace continuo::midi {
namespace {

const std::map<std::string, std::string> kExpected = {
    {"absurd_meta_length.mid", "absurd variable-length number"},
    {"absurd_vlq.mid", "absurd variable-length number"},
    {"bad_smpte_frame_rate.mid", "bad SMPTE frame rate 20"},
    {"chunk_length_past_end.mid", "chunk length past the end"},
    {"data_byte_out_of_range.mid", "data byte above 127"},
    {"delta_without_event.mid", "truncated event"},
    {"empty_file.mid", "empty file"},
    {"header_length_past_end.mid", "chunk length past the end (MThd)"},
    {"header_too_short.mid", "header chunk too short"},
    {"huge_sysex_length.mid", "truncated sysex event"},
    {"no_track_chunk.mid", "no track chunk"},
    {"not_midi.mid", "not a MIDI file"},
    {"riff_data_not_midi.mid", "not a MIDI file"},
    {"riff_not_rmid.mid", "RIFF file is not RMID"},
    {"riff_truncated_midi.mid", "chunk length past the end"},
    {"riff_without_data.mid", "RIFF file without a 'data' chunk"},
    {"running_status_without_status.mid", "running status with no status byte"},
    {"truncated_channel_message.mid", "truncated channel message"},
    {"truncated_chunk.mid", "chunk length past the end"},
    {"truncated_delta_time.mid", "truncated delta time"},
    {"truncated_header.mid", "truncated header"},
    {"truncated_meta.mid", "truncated meta event"},
    {"truncated_meta_type.mid", "truncated meta event"},
    {"truncated_program_change.mid", "truncated channel message"},
    {"truncated_riff_header.mid", "truncated RIFF header"},
    {"truncated_sysex.mid", "truncated sysex event"},
    {"truncated_sysex_escape.mid", "truncated sysex event"},
    {"unexpected_status_byte.mid", "unexpected status byte 0xF2"},
    {"unknown_format.mid", "unknown format 3"},
    {"zero_division.mid", "zero division"},
    {"zero_ticks_per_frame.mid", "zero division"},
};

TEST(CorruptCorpus, EveryFileFailsWithItsPhrase) {
  const auto dir = testing::test_data_dir() / "corrupt";
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    seen.insert(name);
    auto it = kExpected.find(name);
    if (it == kExpected.end()) {
      ADD_FAILURE() << name << ": no expected phrase in kExpected";
      continue;
    }
    std::vector<uint8_t> bytes = read_file_bytes(entry.path().string());
    try {
      parse(bytes, entry.path().string());
      ADD_FAILURE() << name << ": parsed without error";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << msg;
      EXPECT_EQ(msg.rfind(entry.path().string() + ": ", 0), 0u) << msg;
      EXPECT_NE(msg.find(it->second), std::string::npos) << name << ": " << msg;
      EXPECT_NE(msg.find(" (at byte "), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
  for (const auto& [name, phrase] : kExpected)
    EXPECT_TRUE(seen.count(name)) << name << " is missing: run tools/make_corrupt_corpus.py";
}

}  // namespace
}  // namespace continuo::midi
