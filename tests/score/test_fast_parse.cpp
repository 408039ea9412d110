// Differential tests of score/fast_parse.cpp against the reference path
// (midi::parse + from_midi): the same Score for every file the reference accepts, nullopt for
// every file it rejects (random files, then the same files with bytes flipped, cut or inserted).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"
#include "score/internal.hpp"
#include "score_builders.hpp"
#include "test_support.hpp"

namespace continuo::score {
namespace {

int accepted = 0, rejected = 0;

// Empty when both paths agree on `bytes`, else what differs.
std::string compare_paths(const std::vector<uint8_t>& bytes) {
  std::optional<Score> reference;
  try {
    reference = from_midi(midi::parse(bytes));
  } catch (const Error&) {
  }
  const std::optional<Score> fused = detail::parse_fused(bytes);
  (reference ? accepted : rejected) += 1;
  const bool riff = bytes.size() >= 4 && std::memcmp(bytes.data(), "RIFF", 4) == 0;
  if (riff) return fused ? "fused path took a RIFF file" : "";
  if (fused.has_value() != reference.has_value())
    return fused ? "fused path accepts what midi::parse rejects" : "fused path rejects a valid file";
  if (fused && (*fused != *reference || fused->source_format != reference->source_format ||
                fused->source_smpte != reference->source_smpte))
    return "different scores";
  return "";
}

TEST(FastParse, RandomAndMutatedFiles) {
  std::mt19937 rng(2024);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int i = 0; i < 400; ++i) {
    const std::vector<uint8_t> bytes = midi::serialize(testing::random_file(rng, 1 + i % 4));
    ASSERT_EQ(compare_paths(bytes), "") << "file " << i;
    for (int m = 0; m < 10; ++m) {
      std::vector<uint8_t> bad = bytes;
      switch (pick(0, 3)) {
        case 0:  // flip a few bytes (often a status or a length)
          for (int k = pick(1, 3); k > 0; --k) bad[size_t(pick(0, int(bad.size()) - 1))] = uint8_t(pick(0, 255));
          break;
        case 1:  // cut
          bad.resize(size_t(pick(0, int(bad.size()) - 1)));
          break;
        case 2:  // insert a byte
          bad.insert(bad.begin() + pick(0, int(bad.size())), uint8_t(pick(0, 255)));
          break;
        case 3:  // trailing junk
          for (int k = pick(1, 12); k > 0; --k) bad.push_back(uint8_t(pick(0, 255)));
          break;
      }
      ASSERT_EQ(compare_paths(bad), "") << "file " << i << " mutation " << m;
    }
  }
  // Both outcomes must have been exercised a good deal.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
  std::printf("%d accepted, %d rejected by both paths\n", accepted, rejected);
}

TEST(FastParse, RepositoryFiles) {
  const auto dir = continuo::testing::test_data_dir();
  for (const char* sub : {"midi", "corrupt"})
    for (const auto& path : continuo::testing::midi_files_under(dir / sub))
      EXPECT_EQ(compare_paths(midi::read_file_bytes(path.string())), "") << path;
}

TEST(FastParse, ParseUsesItAndFallsBackForErrors) {
  const Score s = testing::sample_score();
  const std::vector<uint8_t> bytes = serialize(s);
  EXPECT_TRUE(detail::parse_fused(bytes).has_value());
  EXPECT_EQ(parse(bytes), s);
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 30);
  EXPECT_FALSE(detail::parse_fused(cut).has_value());
  try {
    parse(cut, "cut.mid");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_EQ(std::string(e.what()).rfind("cut.mid: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace continuo::score
