// train/vae_train.cpp: the libtorch twin of vae::Vae and its training loop (melody and drum clips).
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "train/named_weights.hpp"
#include "continuo/error.hpp"
#include "continuo/vae_train.hpp"

namespace continuo::vae {
namespace fs = std::filesystem;

namespace {

struct VaeNetImpl : torch::nn::Module {
  explicit VaeNetImpl(const VaeConfig& c)
      : cfg(c),
        enc(register_module("enc", torch::nn::GRU(torch::nn::GRUOptions(c.dims(), c.enc_hidden)
                                                      .bidirectional(true)
                                                      .batch_first(true)))),
        mu(register_module("mu", torch::nn::Linear(2 * c.enc_hidden, c.latent))),
        logvar(register_module("logvar", torch::nn::Linear(2 * c.enc_hidden, c.latent))),
        init(register_module("init", torch::nn::Linear(c.latent, c.dec_hidden))),
        dec(register_module("dec", torch::nn::GRU(torch::nn::GRUOptions(c.dims() + c.latent, c.dec_hidden)
                                                      .batch_first(true)))),
        out(register_module("out", torch::nn::Linear(c.dec_hidden, c.dims()))) {}
  // x [B, T, D] -> mu, logvar [B, L]
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x) {
    auto hn = std::get<1>(enc->forward(x));                  // [2, B, E]: forward, backward
    auto h = torch::cat({hn[0], hn[1]}, -1);                 // [B, 2E]
    return {mu->forward(h), logvar->forward(h)};
  }
  // Teacher-forced logits [B, T, D] from z [B, L] and x [B, T, D].
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& x) {
    const int64_t B = x.size(0), T = x.size(1);
    auto prev = torch::cat({torch::zeros({B, 1, x.size(2)}), x.narrow(1, 0, T - 1)}, 1);
    auto in = torch::cat({prev, z.unsqueeze(1).expand({B, T, z.size(1)})}, -1);
    auto h0 = torch::tanh(init->forward(z)).unsqueeze(0);
    return out->forward(std::get<0>(dec->forward(in, h0)));
  }
  VaeConfig cfg;
  torch::nn::GRU enc;
  torch::nn::Linear mu, logvar, init;
  torch::nn::GRU dec;
  torch::nn::Linear out;
};
TORCH_MODULE(VaeNet);

// "enc.weight_ih_l0_reverse" -> "enc.bwd.weight_ih", "dec.weight_hh_l0" -> "dec.weight_hh".
std::string export_name(const std::string& key) {
  if (key.rfind("enc.", 0) != 0 && key.rfind("dec.", 0) != 0) return key;
  const bool reverse = key.size() > 8 && key.substr(key.size() - 8) == "_reverse";
  std::string k = reverse ? key.substr(0, key.size() - 8) : key;
  const std::string base = k.substr(4, k.rfind("_l") - 4);
  if (key.rfind("dec.", 0) == 0) return "dec." + base;
  return std::string("enc.") + (reverse ? "bwd." : "fwd.") + base;
}

model::Weights export_weights(VaeNet& net) { return train::export_named(*net, export_name); }

void import_weights(VaeNet& net, const model::Weights& w) { train::import_named(*net, w, export_name); }

// All clips as one tensor [N, T, D] of features.
torch::Tensor stack(const std::vector<Clip>& clips, int D) {
  auto t = torch::zeros({int64_t(clips.size()), kSteps, D});
  auto a = t.accessor<float, 3>();
  for (size_t i = 0; i < clips.size(); ++i) {
    const auto x = features(clips[i]);
    for (int s = 0; s < kSteps; ++s)
      for (int k = 0; k < D; ++k) a[int64_t(i)][s][k] = x[size_t(s * D + k)];
  }
  return t;
}

struct Loss {
  torch::Tensor total, recon, kl, correct, count;
};

Loss loss_of(VaeNet& net, const torch::Tensor& x, Kind kind, double beta, double free_bits, bool sample) {
  auto [mu, logvar] = net->encode(x);
  auto z = sample ? mu + torch::exp(0.5 * logvar) * torch::randn_like(mu) : mu;
  auto logits = net->decode(z, x);
  Loss l;
  const double B = double(x.size(0));
  if (kind == Kind::kMelody) {
    auto target = x.argmax(-1);                                         // [B, T]
    l.recon = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), target.reshape({-1}),
                                                   torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) / B;
    l.correct = (logits.argmax(-1) == target).sum().to(torch::kFloat32);
    l.count = torch::full({}, double(target.numel()));
  } else {
    l.recon = torch::binary_cross_entropy_with_logits(logits, x, {}, {}, at::Reduction::Sum) / B;
    l.correct = ((logits > 0).to(torch::kFloat32) == x).sum().to(torch::kFloat32);
    l.count = torch::full({}, double(x.numel()));
  }
  auto kl_dim = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(0);   // [L] nats per dim
  l.kl = kl_dim.sum();
  l.total = l.recon + beta * torch::clamp_min(kl_dim - free_bits, 0).sum();
  return l;
}

}  // namespace

void torch_reference(const VaeConfig& cfg, const model::Weights& w, const std::vector<float>& x,
                     const std::vector<float>& z, std::vector<float>& mu, std::vector<float>& logvar,
                     std::vector<float>& logits) {
  torch::NoGradGuard ng;
  VaeNet net(cfg);
  import_weights(net, w);
  net->eval();
  auto xt = torch::from_blob(const_cast<float*>(x.data()), {1, kSteps, cfg.dims()}, torch::kFloat32);
  auto zt = torch::from_blob(const_cast<float*>(z.data()), {1, cfg.latent}, torch::kFloat32);
  auto [m, lv] = net->encode(xt);
  auto y = net->decode(zt, xt).contiguous();
  m = m.contiguous();
  lv = lv.contiguous();
  mu.assign(m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
  logvar.assign(lv.data_ptr<float>(), lv.data_ptr<float>() + lv.numel());
  logits.assign(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
}

model::Weights random_vae_weights(const VaeConfig& cfg, uint64_t seed) {
  torch::manual_seed(seed);
  VaeNet net(cfg);
  return export_weights(net);
}

double train_vae(const VaeTrainOptions& o, const std::function<void(const VaeTrainLog&)>& log) {
  torch::set_num_threads(std::max(1, o.threads));
  torch::manual_seed(o.seed);
  const fs::path out(o.out_dir);
  fs::create_directories(out);
  VaeConfig cfg;
  cfg.kind = o.kind;
  cfg.enc_hidden = o.enc_hidden;
  cfg.dec_hidden = o.dec_hidden;
  cfg.latent = o.latent;
  cfg.description = o.kind == Kind::kMelody
                        ? "Melody VAE: 2-bar melody clips (folk-abc-music21, Nottingham, POP909), interpolate / generate --clip"
                        : "Drums VAE: 2-bar drum clips (Groove MIDI Dataset), interpolate / generate --clip";
  const bool mel = o.kind == Kind::kMelody;
  auto train_clips = mel ? load_melody_clips(o.data_dir, "train") : load_drum_clips(o.data_dir, "train");
  auto valid_clips = mel ? load_melody_clips(o.data_dir, "validation") : load_drum_clips(o.data_dir, "validation");
  if (train_clips.empty() || valid_clips.empty())
    throw Error(ErrorCode::kNotFound, o.data_dir + ": no training or validation clips");
  std::fprintf(stderr, "%zu training clips, %zu validation clips\n", train_clips.size(), valid_clips.size());
  const auto X = stack(train_clips, cfg.dims());
  std::mt19937_64 vr(777);
  std::shuffle(valid_clips.begin(), valid_clips.end(), vr);
  if (valid_clips.size() > 2048) valid_clips.resize(2048);
  const auto V = stack(valid_clips, cfg.dims());

  VaeNet net(cfg);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr));
  int64_t step = 0;
  double best = -1;
  if (fs::exists(out / "state.json") && fs::exists(out / "checkpoint.pt")) {
    torch::load(net, (out / "checkpoint.pt").string());
    torch::load(opt, (out / "optim.pt").string());
    std::ifstream f(out / "state.json");
    auto j = nlohmann::json::parse(f);
    step = j.at("step").get<int64_t>();
    best = j.at("best").get<double>();
    torch::manual_seed(o.seed + uint64_t(step));
  }
  std::ofstream jsonl(out / "train.jsonl", std::ios::app);
  const auto t0 = std::chrono::steady_clock::now();
  auto t_ckpt = t0;
  auto checkpoint = [&]() {
    torch::save(net, (out / "checkpoint.pt").string());
    torch::save(opt, (out / "optim.pt").string());
    write_file_atomic((out / "state.json").string(), nlohmann::json({{"step", step}, {"best", best}}).dump());
  };
  const int64_t N = X.size(0);
  for (; step < o.steps;) {
    const double p = double(step) / double(o.steps);
    const double lr = o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + std::cos(M_PI * p));
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    const double beta = o.beta * std::min(1.0, double(step) / double(std::max<int64_t>(1, o.kl_warmup)));
    net->train();
    auto idx = torch::randint(N, {o.batch}, torch::kLong);
    auto l = loss_of(net, X.index_select(0, idx), o.kind, beta, o.free_bits, true);
    opt.zero_grad();
    l.total.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), o.grad_clip);
    opt.step();
    ++step;
    VaeTrainLog s;
    s.step = step;
    s.loss = l.total.item<double>();
    s.recon = l.recon.item<double>();
    s.kl = l.kl.item<double>();
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool out_of_time = o.max_minutes > 0 && s.seconds >= o.max_minutes * 60;
    if (step % o.eval_every == 0 || step == o.steps || out_of_time) {
      torch::NoGradGuard ng;
      net->eval();
      double rec = 0, kl = 0, correct = 0, count = 0;
      for (int64_t i = 0; i < V.size(0); i += 256) {
        auto vl = loss_of(net, V.narrow(0, i, std::min<int64_t>(256, V.size(0) - i)), o.kind, 0, 0, false);
        const double nb = double(std::min<int64_t>(256, V.size(0) - i));
        rec += vl.recon.item<double>() * nb;
        kl += vl.kl.item<double>() * nb;
        correct += vl.correct.item<double>();
        count += vl.count.item<double>();
      }
      s.is_eval = true;
      s.val_recon = rec / double(V.size(0));
      s.val_kl = kl / double(V.size(0));
      s.val_accuracy = correct / count;
      if (s.val_accuracy > best) {
        best = s.val_accuracy;
        model::save_safetensors(export_weights(net), (out / "model.safetensors").string(), model::DType::kF32,
                                {{"format", kFormat}, {"steps", std::to_string(step)}});
        write_file_atomic((out / "config.json").string(), vae_config_to_json(cfg));
      }
    }
    nlohmann::json j = {{"step", s.step}, {"loss", s.loss}, {"recon", s.recon}, {"kl", s.kl},
                        {"beta", beta},   {"lr", lr},       {"seconds", s.seconds}};
    if (s.is_eval) j.update({{"val_recon", s.val_recon}, {"val_kl", s.val_kl}, {"val_accuracy_tf", s.val_accuracy}});
    jsonl << j.dump() << "\n";
    jsonl.flush();
    if (log) log(s);
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - t_ckpt).count() >= 120 || step == o.steps || out_of_time) {
      checkpoint();
      t_ckpt = now;
    }
    if (out_of_time) break;
  }
  return best;
}

}  // namespace continuo::vae
