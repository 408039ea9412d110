// audio::render and WAV files: the example renders to non-silent audio whose length is the score's
// length plus the tail; WAV round trips; bad inputs give clear errors.
#include <gtest/gtest.h>

#include <cmath>

#include "continuo/audio.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "test_support.hpp"

namespace continuo {
namespace {

score::Score example() { return score::load(std::string(CONTINUO_SOURCE_DIR) + "/examples/example.mid"); }

// RMS of frames [begin, end) of one channel-interleaved buffer, in [0, 1].
double rms_between(const audio::Audio& a, double t0, double t1) {
  int64_t f0 = int64_t(t0 * a.sample_rate), f1 = std::min<int64_t>(int64_t(t1 * a.sample_rate), a.frames());
  double sum = 0;
  for (int64_t i = f0 * a.channels; i < f1 * a.channels; ++i) sum += double(a.samples[size_t(i)]) * a.samples[size_t(i)];
  return f1 > f0 ? std::sqrt(sum / double((f1 - f0) * a.channels)) / 32768.0 : 0.0;
}

TEST(Render, ExampleIsAudibleAndAsLongAsTheScore) {
  const score::Score s = example();
  const double seconds = score::tick_to_seconds(s, score::end_tick(s)).count();
  ASSERT_GT(seconds, 1.0);
  audio::RenderOptions opt;
  opt.tail_seconds = 0.5;
  audio::Audio a = audio::render(s, opt);
  EXPECT_EQ(a.sample_rate, 44100);
  EXPECT_EQ(a.channels, 2);
  EXPECT_EQ(a.frames(), std::llround((seconds + 0.5) * 44100));
  EXPECT_EQ(a.frames(), audio::render_frames(s, opt));
  EXPECT_GT(audio::rms(a), 0.01);   // clearly not silence
  // sound all along the piece, not only at its start
  EXPECT_GT(rms_between(a, seconds * 0.45, seconds * 0.55), 0.003);
  EXPECT_GT(rms_between(a, seconds * 0.85, seconds * 0.95), 0.003);
}

TEST(Render, EmptyScoreIsSilenceOfTheTailLength) {
  score::Score s;
  audio::RenderOptions opt;
  opt.tail_seconds = 0.25;
  opt.sample_rate = 22050;
  audio::Audio a = audio::render(s, opt);
  EXPECT_EQ(a.frames(), std::llround(0.25 * 22050));
  EXPECT_EQ(audio::rms(a), 0.0);
}

TEST(Render, RendererIsReusableAndDeterministic) {
  audio::Renderer r;
  const score::Score s = example();
  audio::Audio a = r.render(s), b = r.render(s);
  ASSERT_EQ(a.samples.size(), b.samples.size());
  // FluidSynth state (reverb tails, voices) is reset between renders: same score, same sound
  double diff = 0, sig = 0;
  for (size_t i = 0; i < a.samples.size(); ++i) {
    diff += std::pow(double(a.samples[i]) - b.samples[i], 2);
    sig += std::pow(double(a.samples[i]), 2);
  }
  EXPECT_GT(10 * std::log10(sig / std::max(diff, 1e-9)), 40.0);   // SNR > 40 dB
}

TEST(Render, LongScoreIsRefused) {
  score::Score s;
  s.tracks.push_back({});
  s.tracks[0].notes.push_back({Ticks{480 * 1000}, Ticks{480}, 60, 100});   // at 500 s
  audio::RenderOptions opt;
  opt.max_seconds = 60;
  try {
    audio::render(s, opt);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("limited to 60 s"), std::string::npos) << e.what();
  }
}

TEST(Render, MissingSoundfontIsNotFound) {
  audio::RenderOptions opt;
  opt.soundfont = "/nonexistent/x.sf2";
  try {
    audio::Renderer r(opt);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("fluid-soundfont-gm"), std::string::npos) << e.what();
  }
}

TEST(Wav, RoundTripAndAtomicSave) {
  testing::TempDir dir;
  audio::Audio a;
  a.sample_rate = 8000;
  for (int i = 0; i < 1000; ++i) a.samples.push_back(int16_t((i * 37) % 65536 - 32768));
  const std::string path = dir.file("x.wav");
  audio::save_wav(a, path);
  const auto bytes = midi::read_file_bytes(path);
  EXPECT_EQ(bytes.size(), 44u + 2000u);
  audio::Audio b = audio::parse_wav(bytes);
  EXPECT_EQ(b.sample_rate, 8000);
  EXPECT_EQ(b.channels, 2);
  EXPECT_EQ(b.samples, a.samples);
  // no temporary left behind
  int files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(Wav, BrokenFilesAreCorruptData) {
  std::vector<uint8_t> junk = {'R', 'I', 'F', 'F', 1, 2, 3, 4, 'W', 'A', 'V', 'E', 'd', 'a', 't', 'a', 255, 255, 255, 255};
  EXPECT_THROW(audio::parse_wav(junk), Error);
  EXPECT_THROW(audio::parse_wav(std::vector<uint8_t>{1, 2, 3}), Error);
}

}  // namespace
}  // namespace continuo
