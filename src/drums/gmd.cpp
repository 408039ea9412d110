// drums/gmd.cpp: the Groove MIDI Dataset (its official split from info.csv) and the held-out
// evaluation of Groove and Drumify against trivial baselines.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"

namespace continuo::drums {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') quoted = !quoted;
    else if (ch == ',' && !quoted) out.push_back(std::move(cur)), cur.clear();
    else if (ch != '\r') cur += ch;
  }
  out.push_back(cur);
  return out;
}

}  // namespace

std::vector<GmdItem> read_gmd_index(const std::string& dir) {
  const fs::path csv = fs::path(dir) / "info.csv";
  std::ifstream f(csv);
  if (!f) throw Error(ErrorCode::kNotFound, csv.string() + ": not found (is this the groove-midi folder?)");
  std::string line;
  std::getline(f, line);
  const auto header = split_csv(line);
  auto col = [&](const char* name) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw Error(ErrorCode::kCorruptData, csv.string() + ": no column '" + name + "'");
    return size_t(it - header.begin());
  };
  const size_t c_style = col("style"), c_bpm = col("bpm"), c_type = col("beat_type"), c_ts = col("time_signature"),
               c_midi = col("midi_filename"), c_split = col("split");
  std::vector<GmdItem> items;
  while (std::getline(f, line)) {
    if (line.empty() || line == "\r") continue;
    auto v = split_csv(line);
    if (v.size() < header.size()) throw Error(ErrorCode::kCorruptData, csv.string() + ": short row: " + line);
    GmdItem it;
    it.path = (fs::path(dir) / v[c_midi]).string();
    it.style = v[c_style].substr(0, v[c_style].find('/'));
    it.split = v[c_split];
    it.fill = v[c_type] == "fill";
    it.bpm = std::atof(v[c_bpm].c_str());
    it.time_signature = v[c_ts];
    items.push_back(std::move(it));
  }
  return items;
}

std::vector<GmdPiece> load_gmd(const std::string& dir, const std::string& split) {
  std::vector<GmdPiece> out;
  for (auto& it : read_gmd_index(dir)) {
    if (!split.empty() && it.split != split) continue;
    GmdPiece p;
    p.score = score::load(it.path);
    p.grid = grid_from_drums(p.score);
    if (p.grid.steps == 0) continue;
    p.item = std::move(it);
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> gmd_styles(const std::vector<GmdItem>& items, int min_files) {
  std::map<std::string, int> n;
  for (const auto& it : items)
    if (it.split == "train") ++n[it.style];
  std::vector<std::pair<int, std::string>> v;
  for (auto& [s, k] : n)
    if (k >= min_files) v.push_back({-k, s});
  std::sort(v.begin(), v.end());
  std::vector<std::string> out;
  for (auto& [k, s] : v) out.push_back(s);
  return out;
}

namespace {

// Step of each grid line within its bar (0 at a bar start), capped so odd metres share the last slots.
constexpr int kMaxBarSteps = 32;
std::vector<int> bar_positions(const Grid& g) {
  std::vector<int> pos(size_t(g.steps));
  int p = 0;
  for (int64_t s = 0; s < g.steps; ++s) {
    if (g.bar_start[size_t(s)]) p = 0;
    pos[size_t(s)] = std::min(p, kMaxBarSteps - 1);
    ++p;
  }
  return pos;
}

// Milliseconds per grid step at each step (through the score's tempo map).
std::vector<double> step_ms(const score::Score& s, int64_t steps) {
  const double st = step_ticks(s);
  std::vector<double> out(static_cast<size_t>(steps));
  double prev = score::tick_to_seconds(s, Ticks{0}).count();
  for (int64_t i = 0; i < steps; ++i) {
    const double next = score::tick_to_seconds(s, Ticks{std::llround(double(i + 1) * st)}).count();
    out[size_t(i)] = (next - prev) * 1000.0;
    prev = next;
  }
  return out;
}

}  // namespace

std::string GrooveEval::to_json() const {
  nlohmann::json j = {{"pieces", pieces}, {"hits", hits},
                      {"model", {{"timing_mae_ms", model_ms}, {"velocity_mae", model_vel}}},
                      {"baseline_no_change", {{"timing_mae_ms", nochange_ms}, {"velocity_mae", nochange_vel}}},
                      {"baseline_average", {{"timing_mae_ms", average_ms}, {"velocity_mae", average_vel}}}};
  return j.dump(2);
}

GrooveEval eval_groove(const Net& net, const std::vector<GmdPiece>& train, const std::vector<GmdPiece>& test) {
  // Baseline statistics from the training split.
  std::vector<double> sum_off(kMaxBarSteps * kClasses, 0), sum_vel(kMaxBarSteps * kClasses, 0),
      cnt(kMaxBarSteps * kClasses, 0);
  std::vector<float> all_vel;
  for (const auto& p : train) {
    const auto pos = bar_positions(p.grid);
    for (int64_t s = 0; s < p.grid.steps; ++s)
      for (int c = 0; c < kClasses; ++c) {
        const size_t i = p.grid.at(s, c);
        if (p.grid.hit[i] <= 0) continue;
        const size_t k = size_t(pos[size_t(s)] * kClasses + c);
        sum_off[k] += p.grid.offset[i];
        sum_vel[k] += p.grid.velocity[i];
        cnt[k] += 1;
        all_vel.push_back(p.grid.velocity[i]);
      }
  }
  double median = 0.7;
  if (!all_vel.empty()) {
    std::nth_element(all_vel.begin(), all_vel.begin() + all_vel.size() / 2, all_vel.end());
    median = all_vel[all_vel.size() / 2];
  }
  GrooveEval r;
  for (const auto& p : test) {
    const auto pos = bar_positions(p.grid);
    const auto ms = step_ms(p.score, p.grid.steps);
    const auto y = net.run(groove_features(p.grid), p.grid.steps);
    ++r.pieces;
    for (int64_t s = 0; s < p.grid.steps; ++s)
      for (int c = 0; c < kClasses; ++c) {
        const size_t i = p.grid.at(s, c);
        if (p.grid.hit[i] <= 0) continue;
        const double off = p.grid.offset[i], vel = p.grid.velocity[i], m = ms[size_t(s)];
        const float* o = &y[size_t(s) * kOutputs];
        r.model_ms += std::abs(o[2 * kClasses + c] - off) * m;
        r.model_vel += std::abs(o[kClasses + c] - vel) * 127;
        r.nochange_ms += std::abs(off) * m;
        r.nochange_vel += std::abs(median - vel) * 127;
        const size_t k = size_t(pos[size_t(s)] * kClasses + c);
        const double a_off = cnt[k] > 0 ? sum_off[k] / cnt[k] : 0, a_vel = cnt[k] > 0 ? sum_vel[k] / cnt[k] : median;
        r.average_ms += std::abs(a_off - off) * m;
        r.average_vel += std::abs(a_vel - vel) * 127;
        ++r.hits;
      }
  }
  if (r.hits > 0)
    for (double* v : {&r.model_ms, &r.model_vel, &r.nochange_ms, &r.nochange_vel, &r.average_ms, &r.average_vel})
      *v /= double(r.hits);
  return r;
}

std::string DrumifyEval::to_json() const {
  nlohmann::json j = {
      {"pieces", pieces}, {"cells", cells}, {"true_hits", true_hits}, {"with_style", with_style},
      {"model", {{"precision", model_precision}, {"recall", model_recall}, {"f1", model_f1}, {"accuracy", model_accuracy},
                 {"timing_mae_ms_on_true_positives", model_ms}, {"velocity_mae_on_true_positives", model_vel}}},
      {"baseline_prior", {{"precision", prior_precision}, {"recall", prior_recall}, {"f1", prior_f1},
                          {"accuracy", prior_accuracy}}}};
  return j.dump(2);
}

DrumifyEval eval_drumify(const Net& net, const std::vector<GmdPiece>& train, const std::vector<GmdPiece>& test,
                         bool with_style) {
  // Baseline: P(hit | class, step in bar, tap) from the training split.
  std::vector<double> hits(kMaxBarSteps * 2 * kClasses, 0), seen(kMaxBarSteps * 2 * kClasses, 0);
  for (const auto& p : train) {
    const auto pos = bar_positions(p.grid);
    const Taps t = taps_from_grid(p.grid);
    for (int64_t s = 0; s < p.grid.steps; ++s)
      for (int c = 0; c < kClasses; ++c) {
        const size_t k = size_t((pos[size_t(s)] * 2 + (t.hit[size_t(s)] > 0)) * kClasses + c);
        seen[k] += 1;
        hits[k] += p.grid.hit[p.grid.at(s, c)] > 0;
      }
  }
  DrumifyEval r;
  r.with_style = with_style;
  double tp = 0, fp = 0, fn = 0, tn = 0, btp = 0, bfp = 0, bfn = 0, btn = 0;
  const int S = int(net.config().styles.size());
  for (const auto& p : test) {
    const auto pos = bar_positions(p.grid);
    const auto ms = step_ms(p.score, p.grid.steps);
    const Taps t = taps_from_grid(p.grid);
    const auto& styles = net.config().styles;
    const auto st = std::find(styles.begin(), styles.end(), p.item.style);
    const int style = with_style && st != styles.end() ? int(st - styles.begin()) : -1;
    const auto y = net.run(drumify_features(p.grid, t, style, S), p.grid.steps);
    ++r.pieces;
    for (int64_t s = 0; s < p.grid.steps; ++s) {
      const unsigned decided = drumify_decide(&y[size_t(s) * kOutputs], t.hit[size_t(s)] > 0);
      for (int c = 0; c < kClasses; ++c) {
        const size_t i = p.grid.at(s, c);
        const bool truth = p.grid.hit[i] > 0;
        const float* o = &y[size_t(s) * kOutputs];
        const bool pred = (decided >> c) & 1u;
        const size_t k = size_t((pos[size_t(s)] * 2 + (t.hit[size_t(s)] > 0)) * kClasses + c);
        const bool base = seen[k] > 0 && hits[k] * 2 > seen[k];
        (truth ? (pred ? tp : fn) : (pred ? fp : tn)) += 1;
        (truth ? (base ? btp : bfn) : (base ? bfp : btn)) += 1;
        if (truth && pred) {
          r.model_ms += std::abs(o[2 * kClasses + c] - p.grid.offset[i]) * ms[size_t(s)];
          r.model_vel += std::abs(o[kClasses + c] - p.grid.velocity[i]) * 127;
        }
        ++r.cells;
        r.true_hits += truth;
      }
    }
  }
  auto prf = [](double tp, double fp, double fn, double tn, double& P, double& R, double& F, double& A) {
    P = tp + fp > 0 ? tp / (tp + fp) : 0;
    R = tp + fn > 0 ? tp / (tp + fn) : 0;
    F = P + R > 0 ? 2 * P * R / (P + R) : 0;
    A = tp + fp + fn + tn > 0 ? (tp + tn) / (tp + fp + fn + tn) : 0;
  };
  prf(tp, fp, fn, tn, r.model_precision, r.model_recall, r.model_f1, r.model_accuracy);
  prf(btp, bfp, bfn, btn, r.prior_precision, r.prior_recall, r.prior_f1, r.prior_accuracy);
  if (tp > 0) {
    r.model_ms /= tp;
    r.model_vel /= tp;
  }
  return r;
}

}  // namespace continuo::drums
