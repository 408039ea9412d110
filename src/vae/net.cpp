// vae/net.cpp: the clip VAE's config file and its encoder / decoder in plain C++; the libtorch twin
// used for training is in src/train/vae_train.cpp and tests/model/test_vae_net.cpp checks both agree.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/vae.hpp"

namespace continuo::vae {

namespace {

nlohmann::json parse_json(const std::string& path) {
  const auto bytes = midi::read_file_bytes(path);
  try {
    return nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kCorruptData, path + ": not valid JSON: " + e.what());
  }
}

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

// y[n] = W[n, k] x[k] + b[n]
void affine(const model::Tensor& W, const model::Tensor& b, const float* x, float* y) {
  const int64_t n = W.shape[0], k = W.shape[1];
  for (int64_t i = 0; i < n; ++i) {
    const float* w = &W.data[size_t(i * k)];
    float acc = b.data[size_t(i)];
    for (int64_t j = 0; j < k; ++j) acc += w[j] * x[j];
    y[i] = acc;
  }
}

// One GRU step (torch.nn.GRU's equations, gates r, z, n) on h in place.
struct Gru {
  const model::Tensor *wih, *whh, *bih, *bhh;
  void step(const float* x, std::vector<float>& h) const {
    const int64_t H = int64_t(h.size());
    std::vector<float> gi(static_cast<size_t>(3 * H)), gh(size_t(3 * H));
    affine(*wih, *bih, x, gi.data());
    affine(*whh, *bhh, h.data(), gh.data());
    for (int64_t j = 0; j < H; ++j) {
      const float r = sigmoid(gi[size_t(j)] + gh[size_t(j)]);
      const float z = sigmoid(gi[size_t(H + j)] + gh[size_t(H + j)]);
      const float n = std::tanh(gi[size_t(2 * H + j)] + r * gh[size_t(2 * H + j)]);
      h[size_t(j)] = (1.f - z) * n + z * h[size_t(j)];
    }
  }
};

}  // namespace

bool is_vae_config(const std::string& path) {
  try {
    auto j = parse_json(path);
    return j.is_object() && j.contains("format") && j["format"].is_string() && j["format"].get<std::string>() == kFormat;
  } catch (const Error&) {
    return false;
  }
}

VaeConfig load_vae_config(const std::string& path) {
  auto j = parse_json(path);
  auto bad = [&](const std::string& what) { return Error(ErrorCode::kCorruptData, path + ": " + what); };
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() || j["format"].get<std::string>() != kFormat)
    throw Error(ErrorCode::kUnsupported, path + ": not a Continuo clip model (expected \"format\": \"" +
                                             std::string(kFormat) + "\")");
  VaeConfig c;
  try {
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "melody") c.kind = Kind::kMelody;
    else if (kind == "drums") c.kind = Kind::kDrums;
    else throw bad("unknown kind '" + kind + "' (expected melody or drums)");
    c.enc_hidden = j.at("enc_hidden").get<int>();
    c.dec_hidden = j.at("dec_hidden").get<int>();
    c.latent = j.at("latent").get<int>();
    if (j.contains("description")) c.description = j["description"].get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("bad clip model config: ") + e.what());
  }
  if (c.enc_hidden < 1 || c.enc_hidden > 4096 || c.dec_hidden < 1 || c.dec_hidden > 4096 || c.latent < 1 ||
      c.latent > 1024)
    throw bad("hidden or latent size out of range");
  return c;
}

std::string vae_config_to_json(const VaeConfig& c) {
  nlohmann::json j = {{"format", kFormat},         {"kind", kind_name(c.kind)}, {"enc_hidden", c.enc_hidden},
                      {"dec_hidden", c.dec_hidden}, {"latent", c.latent},       {"steps", kSteps},
                      {"description", c.description}};
  return j.dump(2) + "\n";
}

Vae Vae::load(const model::ModelFiles& files) {
  VaeConfig c = load_vae_config(files.config_path);
  return Vae(std::move(c), model::load_safetensors(files.weights_path));
}

Vae::Vae(VaeConfig cfg, model::Weights w) : cfg_(std::move(cfg)), w_(std::move(w)) {
  const int64_t E = cfg_.enc_hidden, H = cfg_.dec_hidden, L = cfg_.latent, D = cfg_.dims();
  auto need = [&](const std::string& name, std::vector<int64_t> shape) {
    auto it = w_.find(name);
    if (it == w_.end()) throw Error(ErrorCode::kCorruptData, "clip model: missing tensor '" + name + "'");
    if (it->second.shape != shape)
      throw Error(ErrorCode::kCorruptData, "clip model: tensor '" + name + "' has the wrong shape");
  };
  for (const char* d : {"enc.fwd.", "enc.bwd."}) {
    need(std::string(d) + "weight_ih", {3 * E, D});
    need(std::string(d) + "weight_hh", {3 * E, E});
    need(std::string(d) + "bias_ih", {3 * E});
    need(std::string(d) + "bias_hh", {3 * E});
  }
  need("mu.weight", {L, 2 * E});
  need("mu.bias", {L});
  need("logvar.weight", {L, 2 * E});
  need("logvar.bias", {L});
  need("init.weight", {H, L});
  need("init.bias", {H});
  need("dec.weight_ih", {3 * H, D + L});
  need("dec.weight_hh", {3 * H, H});
  need("dec.bias_ih", {3 * H});
  need("dec.bias_hh", {3 * H});
  need("out.weight", {D, H});
  need("out.bias", {D});
}

void Vae::encode(const std::vector<float>& x, std::vector<float>& mu, std::vector<float>& logvar) const {
  const int64_t E = cfg_.enc_hidden, D = cfg_.dims();
  if (int64_t(x.size()) != kSteps * D) throw Error(ErrorCode::kInternal, "clip model: input size does not match");
  std::vector<float> both(static_cast<size_t>(2 * E));
  for (int d = 0; d < 2; ++d) {
    const std::string p = d == 0 ? "enc.fwd." : "enc.bwd.";
    Gru g{&w_.at(p + "weight_ih"), &w_.at(p + "weight_hh"), &w_.at(p + "bias_ih"), &w_.at(p + "bias_hh")};
    std::vector<float> h(size_t(E), 0.f);
    for (int s = 0; s < kSteps; ++s) g.step(&x[size_t((d == 0 ? s : kSteps - 1 - s) * D)], h);
    std::copy(h.begin(), h.end(), both.begin() + d * E);
  }
  mu.assign(size_t(cfg_.latent), 0.f);
  logvar.assign(size_t(cfg_.latent), 0.f);
  affine(w_.at("mu.weight"), w_.at("mu.bias"), both.data(), mu.data());
  affine(w_.at("logvar.weight"), w_.at("logvar.bias"), both.data(), logvar.data());
}

namespace {

struct Decoder {
  const model::Weights& w;
  int64_t D, L, H;
  Gru g{&w.at("dec.weight_ih"), &w.at("dec.weight_hh"), &w.at("dec.bias_ih"), &w.at("dec.bias_hh")};
  std::vector<float> h, in;
  Decoder(const model::Weights& w_, int64_t D_, int64_t L_, int64_t H_, const std::vector<float>& z)
      : w(w_), D(D_), L(L_), H(H_), h(size_t(H_)), in(size_t(D_ + L_), 0.f) {
    affine(w.at("init.weight"), w.at("init.bias"), z.data(), h.data());
    for (auto& v : h) v = std::tanh(v);
    std::copy(z.begin(), z.end(), in.begin() + D);
  }
  // Feeds the previous step's features (nullptr = none) and returns the logits of this step.
  void step(const float* prev, float* logits) {
    if (prev) std::copy(prev, prev + D, in.begin());
    else std::fill(in.begin(), in.begin() + D, 0.f);
    g.step(in.data(), h);
    affine(w.at("out.weight"), w.at("out.bias"), h.data(), logits);
  }
};

}  // namespace

std::vector<float> Vae::decode_logits(const std::vector<float>& z, const std::vector<float>& x) const {
  const int64_t D = cfg_.dims();
  if (int64_t(z.size()) != cfg_.latent || int64_t(x.size()) != kSteps * D)
    throw Error(ErrorCode::kInternal, "clip model: latent or input size does not match");
  Decoder dec(w_, D, cfg_.latent, cfg_.dec_hidden, z);
  std::vector<float> y(static_cast<size_t>(kSteps * D));
  for (int s = 0; s < kSteps; ++s) dec.step(s == 0 ? nullptr : &x[size_t((s - 1) * D)], &y[size_t(s * D)]);
  return y;
}

Clip Vae::decode(const std::vector<float>& z, double temperature, std::mt19937_64& rng) const {
  const int64_t D = cfg_.dims();
  if (int64_t(z.size()) != cfg_.latent) throw Error(ErrorCode::kInternal, "clip model: latent size does not match");
  Decoder dec(w_, D, cfg_.latent, cfg_.dec_hidden, z);
  Clip c;
  c.kind = cfg_.kind;
  c.v.assign(size_t(cfg_.kind == Kind::kMelody ? kSteps : kSteps * D), 0);
  std::vector<float> logits(static_cast<size_t>(D)), prev(static_cast<size_t>(D), 0.f);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  for (int s = 0; s < kSteps; ++s) {
    dec.step(s == 0 ? nullptr : prev.data(), logits.data());
    std::fill(prev.begin(), prev.end(), 0.f);
    if (cfg_.kind == Kind::kMelody) {
      int tok = int(std::max_element(logits.begin(), logits.end()) - logits.begin());
      if (temperature > 0) {
        std::vector<double> p(static_cast<size_t>(D));
        double sum = 0;
        for (int64_t k = 0; k < D; ++k) sum += p[size_t(k)] = std::exp((logits[size_t(k)] - logits[size_t(tok)]) / temperature);
        double u = U(rng) * sum;
        for (int64_t k = 0; k < D; ++k)
          if ((u -= p[size_t(k)]) <= 0 || k == D - 1) {
            tok = int(k);
            break;
          }
      }
      if (tok == kHold && (s == 0 || c.v[size_t(s - 1)] == kRest)) tok = kRest;   // nothing to hold
      c.v[size_t(s)] = tok;
      prev[size_t(tok)] = 1.f;
    } else {
      for (int64_t k = 0; k < D; ++k) {
        const float l = logits[size_t(k)];
        const bool hit = temperature > 0 ? U(rng) < sigmoid(float(l / temperature)) : l > 0;
        c.v[size_t(s * D + k)] = hit;
        prev[size_t(k)] = hit ? 1.f : 0.f;
      }
    }
  }
  return c;
}

std::vector<float> slerp(const std::vector<float>& a, const std::vector<float>& b, double t) {
  if (a.size() != b.size()) throw Error(ErrorCode::kInternal, "slerp: sizes differ");
  double na = 0, nb = 0, dot = 0;
  for (size_t i = 0; i < a.size(); ++i) na += double(a[i]) * a[i], nb += double(b[i]) * b[i], dot += double(a[i]) * b[i];
  std::vector<float> out(a.size());
  const double cosw = na > 0 && nb > 0 ? std::clamp(dot / std::sqrt(na * nb), -1.0, 1.0) : 1.0;
  const double omega = std::acos(cosw);
  if (std::sin(omega) < 1e-4) {
    for (size_t i = 0; i < a.size(); ++i) out[i] = float((1 - t) * a[i] + t * b[i]);
    return out;
  }
  const double wa = std::sin((1 - t) * omega) / std::sin(omega), wb = std::sin(t * omega) / std::sin(omega);
  for (size_t i = 0; i < a.size(); ++i) out[i] = float(wa * a[i] + wb * b[i]);
  return out;
}

}  // namespace continuo::vae
