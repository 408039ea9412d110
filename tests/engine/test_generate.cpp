// generate(): argmax at temperature 0, seeds, batch independence, grammar and user constraints,
// the stop callback, the sliding window; the sampler on its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <random>

#include "continuo/error.hpp"
#include "engine/sampler.hpp"
#include "engine_test_util.hpp"
#include "test_support.hpp"

namespace continuo::engine {
namespace {
using namespace engine::testing;
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;
using tokenizer::kNumFields;

struct Fixture {
  model::Config cfg;
  Model m;
};

Fixture& fixture(int max_len) {
  static std::map<int, Fixture> cache;
  auto it = cache.find(max_len);
  if (it == cache.end()) {
    auto cfg = small_config(max_len);
    auto net = make_net(cfg, 11);
    it = cache.emplace(max_len, Fixture{cfg, Model::from_weights(cfg, model::export_weights(net))}).first;
  }
  return it->second;
}

std::vector<Event> prompt(size_t n) {
  auto ev = example_events();
  ev.resize(n);
  return ev;
}

// Every event is allowed by the grammar, field by field (as Tokenizer::decode validates).
void expect_grammatical(const std::vector<Event>& seq) {
  tokenizer::Grammar g;
  for (size_t i = 0; i < seq.size(); ++i) {
    Event partial;
    for (int f = 0; f < kNumFields; ++f) {
      auto mask = g.allowed(Field(f), partial);
      ASSERT_LT(seq[i].f[size_t(f)], mask.size());
      ASSERT_TRUE(mask[seq[i].f[size_t(f)]]) << "event " << i << " field " << f << ": "
                                             << tokenizer::Tokenizer::describe(seq[i]);
      partial.f[size_t(f)] = seq[i].f[size_t(f)];
    }
    g.feed(seq[i]);
  }
}

std::vector<Event> joined(const std::vector<Event>& a, const std::vector<Event>& b) {
  auto out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

TEST(Generate, TemperatureZeroIsArgmax) {
  auto& fx = fixture(96);
  const auto p = prompt(30);
  SampleOptions opt;
  opt.temperature = 0;
  opt.events = 40;
  opt.variations = 2;
  auto outs = generate(fx.m, p, opt);
  ASSERT_EQ(outs.size(), 2u);
  for (const auto& out : outs) {
    ASSERT_EQ(out.size(), 40u);
    // replay: every used field is the argmax of its masked logits
    Session s(fx.m, 1);
    s.prefill(p, tokenizer::Tokenizer::positions(p));
    tokenizer::Grammar g;
    tokenizer::PositionTracker tr;
    for (const auto& e : p) {
      tr.next(e);
      g.feed(e);
    }
    for (const Event& e : out) {
      Event partial;
      for (int f = 0; f < kNumFields; ++f) {
        if (!g.fields_used(partial.kind(), Field(f))) {
          EXPECT_EQ(e.f[size_t(f)], 0);
          continue;
        }
        auto logits = s.field_logits(0, Field(f), partial);
        auto mask = g.allowed(Field(f), partial);
        if (f == 0) mask[size_t(Kind::kEos)] = 0;   // allow_eos = false
        int best = -1;
        for (size_t i = 0; i < logits.size(); ++i)
          if (mask[i] && (best < 0 || logits[i] > logits[size_t(best)])) best = int(i);
        ASSERT_EQ(int(e.f[size_t(f)]), best) << "field " << f;
        partial.f[size_t(f)] = e.f[size_t(f)];
      }
      g.feed(e);
      ASSERT_TRUE(s.step({e}, {tr.next(e)}));
    }
  }
  EXPECT_EQ(outs[0], outs[1]) << "greedy decoding does not depend on the variation";
  opt.temperature = 1.0f;
  opt.top_k = 1;
  EXPECT_EQ(generate(fx.m, p, opt), outs) << "top_k = 1 is greedy";
}

TEST(Generate, SameSeedSameOutputAtAnyBatchSize) {
  auto& fx = fixture(96);
  const auto p = prompt(25);
  SampleOptions opt;
  opt.events = 30;
  opt.variations = 3;
  opt.seed = 7;
  opt.temperature = 1.0f;
  auto a = generate(fx.m, p, opt);
  auto b = generate(fx.m, p, opt);
  EXPECT_EQ(a, b);
  EXPECT_NE(a[0], a[1]) << "variations differ";
  opt.seed = 8;
  EXPECT_NE(generate(fx.m, p, opt), a) << "seeds differ";
  opt.seed = 7;
  opt.variations = 1;
  auto one = generate(fx.m, p, opt);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], a[0]) << "variation 0 is the same alone or in a batch of 3";
  opt.variations = 2;
  auto two = generate(fx.m, p, opt);
  EXPECT_EQ(two[1], a[1]);
}

// SampleOptions::known reaches a future_context model's network, through the prompt, each step
// and the sliding window (max_len 64, 90 events); zero future weights or a model without the
// input ignore it.
TEST(Generate, TheKnownFutureReachesOnlyAFutureModel) {
  auto cfg = small_config(64);
  cfg.future_context = true;
  auto net = make_net(cfg, 12);
  auto w = model::export_weights(net);
  std::mt19937_64 r(3);
  std::normal_distribution<float> nd(0, 2);
  for (float& x : w.at("model.embed_future_context.weight").data) x = nd(r);
  const Model future = Model::from_weights(cfg, w);
  for (float& x : w.at("model.embed_future_context.weight").data) x = 0;
  const Model zero = Model::from_weights(cfg, w);
  auto& plain = fixture(64);
  const auto p = prompt(40);
  SampleOptions opt;
  opt.events = 90;
  opt.variations = 2;
  opt.seed = 5;
  auto none = generate(future, p, opt);
  for (int i = 0; i < 64; ++i) opt.known.push_back({int64_t(i) * 48, uint8_t(40 + (i * 7) % 40), i % 5 == 0});
  auto knowing = generate(future, p, opt);
  EXPECT_NE(knowing, none);
  for (const auto& v : knowing) expect_grammatical(joined(p, v));
  SampleOptions blind = opt;
  blind.known.clear();
  EXPECT_EQ(generate(zero, p, opt), generate(zero, p, blind));
  auto plain_knowing = generate(plain.m, p, opt);
  opt.known.clear();
  EXPECT_EQ(plain_knowing, generate(plain.m, p, opt));
}

TEST(Generate, OutputIsGrammaticalAndDecodes) {
  auto& fx = fixture(96);
  const auto p = prompt(20);
  SampleOptions opt;
  opt.events = 60;
  opt.variations = 3;
  opt.temperature = 1.3f;
  opt.top_p = 1.0f;
  opt.seed = 3;
  tokenizer::Tokenizer tok;
  for (const auto& out : generate(fx.m, p, opt)) {
    const auto seq = joined(p, out);
    expect_grammatical(seq);
    score::Score s = tok.decode(seq);
    const auto bytes = score::serialize(s);
    ASSERT_GT(bytes.size(), 14u);
    score::Score back = score::parse(bytes);
    size_t notes = 0, back_notes = 0;
    for (const auto& t : s.tracks) notes += t.notes.size();
    for (const auto& t : back.tracks) back_notes += t.notes.size();
    EXPECT_EQ(notes, back_notes);
  }
}

TEST(Generate, Constraints) {
  auto& fx = fixture(96);
  const auto p = prompt(20);
  SampleOptions opt;
  opt.events = 150;
  opt.variations = 2;
  opt.temperature = 1.5f;
  opt.top_p = 1.0f;
  auto count = [](const std::vector<std::vector<Event>>& outs, Kind k) {
    size_t n = 0;
    for (const auto& o : outs) n += size_t(std::count_if(o.begin(), o.end(), [&](const Event& e) { return e.kind() == k; }));
    return n;
  };
  auto free = generate(fx.m, p, opt);
  ASSERT_GT(count(free, Kind::kControl) + count(free, Kind::kTempo) + count(free, Kind::kTimeSig), 0u)
      << "the random model should produce some of the kinds the constraints forbid";
  EXPECT_EQ(count(free, Kind::kEos), 0u);
  opt.allow_controls = false;
  opt.allow_tempo_changes = false;
  opt.allow_timesig_changes = false;
  opt.forbid_tracks = {0, 2};
  auto constrained = generate(fx.m, p, opt);
  EXPECT_EQ(count(constrained, Kind::kControl), 0u);
  EXPECT_EQ(count(constrained, Kind::kTempo), 0u);
  EXPECT_EQ(count(constrained, Kind::kTimeSig), 0u);
  for (const auto& o : constrained) {
    expect_grammatical(joined(p, o));
    for (const auto& e : o)
      if (e.kind() == Kind::kNote) {
        EXPECT_TRUE(e[Field::kTrack] == 1 || e[Field::kTrack] == 3);
      }
  }
  // EOS allowed: a variation may end early, and then EOS is its last event
  opt = SampleOptions{};
  opt.allow_eos = true;
  opt.events = 200;
  opt.variations = 4;
  opt.temperature = 2.0f;
  for (const auto& o : generate(fx.m, p, opt)) {
    for (size_t i = 0; i + 1 < o.size(); ++i) EXPECT_NE(o[i].kind(), Kind::kEos);
    EXPECT_TRUE(o.size() == 200 || o.back().kind() == Kind::kEos);
  }
}

TEST(Generate, CallbackSeesEveryEventAndCanStop) {
  auto& fx = fixture(96);
  const auto p = prompt(20);
  SampleOptions opt;
  opt.events = 50;
  opt.variations = 3;
  std::vector<std::vector<Event>> seen(3);
  auto outs = generate(fx.m, p, opt, [&](int v, const Event& e) {
    seen[size_t(v)].push_back(e);
    return true;
  });
  EXPECT_EQ(seen, outs);
  int calls = 0;
  auto stopped = generate(fx.m, p, opt, [&](int, const Event&) { return ++calls < 7; });
  EXPECT_EQ(calls, 7);
  size_t total = 0;
  for (const auto& o : stopped) total += o.size();
  EXPECT_EQ(total, 7u);
  EXPECT_EQ(stopped[0].size(), 3u);   // events come round-robin: v0 v1 v2 v0 v1 v2 v0
  EXPECT_EQ(stopped[0], std::vector<Event>(outs[0].begin(), outs[0].begin() + 3));
}

TEST(Generate, SlidingWindow) {
  auto& fx = fixture(32);
  SampleOptions opt;
  opt.events = 100;
  opt.variations = 2;
  opt.seed = 5;
  for (size_t n : {size_t(20), size_t(50)}) {   // a prompt shorter and one longer than the context
    const auto p = prompt(n);
    auto outs = generate(fx.m, p, opt);
    for (const auto& o : outs) {
      EXPECT_EQ(o.size(), 100u);
      expect_grammatical(joined(p, o));
    }
    EXPECT_EQ(generate(fx.m, p, opt), outs);
  }
}

TEST(Generate, BadArguments) {
  auto& fx = fixture(96);
  SampleOptions opt;
  EXPECT_THROW(generate(fx.m, {}, opt), Error);
  EXPECT_THROW(generate(fx.m, {prompt(5)[1]}, opt), Error);
  opt.top_p = 0;
  EXPECT_THROW(generate(fx.m, prompt(5), opt), Error);
  opt = SampleOptions{};
  opt.variations = 0;
  EXPECT_THROW(generate(fx.m, prompt(5), opt), Error);
  opt = SampleOptions{};
  opt.key_strength = -1;
  EXPECT_THROW(generate(fx.m, prompt(5), opt), Error);
  opt.key_strength = std::nanf("");
  EXPECT_THROW(generate(fx.m, prompt(5), opt), Error);
  // the variation anchor: a strength in [0, 1], a stretch that starts in the prompt, one flag per
  // variation
  opt = SampleOptions{};
  opt.vary_strength = 1.5f;
  EXPECT_THROW(generate(fx.m, prompt(5), opt), Error);
  opt = SampleOptions{};
  opt.vary_span = 96;
  EXPECT_THROW(generate(fx.m, prompt(5), opt), Error) << "a stretch needs its start";
  opt = SampleOptions{};
  opt.variations = 2;
  opt.varied = {1};
  EXPECT_THROW(generate(fx.m, prompt(5), opt), Error);
  opt = SampleOptions{};
  opt.events = 0;
  EXPECT_EQ(generate(fx.m, prompt(5), opt), std::vector<std::vector<Event>>(1));
}

// The share of the pitched notes that 4 variations add after `prompt`, at key strength
// `strength`, whose pitch class is marked in `in_key`; expects at least `min_notes` of them.
double share_in_key(const Model& m, const std::vector<Event>& prompt, int events, uint64_t seed, float strength,
                    const std::array<bool, 12>& in_key, int min_notes, float temperature = 1.0f) {
  tokenizer::Grammar g;
  for (const Event& e : prompt) g.feed(e);
  SampleOptions opt;
  opt.events = events;
  opt.variations = 4;
  opt.seed = seed;
  opt.key_strength = strength;
  opt.temperature = temperature;
  int in = 0, all = 0;
  for (const auto& v : generate(m, prompt, opt))
    for (const Event& e : v)
      if (e.kind() == Kind::kNote && !g.is_drum(e[Field::kTrack])) in += in_key[e[Field::kValue] % 12], ++all;
  EXPECT_GT(all, min_notes);
  return double(in) / std::max(all, 1);
}

// The pitch classes a prompt's pitched notes use (at least half the uniform share, as
// key_strength counts them); the example must leave some out for the key tests to mean anything.
std::array<bool, 12> pitch_classes_used(const std::vector<Event>& p) {
  tokenizer::Grammar g;
  for (const Event& e : p) g.feed(e);
  std::array<int, 12> count{};
  int total = 0;
  for (const Event& e : p)
    if (e.kind() == Kind::kNote && !g.is_drum(e[Field::kTrack])) ++count[e[Field::kValue] % 12], ++total;
  EXPECT_GT(total, 10);
  std::array<bool, 12> used{};
  int n_used = 0;
  for (int i = 0; i < 12; ++i) n_used += used[size_t(i)] = count[size_t(i)] * 24 >= total;
  EXPECT_LT(n_used, 10) << "the example should not use (nearly) every pitch class";
  return used;
}

// key_strength keeps new pitched notes on the prompt's pitch classes (a random-weight model on
// its own spreads them over all twelve); drum notes are left alone.
TEST(Generate, KeyStrengthKeepsThePromptsPitchClasses) {
  auto& fx = fixture(96);
  const auto p = prompt(60);
  const std::array<bool, 12> used = pitch_classes_used(p);
  const double off = share_in_key(fx.m, p, 200, 3, 0, used, 50), on = share_in_key(fx.m, p, 200, 3, 4, used, 50);
  std::cout << "[ key ] pitched notes on the prompt's pitch classes: " << off << " (model alone), " << on
            << " (key strength 4)\n";
  EXPECT_GT(on, 0.95);
  EXPECT_GT(on, off + 0.1);
  // the strength holds at any temperature (it is not flattened with the network's logits):
  // strength 1 holds unused classes 50x back, at temperature 3 too
  const double hot_off = share_in_key(fx.m, p, 200, 3, 0, used, 50, 3.0f),
               hot_on = share_in_key(fx.m, p, 200, 3, 1, used, 50, 3.0f);
  std::cout << "[ key ] at temperature 3: " << hot_off << " (model alone), " << hot_on << " (key strength 1)\n";
  EXPECT_GT(hot_on, 0.95);
}

// A model's own key prior is used when sampling: the same random-weight model with a strong
// prior on the recent pitch classes (A[long][0] = 4) keeps to the prompt's pitch classes.
TEST(Generate, KeyPriorOfTheModelIsSampledFrom) {
  const auto cfg = small_config(96, true, true);
  auto net = make_net(cfg, 11);
  auto w = model::export_weights(net);
  for (float& x : w.at("heads.key_prior").data) x = 0;
  const Model plain = Model::from_weights(cfg, w);
  w.at("heads.key_prior").data[12] = 4.0f;
  const Model keyed = Model::from_weights(cfg, w);
  const auto p = prompt(60);
  const std::array<bool, 12> used = pitch_classes_used(p);
  const double off = share_in_key(plain, p, 200, 3, 0, used, 50), on = share_in_key(keyed, p, 200, 3, 0, used, 50);
  std::cout << "[ key prior ] pitched notes on the prompt's pitch classes: " << off << " (prior 0), " << on
            << " (prior 4)\n";
  EXPECT_GT(on, 0.9);
  EXPECT_GT(on, off + 0.1);
}

// The key anchor: a key prior that reads only the recent notes feeds on the model's own notes (a
// strong "more of the same" prior, A[long][0] = 2, drifts onto a few pitch classes); read from
// the prompt as a whole (key_anchor 1) it keeps the continuation's pitch classes near the
// prompt's. Out-of-range values are refused.
std::array<double, 12> pitch_class_shares(const std::vector<Event>& prompt, const std::vector<Event>& seq) {
  tokenizer::Grammar g;
  for (const Event& e : prompt) g.feed(e);
  std::array<double, 12> share{};
  double n = 0;
  for (const Event& e : seq)
    if (e.kind() == Kind::kNote && !g.is_drum(e[Field::kTrack])) share[size_t(e[Field::kValue] % 12)] += 1, n += 1;
  for (double& x : share) x /= std::max(n, 1.0);
  return share;
}

TEST(Generate, KeyAnchorKeepsThePromptsPitchClassBalance) {
  const auto cfg = small_config(96, true, true);
  auto net = make_net(cfg, 11);
  auto w = model::export_weights(net);
  for (float& x : w.at("heads.key_prior").data) x = 0;
  w.at("heads.key_prior").data[12] = 2.0f;
  const Model keyed = Model::from_weights(cfg, w);
  const auto p = prompt(60);
  const auto target = pitch_class_shares(p, p);
  auto distance = [&](float anchor) {
    SampleOptions opt;
    opt.events = 300;
    opt.variations = 4;
    opt.seed = 5;
    opt.key_anchor = anchor;
    double l1 = 0;
    for (const auto& v : generate(keyed, p, opt)) {
      const auto got = pitch_class_shares(p, v);
      for (int i = 0; i < 12; ++i) l1 += std::abs(got[size_t(i)] - target[size_t(i)]) / 4;
    }
    return l1;
  };
  const double live = distance(0.0f), anchored = distance(1.0f);
  std::cout << "[ key anchor ] pitch-class distance to the prompt: " << live << " (anchor 0), " << anchored << " (anchor 1)\n";
  EXPECT_LT(anchored, 0.8 * live);
  SampleOptions bad;
  bad.key_anchor = 1.5f;
  EXPECT_THROW(generate(keyed, p, bad), Error);
  // negative: the model's own choice (model::Config::key_anchor)
  auto cfg1 = cfg;
  cfg1.key_anchor = 1;
  const Model own = Model::from_weights(cfg1, w);
  SampleOptions a, b;
  a.events = b.events = 120;
  a.key_anchor = -1;
  b.key_anchor = 1;
  EXPECT_EQ(generate(own, p, a), generate(keyed, p, b));
  EXPECT_NE(generate(keyed, p, a), generate(keyed, p, b));
}

// Without notes in the prompt, key_strength keeps to the scale of the header's key signature.
TEST(Generate, KeyStrengthFollowsTheAskedKeyWithoutAPrompt) {
  auto& fx = fixture(96);
  using continuo::testing::event;
  // F# major (6 sharps): F# G# A# B C# D# E#
  const std::vector<Event> header = {
      event(Kind::kBos, 0, 0, 0), event(Kind::kKeySig, 0, 0, tokenizer::kKeyBase + tokenizer::key_to_class(6, false)),
      event(Kind::kTrack, 0, 0, tokenizer::kProgramBase + 0)};
  std::array<bool, 12> scale{};
  for (int pc : {6, 8, 10, 11, 1, 3, 5}) scale[size_t(pc)] = true;
  const double off = share_in_key(fx.m, header, 150, 5, 0, scale, 30), on = share_in_key(fx.m, header, 150, 5, 4, scale, 30);
  std::cout << "[ key ] notes in the asked F# major scale: " << off << " (model alone), " << on << " (key strength 4)\n";
  EXPECT_GT(on, 0.95);
  EXPECT_GT(on, off + 0.1);
}

// ---- the sampler ----------------------------------------------------------------------------------

TEST(Sampler, MaskTopKTopP) {
  const std::vector<float> logits = {0.0f, 3.0f, 1.0f, 2.0f, 5.0f};
  std::vector<uint8_t> mask = {1, 1, 1, 1, 0};
  std::vector<std::pair<float, int>> scratch;
  std::mt19937_64 rng(1);
  EXPECT_EQ(sample(logits.data(), mask.data(), 5, {0.0f, 0, 1.0f}, rng, scratch), 1);
  std::vector<int> hist(5);
  for (int i = 0; i < 4000; ++i) ++hist[size_t(sample(logits.data(), mask.data(), 5, {1.0f, 2, 1.0f}, rng, scratch))];
  EXPECT_EQ(hist[0] + hist[2] + hist[4], 0);
  EXPECT_NEAR(double(hist[1]) / 4000, std::exp(3.0) / (std::exp(3.0) + std::exp(2.0)), 0.03);
  // top_p 0.5: the top value alone holds > 50%
  for (int i = 0; i < 200; ++i) EXPECT_EQ(sample(logits.data(), mask.data(), 5, {1.0f, 0, 0.5f}, rng, scratch), 1);
  std::vector<uint8_t> none(5, 0);
  EXPECT_EQ(sample(logits.data(), none.data(), 5, {1.0f, 0, 1.0f}, rng, scratch), -1);
  EXPECT_NE(variation_seed(7, 0), variation_seed(7, 1));
  EXPECT_NE(variation_seed(7, 0), variation_seed(8, 0));
}

}  // namespace
}  // namespace continuo::engine
