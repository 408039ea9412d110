// drums/tools.cpp: Groove (humanize a drum part) and Drumify (drums from a rhythm).
#include <algorithm>
#include <cmath>
#include <random>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"

namespace continuo::drums {
namespace {

bool has_notes(const score::Score& s) {
  for (const auto& t : s.tracks)
    if (!t.notes.empty()) return true;
  return false;
}

}  // namespace

score::Score groove(const Net& net, const score::Score& s, const GrooveOptions& opt) {
  if (net.config().task != Task::kGroove)
    throw Error(ErrorCode::kInvalidArgument, "this model is a Drumify model; Groove needs a groove model");
  if (!(opt.strength >= 0 && opt.strength <= 2))
    throw Error(ErrorCode::kInvalidArgument, "strength must be between 0 and 2");
  if (!has_notes(s)) throw Error(ErrorCode::kInvalidArgument, "the file has no notes: Groove needs a drum part");
  const Grid g = grid_from_drums(s);
  if (g.steps == 0)
    throw Error(ErrorCode::kInvalidArgument,
                "no drums to humanize: Groove needs drum notes on MIDI channel 10 (kick, snare, hi-hat, toms, "
                "cymbals); for a melody or bass line use drumify");
  const auto x = groove_features(g);
  const auto y = net.run(x, g.steps);   // [steps, 27]
  const double st = step_ticks(s), k = opt.strength;
  score::Score out = s;
  for (auto& tr : out.tracks) {
    if (!tr.is_drum) continue;
    for (auto& n : tr.notes) {
      const int c = drum_class(n.pitch);
      if (c < 0) continue;   // an instrument outside the nine classes stays as it is
      const int64_t step = std::llround(double(n.start.count()) / st);
      const float* r = &y[size_t(step) * kOutputs];
      const double v_in = n.velocity / 127.0;
      const double v = v_in + k * (double(r[kClasses + c]) - v_in);
      const int64_t tick = std::llround((double(step) + k * double(r[2 * kClasses + c])) * st);
      n.start = Ticks{std::max<int64_t>(0, tick)};
      n.velocity = uint8_t(std::clamp<long>(std::lround(v * 127.0), 1, 127));
    }
  }
  score::normalize(out);
  return out;
}

unsigned drumify_decide(const float* row, bool tapped) {
  unsigned mask = 0;
  int best = 0;
  for (int c = 0; c < kClasses; ++c) {
    if (row[c] > 0) mask |= 1u << c;
    if (row[c] > row[best]) best = c;
  }
  if (tapped && mask == 0) mask = 1u << best;
  return mask;
}

std::vector<score::Score> drumify(const Net& net, const score::Score& s, const DrumifyOptions& opt) {
  const NetConfig& cfg = net.config();
  if (cfg.task != Task::kDrumify)
    throw Error(ErrorCode::kInvalidArgument, "this model is a Groove model; Drumify needs a drumify model");
  if (opt.variations < 1 || opt.variations > 64)
    throw Error(ErrorCode::kInvalidArgument, "variations must be between 1 and 64");
  if (!(opt.temperature >= 0 && opt.temperature <= 5))
    throw Error(ErrorCode::kInvalidArgument, "temperature must be between 0 and 5");
  int style = -1;
  if (!opt.style.empty() && opt.style != "any") {
    auto it = std::find(cfg.styles.begin(), cfg.styles.end(), opt.style);
    if (it == cfg.styles.end()) {
      std::string list;
      for (const auto& st : cfg.styles) list += (list.empty() ? "" : ", ") + st;
      throw Error(ErrorCode::kInvalidArgument, "unknown style '" + opt.style + "'; this model knows: any, " + list);
    }
    style = int(it - cfg.styles.begin());
  }
  if (!has_notes(s)) throw Error(ErrorCode::kInvalidArgument, "the file has no notes: Drumify needs a part to follow");
  std::vector<int> tracks = opt.tracks;
  if (tracks.empty()) {
    bool pitched = false;
    for (const auto& t : s.tracks) pitched |= !t.is_drum && !t.notes.empty();
    if (!pitched)   // only drums: follow their rhythm
      for (size_t i = 0; i < s.tracks.size(); ++i) tracks.push_back(int(i));
  }
  const Taps taps = taps_from_tracks(s, tracks);
  if (taps.steps == 0) throw Error(ErrorCode::kInvalidArgument, "the chosen tracks have no notes to follow");
  Grid pos;
  pos.resize(taps.steps);
  fill_positions(s, pos);
  const auto x = drumify_features(pos, taps, style, int(cfg.styles.size()));
  const auto y = net.run(x, taps.steps);
  const double st = step_ticks(s);
  const int64_t dur = std::max<int64_t>(1, std::llround(st));

  std::vector<score::Score> outs;
  for (int v = 0; v < opt.variations; ++v) {
    std::mt19937_64 rng(opt.seed * 1000003ULL + uint64_t(v));
    std::uniform_real_distribution<double> U(0.0, 1.0);
    score::Track tr;
    tr.name = "Drums (drumify)";
    tr.channel = 9;
    tr.is_drum = true;
    for (int64_t t = 0; t < taps.steps; ++t) {
      const unsigned decided = drumify_decide(&y[size_t(t) * kOutputs], taps.hit[size_t(t)] > 0);
      for (int c = 0; c < kClasses; ++c) {
        const float* r = &y[size_t(t) * kOutputs];
        bool hit;
        if (opt.temperature <= 0) {
          hit = (decided >> c) & 1u;
        } else {
          const double p = 1.0 / (1.0 + std::exp(-double(r[c]) / opt.temperature));
          hit = U(rng) < p;
        }
        if (!hit) continue;
        score::Note n;
        n.start = Ticks{std::max<int64_t>(0, std::llround((double(t) + double(r[2 * kClasses + c])) * st))};
        n.duration = Ticks{dur};
        n.pitch = uint8_t(class_pitch(c));
        n.velocity = uint8_t(std::clamp<long>(std::lround(double(r[kClasses + c]) * 127.0), 1, 127));
        tr.notes.push_back(n);
      }
    }
    score::Score out = s;
    if (!opt.keep_input)
      out.tracks.clear();
    out.tracks.push_back(std::move(tr));
    score::normalize(out);
    outs.push_back(std::move(out));
  }
  return outs;
}

}  // namespace continuo::drums
