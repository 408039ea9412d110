// vae/tools.cpp: Interpolate, clip generation and the held-out reconstruction numbers.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/vae.hpp"

namespace continuo::vae {

namespace {

std::string metre_string(const score::Score& s) {
  std::string out;
  for (const auto& t : s.time_signatures)
    out += (out.empty() ? "" : ", ") + std::to_string(t.numerator) + "/" + std::to_string(t.denominator) +
           (t.time.count() > 0 ? " at tick " + std::to_string(t.time.count()) : "");
  return out.empty() ? "4/4" : out;
}

// The bar lines of a score in sixteenths, for comparing metres across resolutions.
std::vector<std::pair<int64_t, std::pair<int, int>>> metre_steps(const score::Score& s) {
  std::vector<std::pair<int64_t, std::pair<int, int>>> out;
  for (const auto& t : s.time_signatures)
    out.push_back({std::llround(double(t.time.count()) / drums::step_ticks(s)), {t.numerator, t.denominator}});
  if (out.empty() || out[0].first != 0) out.insert(out.begin(), {0, {4, 4}});
  return out;
}

bool has_notes(const score::Score& s) {
  for (const auto& t : s.tracks)
    if (!t.notes.empty()) return true;
  return false;
}

}  // namespace

std::vector<Clip> interpolate_clips(const Vae& vae, const std::vector<Clip>& a, const std::vector<Clip>& b,
                                    const InterpolateOptions& opt, std::vector<std::vector<Clip>>* per_output) {
  if (opt.steps < 2 || opt.steps > 64) throw Error(ErrorCode::kInvalidArgument, "--steps must be 2..64");
  if (opt.temperature < 0) throw Error(ErrorCode::kInvalidArgument, "temperature must be >= 0");
  if (a.empty() || b.empty()) throw Error(ErrorCode::kInvalidArgument, "nothing to interpolate");
  const size_t chunks_n = std::max(a.size(), b.size());
  std::vector<std::vector<float>> za, zb;
  std::vector<float> mu, lv;
  for (size_t k = 0; k < chunks_n; ++k) {
    const Clip& ca = a[k % a.size()];
    const Clip& cb = b[k % b.size()];
    if (ca.kind != vae.config().kind || cb.kind != vae.config().kind)
      throw Error(ErrorCode::kInvalidArgument, std::string("the model is for ") + kind_name(vae.config().kind) + " clips");
    vae.encode(features(ca), mu, lv);
    za.push_back(mu);
    vae.encode(features(cb), mu, lv);
    zb.push_back(mu);
  }
  // Decode the path finely: M + 1 points, t = i / M.
  const int N = opt.steps, M = std::max(4 * N, 48);
  std::vector<std::vector<Clip>> path(size_t(M + 1));
  std::vector<int> da(size_t(M + 1), 0), db(size_t(M + 1), 0);
  for (int i = 0; i <= M; ++i) {
    std::mt19937_64 rng(opt.seed * 1000003ull + uint64_t(i));
    const double t = double(i) / M;
    for (size_t k = 0; k < chunks_n; ++k) {
      Clip c = vae.decode(slerp(za[k], zb[k], t), opt.temperature, rng);
      const Clip& ca = a[k % a.size()];
      const Clip& cb = b[k % b.size()];
      if (c.kind == Kind::kMelody) c.shift = t < 0.5 ? ca.shift : cb.shift;
      da[size_t(i)] += distance(c, ca);
      db[size_t(i)] += distance(c, cb);
      path[size_t(i)].push_back(std::move(c));
    }
  }
  // Pick N points 0 = i_1 < ... < i_N = M, as close as possible to even spacing, with the distance
  // to A never shrinking and to B never growing (dynamic programming); else evenly spaced.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> cost(size_t(N), std::vector<double>(size_t(M + 1), inf));
  std::vector<std::vector<int>> from(size_t(N), std::vector<int>(size_t(M + 1), -1));
  auto dev = [&](int j, int i) {
    const double ideal = double(j) * M / (N - 1);
    return (i - ideal) * (i - ideal);
  };
  cost[0][0] = 0;
  for (int j = 1; j < N; ++j)
    for (int i = j; i <= M; ++i)
      for (int p = j - 1; p < i; ++p) {
        if (cost[size_t(j - 1)][size_t(p)] == inf) continue;
        if (da[size_t(i)] < da[size_t(p)] || db[size_t(i)] > db[size_t(p)]) continue;
        const double c = cost[size_t(j - 1)][size_t(p)] + dev(j, i);
        if (c < cost[size_t(j)][size_t(i)]) cost[size_t(j)][size_t(i)] = c, from[size_t(j)][size_t(i)] = p;
      }
  std::vector<int> pick(static_cast<size_t>(N));
  if (cost[size_t(N - 1)][size_t(M)] < inf) {
    int i = M;
    for (int j = N - 1; j >= 0; --j) pick[size_t(j)] = i, i = from[size_t(j)][size_t(i)];
  } else {
    for (int j = 0; j < N; ++j) pick[size_t(j)] = int(std::lround(double(j) * M / (N - 1)));
  }
  std::vector<Clip> first;
  if (per_output) per_output->clear();
  for (int j = 0; j < N; ++j) {
    if (per_output) per_output->push_back(path[size_t(pick[size_t(j)])]);
    first.push_back(path[size_t(pick[size_t(j)])][0]);
  }
  return first;
}

std::vector<score::Score> interpolate(const Vae& vae, const score::Score& a, const score::Score& b,
                                      const InterpolateOptions& opt) {
  if (!has_notes(a)) throw Error(ErrorCode::kInvalidArgument, "the first file has no notes");
  if (!has_notes(b)) throw Error(ErrorCode::kInvalidArgument, "the second file has no notes");
  const Kind ka = kind_of(a), kb = kind_of(b);
  if (ka != kb)
    throw Error(ErrorCode::kInvalidArgument, std::string("the files hold different parts: ") + kind_name(ka) + " and " +
                                                 kind_name(kb) + " (interpolate two melodies or two drum beats)");
  if (ka != vae.config().kind)
    throw Error(ErrorCode::kInvalidArgument, std::string("the files hold ") + kind_name(ka) + " but the model is for " +
                                                 kind_name(vae.config().kind));
  if (metre_steps(a) != metre_steps(b))
    throw Error(ErrorCode::kInvalidArgument, "the files are in different metres (" + metre_string(a) + " and " +
                                                 metre_string(b) + ")");
  const int ta = melody_track(a), tb = melody_track(b);
  const auto ca = ka == Kind::kMelody ? melody_clips(a, ta) : drum_clips(a);
  const auto cb = ka == Kind::kMelody ? melody_clips(b, tb) : drum_clips(b);
  // The output's chunks: A's, continued in A's metre when B is longer.
  const size_t n = std::max(ca.size(), cb.size());
  std::vector<Chunk> where = chunks(a);
  if (where.size() < n) where = chunks_through(a, where.back().first_step + int64_t(n + 1) * kSteps);
  where.resize(n);
  std::vector<std::vector<Clip>> outs;
  interpolate_clips(vae, ca, cb, opt, &outs);
  std::vector<score::Score> scores;
  for (const auto& clips : outs) scores.push_back(clips_to_score(clips, a, where, ta));
  return scores;
}

std::vector<score::Score> generate_clips(const Vae& vae, const GenerateClipOptions& opt) {
  if (opt.bars < 1 || opt.bars > 16) throw Error(ErrorCode::kInvalidArgument, "--bars must be 1..16");
  if (opt.variations < 1 || opt.variations > 16) throw Error(ErrorCode::kInvalidArgument, "--variations must be 1..16");
  if (opt.temperature < 0) throw Error(ErrorCode::kInvalidArgument, "temperature must be >= 0");
  if (!(opt.bpm >= 10 && opt.bpm <= 400)) throw Error(ErrorCode::kInvalidArgument, "--bpm must be 10..400");
  score::Score layout;
  layout.ticks_per_beat = 480;
  layout.tempos.push_back({Ticks{0}, uint32_t(std::lround(60'000'000.0 / opt.bpm))});
  layout.time_signatures.push_back({Ticks{0}, 4, 4});
  std::vector<Chunk> where;
  for (int b = 0; b < opt.bars; b += 2) where.push_back({int64_t(b) * 16, opt.bars - b >= 2 ? 32 : 16});
  std::vector<score::Score> out;
  std::mt19937_64 rng(opt.seed);
  std::normal_distribution<float> N01(0.f, 1.f);
  for (int v = 0; v < opt.variations; ++v) {
    std::vector<Clip> clips;
    for (size_t k = 0; k < where.size(); ++k) {
      std::vector<float> z(size_t(vae.config().latent));
      for (auto& x : z) x = N01(rng);
      Clip c = vae.decode(z, opt.temperature, rng);
      c.shift = 0;
      clips.push_back(std::move(c));
    }
    score::Score s = clips_to_score(clips, layout, where, -1);
    if (vae.config().kind == Kind::kMelody && !s.tracks.empty()) s.tracks[0].program = 0;
    out.push_back(std::move(s));
  }
  return out;
}

std::string VaeEval::to_json() const {
  nlohmann::json j = {{"kind", kind_name(kind)}, {"files", files}, {"clips", clips}, {"exact_clips", exact}};
  if (kind == Kind::kMelody)
    j["reconstruction"] = {{"token_accuracy", accuracy}, {"onset_pitch_accuracy", onset_accuracy}};
  else
    j["reconstruction"] = {{"cell_accuracy", accuracy}, {"hit_precision", precision}, {"hit_recall", recall}, {"hit_f1", f1}};
  j["baseline_all_rest_or_silent_accuracy"] = baseline_accuracy;
  return j.dump(2);
}

VaeEval eval_vae(const Vae& vae, const std::vector<Clip>& clips) {
  VaeEval r;
  r.kind = vae.config().kind;
  double right = 0, total = 0, on_right = 0, on_total = 0, tp = 0, fp = 0, fn = 0, exact = 0, base = 0;
  std::vector<float> mu, lv;
  std::mt19937_64 rng(1);
  for (const auto& c : clips) {
    vae.encode(features(c), mu, lv);
    const Clip y = vae.decode(mu, 0.0, rng);
    bool same = true;
    for (size_t i = 0; i < c.v.size(); ++i) {
      const bool ok = y.v[i] == c.v[i];
      right += ok;
      total += 1;
      same &= ok;
      base += c.v[i] == 0;
      if (r.kind == Kind::kMelody) {
        if (c.v[i] >= 2) on_total += 1, on_right += ok;
      } else {
        tp += c.v[i] && y.v[i];
        fp += !c.v[i] && y.v[i];
        fn += c.v[i] && !y.v[i];
      }
    }
    exact += same;
    ++r.clips;
  }
  if (total > 0) r.accuracy = right / total, r.baseline_accuracy = base / total;
  if (on_total > 0) r.onset_accuracy = on_right / on_total;
  if (r.clips > 0) r.exact = exact / double(r.clips);
  r.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  r.recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0;
  return r;
}

}  // namespace continuo::vae
