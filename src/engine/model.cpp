// engine/model.cpp: weights in the engine's layout (fused q/k/v and gate/up matrices, fp32 or
// bf16), the per-field output heads, and the small row-wise ops shared with session.cpp.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "continuo/error.hpp"
#include "engine/internal.hpp"
#include "engine/ops.hpp"
#include "engine/thread_pool.hpp"

namespace continuo::engine {
namespace {

uint16_t f32_to_bf16(float f) {   // round to nearest even, NaN stays NaN
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

const model::Tensor& get(const model::Weights& w, const std::string& name) { return w.at(name); }

WeightFormat resolve(WeightFormat f) {
  if (f != WeightFormat::kAuto) return f;
  if (const char* env = std::getenv("CONTINUO_WEIGHTS"); env && *env) {
    std::string s = env;
    if (s == "f32" || s == "fp32") return WeightFormat::kF32;
    if (s == "bf16") return WeightFormat::kBF16;
    throw Error(ErrorCode::kInvalidArgument, "CONTINUO_WEIGHTS must be f32 or bf16, not '" + s + "'");
  }
  return WeightFormat::kBF16;
}

}  // namespace

// ---- row-wise ops ----------------------------------------------------------------------------------

void rmsnorm(const float* x, const float* w, int64_t d, double eps, float* out) {
  double ss = 0;
  for (int64_t i = 0; i < d; ++i) ss += double(x[i]) * x[i];
  const float r = 1.0f / std::sqrt(float(ss / double(d)) + float(eps));
  for (int64_t i = 0; i < d; ++i) out[i] = (x[i] * r) * w[i];
}

float silu(float x) { return x / (1.0f + std::exp(-x)); }

// ---- matrices ----------------------------------------------------------------------------------

Matrix Matrix::stack(const std::vector<const model::Tensor*>& parts, WeightFormat format) {
  Matrix m;
  m.format = format;
  m.cols = parts.front()->shape.at(1);
  for (const auto* p : parts) m.rows += p->shape.at(0);
  const size_t n = size_t(m.rows * m.cols);
  if (format == WeightFormat::kF32) m.f32.reserve(n);
  else m.bf16.reserve(n);
  for (const auto* p : parts) {
    if (format == WeightFormat::kF32) m.f32.insert(m.f32.end(), p->data.begin(), p->data.end());
    else
      for (float v : p->data) m.bf16.push_back(f32_to_bf16(v));
  }
  return m;
}

void matmul(const kernels::Table& k, const float* x, int64_t m, const Matrix& w, float* y) {
  // at least ~64k multiply-adds per thread, else the hand-off costs more than it saves
  const int64_t min_rows = std::max<int64_t>(8, (64 * 1024) / std::max<int64_t>(1, m * w.cols));
  ThreadPool::global().for_range(w.rows, 16, min_rows, [&](int64_t n0, int64_t n1) {
    if (w.format == WeightFormat::kF32) k.matmul_f32(x, w.cols, m, w.cols, w.f32.data(), n0, n1, y, w.rows);
    else k.matmul_bf16(x, w.cols, m, w.cols, w.bf16.data(), n0, n1, y, w.rows);
  });
}

// ---- model -------------------------------------------------------------------------------------

size_t Model::Impl::weight_bytes() const {
  size_t n = 0;
  for (const auto& l : layers) n += l.qkv.bytes() + l.o.bytes() + l.gate_up.bytes() + l.down.bytes();
  for (const auto& h : heads) n += h.proj.bytes() + h.out.bytes();
  return n;
}

void Model::Impl::head_logits(int f, const float* h, const tokenizer::Event* partial, int64_t rows, float* out,
                              std::vector<float>& scratch) const {
  const HeadWeights& hw = heads[f];
  const int64_t dh_out = hw.proj.rows;
  scratch.resize(size_t(rows * (2 * d + dh_out)));
  float* x = scratch.data();             // [R, d]
  float* xn = x + rows * d;              // [R, d]
  float* z = xn + rows * d;              // [R, d_head]
  for (int64_t r = 0; r < rows; ++r) {
    float* xr = x + r * d;               // x_f = h + sum_{g<f} heads.embed.g[next_g]
    std::memcpy(xr, h + r * d, sizeof(float) * d);
    for (int g = 0; g < f; ++g) {
      const float* e = head_embed[g].data() + int64_t(partial[r].f[g]) * d;
      for (int i = 0; i < d; ++i) xr[i] += e[i];
    }
    rmsnorm(xr, hw.norm.data(), d, cfg.norm_eps, xn + r * d);
  }
  matmul(*kern, xn, rows, hw.proj, z);   // [R, d_head]
  for (int64_t i = 0; i < rows * dh_out; ++i) z[i] = silu(z[i]);
  matmul(*kern, z, rows, hw.out, out);   // [R, vocab_f]
}

void Model::Impl::add_key_prior(const tokenizer::PitchContext& c, int notes, float* value_logits, float scale) const {
  if (key_prior.empty()) return;
  if (cfg.key_evidence) scale *= tokenizer::key_prior_evidence(notes);
  const std::array<float, 12> b = tokenizer::key_prior_bias(c, key_prior.data());
  for (int p = 0; p < 128; ++p) value_logits[p] += scale * b[size_t(p % 12)];
}

void Model::Impl::add_future_prior(const tokenizer::FutureContext& f, float* value_logits, float scale) const {
  if (future_prior.empty() || f[0] == 0) return;
  const std::array<float, 12> b = tokenizer::future_prior_bias(f, future_prior.data());
  for (int p = 0; p < 128; ++p) value_logits[p] += scale * b[size_t(p % 12)];
}

void CopyMixture::start(const Model::Impl& m, const float* h, const tokenizer::CopyProposals& p) {
  on = !m.copy_gate.empty();
  w[0] = 1;
  for (int k = 0; k < K; ++k) w[1 + k] = alpha[k] = 0;
  if (!on) return;
  prop = p;
  for (int k = m.cfg.copy_sources; k < K; ++k) prop[size_t(k)].valid = false;   // sources the model lacks
  double g[K], mx = 0;   // the network's gate logit is 0
  for (int k = 0; k < K; ++k) {
    if (!prop[size_t(k)].valid) continue;
    alpha[k] = 1.0 / (1.0 + std::exp(-double(m.copy_velocity[size_t(k)])));
    double s = double(m.copy_length[size_t(k * tokenizer::kCopyLengthBuckets + p[size_t(k)].length)]) +
               double(m.copy_hits[size_t(k * (tokenizer::kCopyHitWindow + 1) + p[size_t(k)].hits)]) +
               double(m.copy_distance[size_t(k * tokenizer::kCopyLogBuckets + p[size_t(k)].distance)]) +
               double(m.copy_history[size_t(k * tokenizer::kCopyLogBuckets + p[size_t(k)].history)]) +
               double(m.copy_agree[size_t(k * tokenizer::kCopyAgreeCodes + p[size_t(k)].agree)]);
    const float* gk = m.copy_gate.data() + int64_t(k) * m.d;
    float dot = 0;
    for (int i = 0; i < m.d; ++i) dot += gk[i] * h[i];
    g[k] = s + double(dot);
    mx = std::max(mx, g[k]);
  }
  double sum = std::exp(-mx);
  w[0] = sum;
  for (int k = 0; k < K; ++k) {
    w[1 + k] = prop[size_t(k)].valid ? std::exp(g[k] - mx) : 0.0;
    sum += w[1 + k];
  }
  for (double& x : w) x /= sum;
}

double CopyMixture::prob(int f, int value, double net_prob) const {
  double p = w[0] * net_prob;
  if (!on) return p;
  for (int k = 0; k < K; ++k) {
    if (w[1 + k] <= 0) continue;
    const bool same = prop[size_t(k)].event.f[size_t(f)] == value;
    if (f == int(tokenizer::Field::kValue2)) p += w[1 + k] * (alpha[k] * (same ? 1.0 : 0.0) + (1 - alpha[k]) * net_prob);
    else if (same) p += w[1 + k];
  }
  return p;
}

void CopyMixture::mix(int f, const float* net, float* out, int V) const {
  if (!on) {
    if (out != net) std::memcpy(out, net, sizeof(float) * size_t(V));
    return;
  }
  const bool velocity = f == int(tokenizer::Field::kValue2);
  double scale = w[0];
  if (velocity)
    for (int k = 0; k < K; ++k) scale += w[1 + k] * (1 - alpha[k]);
  for (int v = 0; v < V; ++v) out[v] = float(scale * double(net[v]));
  for (int k = 0; k < K; ++k) {
    if (w[1 + k] <= 0) continue;
    const int v = prop[size_t(k)].event.f[size_t(f)];
    if (v < V) out[v] += float(w[1 + k] * (velocity ? alpha[k] : 1.0));
  }
}

void CopyMixture::update(int f, int value, double net_prob) {
  if (!on) return;
  double nw[1 + K];
  nw[0] = w[0] * net_prob;
  double sum = nw[0];
  for (int k = 0; k < K; ++k) {
    const bool same = prop[size_t(k)].event.f[size_t(f)] == value;
    const double q = f == int(tokenizer::Field::kValue2) ? alpha[k] * (same ? 1.0 : 0.0) + (1 - alpha[k]) * net_prob
                                                         : (same ? 1.0 : 0.0);
    nw[1 + k] = w[1 + k] * q;
    sum += nw[1 + k];
  }
  if (!(sum > 0)) return;   // cannot happen: the chosen value has mixture probability > 0
  for (int i = 0; i <= K; ++i) w[i] = nw[i] / sum;
}

void CopyMixture::damp(double keep) {
  if (!on) return;
  double copied = 0;
  for (int k = 0; k < K; ++k) copied += w[1 + k] *= keep;
  w[0] = 1 - copied;
}

void CopyMixture::raise(int k, double floor) {
  if (!on || !prop[size_t(k)].valid || w[1 + k] >= floor || floor >= 1) return;
  const double scale = (1 - floor) / (1 - w[1 + k]);
  for (int i = 0; i <= K; ++i) w[i] *= scale;
  w[1 + k] = floor;
}

Model::Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

const model::Config& Model::config() const { return impl_->cfg; }
WeightFormat Model::weight_format() const { return impl_->format; }

Model Model::load(const model::ModelFiles& files, WeightFormat format) {
  model::Config cfg = model::load_config(files.config_path);
  model::Weights w = model::load_safetensors(files.weights_path);
  try {
    return from_weights(cfg, w, format);
  } catch (const Error& e) {
    throw Error(e.code(), files.weights_path + ": " + e.what());
  }
}

Model Model::from_weights(const model::Config& cfg, const model::Weights& w, WeightFormat format) {
  if (cfg.d_model <= 0 || cfg.n_heads <= 0 || cfg.d_model % cfg.n_heads != 0 || (cfg.d_model / cfg.n_heads) % 2 != 0)
    throw Error(ErrorCode::kInvalidArgument, "d_model must be a multiple of 2 * n_heads");
  if (cfg.max_len < 2 || cfg.n_layers < 1 || cfg.d_ff < 1 || cfg.d_head < 1)
    throw Error(ErrorCode::kInvalidArgument, "bad model dimensions in the config");
  model::check_weights(cfg, w);

  Model m;
  m.impl_ = std::make_unique<Impl>();
  Impl& p = *m.impl_;
  p.cfg = cfg;
  p.d = cfg.d_model;
  p.n_heads = cfg.n_heads;
  p.dh = cfg.d_model / cfg.n_heads;
  p.format = resolve(format);
  p.kern = &kernels::best();
  using tokenizer::kNumFields;
  for (int f = 0; f < kNumFields; ++f) p.embed_fields[f] = get(w, "model.embed_fields." + std::to_string(f) + ".weight").data;
  p.embed_beat = get(w, "model.embed_beat_pos.weight").data;
  p.embed_bar = get(w, "model.embed_bar_pos.weight").data;
  if (cfg.pitch_context) p.embed_pitch_context = get(w, "model.embed_pitch_context.weight").data;
  if (cfg.future_context) p.embed_future = get(w, "model.embed_future_context.weight").data;
  if (cfg.key_prior) p.key_prior = get(w, "heads.key_prior").data;
  if (cfg.future_prior) p.future_prior = get(w, "heads.future_prior").data;
  if (cfg.copy_prior) {
    p.copy_length = get(w, "heads.copy.length").data;
    p.copy_hits = get(w, "heads.copy.hits").data;
    p.copy_distance = get(w, "heads.copy.distance").data;
    p.copy_history = get(w, "heads.copy.history").data;
    p.copy_agree = get(w, "heads.copy.agree").data;
    p.copy_gate = get(w, "heads.copy.gate").data;
    p.copy_velocity = get(w, "heads.copy.velocity").data;
  }
  for (int i = 0; i < cfg.n_layers; ++i) {
    const std::string pre = "model.layers." + std::to_string(i) + ".";
    LayerWeights l;
    l.attn_norm = get(w, pre + "input_layernorm.weight").data;
    l.mlp_norm = get(w, pre + "post_attention_layernorm.weight").data;
    l.qkv = Matrix::stack({&get(w, pre + "self_attn.q_proj.weight"), &get(w, pre + "self_attn.k_proj.weight"),
                           &get(w, pre + "self_attn.v_proj.weight")}, p.format);
    l.o = Matrix::stack({&get(w, pre + "self_attn.o_proj.weight")}, p.format);
    l.gate_up = Matrix::stack({&get(w, pre + "mlp.gate_proj.weight"), &get(w, pre + "mlp.up_proj.weight")}, p.format);
    l.down = Matrix::stack({&get(w, pre + "mlp.down_proj.weight")}, p.format);
    p.layers.push_back(std::move(l));
  }
  p.final_norm = get(w, "model.norm.weight").data;
  for (int g = 0; g < kNumFields - 1; ++g) p.head_embed[g] = get(w, "heads.embed." + std::to_string(g) + ".weight").data;
  for (int f = 0; f < kNumFields; ++f) {
    const std::string pre = "heads." + std::to_string(f) + ".";
    p.heads[f].norm = get(w, pre + "norm.weight").data;
    p.heads[f].proj = Matrix::stack({&get(w, pre + "proj.weight")}, p.format);
    p.heads[f].out = Matrix::stack({&get(w, pre + "out.weight")}, p.format);
  }

  // rotary tables [max_len, dh], computed in double like the reference, then rounded to float
  const int64_t T = cfg.max_len, dh = p.dh, half = dh / 2;
  p.rope_cos.resize(size_t(T * dh));
  p.rope_sin.resize(size_t(T * dh));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double inv = 1.0 / std::pow(cfg.rope_theta, double(2 * i) / double(dh));
      const double a = double(t) * inv;
      p.rope_cos[t * dh + i] = p.rope_cos[t * dh + i + half] = float(std::cos(a));
      p.rope_sin[t * dh + i] = p.rope_sin[t * dh + i + half] = float(std::sin(a));
    }
  return m;
}

const char* kernel_name() { return kernels::best().name; }

}  // namespace continuo::engine
