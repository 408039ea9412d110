// core/model_files.cpp: model config JSON, the tensor contract (check_weights) and the model registry.
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "continuo/error.hpp"
#include "continuo/limits.hpp"
#include "continuo/midi.hpp"   // read_file_bytes, write_file_atomic
#include "continuo/model.hpp"

namespace continuo::model {
namespace fs = std::filesystem;
using tokenizer::kFieldSizes;
using tokenizer::kNumFields;

// ---- config ---------------------------------------------------------------------------------------

std::string config_to_json(const Config& c) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["name"] = c.name;
  j["tokenizer"] = c.tokenizer;
  j["d_model"] = c.d_model;
  j["n_layers"] = c.n_layers;
  j["n_heads"] = c.n_heads;
  j["d_ff"] = c.d_ff;
  j["d_head"] = c.d_head;
  j["max_len"] = c.max_len;
  j["rope_theta"] = c.rope_theta;
  j["norm_eps"] = c.norm_eps;
  j["controls"] = c.controls;
  j["pitch_context"] = c.pitch_context;
  if (c.future_context) j["future_context"] = true;
  if (c.future_prior) j["future_prior"] = true;
  if (c.key_prior) j["key_prior"] = true;
  if (c.key_evidence) j["key_evidence"] = true;
  if (c.copy_prior) j["copy_prior"] = true;
  // written for copy models, and whenever it is not the default (so that every config reads back equal)
  if (c.copy_prior || c.copy_sources != tokenizer::kCopyFirstSources) j["copy_sources"] = c.copy_sources;
  if (c.key_anchor > 0) j["key_anchor"] = c.key_anchor;
  if (c.copy_anchor > 0) j["copy_anchor"] = c.copy_anchor;
  if (c.part_balance > 0) j["part_balance"] = c.part_balance;
  if (c.pitched_anchor > 0) j["pitched_anchor"] = c.pitched_anchor;
  j["description"] = c.description;
  return j.dump(2) + "\n";
}

void save_config(const Config& c, const std::string& path) { write_file_atomic(path, std::string_view(config_to_json(c))); }

void check_config(const Config& c, const std::string& path) {
  auto bad = [&](const std::string& what) -> Error { return Error(ErrorCode::kCorruptData, path + ": " + what); };
  auto check_int = [&](const char* key, int value, int min_value) {
    if (value < min_value || value > (1 << 24))
      throw bad(std::string("\"") + key + "\" must be an integer >= " + std::to_string(min_value));
  };
  check_int("d_model", c.d_model, 2);
  check_int("n_layers", c.n_layers, 1);
  check_int("n_heads", c.n_heads, 1);
  check_int("d_ff", c.d_ff, 1);
  check_int("d_head", c.d_head, 1);
  check_int("max_len", c.max_len, 2);
  if (c.max_len > limits::kMaxModelContext)
    throw bad("\"max_len\" must be at most " + std::to_string(limits::kMaxModelContext) + " (events), not " +
              std::to_string(c.max_len));
  // finite: JSON cannot hold infinity (config_to_json would write null), but a config made in code can
  for (auto [key, value] : {std::pair{"rope_theta", c.rope_theta}, std::pair{"norm_eps", c.norm_eps}})
    if (!(value > 0) || !std::isfinite(value)) throw bad(std::string("\"") + key + "\" must be a positive number");
  if (c.copy_sources < 1) throw bad("\"copy_sources\" must be an integer >= 1");
  if (c.future_prior && !c.future_context) throw bad("\"future_prior\" needs \"future_context\"");
  if (c.copy_sources > tokenizer::kCopySources)
    throw bad("\"copy_sources\" must be at most " + std::to_string(tokenizer::kCopySources));
  if (!(c.key_anchor >= 0 && c.key_anchor <= 1)) throw bad("\"key_anchor\" must be a number from 0 to 1");
  if (!(c.copy_anchor >= 0 && c.copy_anchor <= 1)) throw bad("\"copy_anchor\" must be a number from 0 to 1");
  if (!(c.part_balance >= 0 && c.part_balance <= 4)) throw bad("\"part_balance\" must be a number from 0 to 4");
  if (!(c.pitched_anchor >= 0 && c.pitched_anchor <= 1)) throw bad("\"pitched_anchor\" must be a number from 0 to 1");
  if (c.d_model % c.n_heads != 0 || (c.d_model / c.n_heads) % 2 != 0)
    throw bad("d_model (" + std::to_string(c.d_model) + ") must be a multiple of 2 * n_heads (" +
              std::to_string(c.n_heads) + ")");
}

Config load_config(const std::string& path) {
  const auto bytes = midi::read_file_bytes(path);
  return parse_config(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

Config parse_config(std::string_view text, const std::string& path) {
  auto bad = [&](const std::string& what) -> Error { return Error(ErrorCode::kCorruptData, path + ": " + what); };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw bad("a model config must be a JSON object");
  auto format = j.find("format");
  if (format == j.end() || !format->is_string())
    throw Error(ErrorCode::kUnsupported, path + ": no \"format\" key: not a Continuo model config (expected \"" +
                                             std::string(kFormat) + "\")");
  if (format->get<std::string>() != kFormat)
    throw Error(ErrorCode::kUnsupported, path + ": model format '" + format->get<std::string>() +
                                             "' is not supported by this Continuo (expected '" + kFormat + "')");
  Config c;
  auto get_string = [&](const char* key, std::string& out, bool required) {
    auto it = j.find(key);
    if (it == j.end()) {
      if (required) throw bad(std::string("missing key \"") + key + "\"");
      return;
    }
    if (!it->is_string()) throw bad(std::string("\"") + key + "\" must be a string");
    out = it->get<std::string>();
  };
  auto get_int = [&](const char* key, int& out, int min_value) {
    auto it = j.find(key);
    if (it == j.end()) throw bad(std::string("missing key \"") + key + "\"");
    if (!it->is_number_integer() || it->get<int64_t>() < min_value || it->get<int64_t>() > (1 << 24))
      throw bad(std::string("\"") + key + "\" must be an integer >= " + std::to_string(min_value));
    out = it->get<int>();
  };
  auto get_bool = [&](const char* key, bool& out) {
    if (auto it = j.find(key); it != j.end()) {
      if (!it->is_boolean()) throw bad(std::string("\"") + key + "\" must be true or false");
      out = it->get<bool>();
    }
  };
  auto get_double = [&](const char* key, double& out) {
    auto it = j.find(key);
    if (it == j.end()) throw bad(std::string("missing key \"") + key + "\"");
    if (!it->is_number() || !(it->get<double>() > 0)) throw bad(std::string("\"") + key + "\" must be a positive number");
    out = it->get<double>();
  };
  get_string("tokenizer", c.tokenizer, true);
  if (c.tokenizer != tokenizer::kVersion)
    throw Error(ErrorCode::kUnsupported, path + ": the model was trained with tokenizer '" + c.tokenizer +
                                             "', but this Continuo speaks '" + tokenizer::kVersion + "'");
  get_string("name", c.name, false);
  get_string("description", c.description, false);
  get_int("d_model", c.d_model, 2);
  get_int("n_layers", c.n_layers, 1);
  get_int("n_heads", c.n_heads, 1);
  get_int("d_ff", c.d_ff, 1);
  get_int("d_head", c.d_head, 1);
  get_int("max_len", c.max_len, 2);
  get_double("rope_theta", c.rope_theta);
  get_double("norm_eps", c.norm_eps);
  get_bool("controls", c.controls);
  get_bool("pitch_context", c.pitch_context);
  get_bool("future_context", c.future_context);
  get_bool("future_prior", c.future_prior);
  get_bool("key_prior", c.key_prior);
  get_bool("key_evidence", c.key_evidence);
  get_bool("copy_prior", c.copy_prior);
  if (j.contains("copy_sources")) get_int("copy_sources", c.copy_sources, 1);   // at most kCopySources: check_config
  if (auto it = j.find("key_anchor"); it != j.end()) {   // 0..1: check_config
    if (!it->is_number()) throw bad("\"key_anchor\" must be a number from 0 to 1");
    c.key_anchor = it->get<double>();
  }
  if (auto it = j.find("copy_anchor"); it != j.end()) {   // 0..1: check_config
    if (!it->is_number()) throw bad("\"copy_anchor\" must be a number from 0 to 1");
    c.copy_anchor = it->get<double>();
  }
  if (auto it = j.find("part_balance"); it != j.end()) {   // 0..4: check_config
    if (!it->is_number()) throw bad("\"part_balance\" must be a number from 0 to 4");
    c.part_balance = it->get<double>();
  }
  if (auto it = j.find("pitched_anchor"); it != j.end()) {   // 0..1: check_config
    if (!it->is_number()) throw bad("\"pitched_anchor\" must be a number from 0 to 1");
    c.pitched_anchor = it->get<double>();
  }
  check_config(c, path);
  return c;
}

// ---- the tensor contract -------------------------------------------------------------------------

namespace {
// Calls t.push_back({name, shape}) for every tensor `c` needs, in order. `T` may stop the walk by
// throwing: check_weights checks each tensor as it comes, so that a config asking for 2^24 layers
// costs nothing before the first missing tensor (a list of them all took gigabytes).
template <class T>
void expected_tensors(const Config& c, const T& t) {
  const int64_t d = c.d_model;
  for (int f = 0; f < kNumFields; ++f)
    t.push_back({"model.embed_fields." + std::to_string(f) + ".weight", {kFieldSizes[f], d}});
  t.push_back({"model.embed_beat_pos.weight", {tokenizer::kBeatPosSize, d}});
  t.push_back({"model.embed_bar_pos.weight", {tokenizer::kBarPosSize, d}});
  if (c.pitch_context) t.push_back({"model.embed_pitch_context.weight", {d, tokenizer::kPitchContextSize}});
  if (c.future_context) t.push_back({"model.embed_future_context.weight", {d, tokenizer::kFutureContextSize}});
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back({p + "input_layernorm.weight", {d}});
    for (const char* n : {"q", "k", "v", "o"}) t.push_back({p + "self_attn." + n + "_proj.weight", {d, d}});
    t.push_back({p + "post_attention_layernorm.weight", {d}});
    t.push_back({p + "mlp.gate_proj.weight", {c.d_ff, d}});
    t.push_back({p + "mlp.up_proj.weight", {c.d_ff, d}});
    t.push_back({p + "mlp.down_proj.weight", {d, c.d_ff}});
  }
  t.push_back({"model.norm.weight", {d}});
  for (int g = 0; g < kNumFields - 1; ++g)
    t.push_back({"heads.embed." + std::to_string(g) + ".weight", {kFieldSizes[g], d}});
  for (int f = 0; f < kNumFields; ++f) {
    const std::string p = "heads." + std::to_string(f) + ".";
    t.push_back({p + "norm.weight", {d}});
    t.push_back({p + "proj.weight", {c.d_head, d}});
    t.push_back({p + "out.weight", {kFieldSizes[f], c.d_head}});
  }
  if (c.key_prior) t.push_back({"heads.key_prior", {2, 12}});
  if (c.future_prior) t.push_back({"heads.future_prior", {2, 12}});
  if (c.copy_prior) {
    const int64_t K = c.copy_sources;
    t.push_back({"heads.copy.length", {K, tokenizer::kCopyLengthBuckets}});
    t.push_back({"heads.copy.hits", {K, tokenizer::kCopyHitWindow + 1}});
    t.push_back({"heads.copy.distance", {K, tokenizer::kCopyLogBuckets}});
    t.push_back({"heads.copy.history", {K, tokenizer::kCopyLogBuckets}});
    t.push_back({"heads.copy.agree", {K, tokenizer::kCopyAgreeCodes}});
    t.push_back({"heads.copy.gate", {K, d}});
    t.push_back({"heads.copy.velocity", {K}});
  }
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Checks each tensor as expected_tensors names it (throws at the first missing or mis-shaped one).
struct TensorChecker {
  const Weights& w;
  void push_back(const std::pair<std::string, std::vector<int64_t>>& expected) const {
    const auto& [name, shape] = expected;
    auto it = w.find(name);
    if (it == w.end()) throw Error(ErrorCode::kCorruptData, "the weights lack tensor '" + name + "'");
    if (it->second.shape != shape)
      throw Error(ErrorCode::kCorruptData, "tensor '" + name + "' has shape " + shape_str(it->second.shape) +
                                               ", the config needs " + shape_str(shape));
    if (int64_t(it->second.data.size()) != it->second.numel())
      throw Error(ErrorCode::kCorruptData, "tensor '" + name + "' holds " + std::to_string(it->second.data.size()) +
                                               " values for shape " + shape_str(shape));
  }
};
}  // namespace

void check_weights(const Config& cfg, const Weights& w) { expected_tensors(cfg, TensorChecker{w}); }

// ---- registry ------------------------------------------------------------------------------------

namespace {
// Folders holding models/<name>/, in search order.
std::vector<fs::path> search_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("CONTINUO_MODELS"); env && *env) {
    std::string s = env;
    size_t start = 0;
    while (start <= s.size()) {
      size_t colon = s.find(':', start);
      std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) dirs.emplace_back(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "models").lexically_normal());
#ifdef CONTINUO_SOURCE_DIR
  dirs.push_back(fs::path(CONTINUO_SOURCE_DIR) / "models");
#endif
  return dirs;
}

bool is_model_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p / "config.json", ec) && fs::is_regular_file(p / "model.safetensors", ec);
}

ModelFiles files_of(const fs::path& dir) {
  ModelFiles m;
  fs::path clean = dir.lexically_normal();
  if (clean.has_filename() == false) clean = clean.parent_path();   // "models/x/" -> "models/x"
  m.dir = clean.string();
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(clean, ec);
  m.name = (ec ? clean : abs).filename().string();
  m.config_path = (clean / "config.json").string();
  m.weights_path = (clean / "model.safetensors").string();
  return m;
}
}  // namespace

std::vector<ModelFiles> list_models() {
  std::vector<ModelFiles> out;
  std::set<std::string> seen;
  for (const auto& dir : search_dirs()) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> found;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (is_model_dir(it->path())) found.push_back(it->path());
    std::sort(found.begin(), found.end());
    for (const auto& p : found) {
      ModelFiles m = files_of(p);
      if (seen.insert(m.name).second) out.push_back(std::move(m));
    }
  }
  return out;
}

ModelFiles find_model(const std::string& name_or_path) {
  if (name_or_path.empty()) throw Error(ErrorCode::kInvalidArgument, "empty model name");
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || fs::is_directory(name_or_path, ec)) {
    fs::path dir(name_or_path);
    if (!fs::is_directory(dir, ec)) throw Error(ErrorCode::kNotFound, name_or_path + ": no such model folder");
    if (!fs::is_regular_file(dir / "config.json", ec))
      throw Error(ErrorCode::kNotFound, name_or_path + ": not a model folder (no config.json)");
    if (!fs::is_regular_file(dir / "model.safetensors", ec))
      throw Error(ErrorCode::kNotFound, name_or_path + ": not a model folder (no model.safetensors)");
    return files_of(dir);
  }
  const auto dirs = search_dirs();
  for (const auto& d : dirs)
    if (is_model_dir(d / name_or_path)) return files_of(d / name_or_path);
  std::string available, looked;
  for (const auto& m : list_models()) available += (available.empty() ? "" : ", ") + m.name;
  for (const auto& d : dirs) looked += (looked.empty() ? "" : ", ") + d.string();
  throw Error(ErrorCode::kNotFound, "model '" + name_or_path + "' not found; available: " +
                                        (available.empty() ? "none" : available) + " (looked in " + looked + ")");
}

}  // namespace continuo::model
