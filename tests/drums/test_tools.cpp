// The drum network's C++ forward pass, Groove and Drumify, the evaluation, and the shipped models.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <set>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "drums_test_util.hpp"
#include "test_support.hpp"

using namespace continuo;
using namespace continuo::drums;

namespace {

Net random_net(Task task, uint64_t seed = 1) {
  auto c = continuo::testing::small_config(task);
  return Net(c, continuo::testing::random_drum_weights(c, seed));
}

std::vector<float> random_input(int64_t T, int F, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> U(0, 1);
  std::vector<float> x(size_t(T * F));
  for (auto& v : x) v = U(rng) < 0.3f ? 1.f : 0.f;
  return x;
}

// A model from models/<name> of the source tree, if it is there.
std::optional<Net> shipped(const std::string& name) {
  try {
    return Net::load(model::find_model(name));
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

TEST(Net, RejectsMissingOrMisShapedTensors) {
  auto c = continuo::testing::small_config(Task::kGroove);
  auto w = continuo::testing::random_drum_weights(c, 1);
  w.erase("head.bias");
  EXPECT_THROW(Net(c, w), Error);
  auto w2 = continuo::testing::random_drum_weights(c, 1);
  w2["gru.1.bwd.weight_hh"].shape = {3, 3};
  EXPECT_THROW(Net(c, w2), Error);
}

TEST(Net, OutputsAreInRangeAndDeterministic) {
  Net n = random_net(Task::kGroove);
  const int F = n.config().features();
  auto x = random_input(12, F, 3);
  auto a = n.forward(x.data(), 12), b = n.forward(x.data(), 12);
  ASSERT_EQ(a.size(), size_t(12 * kOutputs));
  EXPECT_EQ(a, b);
  for (int64_t t = 0; t < 12; ++t)
    for (int c = 0; c < kClasses; ++c) {
      EXPECT_GT(a[size_t(t * kOutputs + kClasses + c)], 0.f);
      EXPECT_LT(a[size_t(t * kOutputs + kClasses + c)], 1.f);
      EXPECT_LE(std::abs(a[size_t(t * kOutputs + 2 * kClasses + c)]), 0.5f);
    }
  EXPECT_EQ(n.run(x, 12), a);   // shorter than a window: one pass
}

TEST(Net, BidirectionalContextReachesEveryStep) {
  // Changing the last step's input must change the first step's output (the backward GRU).
  Net n = random_net(Task::kGroove, 5);
  const int F = n.config().features();
  auto x = random_input(10, F, 4);
  auto a = n.forward(x.data(), 10);
  x[size_t(9 * F + 6)] = 1 - x[size_t(9 * F + 6)];
  auto b = n.forward(x.data(), 10);
  double diff = 0;
  for (int o = 0; o < kOutputs; ++o) diff += std::abs(a[size_t(o)] - b[size_t(o)]);
  EXPECT_GT(diff, 1e-6);
}

TEST(Net, LongInputsRunInWindowsThatAgreeInside) {
  Net n = random_net(Task::kGroove, 2);
  const int F = n.config().features(), W = n.config().window;
  auto x = random_input(5 * W + 3, F, 7);
  auto y = n.run(x, 5 * W + 3);
  ASSERT_EQ(y.size(), size_t((5 * W + 3) * kOutputs));
  // The first step is covered by the first window only.
  auto first = n.forward(x.data(), W);
  for (int o = 0; o < kOutputs; ++o) EXPECT_NEAR(y[size_t(o)], first[size_t(o)], 1e-5);
}

TEST(Groove, KeepsInstrumentsAndMetreAndStaysNearTheGrid) {
  Net n = random_net(Task::kGroove);
  score::Score in = continuo::testing::rock_beat(5, 7, 8);
  in.tempos.push_back({Ticks{480 * 7}, 400000});
  score::Score out = groove(n, in, GrooveOptions{});
  ASSERT_EQ(out.tracks.size(), 1u);
  EXPECT_EQ(out.tempos, in.tempos);
  EXPECT_EQ(out.time_signatures, in.time_signatures);
  EXPECT_EQ(out.ticks_per_beat, in.ticks_per_beat);
  const auto& a = in.tracks[0].notes;
  const auto& b = out.tracks[0].notes;
  ASSERT_EQ(a.size(), b.size());
  std::multiset<std::pair<int, int64_t>> pa, pb;   // (pitch, grid step) per note
  bool moved = false, loudness = false;
  for (const auto& x : a) pa.insert({x.pitch, x.start.count() / 120});
  for (const auto& x : b) {
    pb.insert({x.pitch, (x.start.count() + 60) / 120});
    EXPECT_EQ(x.duration.count(), 60);
    const int64_t off = x.start.count() - (x.start.count() + 60) / 120 * 120;
    EXPECT_LE(std::abs(off), 60);
    moved |= off != 0;
    loudness |= x.velocity != 100;
  }
  EXPECT_EQ(pa, pb);   // every hit keeps its instrument and its grid line
  EXPECT_TRUE(moved);
  EXPECT_TRUE(loudness);
  // A valid MIDI file that reads back the same.
  EXPECT_EQ(score::parse(score::serialize(out)), out);
}

TEST(Groove, StrengthZeroIsTheIdentity) {
  Net n = random_net(Task::kGroove);
  score::Score in = continuo::testing::rock_beat(2);
  GrooveOptions o;
  o.strength = 0;
  EXPECT_EQ(groove(n, in, o), in);
  o.strength = 3;
  EXPECT_THROW(groove(n, in, o), Error);
}

TEST(Groove, ClearErrors) {
  Net n = random_net(Task::kGroove);
  score::Score melody = continuo::testing::rock_beat(1);
  melody.tracks[0].is_drum = false;
  melody.tracks[0].channel = 0;
  try {
    groove(n, melody, GrooveOptions{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("channel 10"), std::string::npos) << e.what();
  }
  EXPECT_THROW(groove(n, score::Score{}, GrooveOptions{}), Error);
  EXPECT_THROW(groove(random_net(Task::kDrumify), continuo::testing::rock_beat(1), GrooveOptions{}), Error);
}

TEST(Drumify, WritesADrumTrackInTheInputsMetreAndIsSeeded) {
  Net n = random_net(Task::kDrumify);
  score::Score in = continuo::testing::rock_beat(4, 3, 4);
  in.tracks[0].is_drum = false;   // a "bass line" with the beat's rhythm
  in.tracks[0].channel = 1;
  in.tracks[0].program = 33;
  for (auto& x : in.tracks[0].notes) x.pitch = uint8_t(x.pitch + 4);
  DrumifyOptions o;
  o.variations = 3;
  o.temperature = 1.0;
  o.seed = 9;
  o.style = "funk";
  auto outs = drumify(n, in, o);
  ASSERT_EQ(outs.size(), 3u);
  for (const auto& s : outs) {
    ASSERT_EQ(s.tracks.size(), 2u);
    EXPECT_EQ(s.time_signatures, in.time_signatures);
    EXPECT_EQ(s.tempos, in.tempos);
    EXPECT_EQ(s.tracks[0], in.tracks[0]);
    EXPECT_TRUE(s.tracks[1].is_drum);
    EXPECT_EQ(s.tracks[1].channel, 9);
    EXPECT_FALSE(s.tracks[1].notes.empty());
    for (const auto& x : s.tracks[1].notes) EXPECT_GE(drum_class(x.pitch), 0);
    EXPECT_EQ(score::parse(score::serialize(s)), s);
  }
  EXPECT_NE(outs[0].tracks[1], outs[1].tracks[1]);
  EXPECT_EQ(drumify(n, in, o)[2], outs[2]);
  o.style = "polka";
  EXPECT_THROW(drumify(n, in, o), Error);
  o.style = "";
  EXPECT_THROW(drumify(n, score::Score{}, o), Error);
  o.tracks = {4};
  EXPECT_THROW(drumify(n, in, o), Error);
}

TEST(Eval, BaselinesAndPerfectScores) {
  // One "performance" whose snares are always 0.25 step late: the per-(class, step) average
  // baseline then has no timing error on a copy of it, and no change has 0.25 step of error.
  score::Score s = continuo::testing::rock_beat(4);
  for (auto& x : s.tracks[0].notes)
    if (x.pitch == 38) x.start += Ticks{30};
  GmdPiece p;
  p.score = s;
  p.grid = grid_from_drums(s);
  Net n = random_net(Task::kGroove);
  auto r = eval_groove(n, {p}, {p});
  EXPECT_EQ(r.pieces, 1u);
  EXPECT_EQ(r.hits, size_t(4 * (8 + 2 + 2)));
  EXPECT_NEAR(r.average_ms, 0, 1e-9);
  EXPECT_NEAR(r.average_vel, 0, 1e-9);
  EXPECT_NEAR(r.nochange_ms, 8 * 31.25 / 48, 1e-6);   // 8 of 48 hits 30 ticks (31.25 ms) late
  EXPECT_GT(r.model_ms, 0);

  Net d = random_net(Task::kDrumify);
  auto e = eval_drumify(d, {p}, {p});
  EXPECT_EQ(e.cells, size_t(64 * kClasses));
  EXPECT_EQ(e.true_hits, 48u);
  EXPECT_NEAR(e.prior_f1, 1.0, 1e-9);   // the prior of a single repeated bar is that bar
  EXPECT_GE(e.model_f1, 0);
  EXPECT_LE(e.model_f1, 1);
}

TEST(ShippedModels, GrooveHumanizesLikeADrummer) {
  auto m = shipped("groove");
  if (!m) GTEST_SKIP() << "models/groove not present";
  const Net& n = *m;
  score::Score in = continuo::testing::rock_beat(4);
  score::Score out = groove(n, in, GrooveOptions{});
  std::set<int> vel;
  double mean_abs_off = 0;
  for (const auto& x : out.tracks[0].notes) {
    vel.insert(x.velocity);
    const int64_t step = (x.start.count() + 60) / 120;
    mean_abs_off += std::abs(double(x.start.count() - step * 120));
  }
  mean_abs_off /= double(out.tracks[0].notes.size());
  EXPECT_GE(vel.size(), 5u);          // dynamics, not one velocity
  EXPECT_GT(mean_abs_off, 1.0);       // micro-timing of at least a few ms on average
  EXPECT_LT(mean_abs_off, 40.0);      // ... and still on the beat (a sixteenth is 120 ticks)
  // Kick and snare of a rock beat are played louder than the hi-hat on average.
  double hat = 0, back = 0;
  int nh = 0, nb = 0;
  for (const auto& x : out.tracks[0].notes)
    if (x.pitch == 42) hat += x.velocity, ++nh;
    else back += x.velocity, ++nb;
  EXPECT_GT(back / nb, hat / nh);
}

TEST(ShippedModels, DrumifyFollowsTheRhythm) {
  auto m = shipped("drumify");
  if (!m) GTEST_SKIP() << "models/drumify not present";
  const Net& n = *m;
  score::Score in = continuo::testing::rock_beat(4);
  in.tracks[0].is_drum = false;
  in.tracks[0].channel = 0;
  DrumifyOptions o;
  auto out = drumify(n, in, o);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].tracks.size(), 2u);
  const auto& d = out[0].tracks[1].notes;
  ASSERT_GE(d.size(), 16u);
  // Most drum hits fall on the eighth notes the part plays.
  int on = 0;
  for (const auto& x : d) on += ((x.start.count() + 60) / 120) % 2 == 0;
  EXPECT_GT(double(on) / double(d.size()), 0.8);
}
