// audio/basic_pitch.cpp: running basic-pitch's network over a whole recording.
//
// The network sees fixed windows of 43844 samples (2 s at 22050 Hz) and answers 172 frames for
// each. As in the reference (basic_pitch/inference.py), the recording gets 3840 zeros in front,
// windows start every 36164 samples, the last one is padded with zeros, 15 frames are dropped at
// both ends of every window's answer, and the joined frames are cut to the recording's length.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "audio/tfjs_graph.hpp"
#include "continuo/error.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::audio {
namespace {

constexpr int kWindowSamples = 43844;
constexpr int kWindowFrames = 172;
constexpr int kOverlapFrames = 30;
constexpr int kOverlapSamples = kOverlapFrames * kBasicPitchHop;   // 7680
constexpr int kWindowHop = kWindowSamples - kOverlapSamples;      // 36164
constexpr int kKeptFrames = kWindowFrames - kOverlapFrames;        // 142 per window

struct Outputs {
  std::string note, onset, contour;   // node names in the graph
};

// The graph's three Identity outputs, told apart by the layer each one reads.
Outputs find_outputs(const tfjs::Graph& g) {
  Outputs o;
  for (const char* name : {"Identity", "Identity_1", "Identity_2"}) {
    const std::string src = g.input_of(name);
    if (src.find("/note/") != std::string::npos) o.note = name;
    else if (src.find("/onset/") != std::string::npos) o.onset = name;
    else if (src.find("/contour/") != std::string::npos) o.contour = name;
  }
  if (o.note.empty() || o.onset.empty() || o.contour.empty())
    throw Error(ErrorCode::kCorruptData, "basic-pitch model: cannot find the note, onset and contour outputs");
  return o;
}

}  // namespace

struct BasicPitch::Impl {
  tfjs::Graph graph;
  Outputs outputs;
};

std::string default_basic_pitch_dir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("CONTINUO_BASIC_PITCH"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = exe.parent_path().parent_path() / "models" / "basic-pitch";
    if (fs::is_regular_file(beside / "model.json", ec)) return beside.string();
  }
  return (fs::path(CONTINUO_SOURCE_DIR) / "models" / "basic-pitch").string();
}

BasicPitch::BasicPitch() = default;
BasicPitch::~BasicPitch() = default;
BasicPitch::BasicPitch(BasicPitch&&) noexcept = default;
BasicPitch& BasicPitch::operator=(BasicPitch&&) noexcept = default;

BasicPitch BasicPitch::load(const std::string& dir) {
  BasicPitch bp;
  bp.impl_ = std::make_unique<Impl>();
  bp.impl_->graph = tfjs::Graph::load(dir);
  bp.impl_->outputs = find_outputs(bp.impl_->graph);
  return bp;
}

Posteriorgrams BasicPitch::run(const Signal& s, int threads) const {
  if (!impl_) throw Error(ErrorCode::kInternal, "BasicPitch used before load()");
  if (s.sample_rate != kBasicPitchRate)
    throw Error(ErrorCode::kInvalidArgument, "basic-pitch needs audio at 22050 Hz, not " + std::to_string(s.sample_rate));
  const int64_t n = int64_t(s.samples.size());
  std::vector<float> padded(size_t(kOverlapSamples / 2), 0.0f);
  padded.insert(padded.end(), s.samples.begin(), s.samples.end());
  const int64_t n_windows = std::max<int64_t>(1, (int64_t(padded.size()) + kWindowHop - 1) / kWindowHop);
  // the reference's trim: int(n / 36164 * 142) frames
  const int frames = int(double(n) / kWindowHop * kKeptFrames);

  Posteriorgrams pg;
  pg.frames = frames;
  pg.note.assign(size_t(n_windows) * kKeptFrames * kBasicPitchPitches, 0.0f);
  pg.onset.assign(pg.note.size(), 0.0f);
  pg.contour.assign(size_t(n_windows) * kKeptFrames * kBasicPitchContourBins, 0.0f);

  const Outputs& o = impl_->outputs;
  auto run_window = [&](int64_t w) {
    std::vector<float> x(kWindowSamples, 0.0f);
    const int64_t start = w * kWindowHop;
    const int64_t len = std::min<int64_t>(kWindowSamples, int64_t(padded.size()) - start);
    std::copy(padded.begin() + start, padded.begin() + start + len, x.begin());
    auto outs = impl_->graph.run(tfjs::Tensor::floats({1, kWindowSamples, 1}, std::move(x)), {o.note, o.onset, o.contour});
    auto keep = [&](const tfjs::Tensor& t, int width, std::vector<float>& dst) {
      if (t.shape != std::vector<int64_t>{1, kWindowFrames, width})
        throw Error(ErrorCode::kCorruptData, "basic-pitch model: unexpected output shape");
      const float* src = t.f.data() + size_t(kOverlapFrames / 2) * size_t(width);   // [142, width] kept
      std::copy(src, src + size_t(kKeptFrames) * size_t(width), dst.begin() + w * kKeptFrames * width);
    };
    keep(outs[0], kBasicPitchPitches, pg.note);
    keep(outs[1], kBasicPitchPitches, pg.onset);
    keep(outs[2], kBasicPitchContourBins, pg.contour);
  };
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  threads = int(std::min<int64_t>(threads, n_windows));
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        for (int64_t w = t; w < n_windows; w += threads) run_window(w);
      } catch (...) {
        errors[size_t(t)] = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  pg.note.resize(size_t(frames) * kBasicPitchPitches);
  pg.onset.resize(size_t(frames) * kBasicPitchPitches);
  pg.contour.resize(size_t(frames) * kBasicPitchContourBins);
  return pg;
}

}  // namespace continuo::audio
