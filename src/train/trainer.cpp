// `continuo train`: AdamW, warm-up + cosine schedule, bf16 autocast (CPU or CUDA), gradient
// clipping, validation, one log line per step (+ JSONL), atomic checkpoints that resume after
// interruption. Launched by torchrun (WORLD_SIZE > 1) it trains data-parallel: every rank draws
// the same global batch, builds its share, and the gradients are summed over the ranks before
// clipping (train/distributed.hpp, docs/TRAINING.md); rank 0 alone writes logs and checkpoints.
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/train.hpp"
#include "model/transformer.hpp"
#include "train/batcher.hpp"
#include "train/distributed.hpp"

namespace continuo::train {
namespace fs = std::filesystem;

namespace {

double lr_at(const TrainConfig& c, int64_t step) {
  if (step < c.warmup) return c.lr * double(step + 1) / c.warmup;
  double p = std::min(1.0, double(step - c.warmup) / std::max<double>(1, c.steps - c.warmup));
  return c.min_lr + 0.5 * (c.lr - c.min_lr) * (1 + std::cos(M_PI * p));
}

struct AutocastGuard {
  AutocastGuard(bool on, const torch::Device& device) : on_(on), cuda_(device.is_cuda()) {
    if (!on_) return;
    if (cuda_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~AutocastGuard() {
    if (!on_) return;
    if (cuda_) at::autocast::set_enabled(false);
    else at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
  bool on_, cuda_;
};

// A CUDA GPU when libtorch has one (under torchrun, the one of this rank's LOCAL_RANK), else the CPU.
torch::Device training_device(const Launch& launch) {
  if (!torch::cuda::is_available()) return torch::kCPU;
  return torch::Device(torch::kCUDA, int8_t(launch.local_rank % int(torch::cuda::device_count())));
}

Batch to_device(Batch b, const torch::Device& device) {
  if (device.is_cpu()) return b;
  b.events = b.events.to(device);
  b.pos = b.pos.to(device);
  if (b.copy.defined()) b.copy = b.copy.to(device);
  if (b.future.defined()) b.future = b.future.to(device);
  if (b.ignore.defined()) b.ignore = b.ignore.to(device);
  return b;
}

// The sums of a training step that the log reports: the number of predicted events, their NLL,
// and per field the NLL and the number of targets that use it.
struct StepSums {
  double events = 0, nll = 0;
  std::array<double, tokenizer::kNumFields> field_nll{}, field_used{};
};

StepSums step_sums(const model::TransformerImpl::Loss& l) {
  return {double(l.events), l.nll_sum, l.field_nll, l.field_used};
}

// The same over all ranks: one small collective.
StepSums sum_over_ranks(DataParallel& dp, const StepSums& s) {
  std::vector<double> v = {s.events, s.nll};
  v.insert(v.end(), s.field_nll.begin(), s.field_nll.end());
  v.insert(v.end(), s.field_used.begin(), s.field_used.end());
  v = dp.sum(v);
  StepSums out{v[0], v[1], {}, {}};
  for (int f = 0; f < tokenizer::kNumFields; ++f) {
    out.field_nll[f] = v[size_t(2 + f)];
    out.field_used[f] = v[size_t(2 + tokenizer::kNumFields + f)];
  }
  return out;
}

struct EvalResult {
  double loss = 0, bits_per_event = 0, bits_per_note = 0;
};

// Validation on a fixed set of windows (same windows every time); data-parallel, each rank
// scores its share of every batch and the sums are added up.
EvalResult evaluate(model::Transformer& net, Batcher& batcher, const TrainConfig& c, const torch::Device& device,
                    DataParallel* dp) {
  torch::NoGradGuard ng;
  net->eval();
  std::mt19937_64 rng(12345);
  const BatchShare share = dp ? dp->share(c.batch) : BatchShare{0, c.batch};
  double nll = 0, events = 0, notes = 0;
  for (int i = 0; i < c.eval_batches; ++i) {
    auto batch = to_device(batcher.sample(c.batch, rng, false, share), device);
    AutocastGuard ac(c.bf16, device);
    auto l = net->loss(batch.events, batch.pos, batch.copy, batch.future, batch.ignore);
    nll += l.nll_sum;
    events += double(l.events);
    auto tgt_kind = batch.events.slice(1, 1).select(-1, 0);
    auto is_note = tgt_kind == int64_t(tokenizer::Kind::kNote);
    if (batch.ignore.defined()) is_note = is_note & batch.ignore.slice(1, 1).logical_not();
    notes += double(is_note.sum().item<int64_t>());
  }
  net->train();
  if (dp) {
    auto sums = dp->sum({nll, events, notes});
    nll = sums[0], events = sums[1], notes = sums[2];
  }
  EvalResult r;
  r.loss = nll / std::max(events, 1.0);
  r.bits_per_event = r.loss / std::log(2.0);
  r.bits_per_note = nll / std::max(notes, 1.0) / std::log(2.0);
  return r;
}

void save_checkpoint(const fs::path& out, model::Transformer& net, torch::optim::AdamW& opt, int64_t step,
                     const std::mt19937_64& rng, double best) {
  fs::path tmp = out / "checkpoint.new", cur = out / "checkpoint", old = out / "checkpoint.old";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  torch::save(net, (tmp / "model.pt").string());
  torch::save(opt, (tmp / "optim.pt").string());
  std::ostringstream rs;
  rs << rng;
  nlohmann::json st = {{"step", step}, {"rng", rs.str()}, {"best_val", best}};
  std::ofstream((tmp / "state.json").string()) << st.dump();
  fs::remove_all(old);
  if (fs::exists(cur)) fs::rename(cur, old);
  fs::rename(tmp, cur);
  fs::remove_all(old);
}

bool load_checkpoint(const fs::path& out, model::Transformer& net, torch::optim::AdamW& opt, int64_t* step,
                     std::mt19937_64* rng, double* best, const torch::Device& device) {
  fs::path dir = out / "checkpoint";
  if (!fs::exists(dir / "state.json")) dir = out / "checkpoint.old";   // interrupted during the swap
  if (!fs::exists(dir / "state.json")) return false;
  torch::load(net, (dir / "model.pt").string(), device);
  torch::load(opt, (dir / "optim.pt").string(), device);
  std::ifstream f((dir / "state.json").string());
  auto st = nlohmann::json::parse(f);
  *step = st["step"].get<int64_t>();
  std::istringstream rs(st["rng"].get<std::string>());
  rs >> *rng;
  *best = st["best_val"].get<double>();
  return true;
}

bool trained(const TrainConfig& c, const std::string& name) {
  if (c.train_only.empty()) return true;
  for (const auto& prefix : c.train_only)
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

// Copies the weights of an existing model into `net`; tensors it lacks keep their initial values.
void init_from_model(model::Transformer& net, const std::string& name, const LogFn& log) {
  const model::ModelFiles files = model::find_model(name);
  std::vector<std::string> fresh;
  try {
    model::import_weights(net, model::load_safetensors(files.weights_path), &fresh);
  } catch (const Error& e) {
    throw Error(ErrorCode::kInvalidArgument, "init_from " + name + ": " + e.what());
  }
  if (log) {
    StepLog l;
    l.note = "initialised from " + files.weights_path;
    for (size_t i = 0; i < fresh.size(); ++i) l.note += (i ? ", " : "; new tensors: ") + fresh[i];
    log(l);
  }
}

// Every rank of a data-parallel run starts from rank 0's weights at rank 0's step: each read
// <out_dir>/checkpoint itself (rank 0 writes it; the optimiser state and the random generator
// come from it too), so a rank that found another one, or none, would train something else.
void agree_on_start(DataParallel& dp, model::Transformer& net, int64_t step, const std::string& out_dir) {
  const double lead_step = dp.sum({dp.rank() == 0 ? double(step) : 0.0})[0];
  const double differ = dp.sum({double(step) == lead_step ? 0.0 : 1.0})[0];
  if (differ > 0)
    throw Error(ErrorCode::kInvalidArgument,
                "data-parallel training: rank " + std::to_string(dp.rank()) + " found a checkpoint at step " +
                    std::to_string(step) + " in " + out_dir + ", rank 0 one at step " +
                    std::to_string(int64_t(lead_step)) + " (" + std::to_string(int64_t(differ)) +
                    " ranks differ): out_dir must be one folder that every machine sees (a shared filesystem)");
  dp.broadcast(net->parameters());
}

}  // namespace

double train(const TrainConfig& c, const LogFn& caller_log) {
  torch::set_num_threads(std::max(1, c.threads));
  const Launch launch = launch_from_env();
  const torch::Device device = training_device(launch);
  std::unique_ptr<DataParallel> dp;
  if (launch.world > 1) {
    if (c.batch < launch.world)
      throw Error(ErrorCode::kInvalidArgument, "batch " + std::to_string(c.batch) + " is smaller than the " +
                                                   std::to_string(launch.world) + " data-parallel processes");
    dp = std::make_unique<DataParallel>(launch, device);
  }
  const bool lead = launch.rank == 0;   // writes the logs, checkpoints and weights
  const LogFn log = lead ? caller_log : LogFn{};
  fs::path out(c.out_dir);
  fs::create_directories(out);
  if (lead) write_file_atomic((out / "train_config.json").string(), train_config_to_json(c));
  Split train_split = load_split(c.data_dir, "train");
  Split valid_split = load_split(c.data_dir, "valid");
  // validation without a known future (comparable with models without one); a future model is
  // also validated with the training mix of known futures
  Batcher train_b(train_split, c.seq_len, c.augment, c.model.copy_prior, c.model.future_context),
      valid_b(valid_split, c.seq_len, c.augment, c.model.copy_prior),
      valid_future_b(valid_split, c.seq_len, c.augment, c.model.copy_prior, true);

  model::Config mc = c.model;
  model::Transformer net(mc);
  model::init_weights(net, c.seed);
  if (!c.init_from.empty()) init_from_model(net, c.init_from, log);
  net->to(device);
  std::vector<torch::Tensor> decay, no_decay, params;
  std::map<std::string, std::vector<torch::Tensor>> scaled;   // by lr_scale key
  for (auto& p : net->named_parameters()) {
    if (!trained(c, p.key())) {
      p.value().set_requires_grad(false);
      continue;
    }
    params.push_back(p.value());
    auto key = std::find_if(c.lr_scale.begin(), c.lr_scale.end(), [&](const auto& kv) { return p.key().rfind(kv.first, 0) == 0; });
    if (key != c.lr_scale.end()) scaled[key->first].push_back(p.value());
    else (p.value().dim() >= 2 ? decay : no_decay).push_back(p.value());
  }
  for (const auto& kv : c.lr_scale)
    if (!scaled.count(kv.first)) throw Error(ErrorCode::kInvalidArgument, "lr_scale: " + kv.first + " matches no trained tensor");
  if (params.empty())
    throw Error(ErrorCode::kInvalidArgument, "train_only matches no tensor of the model");
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).weight_decay(c.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).weight_decay(0.0)));
  std::vector<double> group_scale = {1.0, 1.0};
  for (auto& [key, ts] : scaled) {
    groups.emplace_back(ts, std::make_unique<torch::optim::AdamWOptions>(
                                torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).weight_decay(c.weight_decay)));
    group_scale.push_back(c.lr_scale.at(key));
  }
  torch::optim::AdamW opt(std::move(groups));

  std::mt19937_64 rng(c.seed);
  int64_t step = 0;
  double best = 1e30;
  if (load_checkpoint(out, net, opt, &step, &rng, &best, device) && log) {
    StepLog l;
    l.step = -step;   // negative step: "resumed at"
    log(l);
  }
  if (dp) agree_on_start(*dp, net, step, c.out_dir);
  const BatchShare share = dp ? dp->share(c.batch) : BatchShare{0, c.batch};
  std::ofstream jsonl;
  if (lead) jsonl.open((out / "train.jsonl").string(), std::ios::app);
  auto t_start = std::chrono::steady_clock::now();
  auto t_ckpt = t_start;
  double last_val = best;
  net->train();
  for (; step < c.steps; ++step) {
    auto t0 = std::chrono::steady_clock::now();
    double lr = lr_at(c, step);
    for (size_t gi = 0; gi < opt.param_groups().size(); ++gi)
      static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[gi].options()).lr(lr * group_scale[gi]);
    auto batch = to_device(train_b.sample(c.batch, rng, true, share), device);
    model::TransformerImpl::Loss l;
    {
      AutocastGuard ac(c.bf16, device);
      l = net->loss(batch.events, batch.pos, batch.copy, batch.future, batch.ignore);
    }
    StepSums sums = step_sums(l);
    torch::Tensor objective = l.total;
    if (dp) {
      // l.total is this share's NLL over this share's events; rescaled to the whole batch's
      // event count, the gradients summed over the ranks are exactly those of the global batch.
      sums = sum_over_ranks(*dp, sums);
      objective = l.total * (double(l.events) / std::max(sums.events, 1.0));
    }
    opt.zero_grad();
    objective.backward();
    if (dp) dp->sum_gradients(params);
    double gn = torch::nn::utils::clip_grad_norm_(net->parameters(), c.grad_clip);
    opt.step();
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    StepLog s;
    s.step = step + 1;
    s.loss = dp ? sums.nll / std::max(sums.events, 1.0) : l.total.item<double>();
    s.lr = lr;
    s.grad_norm = gn;
    s.events_per_s = sums.events / std::max(dt, 1e-9);
    for (int f = 0; f < tokenizer::kNumFields; ++f)
      s.fields[f] = dp ? sums.field_nll[f] / std::max(sums.field_used[f], 1.0) : l.per_field[f];
    bool last = step + 1 == c.steps;
    double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count() / 60;
    bool out_of_time = c.max_minutes > 0 && minutes >= c.max_minutes;
    if (dp && c.max_minutes > 0) out_of_time = dp->sum({out_of_time ? 1.0 : 0.0})[0] > 0;   // all stop together
    if ((step + 1) % c.eval_every == 0 || last || out_of_time) {
      auto r = evaluate(net, valid_b, c, device, dp.get());
      s.is_eval = true;
      s.val_loss = r.loss;
      s.val_bits_per_event = r.bits_per_event;
      s.val_bits_per_note = r.bits_per_note;
      if (c.model.future_context) s.val_future_bits_per_note = evaluate(net, valid_future_b, c, device, dp.get()).bits_per_note;
      last_val = r.loss;
      best = std::min(best, r.loss);
    }
    nlohmann::json j = {{"step", s.step}, {"loss", s.loss}, {"lr", s.lr}, {"grad_norm", gn},
                        {"events_per_s", s.events_per_s}, {"fields", s.fields}};
    if (s.is_eval)
      j.update({{"val_loss", s.val_loss}, {"val_bits_per_event", s.val_bits_per_event},
                {"val_bits_per_note", s.val_bits_per_note}});
    if (s.is_eval && s.val_future_bits_per_note >= 0) j["val_future_bits_per_note"] = s.val_future_bits_per_note;
    if (lead) {
      jsonl << j.dump() << "\n";
      jsonl.flush();
    }
    if (log) log(s);
    auto now = std::chrono::steady_clock::now();
    if (lead && (std::chrono::duration<double>(now - t_ckpt).count() >= c.checkpoint_seconds || last || out_of_time)) {
      save_checkpoint(out, net, opt, step + 1, rng, best);
      t_ckpt = now;
    }
    if (out_of_time) {
      ++step;
      break;
    }
  }
  if (!lead) return last_val;
  // export weights + config
  auto w = model::export_weights(net);
  model::save_safetensors(w, (out / "model.safetensors").string(),
                          c.weights_dtype == "f32" ? model::DType::kF32 : model::DType::kBF16,
                          {{"format", model::kFormat}, {"tokenizer", tokenizer::kVersion}, {"steps", std::to_string(step)}});
  model::save_config(mc, (out / "config.json").string());
  return last_val;
}

}  // namespace continuo::train
