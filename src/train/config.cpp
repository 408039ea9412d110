// Training configuration as JSON (configs/*.json): every key is checked, unknown keys are errors.
// No libtorch here: tests/fuzz/fuzz_train_config.cpp compiles this file alone.
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "continuo/error.hpp"
#include "continuo/train.hpp"

namespace continuo::train {
using nlohmann::json;

namespace {

// Reads the keys of one JSON object strictly: a value of the wrong type or an integer that does not
// fit its field (or has a fraction) is an Error(kInvalidArgument) naming the key. (nlohmann's
// get<int>() of 1e25 was undefined behaviour, and a top-level value that is not an object ended
// in an uncaught nlohmann exception.)
class Reader {
 public:
  Reader(json j, std::string where, std::string prefix) : j_(std::move(j)), where_(std::move(where)), prefix_(std::move(prefix)) {
    if (!j_.is_object()) bad(prefix_.empty() ? "a training config must be a JSON object" : prefix_.substr(0, prefix_.size() - 1) + " must be a JSON object");
  }

  template <class T>
  void take(const char* key, T& dst) {
    auto it = j_.find(key);
    if (it == j_.end()) return;
    read(*it, key, dst);
    j_.erase(it);
  }

  // The key's value, removed (null when absent).
  json take_raw(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end()) return json();
    json v = std::move(*it);
    j_.erase(it);
    return v;
  }

  void no_unknown_keys() const {
    if (!j_.empty()) bad("unknown " + (prefix_.empty() ? std::string() : prefix_.substr(0, prefix_.size() - 1) + " ") + "key '" + j_.begin().key() + "'");
  }

 private:
  [[noreturn]] void bad(const std::string& what) const { throw Error(ErrorCode::kInvalidArgument, where_ + ": " + what); }
  std::string name(const char* key) const { return "'" + prefix_ + key + "'"; }

  void read(const json& v, const char* key, std::string& dst) const {
    if (!v.is_string()) bad(name(key) + " must be a string");
    dst = v.get<std::string>();
  }
  void read(const json& v, const char* key, bool& dst) const {
    if (!v.is_boolean()) bad(name(key) + " must be true or false");
    dst = v.get<bool>();
  }
  void read(const json& v, const char* key, double& dst) const {
    if (!v.is_number()) bad(name(key) + " must be a number");
    dst = v.get<double>();
  }
  void read(const json& v, const char* key, std::vector<std::string>& dst) const {
    if (!v.is_array()) bad(name(key) + " must be an array of strings");
    dst.clear();
    for (const auto& x : v) {
      if (!x.is_string()) bad(name(key) + " must be an array of strings");
      dst.push_back(x.get<std::string>());
    }
  }
  template <class T>
    requires std::is_integral_v<T>
  void read(const json& v, const char* key, T& dst) const {
    using L = std::numeric_limits<T>;
    auto range = [&] {
      return name(key) + " must be a whole number from " + std::to_string(L::min()) + " to " + std::to_string(L::max());
    };
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > uint64_t(L::max())) bad(range());
      dst = T(u);
    } else if (v.is_number_integer()) {
      const int64_t s = v.get<int64_t>();
      if (s < 0 ? (!L::is_signed || s < int64_t(L::min())) : uint64_t(s) > uint64_t(L::max())) bad(range());
      dst = T(s);
    } else if (v.is_number_float()) {   // 1e5 is a float in JSON: taken when it is a whole number in range
      const double d = v.get<double>();
      if (!std::isfinite(d) || d != std::floor(d) || d < double(L::min()) || d >= std::ldexp(1.0, L::digits)) bad(range());
      dst = T(d);
    } else {
      bad(range());
    }
  }

  json j_;
  std::string where_, prefix_;
};

}  // namespace

TrainConfig load_train_config(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::kNotFound, path + ": no such training config");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return parse_train_config(text, path);
}

TrainConfig parse_train_config(std::string_view text, const std::string& path) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, path + ": not valid JSON: " + e.what());
  }
  TrainConfig c;
  Reader r(std::move(j), path, "");
  r.take("data_dir", c.data_dir);
  r.take("out_dir", c.out_dir);
  r.take("steps", c.steps);
  r.take("batch", c.batch);
  r.take("seq_len", c.seq_len);
  r.take("lr", c.lr);
  r.take("min_lr", c.min_lr);
  r.take("warmup", c.warmup);
  r.take("weight_decay", c.weight_decay);
  r.take("grad_clip", c.grad_clip);
  r.take("beta1", c.beta1);
  r.take("beta2", c.beta2);
  r.take("eval_every", c.eval_every);
  r.take("eval_batches", c.eval_batches);
  r.take("checkpoint_seconds", c.checkpoint_seconds);
  r.take("seed", c.seed);
  r.take("threads", c.threads);
  r.take("bf16", c.bf16);
  r.take("max_minutes", c.max_minutes);
  r.take("weights_dtype", c.weights_dtype);
  r.take("init_from", c.init_from);
  r.take("train_only", c.train_only);
  if (json a = r.take_raw("lr_scale"); !a.is_null()) {
    if (!a.is_object()) throw Error(ErrorCode::kInvalidArgument, path + ": lr_scale must be an object of tensor-name prefixes and multipliers");
    for (auto& [k, v] : a.items()) {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1000 || k.empty())
        throw Error(ErrorCode::kInvalidArgument, path + ": lr_scale." + k + " must be a number from 0 to 1000");
      c.lr_scale[k] = v.get<double>();
    }
  }
  if (json a = r.take_raw("augment"); !a.is_null()) {
    Reader ar(std::move(a), path, "augment.");
    ar.take("transpose", c.augment.transpose);
    ar.take("tempo_bins", c.augment.tempo_bins);
    ar.take("velocity", c.augment.velocity);
    ar.no_unknown_keys();
  }
  if (json m = r.take_raw("model"); !m.is_null()) {
    Reader mr(std::move(m), path, "model.");
    mr.take("name", c.model.name);
    mr.take("d_model", c.model.d_model);
    mr.take("n_layers", c.model.n_layers);
    mr.take("n_heads", c.model.n_heads);
    mr.take("d_ff", c.model.d_ff);
    mr.take("d_head", c.model.d_head);
    mr.take("max_len", c.model.max_len);
    mr.take("rope_theta", c.model.rope_theta);
    mr.take("controls", c.model.controls);
    mr.take("pitch_context", c.model.pitch_context);
    mr.take("future_context", c.model.future_context);
    mr.take("future_prior", c.model.future_prior);
    mr.take("key_prior", c.model.key_prior);
    mr.take("copy_prior", c.model.copy_prior);
    mr.take("copy_sources", c.model.copy_sources);
    mr.take("key_evidence", c.model.key_evidence);
    mr.take("key_anchor", c.model.key_anchor);
    mr.take("copy_anchor", c.model.copy_anchor);
    mr.take("part_balance", c.model.part_balance);
    mr.take("pitched_anchor", c.model.pitched_anchor);
    mr.take("description", c.model.description);
    mr.no_unknown_keys();
  }
  r.no_unknown_keys();
  if (c.data_dir.empty() || c.out_dir.empty())
    throw Error(ErrorCode::kInvalidArgument, path + ": data_dir and out_dir are required");
  if (c.steps < 1 || c.batch < 1 || c.seq_len < 32 || c.seq_len > c.model.max_len)
    throw Error(ErrorCode::kInvalidArgument, path + ": need steps >= 1, batch >= 1, 32 <= seq_len <= model.max_len");
  // the trainer evaluates every eval_every steps (step % eval_every) on eval_batches batches
  if (c.eval_every < 1 || c.eval_batches < 1)
    throw Error(ErrorCode::kInvalidArgument, path + ": need eval_every >= 1 and eval_batches >= 1");
  if (c.weights_dtype != "bf16" && c.weights_dtype != "f32")
    throw Error(ErrorCode::kInvalidArgument, path + ": weights_dtype must be bf16 or f32");
  if (!(c.model.key_anchor >= 0 && c.model.key_anchor <= 1))
    throw Error(ErrorCode::kInvalidArgument, path + ": model.key_anchor must be 0..1");
  if (!(c.model.copy_anchor >= 0 && c.model.copy_anchor <= 1))
    throw Error(ErrorCode::kInvalidArgument, path + ": model.copy_anchor must be 0..1");
  if (c.model.copy_sources < 1 || c.model.copy_sources > tokenizer::kCopySources)
    throw Error(ErrorCode::kInvalidArgument, path + ": model.copy_sources must be 1.." + std::to_string(tokenizer::kCopySources));
  // the model section becomes the trained model's config.json: it must pass what load_config checks
  try {
    model::check_config(c.model, path + ": model");
  } catch (const Error& e) {
    throw Error(ErrorCode::kInvalidArgument, e.what());
  }
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
  if (!c.lr_scale.empty()) j["lr_scale"] = c.lr_scale;
  j["augment"] = {{"transpose", c.augment.transpose}, {"tempo_bins", c.augment.tempo_bins}, {"velocity", c.augment.velocity}};
  j["model"] = {{"name", c.model.name}, {"d_model", c.model.d_model}, {"n_layers", c.model.n_layers},
                {"n_heads", c.model.n_heads}, {"d_ff", c.model.d_ff}, {"d_head", c.model.d_head},
                {"max_len", c.model.max_len}, {"rope_theta", c.model.rope_theta}, {"controls", c.model.controls},
                {"pitch_context", c.model.pitch_context}, {"key_prior", c.model.key_prior}, {"copy_prior", c.model.copy_prior}, {"copy_sources", c.model.copy_sources}, {"key_evidence", c.model.key_evidence}, {"key_anchor", c.model.key_anchor}, {"copy_anchor", c.model.copy_anchor},
                {"part_balance", c.model.part_balance}, {"pitched_anchor", c.model.pitched_anchor}, {"future_context", c.model.future_context}, {"future_prior", c.model.future_prior},
                {"description", c.model.description}};
  return j.dump(2);
}

}  // namespace continuo::train
