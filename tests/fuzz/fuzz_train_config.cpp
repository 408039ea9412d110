// libFuzzer target for the training config (configs/*.json, `continuo train <config>`):
// train::parse_train_config, the in-memory half of load_train_config.
// Contract: a TrainConfig or a continuo::Error(kInvalidArgument) naming the file (never another
// exception, a crash or a sanitizer report). A parsed config's model section passes
// model::check_config (the trainer writes it as the model's config.json, which must load), and
// train_config_to_json of the config parses again to a config that writes the same JSON.
// Built by tests/fuzz/CMakeLists.txt with clang (src/train/config.cpp needs no libtorch); run by
// scripts/fuzz.sh.
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "continuo/error.hpp"
#include "continuo/model.hpp"
#include "continuo/train.hpp"

namespace {
using namespace continuo;

[[noreturn]] void bug(const char* what, const char* detail = "") {
  std::fprintf(stderr, "fuzz_train_config: %s %s\n", what, detail);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  train::TrainConfig c;
  try {
    c = train::parse_train_config(text, "train.json");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidArgument) bug("parse_train_config threw a non-kInvalidArgument error:", e.what());
    if (std::string_view(e.what()).rfind("train.json: ", 0) != 0) bug("an error message without the file name:", e.what());
    return 0;
  }
  try {
    model::check_config(c.model, "model");
  } catch (const Error& e) {
    bug("a parsed training config has a model section load_config would refuse:", e.what());
  }
  std::string once;
  try {
    once = train::train_config_to_json(c);
    const train::TrainConfig again = train::parse_train_config(once, "train.json (rewritten)");
    if (train::train_config_to_json(again) != once || !(again.model == c.model))
      bug("training config round trip changed the config:", once.c_str());
  } catch (const Error& e) {
    bug("the rewrite of a parsed training config failed to parse:", e.what());
  }
  return 0;
}
