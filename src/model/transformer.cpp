// The Continuo network in libtorch (training and numeric reference).
#include "model/transformer.hpp"

#include <cmath>

#include "continuo/error.hpp"

namespace continuo::model {
namespace F = torch::nn::functional;
using tokenizer::Field;
using tokenizer::kNumFields;

RMSNormImpl::RMSNormImpl(int64_t d, double e) : eps(e) {
  weight = register_parameter("weight", torch::ones({d}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  auto xf = x.to(torch::kFloat32);
  auto r = torch::rsqrt(xf.pow(2).mean(-1, true) + eps);
  return (xf * r).to(x.scalar_type()) * weight;
}

AttentionImpl::AttentionImpl(const Config& c) : n_heads(c.n_heads), d_head(c.d_model / c.n_heads) {
  auto lin = [&](const char* name) {
    return register_module(name, torch::nn::Linear(torch::nn::LinearOptions(c.d_model, c.d_model).bias(false)));
  };
  q_proj = lin("q_proj");
  k_proj = lin("k_proj");
  v_proj = lin("v_proj");
  o_proj = lin("o_proj");
}

namespace {
torch::Tensor rotate_half(const torch::Tensor& x) {
  auto half = x.size(-1) / 2;
  auto x1 = x.slice(-1, 0, half), x2 = x.slice(-1, half);
  return torch::cat({-x2, x1}, -1);
}

// cos/sin tables [T, dh] for rotary positions 0..T-1 (LLaMA / Hugging Face convention).
std::pair<torch::Tensor, torch::Tensor> rope_tables(int64_t T, int64_t dh, double theta, torch::Device dev) {
  auto inv = 1.0 / torch::pow(theta, torch::arange(0, dh, 2, torch::kFloat64) / double(dh));  // [dh/2]
  auto t = torch::arange(T, torch::kFloat64);
  auto freqs = torch::outer(t, inv);                 // [T, dh/2]
  auto emb = torch::cat({freqs, freqs}, -1);         // [T, dh]
  return {emb.cos().to(torch::kFloat32).to(dev), emb.sin().to(torch::kFloat32).to(dev)};
}
}  // namespace

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const auto B = x.size(0), T = x.size(1);
  auto shape = [&](const torch::Tensor& t) { return t.view({B, T, n_heads, d_head}).transpose(1, 2); };
  auto q = shape(q_proj(x)), k = shape(k_proj(x)), v = shape(v_proj(x));  // [B, H, T, dh]
  auto c = cos.to(q.scalar_type()), s = sin.to(q.scalar_type());
  q = q * c + rotate_half(q) * s;
  k = k * c + rotate_half(k) * s;
  auto att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(d_head));  // [B, H, T, T]
  auto mask = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).triu(1);
  att = att.masked_fill(mask, -std::numeric_limits<float>::infinity());
  att = torch::softmax(att.to(torch::kFloat32), -1).to(v.scalar_type());
  auto y = torch::matmul(att, v);                                    // [B, H, T, dh]
  y = y.transpose(1, 2).contiguous().view({B, T, n_heads * d_head});  // [B, T, d]
  return o_proj(y);
}

MlpImpl::MlpImpl(const Config& c) {
  gate_proj = register_module("gate_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, c.d_ff).bias(false)));
  up_proj = register_module("up_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, c.d_ff).bias(false)));
  down_proj = register_module("down_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_ff, c.d_model).bias(false)));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) { return down_proj(F::silu(gate_proj(x)) * up_proj(x)); }

LayerImpl::LayerImpl(const Config& c) {
  input_layernorm = register_module("input_layernorm", RMSNorm(c.d_model, c.norm_eps));
  self_attn = register_module("self_attn", Attention(c));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.d_model, c.norm_eps));
  mlp = register_module("mlp", Mlp(c));
}

torch::Tensor LayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  auto h = x + self_attn(input_layernorm(x), cos, sin);
  return h + mlp(post_attention_layernorm(h));
}

BackboneImpl::BackboneImpl(const Config& c) {
  for (int f = 0; f < kNumFields; ++f)
    embed_fields->push_back(torch::nn::Embedding(tokenizer::kFieldSizes[f], c.d_model));
  register_module("embed_fields", embed_fields);
  embed_beat_pos = register_module("embed_beat_pos", torch::nn::Embedding(tokenizer::kBeatPosSize, c.d_model));
  embed_bar_pos = register_module("embed_bar_pos", torch::nn::Embedding(tokenizer::kBarPosSize, c.d_model));
  if (c.pitch_context)
    embed_pitch_context = register_module(
        "embed_pitch_context",
        torch::nn::Linear(torch::nn::LinearOptions(tokenizer::kPitchContextSize, c.d_model).bias(false)));
  if (c.future_context)
    embed_future_context = register_module(
        "embed_future_context",
        torch::nn::Linear(torch::nn::LinearOptions(tokenizer::kFutureContextSize, c.d_model).bias(false)));
  for (int i = 0; i < c.n_layers; ++i) layers->push_back(Layer(c));
  register_module("layers", layers);
  norm = register_module("norm", RMSNorm(c.d_model, c.norm_eps));
}

HeadImpl::HeadImpl(const Config& c, int vocab) {
  norm = register_module("norm", RMSNorm(c.d_model, c.norm_eps));
  proj = register_module("proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, c.d_head).bias(false)));
  out = register_module("out", torch::nn::Linear(torch::nn::LinearOptions(c.d_head, vocab).bias(false)));
}

torch::Tensor HeadImpl::forward(const torch::Tensor& x) { return out(F::silu(proj(norm(x)))); }

TransformerImpl::TransformerImpl(const Config& c) : cfg(c) {
  if (c.d_model % c.n_heads != 0 || (c.d_model / c.n_heads) % 2 != 0)
    throw Error(ErrorCode::kInvalidArgument, "d_model must be a multiple of 2 * n_heads");
  model = register_module("model", Backbone(c));
  auto container = std::make_shared<torch::nn::Module>();
  head_embed = torch::nn::ModuleList();
  for (int g = 0; g < kNumFields - 1; ++g)
    head_embed->push_back(torch::nn::Embedding(tokenizer::kFieldSizes[g], c.d_model));
  container->register_module("embed", head_embed);
  for (int f = 0; f < kNumFields; ++f)
    head.push_back(container->register_module(std::to_string(f), Head(c, tokenizer::kFieldSizes[f])));
  if (c.key_prior) key_prior = container->register_parameter("key_prior", torch::zeros({2, 12}));
  if (c.future_prior) future_prior = container->register_parameter("future_prior", torch::zeros({2, 12}));
  if (c.copy_prior) {
    const int64_t K = c.copy_sources;
    auto copy = std::make_shared<torch::nn::Module>();
    copy_length = copy->register_parameter("length", torch::zeros({K, tokenizer::kCopyLengthBuckets}));
    copy_hits = copy->register_parameter("hits", torch::zeros({K, tokenizer::kCopyHitWindow + 1}));
    copy_distance = copy->register_parameter("distance", torch::zeros({K, tokenizer::kCopyLogBuckets}));
    copy_history = copy->register_parameter("history", torch::zeros({K, tokenizer::kCopyLogBuckets}));
    copy_agree = copy->register_parameter("agree", torch::zeros({K, tokenizer::kCopyAgreeCodes}));
    copy_gate = copy->register_parameter("gate", torch::zeros({K, int64_t(c.d_model)}));
    copy_velocity = copy->register_parameter("velocity", torch::zeros({K}));
    container->register_module("copy", copy);
  }
  register_module("heads", container);

  tokenizer::Grammar g;
  used_mask = torch::zeros({int64_t(tokenizer::Kind::kCount), kNumFields});
  for (int k = 1; k < int(tokenizer::Kind::kCount); ++k)
    for (int f = 0; f < kNumFields; ++f)
      used_mask[k][f] = g.fields_used(tokenizer::Kind(k), tokenizer::Field(f)) ? 1.0f : 0.0f;
  used_mask = register_buffer("used_mask", used_mask);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> pitch_context_and_drums(const torch::Tensor& events) {
  auto ev = events.to(torch::kCPU).contiguous();
  const auto B = ev.size(0), T = ev.size(1);
  auto out = torch::zeros({B, T, tokenizer::kPitchContextSize}, torch::kFloat32);
  auto drums = torch::zeros({B, T, tokenizer::kMaxTracks}, torch::kBool);
  auto evidence = torch::zeros({B, T}, torch::kFloat32);
  auto va = evidence.accessor<float, 2>();
  auto ea = ev.accessor<int64_t, 3>();
  auto oa = out.accessor<float, 3>();
  auto da = drums.accessor<bool, 3>();
  for (int64_t b = 0; b < B; ++b) {
    tokenizer::PitchContextTracker tr;
    for (int64_t t = 0; t < T; ++t) {
      tokenizer::Event e;
      for (int f = 0; f < kNumFields; ++f) e.f[f] = static_cast<uint16_t>(ea[b][t][f]);
      const auto c = tr.next(e);
      for (int i = 0; i < tokenizer::kPitchContextSize; ++i) oa[b][t][i] = c[size_t(i)];
      for (int k = 0; k < tokenizer::kMaxTracks; ++k) da[b][t][k] = tr.is_drum(k);
      va[b][t] = tokenizer::key_prior_evidence(tr.notes());
    }
  }
  return {out, drums, evidence};
}

torch::Tensor pitch_context(const torch::Tensor& events) { return std::get<0>(pitch_context_and_drums(events)); }

torch::Tensor TransformerImpl::hidden(const torch::Tensor& events, const torch::Tensor& pos, const torch::Tensor& future) {
  const auto T = events.size(1);
  torch::Tensor x;
  for (int f = 0; f < kNumFields; ++f) {
    auto e = model->embed_fields[f]->as<torch::nn::Embedding>()->forward(events.select(-1, f));
    x = f == 0 ? e : x + e;
  }
  x = x + model->embed_beat_pos(pos.select(-1, 0)) + model->embed_bar_pos(pos.select(-1, 1));  // [B, T, d]
  if (cfg.pitch_context) x = x + model->embed_pitch_context(pitch_context(events).to(x.device()));
  if (cfg.future_context && future.defined()) x = x + model->embed_future_context(future.to(x.device(), x.scalar_type()));
  auto [cos, sin] = rope_tables(T, cfg.d_model / cfg.n_heads, cfg.rope_theta, events.device());
  for (auto& layer : *model->layers) x = layer->as<Layer>()->forward(x, cos, sin);
  return model->norm(x);
}

torch::Tensor TransformerImpl::field_logits(const torch::Tensor& h, const torch::Tensor& next, int f,
                                           const torch::Tensor& inputs, const torch::Tensor& future) {
  auto x = h;
  for (int g = 0; g < f; ++g) x = x + head_embed[g]->as<torch::nn::Embedding>()->forward(next.select(-1, g));
  auto logits = head[f](x);
  if (cfg.key_prior && f == int(tokenizer::Field::kValue)) {
    if (!inputs.defined()) throw Error(ErrorCode::kInvalidArgument, "field_logits: a key_prior model needs the input events");
    logits = logits + key_prior_logits(inputs, next).to(logits.dtype());
  }
  if (cfg.future_prior && future.defined() && f == int(tokenizer::Field::kValue)) {
    if (!inputs.defined()) throw Error(ErrorCode::kInvalidArgument, "field_logits: a future_prior model needs the input events");
    using torch::indexing::Slice;
    const auto dev = future_prior.device();
    auto q = torch::arange(12, torch::kInt64), c = torch::arange(12, torch::kInt64);
    auto idx = (q.unsqueeze(0) - c.unsqueeze(1) + 12).remainder(12).to(dev);    // [c, q] -> (q - c) mod 12
    auto circ = future_prior.index({Slice(), idx}).reshape({24, 12});          // [half * 12 + c, q]
    auto fut = future.to(dev, torch::kFloat32);
    auto pcs = torch::cat({fut.slice(-1, 21, 33), fut.slice(-1, 7, 19)}, -1);   // [B, T, 24]: next beat, next 8 beats
    auto b = torch::matmul(pcs, circ);                                         // [B, T, 12]
    b = b - b.mean(-1, true);
    auto pitch_class = torch::arange(128, torch::kInt64).remainder(12).to(dev);
    auto bias = b.index_select(-1, pitch_class);                               // [B, T, 128]
    auto drums = std::get<1>(pitch_context_and_drums(inputs));
    auto nx = next.to(torch::kCPU);
    auto pitched = (nx.select(-1, 0) == int64_t(tokenizer::Kind::kNote)) &
                   drums.gather(-1, nx.select(-1, 2).clamp(0, tokenizer::kMaxTracks - 1).unsqueeze(-1)).squeeze(-1).logical_not();
    bias = bias * pitched.to(dev).unsqueeze(-1).to(bias.dtype());
    logits = logits + F::pad(bias, F::PadFuncOptions({0, tokenizer::kFieldSizes[int(tokenizer::Field::kValue)] - 128})).to(logits.dtype());
  }
  return logits;
}

torch::Tensor TransformerImpl::key_prior_logits(const torch::Tensor& inputs, const torch::Tensor& next) {
  using torch::indexing::Slice;
  auto [ctx, drums, evidence] = pitch_context_and_drums(inputs);
  const auto dev = key_prior.device();
  auto lg = torch::log(ctx + tokenizer::kKeyPriorEps).to(dev);           // [B, T, 24]
  auto q = torch::arange(12, torch::kInt64), c = torch::arange(12, torch::kInt64);
  auto idx = (q.unsqueeze(0) - c.unsqueeze(1) + 12).remainder(12).to(dev);   // [c, q] -> (q - c) mod 12
  auto circ = key_prior.index({Slice(), idx}).reshape({24, 12});          // [half * 12 + c, q]
  auto b = torch::matmul(lg, circ);                                       // [B, T, 12]
  b = b - b.mean(-1, true);
  auto pitch_class = torch::arange(128, torch::kInt64).remainder(12).to(dev);
  auto bias = b.index_select(-1, pitch_class);                           // [B, T, 128]
  auto nx = next.to(torch::kCPU);
  auto pitched = (nx.select(-1, 0) == int64_t(tokenizer::Kind::kNote)) &
                 drums.gather(-1, nx.select(-1, 2).clamp(0, tokenizer::kMaxTracks - 1).unsqueeze(-1)).squeeze(-1).logical_not();
  auto weight = pitched.to(torch::kFloat32);
  if (cfg.key_evidence) weight = weight * evidence;
  bias = bias * weight.to(dev).unsqueeze(-1).to(bias.dtype());
  return F::pad(bias, F::PadFuncOptions({0, tokenizer::kFieldSizes[int(tokenizer::Field::kValue)] - 128}));
}

void write_copy_proposals(const tokenizer::CopyProposals& p, int64_t* out) {
  for (int k = 0; k < tokenizer::kCopySources; ++k) {
    int64_t* o = out + int64_t(k) * kCopyColumns;
    const auto& q = p[size_t(k)];
    for (int f = 0; f < kNumFields; ++f) o[f] = q.valid ? q.event.f[size_t(f)] : 0;
    o[kNumFields] = q.valid ? q.length : 0;
    o[kNumFields + 1] = q.valid ? q.hits : 0;
    o[kNumFields + 2] = q.valid ? q.distance : 0;
    o[kNumFields + 3] = q.valid ? q.history : 0;
    o[kNumFields + 4] = q.valid ? q.agree : 0;
  }
}

torch::Tensor copy_proposals(const torch::Tensor& events) {
  auto ev = events.to(torch::kCPU).contiguous();
  const auto B = ev.size(0), T = ev.size(1);
  auto out = torch::zeros({B, T, tokenizer::kCopySources, kCopyColumns}, torch::kInt64);
  auto ea = ev.accessor<int64_t, 3>();
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    tokenizer::CopyTracker tr;
    for (int64_t t = 0; t < T; ++t) {
      tokenizer::Event e;
      for (int f = 0; f < kNumFields; ++f) e.f[f] = static_cast<uint16_t>(ea[b][t][f]);
      write_copy_proposals(tr.next(e), o + (b * T + t) * tokenizer::kCopySources * kCopyColumns);
    }
  }
  return out;
}

TransformerImpl::Scores TransformerImpl::score(const torch::Tensor& h, const torch::Tensor& inputs,
                                               const torch::Tensor& targets, const torch::Tensor& copy_in,
                                               const torch::Tensor& future) {
  using torch::indexing::Slice;
  const auto dev = h.device();
  const int V = int(Field::kValue), V2 = int(Field::kValue2);
  auto used = used_mask.index({targets.select(-1, 0)});   // [B, T, 6]
  std::array<torch::Tensor, kNumFields> lp;               // network log p(target field), 0 where unused
  Scores out;
  for (int f = 0; f < kNumFields; ++f) {
    auto l = torch::log_softmax(field_logits(h, targets, f, inputs, future).to(torch::kFloat32), -1);   // [B, T, V_f]
    if (f == V) out.value_net_logp = l;
    lp[size_t(f)] = l.gather(-1, targets.select(-1, f).unsqueeze(-1)).squeeze(-1) * used.select(-1, f);
  }
  if (!cfg.copy_prior) {
    out.field_logp = torch::stack({lp[0], lp[1], lp[2], lp[3], lp[4], lp[5]}, -1);
    out.value_post = torch::ones({h.size(0), h.size(1), 1}, h.options().dtype(torch::kFloat32));
    return out;
  }
  const int64_t K = cfg.copy_sources;   // the model's first K of the tracker's proposals
  auto copy = (copy_in.defined() ? copy_in : copy_proposals(inputs)).slice(2, 0, K).to(dev);   // [B, T, K, 11]
  out.copy = copy;
  auto prop_kind = copy.select(-1, 0);                                            // [B, T, K]
  auto valid = prop_kind != 0;
  auto ks = torch::arange(K, torch::TensorOptions().dtype(torch::kInt64).device(dev));
  auto g = copy_length.index({ks, copy.select(-1, kNumFields)}) + copy_hits.index({ks, copy.select(-1, kNumFields + 1)}) +
           copy_distance.index({ks, copy.select(-1, kNumFields + 2)}) + copy_history.index({ks, copy.select(-1, kNumFields + 3)}) +
           copy_agree.index({ks, copy.select(-1, kNumFields + 4)}) +
           torch::matmul(h.to(torch::kFloat32), copy_gate.t());                   // [B, T, K]
  g = g.masked_fill(valid.logical_not(), -std::numeric_limits<float>::infinity());
  auto log_lambda = torch::log_softmax(torch::cat({torch::zeros_like(g.slice(-1, 0, 1)), g}, -1), -1);   // [B, T, 1+K]
  // prefix log-weights of every component after each field of the target
  const auto ninf = -std::numeric_limits<float>::infinity();
  auto w_net = log_lambda.select(-1, 0);                      // [B, T]
  auto w_copy = log_lambda.slice(-1, 1);                      // [B, T, K]
  auto log_alpha = torch::log_sigmoid(copy_velocity), log_not_alpha = torch::log_sigmoid(-copy_velocity);   // [K]
  auto prev = torch::logsumexp(torch::cat({w_net.unsqueeze(-1), w_copy}, -1), -1);   // [B, T] (= 0)
  std::array<torch::Tensor, kNumFields> cond;
  for (int f = 0; f < kNumFields; ++f) {
    if (f == V) out.value_post = torch::softmax(torch::cat({w_net.unsqueeze(-1), w_copy}, -1), -1);
    auto tgt = targets.select(-1, f).unsqueeze(-1);           // [B, T, 1]
    auto same = copy.select(-1, f) == tgt;                    // [B, T, K]
    w_net = w_net + lp[size_t(f)];
    if (f == V2) {
      // velocity: kept with probability alpha, else the network's
      auto keep = (log_alpha + torch::zeros_like(w_copy)).masked_fill(same.logical_not(), ninf);
      auto factor = torch::logaddexp(keep, log_not_alpha + lp[size_t(f)].unsqueeze(-1));   // [B, T, K]
      w_copy = w_copy + torch::where(used.select(-1, f).unsqueeze(-1) > 0, factor, torch::zeros_like(factor));
    } else {
      w_copy = w_copy.masked_fill(same.logical_not(), ninf);
    }
    auto now = torch::logsumexp(torch::cat({w_net.unsqueeze(-1), w_copy}, -1), -1);   // [B, T]
    cond[size_t(f)] = (now - prev) * used.select(-1, f);
    prev = now;
  }
  out.field_logp = torch::stack({cond[0], cond[1], cond[2], cond[3], cond[4], cond[5]}, -1);
  return out;
}

TransformerImpl::Loss TransformerImpl::loss(const torch::Tensor& events, const torch::Tensor& pos, const torch::Tensor& copy,
                                            const torch::Tensor& future, const torch::Tensor& ignore) {
  const auto T = events.size(1);
  auto inp = events.slice(1, 0, T - 1), inp_pos = pos.slice(1, 0, T - 1);
  auto tgt = events.slice(1, 1, T);                        // [B, T-1, 6]
  const torch::Tensor fut = future.defined() ? future.slice(1, 0, T - 1) : future;
  auto h = hidden(inp, inp_pos, fut);                      // [B, T-1, d]
  auto sc = score(h, inp, tgt, copy.defined() ? copy.slice(1, 0, T - 1) : copy, fut);
  auto counted = tgt.select(-1, 0) != 0;                   // [B, T-1]: not padding, not ignored
  if (ignore.defined()) counted = counted & ignore.slice(1, 1, T).to(counted.device()).logical_not();
  auto used = used_mask.index({tgt.select(-1, 0)}) * counted.unsqueeze(-1).to(torch::kFloat32);   // [B, T-1, 6]
  Loss out;
  out.events = counted.sum().item<int64_t>();
  auto real = counted.to(torch::kFloat32);                 // [B, T-1]
  torch::Tensor total;
  double nll = 0;
  for (int f = 0; f < kNumFields; ++f) {
    auto ce = -sc.field_logp.select(-1, f) * real;          // [B, T-1]
    auto used_f = used.select(-1, f).sum();
    auto field_sum = ce.sum();
    out.field_used[f] = used_f.item<double>();
    out.field_nll[f] = field_sum.item<double>();
    out.per_field[f] = out.field_nll[f] / std::max(out.field_used[f], 1.0);
    nll += out.field_nll[f];
    auto contrib = field_sum / std::max<int64_t>(out.events, 1);    // nats per event from field f
    total = f == 0 ? contrib : total + contrib;
  }
  out.total = total;
  out.nll_sum = nll;
  return out;
}

void init_weights(Transformer& net, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard ng;
  const double std = 0.02, out_std = 0.02 / std::sqrt(2.0 * net->cfg.n_layers);
  for (auto& p : net->named_parameters()) {
    const auto& name = p.key();
    auto& t = p.value();
    if (name == "heads.key_prior" || name == "heads.future_prior") t.zero_();   // starts as no prior at all
    else if (name == "heads.copy.length") t.fill_(kCopyInitBias);   // starts as (nearly) no copying
    else if (name.rfind("heads.copy.", 0) == 0) t.zero_();
    else if (name == "model.embed_future_context.weight") t.zero_();   // starts blind to the future
    else if (name.find("norm") != std::string::npos) t.fill_(1.0);
    else if (name.find("o_proj") != std::string::npos || name.find("down_proj") != std::string::npos)
      t.normal_(0, out_std);
    else t.normal_(0, std);
  }
}

Weights export_weights(Transformer& net) {
  Weights w;
  for (auto& p : net->named_parameters()) {
    auto t = p.value().detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
    Tensor out;
    out.shape.assign(t.sizes().begin(), t.sizes().end());
    out.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    w[p.key()] = std::move(out);
  }
  return w;
}

void import_weights(Transformer& net, const Weights& w, std::vector<std::string>* missing) {
  torch::NoGradGuard ng;
  for (auto& p : net->named_parameters()) {
    auto it = w.find(p.key());
    if (it == w.end() && missing) {
      missing->push_back(p.key());
      continue;
    }
    if (it == w.end()) throw Error(ErrorCode::kCorruptData, "weights lack tensor '" + p.key() + "'");
    auto& t = p.value();
    std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
    if (shape != it->second.shape && missing && p.key().rfind("heads.copy.", 0) == 0 && !shape.empty() &&
        it->second.shape.size() == shape.size() && it->second.shape[0] < shape[0] &&
        std::equal(shape.begin() + 1, shape.end(), it->second.shape.begin() + 1)) {
      // a model with more copy sources grown from one with fewer: the first rows carry over,
      // the new sources keep their initial values
      auto src = torch::from_blob(const_cast<float*>(it->second.data.data()), it->second.shape, torch::kFloat32);
      t.slice(0, 0, it->second.shape[0]).copy_(src);
      missing->push_back(p.key() + " (rows " + std::to_string(it->second.shape[0]) + ".." + std::to_string(shape[0] - 1) + ")");
      continue;
    }
    if (shape != it->second.shape) throw Error(ErrorCode::kCorruptData, "tensor '" + p.key() + "' has the wrong shape");
    auto src = torch::from_blob(const_cast<float*>(it->second.data.data()), t.sizes(), torch::kFloat32);
    t.copy_(src);
  }
}

}  // namespace continuo::model
