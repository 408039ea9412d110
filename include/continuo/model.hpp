// continuo/model.hpp: model configuration, weights on disk (safetensors + JSON config), registry.
//
//   using namespace continuo;
//   model::ModelFiles m = model::find_model("default");          // models/default/...
//   model::Config cfg = model::load_config(m.config_path);
//   model::Weights w = model::load_safetensors(m.weights_path);   // name -> tensor (fp32 in memory)
//   const model::Tensor& q = w.at("model.layers.0.self_attn.q_proj.weight");   // [d, d]
//
// The network (docs/ARCHITECTURE.md, docs/TOKENS.md): a LLaMA-style decoder (RMSNorm, rotary
// positions, SwiGLU, no biases), one step per event. Input = sum of the event's field embeddings
// and its position-in-beat / position-in-bar embeddings (plus, with pitch_context, a linear map of
// the pitch-class context after the event). Output: a small head per field, in the
// order kind, dt, track, value, value2, duration; the head of field f sees the final hidden state
// plus output-side embeddings of the fields already chosen:
//   x_f = h + sum_{g<f} heads.embed.g[e_g]                      // [d]
//   logits_f = heads.f.out @ silu(heads.f.proj @ rmsnorm(x_f) * heads.f.norm)   // [vocab_f]
// Tensor names (all matrices [out, in], like torch.nn.Linear):
//   model.embed_fields.{f}.weight [vocab_f, d]   model.embed_beat_pos.weight [24, d]
//   model.embed_bar_pos.weight [32, d]
//   model.embed_pitch_context.weight [d, 24]  (only with pitch_context: x += W @ context)
//   model.embed_future_context.weight [d, 34] (only with future_context: x += W @ known future)
//   model.layers.{i}.input_layernorm.weight [d]
//   model.layers.{i}.self_attn.{q,k,v,o}_proj.weight [d, d]
//   model.layers.{i}.post_attention_layernorm.weight [d]
//   model.layers.{i}.mlp.{gate,up}_proj.weight [d_ff, d]   model.layers.{i}.mlp.down_proj.weight [d, d_ff]
//   model.norm.weight [d]
//   heads.embed.{g}.weight [vocab_g, d]  (g = 0..4)
//   heads.{f}.norm.weight [d]  heads.{f}.proj.weight [d_head, d]  heads.{f}.out.weight [vocab_f, d_head]
//   heads.future_prior [2, 12]  (only with future_prior: value logits of a pitched note's pitch p
//                             += tokenizer::future_prior_bias(known future after the last event, F)[p % 12])
//   heads.key_prior [2, 12]  (only with key_prior: value logits of a pitched note's pitch p
//                             += tokenizer::key_prior_bias(context after the last event, A)[p % 12])
//   heads.copy.length [K, 17]  heads.copy.hits [K, 17]  heads.copy.distance [K, 9]
//   heads.copy.history [K, 9]  heads.copy.agree [K, 8]  heads.copy.gate [K, d]  heads.copy.velocity [K]
//       (only with copy_prior; K = copy_sources, the first K of tokenizer::CopyTracker's): the next event is drawn from the
//       mixture  lambda_0 * network + sum_k lambda_k * (proposal k, its velocity kept with
//       probability sigmoid(velocity[k]), else the network's), where
//       lambda = softmax(0, g_1 .. g_K),
//       g_k = length[k][a_k] + hits[k][b_k] + distance[k][c_k] + history[k][d_k] + agree[k][e_k]
//             + gate[k] . h
//       over the valid proposals (a..d: the proposal's features; h: the final hidden state).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "continuo/tokenizer.hpp"

namespace continuo::model {

inline constexpr const char* kFormat = "continuo-model-1";

struct Config {
  std::string name = "default";
  std::string tokenizer = tokenizer::kVersion;
  int d_model = 256;
  int n_layers = 6;
  int n_heads = 8;
  int d_ff = 704;
  int d_head = 256;          // hidden size of each attribute head
  int max_len = 1024;        // longest sequence (events) the model was trained on
  double rope_theta = 10000.0;
  double norm_eps = 1e-5;
  bool controls = true;      // tokenizer option the model was trained with
  bool pitch_context = false;   // input: the pitch-class context (tokenizer::PitchContextTracker)
  bool future_context = false;  // input: the known future (tokenizer::future_context; infill, accompany)
  bool future_prior = false;    // output (with future_context): pitch logits += tokenizer::future_prior_bias (heads.future_prior)
  bool key_prior = false;       // output: pitch logits += tokenizer::key_prior_bias (heads.key_prior)
  bool key_evidence = false;    // the key prior grows with the notes in the context (tokenizer::key_prior_evidence)
  bool copy_prior = false;      // output: the next event is a learned mixture of the network and
                                // tokenizer::CopyTracker's proposals (heads.copy.*)
  int copy_sources = tokenizer::kCopyFirstSources;   // K: how many of the proposals (1..kCopySources);
                                // absent from a model's config.json: 4, the models before source 4
  double key_anchor = 0;        // sampling default (engine::SampleOptions::key_anchor), 0..1, chosen on
                                // the model's validation split (its card); absent: 0, the prior as trained
  double copy_anchor = 0;       // sampling default (engine::SampleOptions::copy_anchor), 0..1, chosen
                                // on the model's validation split (its card); absent: 0, no groove anchor
  double part_balance = 0;      // sampling default (engine::SampleOptions::part_balance), 0..4, chosen
                                // on the model's validation split (its card); absent: 0, off
  double pitched_anchor = 0;    // sampling default (engine::SampleOptions::pitched_anchor), 0..1;
                                // absent: 0, pitched parts never anchored
  std::string description;   // one line for `continuo models`
  bool operator==(const Config&) const = default;
};

Config load_config(const std::string& path);        // throws Error with a clear message
// The same from the text of a config.json; `path` names it in error messages (which start with
// "<path>: "). Errors: kCorruptData (bad JSON, a missing or wrong key), kUnsupported (another
// format or tokenizer).
Config parse_config(std::string_view text, const std::string& path);
// The checks parse_config makes of the values (dimensions in range, max_len at most
// limits::kMaxModelContext, d_model a multiple of 2 * n_heads, ...): throws Error(kCorruptData,
// "<path>: ..."). For configs made in code, e.g. a training config's model section.
void check_config(const Config& c, const std::string& path);
std::string config_to_json(const Config& c);
void save_config(const Config& c, const std::string& path);   // atomic

// A dense tensor, row-major, fp32 in memory (bf16/fp16 files are widened on load).
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t numel() const;
};
using Weights = std::map<std::string, Tensor>;

enum class DType { kF32, kBF16 };
// safetensors: 8-byte header length, JSON header, raw little-endian data. Checked on load
// (header size, offsets inside the file, dtype, shape x dtype == byte count); throws kCorruptData.
Weights load_safetensors(const std::string& path);
// The same from the bytes of a file; `path` names it in error messages.
Weights parse_safetensors(std::span<const uint8_t> bytes, const std::string& path);
void save_safetensors(const Weights& w, const std::string& path, DType dtype,
                      const std::map<std::string, std::string>& metadata = {});   // atomic
// The bytes save_safetensors writes.
std::vector<uint8_t> safetensors_bytes(const Weights& w, DType dtype,
                                       const std::map<std::string, std::string>& metadata = {});
// Every tensor `cfg` needs is present with the right shape (throws kCorruptData naming the first
// missing or mis-shaped tensor).
void check_weights(const Config& cfg, const Weights& w);

struct ModelFiles {
  std::string name, dir, config_path, weights_path;
};
// A model by name (a folder models/<name>/ with config.json and model.safetensors), or by path
// to such a folder. Searched in: $CONTINUO_MODELS, <exe>/../models, <source tree>/models.
ModelFiles find_model(const std::string& name_or_path);
std::vector<ModelFiles> list_models();

}  // namespace continuo::model
