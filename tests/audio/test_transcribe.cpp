// The basic-pitch port against the reference's own fixtures (../shared/eval/audio, see its
// SOURCES.md): the model outputs on vocadito_10.wav within 1e-4 of model_output.*.npy, the same 28
// note events as note_events.json, and the TF.js outputs on vocadito_14.wav
// (tests/data/audio/vocadito_14.tfjs.{json,f32}, made by tools/basic_pitch_tfjs_reference.mjs from
// the same 22050 Hz samples).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "audio/conv2d.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/transcribe.hpp"
#include "test_support.hpp"

namespace continuo::audio {
namespace {
namespace fs = std::filesystem;

fs::path fixtures() {
  if (const char* env = std::getenv("CONTINUO_AUDIO_FIXTURES"); env && *env) return env;
  return CONTINUO_SHARED_AUDIO;
}

#define REQUIRE_FIXTURES()                                                                          \
  if (!fs::is_regular_file(fixtures() / "basic-pitch" / "vocadito_10.wav"))                         \
  GTEST_SKIP() << "no basic-pitch fixtures at " << fixtures() << " (set CONTINUO_AUDIO_FIXTURES)"

// A float32 .npy array (little-endian, C order); returns the values and the shape.
std::vector<float> read_npy(const fs::path& p, std::vector<int64_t>* shape) {
  const auto bytes = midi::read_file_bytes(p.string());
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) throw std::runtime_error("not npy: " + p.string());
  const size_t header_len = bytes[6] == 1 ? size_t(bytes[8] | bytes[9] << 8) : size_t(bytes[8] | bytes[9] << 8 | bytes[10] << 16);
  const size_t data_at = bytes[6] == 1 ? 10 + header_len : 12 + header_len;
  const std::string header(bytes.begin() + (bytes[6] == 1 ? 10 : 12), bytes.begin() + ptrdiff_t(data_at));
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error("unexpected npy header: " + header);
  const size_t open = header.find('(', header.find("shape")), close = header.find(')', open);
  shape->clear();
  std::string dims = header.substr(open + 1, close - open - 1);
  for (size_t at = 0; at < dims.size();) {
    const size_t comma = dims.find(',', at);
    const std::string d = dims.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (d.find_first_of("0123456789") != std::string::npos) shape->push_back(std::stoll(d));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  std::vector<float> v((bytes.size() - data_at) / 4);
  std::memcpy(v.data(), bytes.data() + data_at, v.size() * 4);
  return v;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t k = 0; k < std::min(a.size(), b.size()); ++k) m = std::max(m, std::abs(double(a[k]) - double(b[k])));
  return m;
}

TEST(BasicPitch, ResamplesToTheReferenceLength) {
  REQUIRE_FIXTURES();
  const Signal s = decode_file((fixtures() / "basic-pitch" / "vocadito_10.wav").string());
  EXPECT_EQ(s.sample_rate, 44100);
  EXPECT_EQ(s.samples.size(), 401214u);
  EXPECT_EQ(resample(s, kBasicPitchRate).samples.size(), 200607u);   // librosa's original_length
}

// The reference's 28 note events (note_events.json), in its order, within 1e-4.
void expect_reference_notes(const std::vector<NoteEvent>& got) {
  std::ifstream f(fixtures() / "basic-pitch" / "vocadito_10" / "note_events.json");
  const auto want = nlohmann::json::parse(f);
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    SCOPED_TRACE("event " + std::to_string(k));
    const auto& w = want[k];
    EXPECT_NEAR(got[k].start_s, w["start_time_s"].get<double>(), 1e-4);
    EXPECT_NEAR(got[k].end_s, w["end_time_s"].get<double>(), 1e-4);
    EXPECT_EQ(got[k].pitch, w["pitch_midi"].get<int>());
    EXPECT_NEAR(got[k].amplitude, w["amplitude"].get<double>(), 1e-4);
    EXPECT_EQ(got[k].bends, w["pitch_bends"].get<std::vector<int>>());
  }
}

// The model output, then the notes made from it (one model run: it is the slow part).
TEST(BasicPitch, ModelOutputMatchesTheReference) {
  REQUIRE_FIXTURES();
  const BasicPitch bp = BasicPitch::load(default_basic_pitch_dir());
  const Posteriorgrams pg =
      bp.run(resample(decode_file((fixtures() / "basic-pitch" / "vocadito_10.wav").string()), kBasicPitchRate));
  ASSERT_EQ(pg.frames, 787);
  const fs::path dir = fixtures() / "basic-pitch" / "vocadito_10";
  std::vector<int64_t> shape;
  const auto note = read_npy(dir / "model_output.note.npy", &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{787, 88}));
  const auto onset = read_npy(dir / "model_output.onset.npy", &shape);
  const auto contour = read_npy(dir / "model_output.contour.npy", &shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{787, 264}));
  ASSERT_EQ(pg.note.size(), note.size());
  ASSERT_EQ(pg.onset.size(), onset.size());
  ASSERT_EQ(pg.contour.size(), contour.size());
  const double d_note = max_abs_diff(pg.note, note), d_onset = max_abs_diff(pg.onset, onset),
               d_contour = max_abs_diff(pg.contour, contour);
  std::printf("max |diff|: note %.3g, onset %.3g, contour %.3g\n", d_note, d_onset, d_contour);
  EXPECT_LE(d_note, 1e-4);
  EXPECT_LE(d_onset, 1e-4);
  EXPECT_LE(d_contour, 1e-4);
  SCOPED_TRACE("notes from our model output");
  expect_reference_notes(notes_from_posteriorgrams(pg));
}

// The note creation alone, fed the reference's own model output: exactly its 28 events.
TEST(BasicPitch, NotesFromTheReferenceOutputMatch) {
  REQUIRE_FIXTURES();
  const fs::path dir = fixtures() / "basic-pitch" / "vocadito_10";
  std::vector<int64_t> shape;
  Posteriorgrams pg;
  pg.note = read_npy(dir / "model_output.note.npy", &shape);
  pg.frames = int(shape[0]);
  pg.onset = read_npy(dir / "model_output.onset.npy", &shape);
  pg.contour = read_npy(dir / "model_output.contour.npy", &shape);
  expect_reference_notes(notes_from_posteriorgrams(pg));
}

TEST(BasicPitch, FrameTimesMatchTheReference) {
  EXPECT_NEAR(basic_pitch_frame_time(0), 0.0, 1e-12);
  EXPECT_NEAR(basic_pitch_frame_time(1), 0.0116, 1e-4);
  EXPECT_NEAR(basic_pitch_frame_time(786), 9.0841, 1e-4);   // SOURCES.md: the last frame time
}

TEST(BasicPitch, SecondClipMatchesTfjs) {
  REQUIRE_FIXTURES();
  const fs::path ref = testing::test_data_dir() / "audio" / "vocadito_14.tfjs";
  std::ifstream f(ref.string() + ".json");
  if (!f) GTEST_SKIP() << "no " << ref << ".json";
  const auto meta = nlohmann::json::parse(f);
  const int stride = meta["stride"].get<int>();
  const auto raw = midi::read_file_bytes(ref.string() + ".f32");
  std::vector<float> want(raw.size() / 4);
  std::memcpy(want.data(), raw.data(), want.size() * 4);
  const BasicPitch bp = BasicPitch::load(default_basic_pitch_dir());
  const Posteriorgrams pg =
      bp.run(resample(decode_file((fixtures() / "basic-pitch" / "vocadito_14.wav").string()), kBasicPitchRate));
  ASSERT_EQ(pg.frames, meta["frames"].get<int>());
  ASSERT_EQ(want.size(), size_t((pg.frames + stride - 1) / stride) * 440);
  double d[3] = {0, 0, 0};   // note, onset, contour
  for (int t = 0, row = 0; t < pg.frames; t += stride, ++row) {
    const float* w = want.data() + size_t(row) * 440;
    for (int k = 0; k < 88; ++k) {
      d[0] = std::max(d[0], std::abs(double(pg.note[size_t(t) * 88 + size_t(k)]) - w[k]));
      d[1] = std::max(d[1], std::abs(double(pg.onset[size_t(t) * 88 + size_t(k)]) - w[88 + k]));
    }
    for (int k = 0; k < 264; ++k)
      d[2] = std::max(d[2], std::abs(double(pg.contour[size_t(t) * 264 + size_t(k)]) - w[176 + k]));
  }
  std::printf("vocadito_14 vs TF.js (every %dth frame), max |diff|: note %.3g, onset %.3g, contour %.3g\n", stride,
              d[0], d[1], d[2]);
  EXPECT_LE(d[0], 1e-4);
  EXPECT_LE(d[1], 1e-4);
  EXPECT_LE(d[2], 1e-4);
}

TEST(Conv2d, FastMatchesReference) {
  // the model's layer shapes, small: strided SAME and VALID, 1..36 channels
  struct Case { int64_t h, w, ci, kh, kw, co, sh, sw; bool same; };
  for (const Case& k : {Case{6, 30, 8, 3, 7, 8, 1, 1, true}, Case{5, 26, 8, 5, 5, 32, 1, 3, true},
                        Case{1, 600, 1, 1, 256, 36, 1, 128, false}, Case{1, 700, 1, 1, 256, 1, 1, 2, false},
                        Case{9, 12, 33, 3, 3, 1, 1, 1, true}}) {
    ConvShape c;
    c.in_h = k.h;
    c.in_w = k.w;
    c.in_c = k.ci;
    c.k_h = k.kh;
    c.k_w = k.kw;
    c.out_c = k.co;
    c.stride_h = k.sh;
    c.stride_w = k.sw;
    if (k.same) {
      c.out_h = (k.h + k.sh - 1) / k.sh;
      c.out_w = (k.w + k.sw - 1) / k.sw;
      c.pad_top = std::max<int64_t>((c.out_h - 1) * k.sh + k.kh - k.h, 0) / 2;
      c.pad_left = std::max<int64_t>((c.out_w - 1) * k.sw + k.kw - k.w, 0) / 2;
    } else {
      c.out_h = (k.h - k.kh) / k.sh + 1;
      c.out_w = (k.w - k.kw) / k.sw + 1;
    }
    std::vector<float> x(size_t(k.h * k.w * k.ci)), w(size_t(k.kh * k.kw * k.ci * k.co)), b(size_t(k.co));
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.37 * double(i)));
    for (size_t i = 0; i < w.size(); ++i) w[i] = float(std::cos(0.11 * double(i))) * 0.1f;
    for (size_t i = 0; i < b.size(); ++i) b[i] = 0.01f * float(i);
    std::vector<float> fast(size_t(c.out_h * c.out_w * c.out_c)), ref(fast.size());
    conv2d_nhwc(c, x.data(), w.data(), b.data(), true, fast.data());
    conv2d_nhwc_reference(c, x.data(), w.data(), b.data(), true, ref.data());
    EXPECT_LE(max_abs_diff(fast, ref), 1e-4) << "case " << k.w << "x" << k.co;
  }
}

}  // namespace
}  // namespace continuo::audio
