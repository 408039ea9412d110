// engine/internal.hpp: the engine's data structures, shared by model.cpp, session.cpp and
// generate.cpp (and used by the tests and benchmarks).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "continuo/engine.hpp"
#include "engine/kernels.hpp"

namespace continuo::engine {

// A weight matrix [rows, cols] (torch Linear layout: out x in), stored as fp32 or bf16.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> f32;       // [rows * cols] when format == kF32
  std::vector<uint16_t> bf16;   // [rows * cols] when format == kBF16
  WeightFormat format = WeightFormat::kF32;

  // Builds from one or more fp32 tensors stacked along the rows (e.g. q, k, v -> [3d, d]).
  static Matrix stack(const std::vector<const model::Tensor*>& parts, WeightFormat format);
  size_t bytes() const { return f32.size() * 4 + bf16.size() * 2; }
};

// y[m, rows] = x[m, cols] @ W^T, rows split between the pool's threads.
void matmul(const kernels::Table& k, const float* x, int64_t m, const Matrix& w, float* y);

struct LayerWeights {
  std::vector<float> attn_norm, mlp_norm;   // [d]
  Matrix qkv;                               // [3d, d]  q, k, v stacked
  Matrix o;                                 // [d, d]
  Matrix gate_up;                           // [2 d_ff, d]  gate, up stacked
  Matrix down;                              // [d, d_ff]
};

struct HeadWeights {
  std::vector<float> norm;   // [d]
  Matrix proj;               // [d_head, d]
  Matrix out;                // [vocab_f, d_head]
};

// The pitch-class context after a row's event and the pitched notes it counts.
struct PitchRow {
  tokenizer::PitchContext ctx{};
  int notes = 0;
};

struct Model::Impl {
  model::Config cfg;
  int d = 0, n_heads = 0, dh = 0;                       // d_model, heads, d_model / heads
  WeightFormat format = WeightFormat::kF32;
  const kernels::Table* kern = nullptr;
  std::vector<float> embed_fields[tokenizer::kNumFields];   // [vocab_f, d]
  std::vector<float> embed_beat, embed_bar;                 // [24, d], [32, d]
  std::vector<float> embed_pitch_context;                   // [d, 24] (empty without pitch_context)
  std::vector<float> embed_future;                          // [d, 34] (empty without future_context)
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;                            // [d]
  std::vector<float> head_embed[tokenizer::kNumFields - 1]; // [vocab_g, d]
  HeadWeights heads[tokenizer::kNumFields];
  std::vector<float> key_prior;                             // [2 * 12] (empty without key_prior)
  std::vector<float> future_prior;                          // [2 * 12] (empty without future_prior)
  // copy_prior (empty without): gate biases [K, 17] (length), [K, 17] (hits), [K, 9] (distance),
  // [K, 9] (history), [K, 8] (agree), gate weights [K, d], velocity logits [K]
  std::vector<float> copy_length, copy_hits, copy_distance, copy_history, copy_agree, copy_gate, copy_velocity;
  std::vector<float> rope_cos, rope_sin;                    // [max_len, dh]

  size_t weight_bytes() const;
  // Logits of field f for R rows: h [R, d] final hidden states, partial[r] the next event's
  // earlier fields. out [R, vocab_f]. scratch grows as needed.
  void head_logits(int f, const float* h, const tokenizer::Event* partial, int64_t rows, float* out,
                   std::vector<float>& scratch) const;
  // With key_prior: value logits (pitches 0..127) += scale * tokenizer::key_prior_bias(c, key_prior).
  // Only for a NOTE on a pitched track (the caller checks); does nothing for other models.
  // With key_evidence, the bias is scaled by tokenizer::key_prior_evidence(notes), notes the
  // pitched notes in the context.
  void add_key_prior(const tokenizer::PitchContext& c, int notes, float* value_logits, float scale = 1.0f) const;
  void add_key_prior(const PitchRow& r, float* value_logits, float scale = 1.0f) const {
    add_key_prior(r.ctx, r.notes, value_logits, scale);
  }
  void add_key_prior(const tokenizer::PitchContextTracker& t, float* value_logits, float scale = 1.0f) const {
    add_key_prior(t.current(), t.notes(), value_logits, scale);
  }
  // With future_prior: value logits (pitches 0..127) += scale * tokenizer::future_prior_bias(f, F).
  // Only for a NOTE on a pitched track (the caller checks); does nothing for other models.
  void add_future_prior(const tokenizer::FutureContext& f, float* value_logits, float scale = 1.0f) const;
  bool needs_pitch_context() const { return cfg.pitch_context || cfg.key_prior; }
};

// The copy mixture of a copy_prior model for one event, field by field (model.hpp gives the
// formula): the weights of the network and of each proposal given the fields chosen so far.
struct CopyMixture {
  static constexpr int K = tokenizer::kCopySources;
  bool on = false;
  double w[1 + K] = {1};        // normalised: network, proposals
  double alpha[K] = {};         // probability that proposal k's velocity is kept
  tokenizer::CopyProposals prop{};
  // Gate weights from the final hidden state h [d] and the proposals (off for other models).
  void start(const Model::Impl& m, const float* h, const tokenizer::CopyProposals& p);
  // The mixture's probability of `value` for field f, given the network's probability of it.
  double prob(int f, int value, double net_prob) const;
  // Mixture probabilities over a whole field: net [V] -> out [V] (the two may alias).
  void mix(int f, const float* net, float* out, int V) const;
  // After `value` was chosen for field f (the network gave it net_prob).
  void update(int f, int value, double net_prob);
  // Keeps `keep` (0..1) of every proposal's weight and gives the rest to the network.
  void damp(double keep);
  // Raises proposal k's weight to at least `floor` (< 1), scaling the others down alike.
  void raise(int k, double floor);
};

// One row of a forward pass: an event fed to sequence `seq` at the end of its cache.
struct Row {
  int seq = 0;
  tokenizer::Event event;
  tokenizer::Position pos;
  bool has_future = false;            // the known future after the event (future_context models)
  tokenizer::FutureContext future{};
};

struct Session::Impl {
  const Model::Impl* m = nullptr;
  int batch = 0;
  std::vector<int> len;              // [B] events in each sequence's cache
  std::vector<tokenizer::PitchContextTracker> pitch;   // [B] pitch-class context of each sequence's cache
  std::unique_ptr<float[]> k_cache, v_cache;   // [L, B, H, max_len, dh], uninitialised
  std::vector<float> hidden;         // [B, d] final hidden state after each sequence's last event
  std::vector<PitchRow> row_pitch;   // [rows] context after each row of the last forward()
  // scratch, grown on demand
  std::vector<float> x, xn, qkv, att, ff, act, scores, heads_scratch;

  Impl(const Model::Impl& model, int batch);
  float* k_at(int layer, int seq, int head) {
    return k_cache.get() + ((((int64_t(layer) * batch + seq) * m->n_heads + head) * m->cfg.max_len) * m->dh);
  }
  float* v_at(int layer, int seq, int head) {
    return v_cache.get() + ((((int64_t(layer) * batch + seq) * m->n_heads + head) * m->cfg.max_len) * m->dh);
  }
  // Runs rows through the network, appending their keys/values to the caches (rows of one
  // sequence in order; each row attends to its sequence's cache up to and including itself).
  // Stores the final hidden state of each sequence's last row in `hidden`; if all_hidden is given,
  // also every row's final hidden state there ([rows, d]). Throws kInvalidArgument on bad events
  // or a full cache.
  void forward(const std::vector<Row>& rows, std::vector<float>* all_hidden = nullptr);
  void reset_seq(int seq) {
    len[seq] = 0;
    pitch[size_t(seq)] = {};
  }
  void copy_seq(int from, int to);   // caches, length and hidden state
};

// Throws kInvalidArgument if an event field or position feature is out of range.
void check_event(const tokenizer::Event& e, const tokenizer::Position& p);

}  // namespace continuo::engine
