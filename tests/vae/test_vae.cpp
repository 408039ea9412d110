// The clip VAEs (src/vae): clips from scores and back, chunking at bar lines, interpolation with the
// shipped models (ends reconstruct the inputs; the distance to A grows and to B shrinks step by
// step), clip generation, and the errors of bad inputs.
#include <gtest/gtest.h>

#include <iostream>

#include <filesystem>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/vae.hpp"

using namespace continuo;
using namespace continuo::vae;

namespace {

score::Score layout(int num, int den, uint32_t us = 500000, int tpb = 480) {
  score::Score s;
  s.ticks_per_beat = tpb;
  s.tempos.push_back({Ticks{0}, us});
  s.time_signatures.push_back({Ticks{0}, uint8_t(num), uint8_t(den)});
  return s;
}

// A melody: (step, length in steps, pitch) on a sixteenth grid.
score::Score melody(const std::vector<std::array<int, 3>>& notes, int num = 4, int den = 4, int tpb = 480) {
  score::Score s = layout(num, den, 500000, tpb);
  score::Track t;
  t.name = "Melody";
  t.program = 73;
  const int st = tpb / 4;
  for (auto [a, n, p] : notes) t.notes.push_back({Ticks{a * st}, Ticks{n * st}, uint8_t(p), 90});
  s.tracks.push_back(t);
  score::normalize(s);
  return s;
}

score::Score beat(const std::vector<std::pair<int, int>>& hits, int num = 4, int den = 4) {
  score::Score s = layout(num, den, 600000);
  score::Track t;
  t.channel = 9;
  t.is_drum = true;
  for (auto [a, p] : hits) t.notes.push_back({Ticks{a * 120}, Ticks{60}, uint8_t(p), 100});
  s.tracks.push_back(t);
  score::normalize(s);
  return s;
}

score::Score tune_a() {   // two bars, stepwise up in quarter and eighth notes
  return melody({{0, 4, 60}, {4, 4, 62}, {8, 4, 64}, {12, 4, 65}, {16, 2, 67}, {18, 2, 65}, {20, 2, 64},
                 {22, 2, 62}, {24, 8, 60}});
}
score::Score tune_b() {   // two bars, leaps in a dotted rhythm, another register
  return melody({{0, 6, 69}, {6, 2, 72}, {8, 6, 76}, {14, 2, 74}, {16, 4, 72}, {20, 4, 67}, {24, 4, 69},
                 {28, 4, 72}});
}
score::Score rock() {
  std::vector<std::pair<int, int>> h;
  for (int s = 0; s < 32; s += 2) h.push_back({s, 42});
  for (int s : {0, 8, 16, 24}) h.push_back({s, 36});
  for (int s : {4, 12, 20, 28}) h.push_back({s, 38});
  return beat(h);
}
score::Score busy() {   // a funk beat: sixteenth hi-hats, syncopated kick, ghost snares
  std::vector<std::pair<int, int>> h;
  for (int s = 0; s < 32; ++s) h.push_back({s, s == 14 || s == 30 ? 46 : 42});
  for (int s : {0, 6, 10, 16, 22, 26}) h.push_back({s, 36});
  for (int s : {4, 7, 12, 20, 23, 28}) h.push_back({s, 38});
  return beat(h);
}

bool have(const char* name) {
  return std::filesystem::exists(std::string(CONTINUO_SOURCE_DIR) + "/models/" + name + "/model.safetensors");
}

}  // namespace

TEST(VaeClips, MelodyTokensAndRoundTrip) {
  const auto s = tune_a();
  const auto clips = melody_clips(s, melody_track(s));
  ASSERT_EQ(clips.size(), 1u);
  const auto& v = clips[0].v;
  EXPECT_EQ(clips[0].shift, 0);
  EXPECT_EQ(v[0], 2 + 60 - kLow);
  EXPECT_EQ(v[1], kHold);
  EXPECT_EQ(v[4], 2 + 62 - kLow);
  EXPECT_EQ(v[31], kHold);
  const auto back = clips_to_score(clips, s, chunks(s), melody_track(s));
  EXPECT_EQ(back.tracks.at(0).notes, s.tracks[0].notes);
  EXPECT_EQ(back.tracks[0].program, 73);
  EXPECT_EQ(back.tempos, s.tempos);
  EXPECT_EQ(back.time_signatures, s.time_signatures);
}

TEST(VaeClips, MelodyOctaveShiftAndRests) {
  // high notes are moved down by octaves into the clip range and back when written
  const auto s = melody({{2, 2, 96}, {8, 4, 100}, {20, 1, 91}}, 4, 4, 96);
  const auto clips = melody_clips(s, 0);
  EXPECT_EQ(clips[0].shift % 12, 0);
  EXPECT_LT(clips[0].shift, 0);
  EXPECT_EQ(clips[0].v[0], kRest);
  EXPECT_EQ(clips[0].v[4], kRest);
  const auto back = clips_to_score(clips, s, chunks(s), 0);
  EXPECT_EQ(back.tracks.at(0).notes, s.tracks[0].notes);
}

TEST(VaeClips, DrumsRoundTrip) {
  const auto s = rock();
  const auto clips = drum_clips(s);
  ASSERT_EQ(clips.size(), 1u);
  int hits = 0;
  for (int x : clips[0].v) hits += x;
  EXPECT_EQ(hits, 16 + 4 + 4);
  EXPECT_EQ(clips[0].v[0 * 9 + 0], 1);   // kick on 1
  EXPECT_EQ(clips[0].v[4 * 9 + 1], 1);   // snare on 2
  const auto back = clips_to_score(clips, s, chunks(s));
  EXPECT_EQ(drum_clips(back)[0].v, clips[0].v);
  EXPECT_TRUE(back.tracks.at(0).is_drum);
  EXPECT_EQ(kind_of(s), Kind::kDrums);
  EXPECT_EQ(kind_of(tune_a()), Kind::kMelody);
}

TEST(VaeClips, ChunksFollowTheMetre) {
  // 4/4: five bars -> three chunks of two bars (the last one padded)
  auto c = chunks(melody({{0, 4, 60}, {64, 4, 62}}));
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].steps, 32);
  EXPECT_EQ(c[2].first_step, 64);
  EXPECT_EQ(c[2].steps, 32);
  // 3/4: bars of 12 steps, two per chunk
  c = chunks(melody({{0, 4, 60}, {40, 4, 62}}, 3, 4));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].steps, 24);
  EXPECT_EQ(c[1].first_step, 24);
  // 5/4: a bar of 20 steps, one per chunk
  c = chunks(melody({{0, 4, 60}, {25, 4, 62}}, 5, 4));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].steps, 20);
}

TEST(VaeSlerp, EndsAndNorm) {
  std::vector<float> a = {1, 0, 0}, b = {0, 2, 0};
  EXPECT_EQ(slerp(a, b, 0), a);
  const auto e = slerp(a, b, 1);
  EXPECT_NEAR(e[1], 2, 1e-5);
  const auto m = slerp(a, b, 0.5);
  EXPECT_NEAR(m[0], m[1] / 2, 1e-5);
}

namespace {

// The interpolation property on scores: outputs valid MIDI in A's tempo and metre, first ~ A,
// last ~ B, the distance to A never shrinks and to B never grows, and they do change.
// `close`: the most steps (melody, of 32) or cells (drums, of 288) an end may differ from its
// input. The shipped melody model brings both tunes back exactly (0 of 32 steps wrong; the
// bound allows 2); the drum bound is looser (docs/TOOLS.md has the held-out numbers).
void check_path(const Vae& net, const score::Score& a, const score::Score& b, int steps, int close) {
  InterpolateOptions o;
  o.steps = steps;
  const auto outs = interpolate(net, a, b, o);
  ASSERT_EQ(int(outs.size()), steps);
  const bool mel = net.config().kind == Kind::kMelody;
  auto clips_of = [&](const score::Score& s) { return mel ? melody_clips(s, melody_track(s)) : drum_clips(s); };
  const auto ca = clips_of(a), cb = clips_of(b);
  std::vector<int> da, db;
  for (const auto& s : outs) {
    const auto back = score::parse(score::serialize(s));   // a valid MIDI file
    EXPECT_EQ(back.tempos, a.tempos);
    EXPECT_EQ(back.time_signatures, a.time_signatures);
    EXPECT_EQ(back.ticks_per_beat, a.ticks_per_beat);
    const auto c = clips_of(back);
    ASSERT_EQ(c.size(), 1u);
    da.push_back(distance(c[0], ca[0]));
    db.push_back(distance(c[0], cb[0]));
  }
  std::string trace;
  for (int i = 0; i < steps; ++i) trace += " (" + std::to_string(da[size_t(i)]) + "," + std::to_string(db[size_t(i)]) + ")";
  SCOPED_TRACE("distances to A, B:" + trace);
  std::cout << "[ " << kind_name(net.config().kind) << " ] distances to A, B:" << trace << "\n";
  EXPECT_LE(da.front(), close);   // the ends reconstruct A and B
  EXPECT_LE(db.back(), close);
  EXPECT_LT(da.front(), db.front());   // ... and are nearer their own input than the other
  EXPECT_LT(db.back(), da.back());
  for (int i = 1; i < steps; ++i) {
    EXPECT_GE(da[size_t(i)], da[size_t(i - 1)]);
    EXPECT_LE(db[size_t(i)], db[size_t(i - 1)]);
  }
  EXPECT_GT(da.back(), da.front());
  EXPECT_LT(db.back(), db.front());
}

}  // namespace

TEST(VaeInterpolate, MelodyPathMovesFromAToB) {
  if (!have("melody-vae")) GTEST_SKIP() << "models/melody-vae missing";
  const auto net = Vae::load(model::find_model("melody-vae"));
  check_path(net, tune_a(), tune_b(), 5, 2);
  check_path(net, tune_b(), tune_a(), 7, 2);
}

TEST(VaeInterpolate, DrumPathMovesFromAToB) {
  if (!have("drums-vae")) GTEST_SKIP() << "models/drums-vae missing";
  const auto net = Vae::load(model::find_model("drums-vae"));
  check_path(net, rock(), busy(), 5, 18);
}

TEST(VaeInterpolate, LongerInputsInChunks) {
  if (!have("melody-vae")) GTEST_SKIP() << "models/melody-vae missing";
  const auto net = Vae::load(model::find_model("melody-vae"));
  auto a = tune_a();
  auto b = tune_b();
  // a: 4 bars (tune twice); b: 2 bars -> 2 chunks, b's repeated
  auto a2 = a;
  for (auto n : a.tracks[0].notes) n.start = Ticks{n.start.count() + 8 * 480}, a2.tracks[0].notes.push_back(n);
  score::normalize(a2);
  InterpolateOptions o;
  o.steps = 3;
  const auto outs = interpolate(net, a2, b, o);
  ASSERT_EQ(outs.size(), 3u);
  for (const auto& s : outs) EXPECT_LE(score::end_tick(s).count(), 16 * 480);
  EXPECT_GT(score::end_tick(outs[0]).count(), 8 * 480);
}

TEST(VaeInterpolate, BadInputs) {
  if (!have("melody-vae")) GTEST_SKIP() << "models/melody-vae missing";
  const auto net = Vae::load(model::find_model("melody-vae"));
  InterpolateOptions o;
  auto code = [&](const score::Score& a, const score::Score& b) {
    try {
      interpolate(net, a, b, o);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::kInternal;
  };
  EXPECT_EQ(code(tune_a(), melody({{0, 4, 60}}, 3, 4)), ErrorCode::kInvalidArgument);   // metre
  EXPECT_EQ(code(tune_a(), rock()), ErrorCode::kInvalidArgument);                      // kinds
  EXPECT_EQ(code(tune_a(), layout(4, 4)), ErrorCode::kInvalidArgument);                // no notes
  EXPECT_EQ(code(rock(), rock()), ErrorCode::kInvalidArgument);                        // model kind
  o.steps = 1;
  EXPECT_EQ(code(tune_a(), tune_b()), ErrorCode::kInvalidArgument);
}

TEST(VaeGenerate, ClipsOfTheAskedLength) {
  for (const char* name : {"melody-vae", "drums-vae"}) {
    if (!have(name)) continue;
    const auto net = Vae::load(model::find_model(name));
    GenerateClipOptions o;
    o.bars = 3;
    o.variations = 2;
    o.seed = 5;
    const auto outs = generate_clips(net, o);
    ASSERT_EQ(outs.size(), 2u);
    for (const auto& s : outs) {
      ASSERT_EQ(s.tracks.size(), 1u);
      EXPECT_FALSE(s.tracks[0].notes.empty()) << name;
      EXPECT_LE(score::end_tick(s).count(), 3 * 4 * 480) << name;
      for (const auto& n : s.tracks[0].notes) EXPECT_LT(n.start.count(), 3 * 4 * 480) << name;
    }
    EXPECT_NE(outs[0].tracks[0].notes, outs[1].tracks[0].notes) << name;
  }
}
