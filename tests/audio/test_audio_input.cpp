// Recordings that cannot be transcribed get one clear line and a non-zero exit from the CLI (never
// a crash); the decoder's limits; the join of a continuation onto a recording.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/transcribe.hpp"
#include "test_support.hpp"

namespace continuo::audio {
namespace {

// A 16-bit WAV of `seconds` of a 440 Hz tone (amplitude `amp`) on every channel.
Audio tone(int rate, int channels, double seconds, double amp, double hz = 440) {
  Audio a;
  a.sample_rate = rate;
  a.channels = channels;
  const auto n = size_t(seconds * rate);
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < channels; ++c)
      a.samples.push_back(int16_t(std::lround(amp * 32767 * std::sin(2 * M_PI * hz * double(i) / rate))));
  return a;
}

void write(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Runs `continuo transcribe FILE -o OUT.mid EXTRA`; expects failure with one line naming `what`.
void expect_refused(const testing::TempDir& dir, const std::string& file, const std::string& what,
                    const std::string& extra = "") {
  std::string out;
  const int rc = testing::run_command(testing::continuo_binary() + " transcribe '" + file + "' -o '" +
                                          dir.file("out.mid") + "' " + extra + " 2>&1",
                                      &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find(what), std::string::npos) << out;
  EXPECT_EQ(out.find("terminate"), std::string::npos) << out;
}

TEST(AudioInput, BadFilesGetOneLineAndAnError) {
  testing::TempDir dir;
  write(dir.file("text.wav"), std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', '\n'});
  expect_refused(dir, dir.file("text.wav"), "not an audio file");
  write(dir.file("empty.wav"), {});
  expect_refused(dir, dir.file("empty.wav"), "empty");
  std::vector<uint8_t> wav = wav_bytes(tone(22050, 1, 1.0, 0.3));
  std::vector<uint8_t> cut(wav.begin(), wav.begin() + ptrdiff_t(wav.size() / 2));
  write(dir.file("truncated.wav"), cut);
  expect_refused(dir, dir.file("truncated.wav"), "truncated");
  std::vector<uint8_t> garbage(wav.begin(), wav.begin() + 12);   // RIFF....WAVE and then noise
  for (int i = 0; i < 500; ++i) garbage.push_back(uint8_t(i * 37 + 11));
  write(dir.file("corrupt.wav"), garbage);
  expect_refused(dir, dir.file("corrupt.wav"), "cannot decode");
  write(dir.file("header_only.wav"), wav_bytes(tone(22050, 1, 0.0, 0.3)));
  expect_refused(dir, dir.file("header_only.wav"), "no samples");
  write(dir.file("silence.wav"), wav_bytes(tone(22050, 1, 2.0, 0.0)));
  expect_refused(dir, dir.file("silence.wav"), "no notes heard");
  write(dir.file("many.wav"), wav_bytes(tone(22050, 12, 0.2, 0.3)));
  expect_refused(dir, dir.file("many.wav"), "12 channels");
  write(dir.file("slow.wav"), wav_bytes(tone(4000, 1, 0.5, 0.3)));
  expect_refused(dir, dir.file("slow.wav"), "sample rate 4000");
  write(dir.file("long.wav"), wav_bytes(tone(22050, 1, 3.0, 0.3)));
  expect_refused(dir, dir.file("long.wav"), "longer than the limit", "--max-seconds 2");
  expect_refused(dir, dir.file("missing.wav"), "missing.wav");
}

TEST(AudioInput, OddSampleRateAndStereoAreTranscribed) {
  testing::TempDir dir;
  write(dir.file("odd.wav"), wav_bytes(tone(12345, 2, 1.5, 0.3)));
  std::string out;
  ASSERT_EQ(testing::run_command(testing::continuo_binary() + " transcribe '" + dir.file("odd.wav") + "' -o '" +
                                     dir.file("odd.mid") + "' 2>&1",
                                 &out),
            0)
      << out;
  const score::Score s = score::load(dir.file("odd.mid"));
  ASSERT_EQ(s.tracks.size(), 1u);
  ASSERT_FALSE(s.tracks[0].notes.empty());
  EXPECT_EQ(s.tracks[0].notes[0].pitch, 69);   // 440 Hz
}

TEST(AudioInput, SniffsFormatsByContent) {
  auto sniff = [](const std::string& s) { return sniff_format({reinterpret_cast<const uint8_t*>(s.data()), s.size()}); };
  EXPECT_EQ(sniff("MThd\0\0\0\6"), "midi");
  EXPECT_EQ(sniff(std::string("RIFF\0\0\0\0WAVE", 12)), "wav");
  EXPECT_EQ(sniff("fLaC...."), "flac");
  EXPECT_EQ(sniff("OggS...."), "ogg");
  EXPECT_EQ(sniff("ID3\4...."), "mp3");
  EXPECT_EQ(sniff("\xFF\xFB\x90\x00"), "mp3");
  EXPECT_EQ(sniff("hello"), "");
}

TEST(Join, NoClickMatchedLoudnessSeamAtTheGivenTime) {
  Signal clip;
  clip.sample_rate = 22050;
  const Audio t = tone(22050, 1, 4.0, 0.25);
  for (int16_t v : t.samples) clip.samples.push_back(float(v) / 32768.0f);
  const Audio cont = tone(22050, 2, 3.0, 0.05, 330);   // 14 dB quieter, another pitch
  JoinReport rep;
  const Audio out = join_at(clip, cont, 3.0, 0.05, &rep);
  EXPECT_NEAR(rep.seam_s, 3.0, 1e-4);
  EXPECT_EQ(out.frames(), int64_t(3.0 * 22050) + cont.frames());
  EXPECT_LE(rep.max_step_seam, rep.max_step_clip * 1.05);   // no step bigger than the clip's own
  EXPECT_NEAR(rep.cont_db, rep.clip_last_db, 3.0);
  EXPECT_NEAR(rep.gain_db, 20 * std::log10(0.25 / 0.05), 1.0);
}

// The transcription's MIDI puts every tracked beat on a beat tick and the downbeats on bar lines.
TEST(BeatGrid, NotesLandOnTheBeatTicksAndBarsOnDownbeats) {
  BeatGrid g;
  g.bpm = 100;
  g.beats_per_bar = 4;
  g.first_downbeat = 2;   // the third tracked beat starts a bar: a pickup of two beats
  for (int i = 0; i < 16; ++i) g.beats.push_back(0.4 + 0.6 * i + (i % 2 ? 0.01 : 0.0));   // a little uneven
  std::vector<NoteEvent> notes;
  for (int i = 0; i < 16; ++i) notes.push_back({g.beats[size_t(i)], g.beats[size_t(i)] + 0.3, 60 + i, 0.5, {}});
  const score::Score s = notes_to_score(notes, g);
  ASSERT_EQ(s.tracks.size(), 1u);
  const auto& n = s.tracks[0].notes;
  ASSERT_EQ(n.size(), 16u);
  // time 0 starts a beat of its own (0.4 s is more than half a beat), so tracked beat i is beat i + 1
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(n[size_t(i)].start.count(), int64_t(i + 1) * s.ticks_per_beat) << i;
    EXPECT_NEAR(score::tick_to_seconds(s, n[size_t(i)].start).count(), g.beats[size_t(i)], 1e-3);
  }
  // the first downbeat (tracked beat 2 = beat 3) is the start of bar 2, after a 3/4 pickup bar
  EXPECT_EQ(score::bar_start(s, 1).count(), 3 * s.ticks_per_beat);
  EXPECT_EQ(score::bar_start(s, 2).count(), 7 * s.ticks_per_beat);
  EXPECT_EQ(n[0].velocity, 64);   // round(127 * 0.5)
}

// Audio in, audio out: the example rendered (8 s), continued by 4 s with the default model.
TEST(ContinueRecording, WritesTheJoinedAudioAndTheMidi) {
  testing::TempDir dir;
  score::Score ex = score::load(std::string(CONTINUO_SOURCE_DIR) + "/examples/example.mid");
  ex = score::slice_ticks(ex, Ticks(0), score::seconds_to_tick(ex, Seconds(8.0)));
  RenderOptions ro;
  ro.sample_rate = 22050;
  ro.tail_seconds = 0;
  save_wav(render(ex, ro), dir.file("clip.wav"));
  std::string out;
  ASSERT_EQ(testing::run_command(testing::continuo_binary() + " continue '" + dir.file("clip.wav") + "' -o '" +
                                     dir.file("out.wav") + "' --midi '" + dir.file("out.mid") +
                                     "' --seconds 4 --seed 1 2>&1",
                                 &out),
            0)
      << out;
  EXPECT_NE(out.find("General MIDI rendering"), std::string::npos) << out;
  const Audio joined = parse_wav(midi::read_file_bytes(dir.file("out.wav")));
  EXPECT_EQ(joined.sample_rate, 22050);
  EXPECT_GT(joined.seconds(), 8.0);   // up to the last downbeat, then 4 s and the release tail
  EXPECT_LT(joined.seconds(), 8.0 + 4.0 + 1.5);
  const score::Score both = score::load(dir.file("out.mid"));
  ASSERT_EQ(both.tracks.size(), 2u);
  EXPECT_EQ(both.tracks[1].name, "continuation");
  EXPECT_FALSE(both.tracks[0].notes.empty());
}

}  // namespace
}  // namespace continuo::audio
