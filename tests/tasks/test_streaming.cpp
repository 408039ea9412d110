// Streaming hooks used by the studio: tasks::continue_score / generate_score report every event
// through `on_event`, and SampleOptions::stop_variation stops one variation while the others go on.
#include <gtest/gtest.h>

#include <random>

#include "continuo/engine.hpp"
#include "continuo/tasks.hpp"
#include "random_model.hpp"

namespace continuo {
namespace {
using testing::random_model;
using tokenizer::kFieldSizes;
using tokenizer::kNumFields;

score::Score example() { return score::load(std::string(CONTINUO_SOURCE_DIR) + "/examples/example.mid"); }

TEST(Streaming, ContinueReportsEveryEventAndKeepsTheResult) {
  const auto m = random_model();
  tasks::ContinueOptions opt;
  opt.sampling.events = 60;
  opt.sampling.variations = 2;
  opt.sampling.seed = 9;
  std::vector<std::vector<tokenizer::Event>> seen(2), raw;
  auto outs = tasks::continue_score(m, example(), opt, {}, &raw, [&](int v, const tokenizer::Event& e) {
    seen[size_t(v)].push_back(e);
    return true;
  });
  EXPECT_EQ(seen, raw);
  EXPECT_EQ(raw[0].size(), 60u);
  // the hook changes nothing: same seed without it gives the same scores
  auto plain = tasks::continue_score(m, example(), opt);
  ASSERT_EQ(plain.size(), outs.size());
  EXPECT_TRUE(plain[0] == outs[0]);
  EXPECT_TRUE(plain[1] == outs[1]);
}

TEST(Streaming, ProgressAndEventHooksTogether) {
  const auto m = random_model();
  tasks::ContinueOptions opt;
  opt.sampling.events = 30;
  int progress_calls = 0, event_calls = 0;
  tasks::continue_score(m, example(), opt, [&](int, int n) { progress_calls = n; return true; }, nullptr,
                        [&](int, const tokenizer::Event&) { ++event_calls; return event_calls < 10; });
  EXPECT_EQ(event_calls, 10);       // false from the hook stops generation
  EXPECT_EQ(progress_calls, 10);
}

TEST(Streaming, StopOneVariationOthersGoOn) {
  const auto m = random_model();
  tasks::ContinueOptions opt;
  opt.sampling.events = 80;
  opt.sampling.variations = 3;
  opt.sampling.seed = 4;
  std::vector<int> count(3, 0);
  opt.sampling.stop_variation = [&](int v) { return v == 1 && count[1] >= 7; };
  std::vector<std::vector<tokenizer::Event>> raw;
  tasks::continue_score(m, example(), opt, {}, &raw, [&](int v, const tokenizer::Event&) {
    ++count[size_t(v)];
    return true;
  });
  ASSERT_EQ(raw.size(), 3u);
  EXPECT_EQ(raw[0].size(), 80u);
  EXPECT_EQ(raw[1].size(), 7u);     // what it made before the stop, nothing after
  EXPECT_EQ(raw[2].size(), 80u);
  // the other variations are the ones an unstopped run makes
  tasks::ContinueOptions plain = opt;
  plain.sampling.stop_variation = nullptr;
  std::vector<std::vector<tokenizer::Event>> raw2;
  tasks::continue_score(m, example(), plain, {}, &raw2);
  EXPECT_EQ(raw[0], raw2[0]);
  EXPECT_EQ(raw[2], raw2[2]);
  EXPECT_TRUE(std::equal(raw[1].begin(), raw[1].end(), raw2[1].begin()));
}

TEST(Streaming, GenerateReportsEvents) {
  const auto m = random_model();
  tasks::GenerateOptions opt;
  opt.sampling.events = 25;
  opt.conditioning.instruments = {{0, false}};
  int calls = 0;
  auto outs = tasks::generate_score(m, opt, {}, [&](int, const tokenizer::Event&) { ++calls; return true; });
  EXPECT_EQ(calls, 25);
  EXPECT_EQ(outs.size(), 1u);
}

// A prompt with huge silences (fifty notes 2^28-1 ticks apart at 1 tick per beat: a 573-byte
// file that used to become billions of WAIT events) is continued at once: the model sees the
// silences shortened (limits::kMaxSilenceSteps), the output keeps the prompt as it was and puts
// the continuation after its end in the file's own time.
TEST(Limits, HugeSilencesInAPrompt) {
  const auto m = random_model();
  score::Score s;
  s.ticks_per_beat = 1;
  score::Track t;
  const int64_t gap = (int64_t(1) << 28) - 1;
  for (int i = 0; i < 50; ++i) t.notes.push_back({Ticks{i * gap}, Ticks{1}, uint8_t(60 + i % 12), 90});
  s.tracks.push_back(t);
  tasks::ContinueOptions opt;
  opt.sampling.events = 40;
  opt.sampling.seed = 3;
  const auto outs = tasks::continue_score(m, s, opt);
  ASSERT_EQ(outs.size(), 1u);
  const auto& o = outs[0];
  // the prompt's notes are all there at their own times (ticks rescaled to the output's)
  const double scale = double(o.ticks_per_beat) / s.ticks_per_beat;
  size_t found = 0;
  int64_t last_new = -1;
  for (const auto& tr : o.tracks)
    for (const auto& n : tr.notes) {
      bool from_prompt = false;
      for (const auto& p : t.notes)
        from_prompt = from_prompt || (int64_t(double(p.start.count()) * scale) == n.start.count() && p.pitch == n.pitch);
      if (from_prompt) ++found;
      else {
        EXPECT_GE(n.start.count(), int64_t(double(49 * gap) * scale)) << "a new note inside the prompt";
        last_new = std::max(last_new, n.start.count());
      }
    }
  EXPECT_EQ(found, 50u);
}

}  // namespace
}  // namespace continuo
