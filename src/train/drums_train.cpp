// train/drums_train.cpp: the libtorch twin of drums::Net and its training loop (Groove, Drumify).
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "train/named_weights.hpp"
#include "continuo/drums_train.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"

namespace continuo::drums {
namespace fs = std::filesystem;

namespace {

struct DrumNetImpl : torch::nn::Module {
  DrumNetImpl(const NetConfig& c)
      : gru(register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(c.features(), c.hidden)
                                                      .num_layers(c.layers)
                                                      .bidirectional(true)
                                                      .batch_first(true)))),
        head(register_module("head", torch::nn::Linear(2 * c.hidden, kOutputs))) {}
  // x [B, T, F] -> (hit logits, velocity, offset), each [B, T, 9]
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    auto h = std::get<0>(gru->forward(x));          // [B, T, 2H]
    auto y = head->forward(h);                      // [B, T, 27]
    auto parts = y.split(kClasses, -1);
    return {parts[0], torch::sigmoid(parts[1]), 0.5 * torch::tanh(parts[2])};
  }
  torch::nn::GRU gru;
  torch::nn::Linear head;
};
TORCH_MODULE(DrumNet);

// Our tensor name for a torch parameter name ("gru.weight_ih_l1_reverse" -> "gru.1.bwd.weight_ih").
std::string export_name(const std::string& key) {
  if (key.rfind("head.", 0) == 0) return key;
  // gru.{weight,bias}_{ih,hh}_l{k}[_reverse]
  const bool reverse = key.size() > 8 && key.substr(key.size() - 8) == "_reverse";
  std::string k = reverse ? key.substr(0, key.size() - 8) : key;
  const auto l = k.rfind("_l");
  const std::string base = k.substr(4, l - 4), layer = k.substr(l + 2);
  return "gru." + layer + (reverse ? ".bwd." : ".fwd.") + base;
}

model::Weights export_weights(DrumNet& net) { return train::export_named(*net, export_name); }

void import_weights(DrumNet& net, const model::Weights& w) { train::import_named(*net, w, export_name); }

// One training piece as tensors: features [T, F], targets hit / velocity / offset [T, 9].
struct Item {
  torch::Tensor x, hit, vel, off;
  int64_t steps = 0;
};

std::vector<Item> make_items(const std::vector<GmdPiece>& pieces, const NetConfig& cfg) {
  std::vector<Item> out;
  const int S = int(cfg.styles.size());
  for (const auto& p : pieces) {
    Item it;
    it.steps = p.grid.steps;
    std::vector<float> x;
    if (cfg.task == Task::kGroove) {
      x = groove_features(p.grid);
    } else {
      auto s = std::find(cfg.styles.begin(), cfg.styles.end(), p.item.style);
      x = drumify_features(p.grid, taps_from_grid(p.grid), s == cfg.styles.end() ? -1 : int(s - cfg.styles.begin()), S);
    }
    const int64_t T = p.grid.steps;
    it.x = torch::from_blob(x.data(), {T, cfg.features()}, torch::kFloat32).clone();
    it.hit = torch::from_blob(const_cast<float*>(p.grid.hit.data()), {T, kClasses}, torch::kFloat32).clone();
    it.vel = torch::from_blob(const_cast<float*>(p.grid.velocity.data()), {T, kClasses}, torch::kFloat32).clone();
    it.off = torch::from_blob(const_cast<float*>(p.grid.offset.data()), {T, kClasses}, torch::kFloat32).clone();
    out.push_back(std::move(it));
  }
  return out;
}

struct Batch {
  torch::Tensor x, hit, vel, off, mask;   // mask [B, T, 1]: 1 on real steps, 0 on padding
};

// `batch` windows of W steps: a piece chosen in proportion to its length, a random start; pieces
// shorter than W are padded (and masked).
Batch sample(const std::vector<Item>& items, const std::vector<double>& cum, int batch, int W, const NetConfig& cfg,
             double style_dropout, std::mt19937_64& rng) {
  const int64_t F = cfg.features();
  Batch b;
  b.x = torch::zeros({batch, W, F});
  b.hit = torch::zeros({batch, W, kClasses});
  b.vel = torch::zeros({batch, W, kClasses});
  b.off = torch::zeros({batch, W, kClasses});
  b.mask = torch::zeros({batch, W, 1});
  std::uniform_real_distribution<double> U(0.0, cum.back());
  std::uniform_real_distribution<double> U01(0.0, 1.0);
  for (int i = 0; i < batch; ++i) {
    const size_t k = size_t(std::lower_bound(cum.begin(), cum.end(), U(rng)) - cum.begin());
    const Item& it = items[std::min(k, items.size() - 1)];
    const int64_t n = std::min<int64_t>(W, it.steps);
    const int64_t s0 = it.steps > W ? int64_t(rng() % uint64_t(it.steps - W + 1)) : 0;
    b.x[i].narrow(0, 0, n).copy_(it.x.narrow(0, s0, n));
    b.hit[i].narrow(0, 0, n).copy_(it.hit.narrow(0, s0, n));
    b.vel[i].narrow(0, 0, n).copy_(it.vel.narrow(0, s0, n));
    b.off[i].narrow(0, 0, n).copy_(it.off.narrow(0, s0, n));
    b.mask[i].narrow(0, 0, n).fill_(1);
    if (cfg.task == Task::kDrumify && !cfg.styles.empty() && U01(rng) < style_dropout)
      b.x[i].narrow(1, 8, int64_t(cfg.styles.size())).zero_();
  }
  return b;
}

struct Loss {
  torch::Tensor total, hit, vel, off;
};

Loss loss_of(DrumNet& net, const Batch& b, Task task) {
  auto [logit, vel, off] = net->forward(b.x);
  const auto m = b.hit * b.mask;                          // [B, T, 9] true hits on real steps
  const auto n = m.sum().clamp_min(1);
  Loss l;
  l.vel = ((vel - b.vel).abs() * m).sum() / n;
  l.off = ((off - b.off).abs() * m).sum() / n;
  if (task == Task::kDrumify) {
    auto bce = torch::binary_cross_entropy_with_logits(logit, b.hit, {}, {}, at::Reduction::None);
    l.hit = (bce * b.mask).sum() / (b.mask.sum() * kClasses).clamp_min(1);
    l.total = l.hit + l.vel + 2 * l.off;
  } else {
    l.hit = torch::zeros({});
    l.total = l.vel + 2 * l.off;
  }
  return l;
}

}  // namespace

std::vector<float> torch_forward(const NetConfig& cfg, const model::Weights& w, const std::vector<float>& x, int64_t T) {
  torch::NoGradGuard ng;
  DrumNet net(cfg);
  import_weights(net, w);
  net->eval();
  auto in = torch::from_blob(const_cast<float*>(x.data()), {1, T, cfg.features()}, torch::kFloat32);
  auto [logit, vel, off] = net->forward(in);
  auto y = torch::cat({logit, vel, off}, -1).contiguous();   // [1, T, 27]
  return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
}

double train_drums(const DrumTrainOptions& o, const std::function<void(const DrumTrainLog&)>& log) {
  torch::set_num_threads(std::max(1, o.threads));
  torch::manual_seed(o.seed);
  const fs::path out(o.out_dir);
  fs::create_directories(out);

  NetConfig cfg;
  cfg.task = o.task;
  cfg.hidden = o.hidden;
  cfg.layers = o.layers;
  cfg.window = o.window;
  if (o.task == Task::kDrumify) cfg.styles = gmd_styles(read_gmd_index(o.data_dir), o.min_style_files);
  const auto train_pieces = load_gmd(o.data_dir, "train");
  const auto valid_pieces = load_gmd(o.data_dir, "validation");
  if (train_pieces.empty() || valid_pieces.empty())
    throw Error(ErrorCode::kNotFound, o.data_dir + ": no training or validation pieces");
  {   // the velocity of an unaccented hit: the median of the training hits
    std::vector<float> v;
    for (const auto& p : train_pieces)
      for (size_t i = 0; i < p.grid.hit.size(); ++i)
        if (p.grid.hit[i] > 0) v.push_back(p.grid.velocity[i]);
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    cfg.velocity_default = v[v.size() / 2];
  }
  cfg.description = o.task == Task::kGroove
                        ? "Groove: humanize drum patterns (timing and velocity), Groove MIDI Dataset"
                        : "Drumify: drums from a tapped rhythm, Groove MIDI Dataset";
  const auto train_items = make_items(train_pieces, cfg), valid_items = make_items(valid_pieces, cfg);
  std::vector<double> cum;
  double acc = 0;
  for (const auto& it : train_items) cum.push_back(acc += double(it.steps));

  DrumNet net(cfg);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr));
  std::mt19937_64 rng(o.seed);
  int64_t step = 0;
  double best = 1e30;
  if (fs::exists(out / "state.json") && fs::exists(out / "checkpoint.pt")) {
    torch::load(net, (out / "checkpoint.pt").string());
    torch::load(opt, (out / "optim.pt").string());
    std::ifstream f(out / "state.json");
    auto j = nlohmann::json::parse(f);
    step = j.at("step").get<int64_t>();
    best = j.at("best").get<double>();
    rng.seed(o.seed + uint64_t(step));
  }
  // Fixed validation windows.
  std::mt19937_64 vrng(777);
  std::vector<double> vcum;
  acc = 0;
  for (const auto& it : valid_items) vcum.push_back(acc += double(it.steps));
  std::vector<Batch> valid;
  for (int i = 0; i < 8; ++i) valid.push_back(sample(valid_items, vcum, o.batch, o.window, cfg, 0.0, vrng));

  std::ofstream jsonl(out / "train.jsonl", std::ios::app);
  const auto t0 = std::chrono::steady_clock::now();
  auto t_ckpt = t0;
  auto checkpoint = [&]() {
    torch::save(net, (out / "checkpoint.pt").string());
    torch::save(opt, (out / "optim.pt").string());
    write_file_atomic((out / "state.json").string(), nlohmann::json({{"step", step}, {"best", best}}).dump());
  };
  for (; step < o.steps;) {
    const double p = double(step) / double(o.steps);
    const double lr = o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + std::cos(M_PI * p));
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    net->train();
    auto b = sample(train_items, cum, o.batch, o.window, cfg, o.style_dropout, rng);
    auto l = loss_of(net, b, o.task);
    opt.zero_grad();
    l.total.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), o.grad_clip);
    opt.step();
    ++step;
    DrumTrainLog s;
    s.step = step;
    s.loss = l.total.item<double>();
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool out_of_time = o.max_minutes > 0 && s.seconds >= o.max_minutes * 60;
    if (step % o.eval_every == 0 || step == o.steps || out_of_time) {
      torch::NoGradGuard ng;
      net->eval();
      double tot = 0, hit = 0, vel = 0, off = 0;
      for (const auto& vb : valid) {
        auto vl = loss_of(net, vb, o.task);
        tot += vl.total.item<double>();
        hit += vl.hit.item<double>();
        vel += vl.vel.item<double>();
        off += vl.off.item<double>();
      }
      const double n = double(valid.size());
      s.is_eval = true;
      s.val_loss = tot / n;
      s.val_hit = hit / n;
      s.val_velocity = vel / n;
      s.val_offset = off / n;
      if (s.val_loss < best) {
        best = s.val_loss;
        model::save_safetensors(export_weights(net), (out / "model.safetensors").string(), model::DType::kF32,
                                {{"format", kFormat}, {"steps", std::to_string(step)}});
        write_file_atomic((out / "config.json").string(), net_config_to_json(cfg));
      }
    }
    nlohmann::json j = {{"step", s.step}, {"loss", s.loss}, {"lr", lr}, {"seconds", s.seconds}};
    if (s.is_eval)
      j.update({{"val_loss", s.val_loss}, {"val_hit_bce", s.val_hit}, {"val_velocity_l1", s.val_velocity},
                {"val_offset_l1", s.val_offset}});
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

}  // namespace continuo::drums
