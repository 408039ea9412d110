// The engine against the libtorch reference (src/model/transformer.cpp): field logits at every
// position and field, fp32 and bf16 weights; KV-cache decoding == full recompute; batch
// independence; teacher-forced scores == the reference loss.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>

#include "continuo/error.hpp"
#include "engine/internal.hpp"
#include "engine_test_util.hpp"

namespace continuo::engine {
namespace {
using namespace engine::testing;
using tokenizer::Event;
using tokenizer::kFieldSizes;
using tokenizer::kNumFields;

// Reference logits of every field at every position: ref[f] [T, V_f], the next event's earlier
// fields taken from the sequence itself (the last position sees the last event again).
std::vector<torch::Tensor> reference_logits(model::Transformer& net, const std::vector<Event>& ev) {
  torch::NoGradGuard ng;
  auto [e, p] = to_tensors(ev);
  const int64_t T = e.size(1);
  auto next = torch::cat({e.slice(1, 1, T), e.slice(1, T - 1, T)}, 1);   // [1, T, 6]
  auto h = net->hidden(e, p);                                             // [1, T, d]
  std::vector<torch::Tensor> out;
  for (int f = 0; f < kNumFields; ++f) out.push_back(net->field_logits(h, next, f, e)[0].contiguous());  // [T, V_f]
  return out;
}

struct Diff {
  double max_abs = 0, max_ref = 0;
  double rel() const { return max_abs / std::max(1.0, max_ref); }
};

// Steps the engine through `ev` one event at a time and compares every field's logits.
Diff compare_with_reference(const Model& m, const std::vector<Event>& ev, const std::vector<torch::Tensor>& ref) {
  Session s(m, 1);
  const auto pos = tokenizer::Tokenizer::positions(ev);
  Diff d;
  for (size_t t = 0; t < ev.size(); ++t) {
    EXPECT_TRUE(s.step({ev[t]}, {pos[t]}));
    const Event& next = t + 1 < ev.size() ? ev[t + 1] : ev[t];
    for (int f = 0; f < kNumFields; ++f) {
      auto logits = s.field_logits(0, tokenizer::Field(f), next);
      const float* r = ref[size_t(f)].data_ptr<float>() + int64_t(t) * kFieldSizes[size_t(f)];
      for (int i = 0; i < kFieldSizes[size_t(f)]; ++i) {
        d.max_abs = std::max(d.max_abs, std::abs(double(logits[size_t(i)]) - r[i]));
        d.max_ref = std::max(d.max_ref, std::abs(double(r[i])));
      }
    }
  }
  return d;
}

std::vector<Event> prefix(size_t n) {
  auto ev = example_events();
  ev.resize(std::min(n, ev.size()));
  return ev;
}

TEST(Session, MatchesReferenceF32) {
  for (auto [pitch_context, key_prior] : {std::pair{true, false}, {false, false}, {true, true}, {false, true}}) {
    const auto cfg = small_config(96, pitch_context, key_prior);
    auto net = make_net(cfg, 1);
    const auto ev = prefix(size_t(cfg.max_len));
    const auto ref = reference_logits(net, ev);
    Model m = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
    Diff d = compare_with_reference(m, ev, ref);
    EXPECT_GT(d.max_ref, 1.0) << "logits too small for a meaningful comparison";
    EXPECT_LT(d.rel(), 1e-4) << "max |engine - torch| = " << d.max_abs << ", max |torch| = " << d.max_ref;
    std::cout << "[ fp32, pitch context " << pitch_context << ", key prior " << key_prior
              << " ] max |engine - torch| = " << d.max_abs
              << " (max |logit| " << d.max_ref << ", kernels " << kernel_name() << ")\n";
  }
}

// A future_context model: with the known future given after each event (features up to a time
// G, none after, as infill gives them), the engine's hidden states equal the reference's, and
// the future changes them.
TEST(Session, KnownFutureMatchesReference) {
  auto cfg = small_config(96, false, true);
  cfg.future_context = true;
  auto net = make_net(cfg, 5);
  {
    torch::NoGradGuard ng;
    net->model->embed_future_context->weight.copy_(torch::randn({cfg.d_model, tokenizer::kFutureContextSize}));
  }
  const auto ev = prefix(90);
  const auto pos = tokenizer::Tokenizer::positions(ev);
  std::vector<int64_t> at;
  std::vector<tokenizer::KnownNote> known;
  tokenizer::PositionTracker tr;
  for (const Event& e : ev) {
    tr.next(e);
    at.push_back(tr.now());
  }
  const int64_t g = at[60];
  for (size_t i = 0; i < ev.size(); ++i)
    if (ev[i].kind() == tokenizer::Kind::kNote && at[i] >= g) known.push_back({at[i], uint8_t(ev[i][tokenizer::Field::kValue]), false});
  ASSERT_GT(known.size(), 5u);
  const int64_t T = int64_t(ev.size()), d = cfg.d_model;
  auto fut = torch::zeros({1, T, tokenizer::kFutureContextSize});
  std::vector<Row> rows;
  for (int64_t t = 0; t < T; ++t) {
    Row r{0, ev[size_t(t)], pos[size_t(t)]};
    if (at[size_t(t)] < g) {
      r.has_future = true;
      r.future = tokenizer::future_context(known, at[size_t(t)]);
      for (int k = 0; k < tokenizer::kFutureContextSize; ++k) fut[0][t][k] = r.future[size_t(k)];
    }
    rows.push_back(r);
  }
  torch::Tensor ref, blind;
  {
    torch::NoGradGuard ng;
    auto [e, p] = to_tensors(ev);
    ref = net->hidden(e, p, fut)[0].contiguous();
    blind = net->hidden(e, p)[0].contiguous();
  }
  Model m = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
  Session::Impl s(m.impl(), 1);
  std::vector<float> all;
  s.forward(rows, &all);
  double max_abs = 0, moved = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < d; ++i) {
      max_abs = std::max(max_abs, std::abs(double(all[size_t(t * d + i)]) - ref[t][i].item<double>()));
      moved = std::max(moved, std::abs(ref[t][i].item<double>() - blind[t][i].item<double>()));
    }
  EXPECT_LT(max_abs, 1e-3) << "engine vs torch hidden states with a known future";
  EXPECT_GT(moved, 0.1) << "the known future should change the hidden states";
}

// The future prior: the reference's pitch logits of a pitched note move by exactly
// tokenizer::future_prior_bias of the features after the last event, and by nothing without them.
TEST(Session, FuturePriorIsTheBiasOfTheFeatures) {
  auto cfg = small_config(96, false, true);
  cfg.future_context = cfg.future_prior = true;
  auto net = make_net(cfg, 6);
  {
    torch::NoGradGuard ng;
    net->future_prior.copy_(torch::randn({2, 12}));
  }
  const auto ev = prefix(60);
  auto [e, p] = to_tensors(ev);
  const int64_t T = e.size(1);
  auto fut = torch::zeros({1, T, tokenizer::kFutureContextSize});
  std::mt19937_64 r(2);
  std::uniform_real_distribution<float> u(0, 1);
  for (int64_t t = 0; t < T; ++t) {
    fut[0][t][0] = 1;
    for (int k = 7; k < 19; ++k) fut[0][t][k] = u(r);
    for (int k = 21; k < 33; ++k) fut[0][t][k] = u(r);
  }
  torch::NoGradGuard ng;
  auto next = torch::cat({e.slice(1, 1, T), e.slice(1, T - 1, T)}, 1);
  auto h = net->hidden(e, p, fut);
  const int V = int(tokenizer::Field::kValue);
  auto with = net->field_logits(h, next, V, e, fut)[0];
  auto without = net->field_logits(h, next, V, e)[0];
  const auto w = model::export_weights(net).at("heads.future_prior").data;
  tokenizer::Grammar g;
  int pitched = 0;
  for (int64_t t = 0; t + 1 < T; ++t) {
    g.feed(ev[size_t(t)]);
    const Event& n = ev[size_t(t + 1)];
    const bool is_pitched = n.kind() == tokenizer::Kind::kNote && !g.is_drum(n[tokenizer::Field::kTrack]);
    tokenizer::FutureContext f{};
    for (int k = 0; k < tokenizer::kFutureContextSize; ++k) f[size_t(k)] = fut[0][t][k].item<float>();
    const auto b = tokenizer::future_prior_bias(f, w.data());
    for (int q = 0; q < 128; ++q) {
      const double d = with[t][q].item<double>() - without[t][q].item<double>();
      EXPECT_NEAR(d, is_pitched ? b[size_t(q % 12)] : 0.0, 1e-4) << "position " << t << " pitch " << q;
    }
    pitched += is_pitched;
  }
  EXPECT_GT(pitched, 10);
}

// The engine model of `net`'s weights with one tensor zeroed.
Model without(const model::Config& cfg, model::Transformer& net, const std::string& tensor) {
  auto w = model::export_weights(net);
  for (float& x : w.at(tensor).data) x = 0;
  return Model::from_weights(cfg, w, WeightFormat::kF32);
}

// The pitch-class context is an input that matters: zeroing its weights changes the logits.
TEST(Session, PitchContextIsUsed) {
  const auto cfg = small_config();
  auto net = make_net(cfg, 9);
  const auto ev = prefix(40);
  Model a = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
  Model b = without(cfg, net, "model.embed_pitch_context.weight");
  EXPECT_GT(compare_with_reference(a, ev, reference_logits(net, ev)).max_ref, 1.0);
  Diff d = compare_with_reference(b, ev, reference_logits(net, ev));
  EXPECT_GT(d.max_abs, 1e-2);
}

// The key prior changes the pitch logits of notes on pitched tracks, and nothing else.
TEST(Session, KeyPriorMovesOnlyPitchedNotePitches) {
  const auto cfg = small_config(96, false, true);
  auto net = make_net(cfg, 10);
  const auto ev = prefix(60);
  Model with = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
  Model plain = without(cfg, net, "heads.key_prior");
  Session a(with, 1), b(plain, 1);
  const auto pos = tokenizer::Tokenizer::positions(ev);
  tokenizer::Grammar g;
  int pitched = 0;
  bool seen_pitched_note = false;
  for (size_t t = 0; t + 1 < ev.size(); ++t) {
    a.step({ev[t]}, {pos[t]});
    b.step({ev[t]}, {pos[t]});
    g.feed(ev[t]);
    if (ev[t].kind() == tokenizer::Kind::kNote && !g.is_drum(ev[t][tokenizer::Field::kTrack])) seen_pitched_note = true;
    const Event& next = ev[t + 1];
    const bool is_pitched = next.kind() == tokenizer::Kind::kNote && !g.is_drum(next[tokenizer::Field::kTrack]);
    for (int f = 0; f < kNumFields; ++f) {
      const auto la = a.field_logits(0, tokenizer::Field(f), next), lb = b.field_logits(0, tokenizer::Field(f), next);
      double diff = 0;
      for (size_t i = 0; i < la.size(); ++i) diff = std::max(diff, double(std::abs(la[i] - lb[i])));
      if (f == int(tokenizer::Field::kValue) && is_pitched && seen_pitched_note) {
        EXPECT_GT(diff, 1e-3) << t;
        for (size_t i = 128; i < la.size(); ++i) ASSERT_EQ(la[i], lb[i]) << "only pitches 0..127 move";
        ++pitched;
      } else if (f == int(tokenizer::Field::kValue) && is_pitched) {
        EXPECT_LT(diff, 1e-5) << "no pitched note yet: no prior (event " << t << ")";
      } else {
        EXPECT_EQ(diff, 0.0) << "event " << t << " field " << f;
      }
    }
  }
  EXPECT_GT(pitched, 10);
}

TEST(Session, MatchesReferenceBf16) {
  const auto cfg = small_config();
  auto net = make_net(cfg, 2);
  const auto ev = prefix(size_t(cfg.max_len));
  const auto w = model::export_weights(net);
  Model m = Model::from_weights(cfg, w, WeightFormat::kBF16);
  ASSERT_EQ(m.weight_format(), WeightFormat::kBF16);

  // Loose: against the fp32 reference (bf16 keeps 8 bits of mantissa).
  Diff loose = compare_with_reference(m, ev, reference_logits(net, ev));
  EXPECT_LT(loose.rel(), 0.05) << "max |engine - torch| = " << loose.max_abs;

  // Tight: against the reference with its matrices rounded to bf16 exactly as the engine does.
  model::Weights rounded = w;
  for (auto& [name, t] : rounded) {
    if (name.find("norm") != std::string::npos || name.find("embed") != std::string::npos) continue;
    for (float& x : t.data) {
      uint32_t u;
      std::memcpy(&u, &x, 4);
      u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
      std::memcpy(&x, &u, 4);
    }
  }
  auto net2 = make_net(cfg, 3);
  model::import_weights(net2, rounded);
  Diff tight = compare_with_reference(m, ev, reference_logits(net2, ev));
  EXPECT_LT(tight.rel(), 1e-4) << "max |engine - torch(bf16 weights)| = " << tight.max_abs;
  std::cout << "[ bf16 ] vs fp32 reference: " << loose.max_abs << ", vs bf16-rounded reference: " << tight.max_abs
            << " (max |logit| " << loose.max_ref << ")\n";
}

// Decoding with the KV cache, one event at a time, equals recomputing every prefix from scratch.
TEST(Session, IncrementalEqualsFullRecompute) {
  const auto cfg = small_config();
  auto net = make_net(cfg, 4);
  Model m = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
  const auto ev = prefix(40);
  const auto pos = tokenizer::Tokenizer::positions(ev);
  Session inc(m, 1);
  for (size_t t = 0; t < ev.size(); ++t) {
    ASSERT_TRUE(inc.step({ev[t]}, {pos[t]}));
    ASSERT_EQ(inc.length(), int(t + 1));
    Session full(m, 2);
    full.prefill(std::vector<Event>(ev.begin(), ev.begin() + long(t + 1)),
                 std::vector<tokenizer::Position>(pos.begin(), pos.begin() + long(t + 1)));
    for (int f : {0, 3, 5}) {
      auto a = inc.field_logits(0, tokenizer::Field(f), ev[std::min(t + 1, ev.size() - 1)]);
      for (int b = 0; b < 2; ++b) {
        auto c = full.field_logits(b, tokenizer::Field(f), ev[std::min(t + 1, ev.size() - 1)]);
        for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], c[i], 1e-4f * std::max(1.0f, std::abs(a[i]))) << t;
      }
    }
  }
}

// A sequence decoded in a batch gives bit-identical results to decoding it alone.
TEST(Session, BatchRowsAreIndependent) {
  const auto cfg = small_config();
  auto net = make_net(cfg, 5);
  Model m = Model::from_weights(cfg, model::export_weights(net));
  auto all = example_events();
  std::vector<std::vector<Event>> seqs = {std::vector<Event>(all.begin(), all.begin() + 30),
                                          std::vector<Event>(all.begin(), all.begin() + 10),
                                          std::vector<Event>(all.begin(), all.begin() + 30)};
  seqs[1].insert(seqs[1].end(), all.begin() + 50, all.begin() + 70);
  seqs[2].insert(seqs[2].begin() + 8, all.begin() + 100, all.begin() + 101);
  seqs[2].resize(30);
  Session batch(m, 3);
  std::vector<Session> alone;
  for (int b = 0; b < 3; ++b) alone.emplace_back(m, 1);
  std::vector<std::vector<tokenizer::Position>> pos;
  for (auto& s : seqs) pos.push_back(tokenizer::Tokenizer::positions(s));
  for (size_t t = 0; t < 30; ++t) {
    ASSERT_TRUE(batch.step({seqs[0][t], seqs[1][t], seqs[2][t]}, {pos[0][t], pos[1][t], pos[2][t]}));
    for (int b = 0; b < 3; ++b) {
      ASSERT_TRUE(alone[size_t(b)].step({seqs[size_t(b)][t]}, {pos[size_t(b)][t]}));
      EXPECT_EQ(batch.field_logits(b, tokenizer::Field::kValue, seqs[0][t]),
                alone[size_t(b)].field_logits(0, tokenizer::Field::kValue, seqs[0][t]))
          << "t=" << t << " b=" << b;
    }
  }
}

TEST(Session, ContextLimitAndBadInput) {
  const auto cfg = small_config(8);
  auto net = make_net(cfg, 6);
  Model m = Model::from_weights(cfg, model::export_weights(net));
  const auto ev = prefix(20);
  const auto pos = tokenizer::Tokenizer::positions(ev);
  Session s(m, 1);
  EXPECT_THROW(s.field_logits(0, tokenizer::Field::kKind, {}), Error);
  for (size_t t = 0; t < 8; ++t) EXPECT_TRUE(s.step({ev[t]}, {pos[t]}));
  EXPECT_FALSE(s.step({ev[8]}, {pos[8]}));
  EXPECT_EQ(s.length(), 8);
  s.reset();
  EXPECT_EQ(s.length(), 0);
  try {
    s.prefill(ev, pos);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
  Event bad = ev[5];
  bad.f[3] = 592;
  try {
    s.step({bad}, {pos[5]});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_THROW(s.step({ev[0], ev[1]}, {pos[0], pos[1]}), Error);
  EXPECT_THROW(Session(m, 0), Error);
}

// Teacher-forced scores equal the reference loss (within the context: no window slides).
TEST(Score, MatchesReferenceLoss) {
  for (auto [key_prior, copy_prior, sources] : {std::tuple{false, false, 4}, {true, false, 4}, {true, true, 4}, {false, true, 4},
                                                 {true, true, tokenizer::kCopySources}}) {
  auto cfg = small_config(96, true, key_prior, copy_prior);
  cfg.copy_sources = sources;
  auto net = make_net(cfg, 7);
  Model m = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
  const auto ev = prefix(size_t(cfg.max_len));
  auto nll = score_events(m, ev);
  ASSERT_EQ(nll.size(), ev.size());
  EXPECT_EQ(nll[0], 0.0);
  double sum = 0;
  for (size_t i = 1; i < nll.size(); ++i) {
    EXPECT_GT(nll[i], 0.0);
    sum += nll[i];
  }
  torch::NoGradGuard ng;
  auto [e, p] = to_tensors(ev);
  auto loss = net->loss(e, p);
  EXPECT_NEAR(sum, loss.nll_sum, 1e-4 * loss.nll_sum) << "key prior " << key_prior << ", copy prior " << copy_prior << ", sources " << sources;
  EXPECT_EQ(loss.events, int64_t(ev.size() - 1));
  }
}

// Longer than the context: the window slides; every event still gets a finite score, and events
// inside the first window score as without sliding.
TEST(Score, SlidingWindow) {
  for (int copy : {0, 4, tokenizer::kCopySources}) {
  auto cfg = small_config(32, true, true, copy > 0);
  if (copy > 0) cfg.copy_sources = copy;
  auto net = make_net(cfg, 8);
  Model m = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
  const auto ev = prefix(150);
  ASSERT_EQ(ev.size(), 150u);
  auto nll = score_events(m, ev);
  ASSERT_EQ(nll.size(), ev.size());
  for (size_t i = 1; i < nll.size(); ++i) EXPECT_TRUE(std::isfinite(nll[i]) && nll[i] > 0) << i;
  auto head = score_events(m, prefix(32));
  for (size_t i = 0; i < 32; ++i) EXPECT_NEAR(nll[i], head[i], 1e-9) << i;
  EXPECT_TRUE(score_events(m, {}).empty());
  EXPECT_EQ(score_events(m, prefix(1)), std::vector<double>{0.0});
  }
}

// Tails scored after one shared prefix in a batch: where prefix + tail fit the context, each
// event scores as score_events() gives it over prefix + tail; where they do not, as after the
// prefix's cropped window (header + its last events), the same for every tail; a tail too long
// for any shared window falls back to score_events() over the whole.
TEST(Score, TailsAfterASharedPrefix) {
  for (bool copy : {false, true}) {
    auto cfg = small_config(96, true, true, copy);
    if (copy) cfg.copy_sources = tokenizer::kCopySources;
    auto net = make_net(cfg, 11);
    Model m = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
    const auto ev = prefix(200);
    ASSERT_GE(ev.size(), 200u);
    auto slice = [&](size_t a, size_t b) { return std::vector<Event>(ev.begin() + std::ptrdiff_t(a), ev.begin() + std::ptrdiff_t(b)); };
    auto tail_of = [](const std::vector<double>& nll, size_t n) { return std::vector<double>(nll.end() - std::ptrdiff_t(n), nll.end()); };
    auto near = [](const std::vector<double>& a, const std::vector<double>& b, const char* what) {
      ASSERT_EQ(a.size(), b.size()) << what;
      for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6 * std::max(1.0, std::abs(b[i]))) << what << " event " << i;
    };
    // fits: 40 + 50 <= 96; tails of different lengths and contents, one empty
    const auto pre = slice(0, 40);
    std::vector<std::vector<Event>> tails = {slice(40, 90), slice(40, 41), {}, slice(40, 60)};
    for (size_t k = 0; k < 9; ++k) tails.push_back(slice(40, 45 + 5 * k));   // more than one group of 8
    auto got = score_tails(m, pre, tails);
    ASSERT_EQ(got.size(), tails.size());
    for (size_t i = 0; i < tails.size(); ++i) {
      auto all = pre;
      all.insert(all.end(), tails[i].begin(), tails[i].end());
      near(got[i], tail_of(score_events(m, all), tails[i].size()), "fits");
    }
    // cropped: 120 + 30 > 96; without the copy path, as after the prefix's window
    const auto long_pre = slice(0, 120);
    tails = {slice(120, 150), slice(120, 135)};
    got = score_tails(m, long_pre, tails);
    const size_t h = tokenizer::Tokenizer::header_length(long_pre);
    const auto pos = tokenizer::Tokenizer::positions(long_pre);
    const auto w = tokenizer::Tokenizer::crop(long_pre, pos, long_pre.size() - (96 - h - 30), long_pre.size());
    ASSERT_EQ(w.events.size() + 30, 96u);
    for (size_t i = 0; i < tails.size(); ++i) {
      ASSERT_EQ(got[i].size(), tails[i].size());
      for (double x : got[i]) EXPECT_TRUE(std::isfinite(x) && x > 0);
      if (copy) continue;   // the copy path reads the whole prefix, not the window
      auto all = w.events;
      all.insert(all.end(), tails[i].begin(), tails[i].end());
      near(got[i], tail_of(score_events(m, all), tails[i].size()), "cropped");
    }
    // a tail that leaves no room for the prefix: score_events() over the whole
    tails = {slice(40, 136)};
    got = score_tails(m, pre, tails);
    auto all = pre;
    all.insert(all.end(), tails[0].begin(), tails[0].end());
    near(got[0], tail_of(score_events(m, all), tails[0].size()), "fallback");
    EXPECT_TRUE(score_tails(m, pre, {}).empty());
    EXPECT_THROW(score_tails(m, slice(1, 40), {slice(40, 50)}), Error);
  }
}

// The copy mixture is a distribution: for a copy model, the mixture's probabilities of every
// value of a field sum to 1, whatever the proposals and the fields chosen before.
TEST(Copy, MixtureIsADistribution) {
  auto cfg = small_config(96, true, true, true);
  cfg.copy_sources = tokenizer::kCopySources;
  auto net = make_net(cfg, 9);
  Model m = Model::from_weights(cfg, model::export_weights(net), WeightFormat::kF32);
  const auto ev = prefix(80);
  tokenizer::CopyTracker tr;
  int checked = 0;
  std::vector<float> h(size_t(cfg.d_model), 0.1f);
  for (size_t i = 0; i + 1 < ev.size(); ++i) {
    const auto& p = tr.next(ev[i]);
    bool any = false;
    for (const auto& x : p) any = any || x.valid;
    if (!any) continue;
    CopyMixture mix;
    mix.start(m.impl(), h.data(), p);
    const tokenizer::Event& next = ev[i + 1];
    for (int f = 0; f < tokenizer::kNumFields; ++f) {
      const int V = tokenizer::kFieldSizes[f];
      std::vector<float> net_p(static_cast<size_t>(V), 1.0f / float(V)), out(static_cast<size_t>(V));
      mix.mix(f, net_p.data(), out.data(), V);
      double s = 0;
      for (float x : out) s += x;
      EXPECT_NEAR(s, 1.0, 1e-5) << "event " << i << " field " << f;
      EXPECT_NEAR(out[next.f[size_t(f)]], mix.prob(f, next.f[size_t(f)], 1.0 / V), 1e-6);
      mix.update(f, next.f[size_t(f)], 1.0 / V);
    }
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

// Changing later events never changes the reference's scores of earlier ones: the causal mask
// of the network and the copy path's proposals see only the past. (With the mask removed from
// AttentionImpl::forward, or proposals taken one event late, this fails.)
TEST(Copy, ReferenceIsCausal) {
  auto cfg = small_config(96, true, true, true);
  cfg.copy_sources = tokenizer::kCopySources;
  auto net = make_net(cfg, 10);
  torch::NoGradGuard ng;
  auto ev = prefix(90);
  auto [e1, p1] = to_tensors(ev);
  for (size_t i = 60; i < ev.size(); ++i) ev[i][tokenizer::Field::kValue2] = uint16_t(1 + (ev[i][tokenizer::Field::kValue2] + 37) % 126);
  for (size_t i = 60; i < ev.size(); ++i)
    if (ev[i].kind() == tokenizer::Kind::kNote) ev[i][tokenizer::Field::kValue] = uint16_t((ev[i][tokenizer::Field::kValue] + 5) % 128);
  auto [e2, p2] = to_tensors(ev);
  const int64_t T = e1.size(1);
  auto score = [&](const torch::Tensor& e, const torch::Tensor& p) {
    auto inp = e.slice(1, 0, T - 1), tgt = e.slice(1, 1, T);
    return net->score(net->hidden(inp, p.slice(1, 0, T - 1)), inp, tgt).field_logp.sum(-1)[0];   // [T-1]
  };
  auto a = score(e1, p1), b = score(e2, p2);
  // target t + 1 is predicted at input t: targets up to event 59 (inputs up to 58) are unchanged
  EXPECT_TRUE(torch::allclose(a.slice(0, 0, 59), b.slice(0, 0, 59), 1e-5, 1e-5));
  EXPECT_FALSE(torch::allclose(a.slice(0, 59), b.slice(0, 59), 1e-3, 1e-3));
}

}  // namespace
}  // namespace continuo::engine
