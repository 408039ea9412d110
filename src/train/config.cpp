// Training configuration as JSON (configs/*.json): every key is checked, unknown keys are errors.
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "continuo/error.hpp"
#include "continuo/train.hpp"

namespace continuo::train {
using nlohmann::json;

namespace {
template <class T>
void take(json& j, const char* key, T& dst) {
  if (j.contains(key)) {
    dst = j[key].get<T>();
    j.erase(key);
  }
}
}  // namespace

TrainConfig load_train_config(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(ErrorCode::kNotFound, path + ": no such training config");
  json j;
  try {
    j = json::parse(f);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, path + ": not valid JSON: " + e.what());
  }
  TrainConfig c;
  try {
    take(j, "data_dir", c.data_dir);
    take(j, "out_dir", c.out_dir);
    take(j, "steps", c.steps);
    take(j, "batch", c.batch);
    take(j, "seq_len", c.seq_len);
    take(j, "lr", c.lr);
    take(j, "min_lr", c.min_lr);
    take(j, "warmup", c.warmup);
    take(j, "weight_decay", c.weight_decay);
    take(j, "grad_clip", c.grad_clip);
    take(j, "beta1", c.beta1);
    take(j, "beta2", c.beta2);
    take(j, "eval_every", c.eval_every);
    take(j, "eval_batches", c.eval_batches);
    take(j, "checkpoint_seconds", c.checkpoint_seconds);
    take(j, "seed", c.seed);
    take(j, "threads", c.threads);
    take(j, "bf16", c.bf16);
    take(j, "max_minutes", c.max_minutes);
    take(j, "weights_dtype", c.weights_dtype);
    take(j, "init_from", c.init_from);
    take(j, "train_only", c.train_only);
    if (j.contains("augment")) {
      json a = j["augment"];
      j.erase("augment");
      take(a, "transpose", c.augment.transpose);
      take(a, "tempo_bins", c.augment.tempo_bins);
      take(a, "velocity", c.augment.velocity);
      if (!a.empty()) throw Error(ErrorCode::kInvalidArgument, path + ": unknown augment key '" + a.begin().key() + "'");
    }
    if (j.contains("model")) {
      json m = j["model"];
      j.erase("model");
      take(m, "name", c.model.name);
      take(m, "d_model", c.model.d_model);
      take(m, "n_layers", c.model.n_layers);
      take(m, "n_heads", c.model.n_heads);
      take(m, "d_ff", c.model.d_ff);
      take(m, "d_head", c.model.d_head);
      take(m, "max_len", c.model.max_len);
      take(m, "rope_theta", c.model.rope_theta);
      take(m, "controls", c.model.controls);
      take(m, "pitch_context", c.model.pitch_context);
      take(m, "key_prior", c.model.key_prior);
      take(m, "copy_prior", c.model.copy_prior);
      take(m, "copy_sources", c.model.copy_sources);
      take(m, "key_evidence", c.model.key_evidence);
      take(m, "key_anchor", c.model.key_anchor);
      take(m, "description", c.model.description);
      if (!m.empty()) throw Error(ErrorCode::kInvalidArgument, path + ": unknown model key '" + m.begin().key() + "'");
    }
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, path + ": wrong value type: " + e.what());
  }
  if (!j.empty()) throw Error(ErrorCode::kInvalidArgument, path + ": unknown key '" + j.begin().key() + "'");
  if (c.data_dir.empty() || c.out_dir.empty())
    throw Error(ErrorCode::kInvalidArgument, path + ": data_dir and out_dir are required");
  if (c.steps < 1 || c.batch < 1 || c.seq_len < 32 || c.seq_len > c.model.max_len)
    throw Error(ErrorCode::kInvalidArgument, path + ": need steps >= 1, batch >= 1, 32 <= seq_len <= model.max_len");
  if (c.weights_dtype != "bf16" && c.weights_dtype != "f32")
    throw Error(ErrorCode::kInvalidArgument, path + ": weights_dtype must be bf16 or f32");
  if (!(c.model.key_anchor >= 0 && c.model.key_anchor <= 1))
    throw Error(ErrorCode::kInvalidArgument, path + ": model.key_anchor must be 0..1");
  if (c.model.copy_sources < 1 || c.model.copy_sources > tokenizer::kCopySources)
    throw Error(ErrorCode::kInvalidArgument, path + ": model.copy_sources must be 1.." + std::to_string(tokenizer::kCopySources));
  return c;
}

std::string train_config_to_json(const TrainConfig& c) {
  json j;
  j["data_dir"] = c.data_dir;
  j["out_dir"] = c.out_dir;
  j["steps"] = c.steps;
  j["batch"] = c.batch;
  j["seq_len"] = c.seq_len;
  j["lr"] = c.lr;
  j["min_lr"] = c.min_lr;
  j["warmup"] = c.warmup;
  j["weight_decay"] = c.weight_decay;
  j["grad_clip"] = c.grad_clip;
  j["beta1"] = c.beta1;
  j["beta2"] = c.beta2;
  j["eval_every"] = c.eval_every;
  j["eval_batches"] = c.eval_batches;
  j["checkpoint_seconds"] = c.checkpoint_seconds;
  j["seed"] = c.seed;
  j["threads"] = c.threads;
  j["bf16"] = c.bf16;
  j["max_minutes"] = c.max_minutes;
  j["weights_dtype"] = c.weights_dtype;
  if (!c.init_from.empty()) j["init_from"] = c.init_from;
  if (!c.train_only.empty()) j["train_only"] = c.train_only;
  j["augment"] = {{"transpose", c.augment.transpose}, {"tempo_bins", c.augment.tempo_bins}, {"velocity", c.augment.velocity}};
  j["model"] = {{"name", c.model.name}, {"d_model", c.model.d_model}, {"n_layers", c.model.n_layers},
                {"n_heads", c.model.n_heads}, {"d_ff", c.model.d_ff}, {"d_head", c.model.d_head},
                {"max_len", c.model.max_len}, {"rope_theta", c.model.rope_theta}, {"controls", c.model.controls},
                {"pitch_context", c.model.pitch_context}, {"key_prior", c.model.key_prior}, {"copy_prior", c.model.copy_prior}, {"copy_sources", c.model.copy_sources}, {"key_evidence", c.model.key_evidence}, {"key_anchor", c.model.key_anchor},
                {"description", c.model.description}};
  return j.dump(2);
}

}  // namespace continuo::train
