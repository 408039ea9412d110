// The Continuo network in libtorch: the training model and the numeric reference for the engine.
// See include/continuo/model.hpp for the architecture and tensor names.
//
//   model::Transformer net(cfg);
//   auto h = net->hidden(events, pos);                 // [B, T, d]
//   auto logits = net->field_logits(h, targets, f);    // [B, T, vocab_f]
//   auto [loss, per_field] = net->loss(events, pos);   // mean NLL per used field
#pragma once

#include <torch/torch.h>

#include "continuo/model.hpp"

namespace continuo::model {

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t d, double eps);
  torch::Tensor forward(const torch::Tensor& x);  // [..., d] -> [..., d]
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm);

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(const Config& c);
  // x [B, T, d], cos/sin [T, dh]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  int n_heads, d_head;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(const Config& c);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Mlp);

class LayerImpl : public torch::nn::Module {
 public:
  LayerImpl(const Config& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  Attention self_attn{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(Layer);

class BackboneImpl : public torch::nn::Module {
 public:
  BackboneImpl(const Config& c);
  torch::nn::ModuleList embed_fields, layers;
  torch::nn::Embedding embed_beat_pos{nullptr}, embed_bar_pos{nullptr};
  torch::nn::Linear embed_pitch_context{nullptr};   // only with cfg.pitch_context
  torch::nn::Linear embed_future_context{nullptr};  // only with cfg.future_context
  RMSNorm norm{nullptr};
};
TORCH_MODULE(Backbone);

class HeadImpl : public torch::nn::Module {
 public:
  HeadImpl(const Config& c, int vocab);
  torch::Tensor forward(const torch::Tensor& x);  // [..., d] -> [..., vocab]
  RMSNorm norm{nullptr};
  torch::nn::Linear proj{nullptr}, out{nullptr};
};
TORCH_MODULE(Head);

// The pitch-class context after every event of each row: events [B, T, 6] int64 -> [B, T, 24] float
// (CPU), from tokenizer::PitchContextTracker, exactly as the engine computes it while generating.
torch::Tensor pitch_context(const torch::Tensor& events);
// The same context together with, per track, whether it is a drum track as declared so far, and
// the key prior's evidence factor (tokenizer::key_prior_evidence of the pitched notes so far):
// {[B, T, 24] float, [B, T, 16] bool, [B, T] float} (CPU).
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> pitch_context_and_drums(const torch::Tensor& events);

// Copy proposals (tokenizer::CopyTracker) after every event of each row, the tracker starting
// at each row's BOS: events [B, T, 6] int64 -> [B, T, K, 8] int64 (CPU): per source k the
// proposed next event's 6 fields, its length, hits, distance, history and agree features; kind 0
// (PAD) = no proposal.
inline constexpr int kCopyColumns = tokenizer::kNumFields + 5;
torch::Tensor copy_proposals(const torch::Tensor& events);
void write_copy_proposals(const tokenizer::CopyProposals& p, int64_t* out /* [K, 8] */);

class TransformerImpl : public torch::nn::Module {
 public:
  explicit TransformerImpl(const Config& c);
  // events [B, T, 6] int64, pos [B, T, 2] int64 -> final hidden states [B, T, d]. `future`
  // [B, T, 34] float: the known future after each event (tokenizer::future_context; zeros where
  // none is known); only a future_context model reads it, and undefined means none anywhere.
  torch::Tensor hidden(const torch::Tensor& events, const torch::Tensor& pos, const torch::Tensor& future = {});
  // Logits of field f for the NEXT event given its earlier fields `next` [B, T, 6]: [B, T, V_f].
  // `inputs` are the events h was computed from; needed for the value field of a key_prior model.
  // `future` [B, T, 34]: the known future after each input (future_prior models; undefined: none).
  torch::Tensor field_logits(const torch::Tensor& h, const torch::Tensor& next, int f,
                             const torch::Tensor& inputs = {}, const torch::Tensor& future = {});
  // The key prior's additions to the value logits [B, T, V_value] (tokenizer::key_prior_bias).
  torch::Tensor key_prior_logits(const torch::Tensor& inputs, const torch::Tensor& next);
  struct Loss {
    torch::Tensor total;                  // sum over fields of mean NLL (nats) per event
    std::array<double, tokenizer::kNumFields> per_field{};  // mean NLL per used field
    std::array<double, tokenizer::kNumFields> field_nll{};   // summed NLL per field (nats)
    std::array<double, tokenizer::kNumFields> field_used{};  // targets that use each field
    double nll_sum = 0;                   // summed NLL over all used fields (nats)
    int64_t events = 0;                   // predicted events (non-pad targets)
  };
  // Teacher-forced next-event loss; pad targets (kind 0) are ignored. `copy` [B, T, K, 8]: the
  // proposals after each event (copy_proposals(events) if not given; the trainer passes ones
  // computed over the whole piece, see train::Batcher).
  // `ignore` [B, T] bool: events not to be predicted (a kept part's notes, which the model is
  // given as a known future and would otherwise learn to copy).
  Loss loss(const torch::Tensor& events, const torch::Tensor& pos, const torch::Tensor& copy = {},
            const torch::Tensor& future = {}, const torch::Tensor& ignore = {});

  // Log-probabilities of the targets under the full model (network, key prior, copy mixture):
  // h [B, T, d] from the inputs [B, T, 6], targets [B, T, 6], copy [B, T, K, 8] (ignored
  // without copy_prior; copy_proposals(inputs) if undefined).
  struct Scores {
    torch::Tensor field_logp;     // [B, T, 6] log p(field | earlier fields), 0 for unused fields
    torch::Tensor value_post;     // [B, T, 1 + K] mixture weights (network, proposals) given the
                                  // fields before `value`
    torch::Tensor value_net_logp; // [B, T, V_value] the network's log-probabilities of `value`
    torch::Tensor copy;           // [B, T, K, 8] the proposals used
  };
  Scores score(const torch::Tensor& h, const torch::Tensor& inputs, const torch::Tensor& targets,
               const torch::Tensor& copy = {}, const torch::Tensor& future = {});

  Config cfg;
  Backbone model{nullptr};
  torch::nn::Module heads_container;      // registered as "heads"
  torch::nn::ModuleList head_embed{nullptr};
  std::vector<Head> head;
  torch::Tensor used_mask;                // [kinds, fields] float: field used by kind
  torch::Tensor key_prior;                // [2, 12] "heads.key_prior" (only with cfg.key_prior)
  torch::Tensor future_prior;             // [2, 12] "heads.future_prior" (only with cfg.future_prior)
  // only with cfg.copy_prior ("heads.copy.*"): gate biases by length and hits feature, gate
  // weights on the hidden state, velocity-keeping logits
  torch::Tensor copy_length, copy_hits, copy_distance, copy_history, copy_agree, copy_gate, copy_velocity;
};
TORCH_MODULE(Transformer);

// The copy gates start far below the network's weight (a proposal gets about 0.03% of the
// probability): a model learns how much to trust its copy path from the data.
inline constexpr float kCopyInitBias = -8.0f;
void init_weights(Transformer& net, uint64_t seed);
Weights export_weights(Transformer& net);                 // fp32 copies, by tensor name
// Checks names and shapes (kCorruptData). With `missing`, tensors `w` lacks keep their values
// and their names are listed there instead.
void import_weights(Transformer& net, const Weights& w, std::vector<std::string>* missing = nullptr);

}  // namespace continuo::model
