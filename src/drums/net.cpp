// drums/net.cpp: the drum network's config file and its forward pass in plain C++ (a
// bidirectional GRU and a linear head); the libtorch twin used for training is in
// src/train/drums_train.cpp and tests/model/test_drum_net.cpp checks that both agree.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "engine/kernels.hpp"

namespace continuo::drums {

int NetConfig::features() const { return task == Task::kGroove ? 5 + kClasses : 8 + int(styles.size()); }

NetConfig load_net_config(const std::string& path) {
  const auto bytes = midi::read_file_bytes(path);
  auto bad = [&](const std::string& what) { return Error(ErrorCode::kCorruptData, path + ": " + what); };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() || j["format"].get<std::string>() != kFormat)
    throw Error(ErrorCode::kUnsupported, path + ": not a Continuo drum model (expected \"format\": \"" +
                                             std::string(kFormat) + "\")");
  NetConfig c;
  try {
    const std::string task = j.at("task").get<std::string>();
    if (task == "groove") c.task = Task::kGroove;
    else if (task == "drumify") c.task = Task::kDrumify;
    else throw bad("unknown task '" + task + "' (expected groove or drumify)");
    c.hidden = j.at("hidden").get<int>();
    c.layers = j.at("layers").get<int>();
    c.window = j.at("window").get<int>();
    if (j.contains("styles")) c.styles = j["styles"].get<std::vector<std::string>>();
    if (j.contains("velocity_default")) c.velocity_default = j["velocity_default"].get<float>();
    if (j.contains("description")) c.description = j["description"].get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("bad drum model config: ") + e.what());
  }
  if (c.hidden < 1 || c.hidden > 4096 || c.layers < 1 || c.layers > 8 || c.window < 4 || c.window > 100000)
    throw bad("hidden, layers or window out of range");
  return c;
}

std::string net_config_to_json(const NetConfig& c) {
  nlohmann::json j = {{"format", kFormat},
                      {"task", c.task == Task::kGroove ? "groove" : "drumify"},
                      {"hidden", c.hidden},
                      {"layers", c.layers},
                      {"window", c.window},
                      {"styles", c.styles},
                      {"velocity_default", c.velocity_default},
                      {"description", c.description}};
  return j.dump(2) + "\n";
}

Net Net::load(const model::ModelFiles& files) {
  NetConfig c = load_net_config(files.config_path);
  return Net(std::move(c), model::load_safetensors(files.weights_path));
}

Net::Net(NetConfig cfg, model::Weights w) : cfg_(std::move(cfg)), w_(std::move(w)) {
  const int64_t H = cfg_.hidden;
  auto need = [&](const std::string& name, std::vector<int64_t> shape) {
    auto it = w_.find(name);
    if (it == w_.end()) throw Error(ErrorCode::kCorruptData, "drum model: missing tensor '" + name + "'");
    if (it->second.shape != shape) throw Error(ErrorCode::kCorruptData, "drum model: tensor '" + name + "' has the wrong shape");
  };
  for (int l = 0; l < cfg_.layers; ++l)
    for (const char* dir : {"fwd", "bwd"}) {
      const std::string p = "gru." + std::to_string(l) + "." + dir + ".";
      need(p + "weight_ih", {3 * H, l == 0 ? int64_t(cfg_.features()) : 2 * H});
      need(p + "weight_hh", {3 * H, H});
      need(p + "bias_ih", {3 * H});
      need(p + "bias_hh", {3 * H});
    }
  need("head.weight", {kOutputs, 2 * H});
  need("head.bias", {kOutputs});
}

namespace {

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

}  // namespace

std::vector<float> Net::forward(const float* x, int64_t T) const {
  const auto& k = engine::kernels::best();
  const int64_t H = cfg_.hidden, G = 3 * H;
  std::vector<float> in(x, x + T * cfg_.features());   // [T, in]
  int64_t in_dim = cfg_.features();
  std::vector<float> out, gi(static_cast<size_t>(T * G)), gh(static_cast<size_t>(G)), h(static_cast<size_t>(H));
  for (int l = 0; l < cfg_.layers; ++l) {
    out.assign(size_t(T * 2 * H), 0.f);                  // [T, 2H]
    for (int d = 0; d < 2; ++d) {
      const std::string p = "gru." + std::to_string(l) + (d == 0 ? ".fwd." : ".bwd.");
      const auto& wih = w_.at(p + "weight_ih").data;     // [3H, in]
      const auto& whh = w_.at(p + "weight_hh").data;     // [3H, H]
      const auto& bih = w_.at(p + "bias_ih").data;
      const auto& bhh = w_.at(p + "bias_hh").data;
      k.matmul_f32(in.data(), in_dim, T, in_dim, wih.data(), 0, G, gi.data(), G);   // [T, 3H]
      std::fill(h.begin(), h.end(), 0.f);
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = d == 0 ? s : T - 1 - s;
        k.matmul_f32(h.data(), H, 1, H, whh.data(), 0, G, gh.data(), G);             // [3H]
        const float* g = &gi[size_t(t * G)];
        float* o = &out[size_t(t * 2 * H + d * H)];
        for (int64_t j = 0; j < H; ++j) {
          const float r = sigmoid(g[j] + bih[j] + gh[j] + bhh[j]);
          const float z = sigmoid(g[H + j] + bih[H + j] + gh[H + j] + bhh[H + j]);
          const float n = std::tanh(g[2 * H + j] + bih[2 * H + j] + r * (gh[2 * H + j] + bhh[2 * H + j]));
          h[j] = (1.f - z) * n + z * h[j];
          o[j] = h[j];
        }
      }
    }
    in.swap(out);
    in_dim = 2 * H;
  }
  std::vector<float> y(static_cast<size_t>(T * kOutputs));            // [T, 27]
  k.matmul_f32(in.data(), in_dim, T, in_dim, w_.at("head.weight").data.data(), 0, kOutputs, y.data(), kOutputs);
  const auto& b = w_.at("head.bias").data;
  for (int64_t t = 0; t < T; ++t) {
    float* r = &y[size_t(t * kOutputs)];
    for (int c = 0; c < kClasses; ++c) {
      r[c] += b[c];
      r[kClasses + c] = sigmoid(r[kClasses + c] + b[kClasses + c]);
      r[2 * kClasses + c] = 0.5f * std::tanh(r[2 * kClasses + c] + b[2 * kClasses + c]);
    }
  }
  return y;
}

std::vector<float> Net::run(const std::vector<float>& x, int64_t T) const {
  const int64_t F = cfg_.features(), W = cfg_.window;
  if (int64_t(x.size()) != T * F) throw Error(ErrorCode::kInternal, "drum net: input size does not match");
  if (T <= W) return forward(x.data(), T);
  // Overlapping windows (hop W/2), the last one ending at T; each step's outputs are averaged with
  // triangular weights so that the middle of a window, which sees context on both sides, counts most.
  std::vector<float> acc(size_t(T * kOutputs), 0.f), wsum(size_t(T), 0.f);
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + W < T; s += W / 2) starts.push_back(s);
  starts.push_back(T - W);
  for (int64_t s0 : starts) {
    auto y = forward(&x[size_t(s0 * F)], W);
    for (int64_t t = 0; t < W; ++t) {
      const float w = float(std::min(t + 1, W - t));
      wsum[size_t(s0 + t)] += w;
      for (int o = 0; o < kOutputs; ++o) acc[size_t((s0 + t) * kOutputs + o)] += w * y[size_t(t * kOutputs + o)];
    }
  }
  for (int64_t t = 0; t < T; ++t)
    for (int o = 0; o < kOutputs; ++o) acc[size_t(t * kOutputs + o)] /= wsum[size_t(t)];
  return acc;
}

}  // namespace continuo::drums
