// The training config reader (src/train/config.cpp): every config in configs/ reads and round
// trips; wrong types, out-of-range numbers and bad values are Error(kInvalidArgument) naming the
// file. The regression-* and refused-* inputs of tests/fuzz/seeds/fuzz_train_config/ are here too.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "continuo/error.hpp"
#include "continuo/model.hpp"
#include "continuo/train.hpp"

namespace continuo::train {
namespace {
namespace fs = std::filesystem;

// The error message of parsing `text`, "" if it parsed.
std::string error_of(const std::string& text) {
  try {
    parse_train_config(text, "t.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("t.json: ", 0), 0u) << e.what();
    return e.what();
  }
  return "";
}

std::string with(const std::string& keys) { return R"({"data_dir": "d", "out_dir": "o")" + keys + "}"; }

TEST(TrainConfig, EveryConfigReadsAndRoundTrips) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(CONTINUO_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".json") continue;
    ++n;
    const TrainConfig c = load_train_config(entry.path().string());
    EXPECT_NO_THROW(model::check_config(c.model, "model")) << entry.path();
    const std::string once = train_config_to_json(c);
    const TrainConfig again = parse_train_config(once, "again");
    EXPECT_EQ(train_config_to_json(again), once) << entry.path();
    EXPECT_EQ(again.model, c.model) << entry.path();
  }
  EXPECT_GT(n, 0);
}

TEST(TrainConfig, ReadsNumbersStrictly) {
  EXPECT_EQ(error_of(with("")), "");
  EXPECT_EQ(parse_train_config(with(R"(, "steps": 1e5)"), "t.json").steps, 100000);   // a whole number in float form
  EXPECT_EQ(parse_train_config(with(R"(, "seed": 18446744073709551615)"), "t.json").seed, UINT64_MAX);
  // nlohmann's get<int64_t>() of 1e25 was undefined behaviour (UBSan: outside the range of 'long')
  EXPECT_NE(error_of(with(R"(, "steps": 1e25)")).find("'steps' must be a whole number"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "batch": 2.5)")).find("'batch' must be a whole number"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "batch": 4294967312)")).find("'batch'"), std::string::npos);   // was read as 16
  EXPECT_NE(error_of(with(R"(, "seed": -1)")).find("'seed'"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "model": {"d_model": "256"})")).find("'model.d_model'"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "lr": "fast")")).find("'lr' must be a number"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "bf16": 1)")).find("'bf16' must be true or false"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "train_only": ["a", 1])")).find("'train_only'"), std::string::npos);
}

TEST(TrainConfig, RefusesWhatIsNotAConfig) {
  // a value that is not an object ended in an uncaught nlohmann::invalid_iterator
  for (const char* text : {"2", "\"x\"", "[1]", "null", "true"})
    EXPECT_NE(error_of(text).find("must be a JSON object"), std::string::npos) << text;
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "augment": 5)")).find("augment must be a JSON object"), std::string::npos);
  EXPECT_EQ(error_of(with(R"(, "augment": null)")), "");
  EXPECT_NE(error_of(with(R"(, "stpes": 1)")).find("unknown key 'stpes'"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "augment": {"x": 1})")).find("unknown augment key 'x'"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "model": {"x": 1})")).find("unknown model key 'x'"), std::string::npos);
  EXPECT_NE(error_of("{}").find("data_dir and out_dir are required"), std::string::npos);
}

TEST(TrainConfig, RefusesValuesTheTrainerCannotUse) {
  // the trainer evaluates when (step + 1) % eval_every == 0
  EXPECT_NE(error_of(with(R"(, "eval_every": 0)")).find("eval_every >= 1"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "eval_batches": 0)")).find("eval_batches >= 1"), std::string::npos);
  // the model section becomes the model's config.json, which load_config would refuse
  EXPECT_NE(error_of(with(R"(, "model": {"d_model": 0})")).find("t.json: model: \"d_model\""), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "model": {"n_heads": 3})")).find("multiple of 2 * n_heads"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "model": {"rope_theta": -1})")).find("rope_theta"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "model": {"max_len": 100000}, "seq_len": 512)")).find("max_len"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "model": {"copy_sources": 0})")).find("copy_sources"), std::string::npos);
  EXPECT_NE(error_of(with(R"(, "weights_dtype": "f16")")).find("weights_dtype"), std::string::npos);
}

TEST(TrainConfig, MissingFileIsNotFound) {
  try {
    load_train_config("/no/such/config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

}  // namespace
}  // namespace continuo::train
