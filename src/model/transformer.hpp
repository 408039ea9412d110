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
// The same context together with, per track, whether it is a drum track as declared so far:
// {[B, T, 24] float, [B, T, 16] bool} (CPU).
std::pair<torch::Tensor, torch::Tensor> pitch_context_and_drums(const torch::Tensor& events);

class TransformerImpl : public torch::nn::Module {
 public:
  explicit TransformerImpl(const Config& c);
  // events [B, T, 6] int64, pos [B, T, 2] int64 -> final hidden states [B, T, d]
  torch::Tensor hidden(const torch::Tensor& events, const torch::Tensor& pos);
  // Logits of field f for the NEXT event given its earlier fields `next` [B, T, 6]: [B, T, V_f].
  // `inputs` are the events h was computed from; needed for the value field of a key_prior model.
  torch::Tensor field_logits(const torch::Tensor& h, const torch::Tensor& next, int f,
                             const torch::Tensor& inputs = {});
  // The key prior's additions to the value logits [B, T, V_value] (tokenizer::key_prior_bias).
  torch::Tensor key_prior_logits(const torch::Tensor& inputs, const torch::Tensor& next);
  struct Loss {
    torch::Tensor total;                  // sum over fields of mean NLL (nats) per event
    std::array<double, tokenizer::kNumFields> per_field{};  // mean NLL per used field
    double nll_sum = 0;                   // summed NLL over all used fields (nats)
    int64_t events = 0;                   // predicted events (non-pad targets)
  };
  // Teacher-forced next-event loss; pad targets (kind 0) are ignored.
  Loss loss(const torch::Tensor& events, const torch::Tensor& pos);

  Config cfg;
  Backbone model{nullptr};
  torch::nn::Module heads_container;      // registered as "heads"
  torch::nn::ModuleList head_embed{nullptr};
  std::vector<Head> head;
  torch::Tensor used_mask;                // [kinds, fields] float: field used by kind
  torch::Tensor key_prior;                // [2, 12] "heads.key_prior" (only with cfg.key_prior)
};
TORCH_MODULE(Transformer);

void init_weights(Transformer& net, uint64_t seed);
Weights export_weights(Transformer& net);                 // fp32 copies, by tensor name
// Checks names and shapes (kCorruptData). With `missing`, tensors `w` lacks keep their values
// and their names are listed there instead.
void import_weights(Transformer& net, const Weights& w, std::vector<std::string>* missing = nullptr);

}  // namespace continuo::model
