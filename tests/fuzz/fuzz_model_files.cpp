// libFuzzer target for the files of a model folder, which `-m <folder>` and a training config's
// init_from point at: config.json (model::parse_config) and model.safetensors
// (model::parse_safetensors), the in-memory halves of load_config and load_safetensors.
//
// The first byte of an input chooses what the rest is (the seeds in seeds/fuzz_model_files/ start
// with a letter for it):
//   byte % 3 == 0 ('c', 'f', ...): a config.json;
//   byte % 3 == 1 ('s', ...):      a safetensors file;
//   byte % 3 == 2 ('b', ...):      both: the config's text up to the first NUL byte, the
//                                  safetensors bytes after it; model::check_weights when both parse.
// Contract: each parser gives a result or throws continuo::Error (never another exception, a crash,
// a sanitizer report, a huge allocation: scripts/fuzz.sh caps memory at 2 GB). A parsed config
// passes check_config, and config_to_json of it parses again to an equal config. Parsed weights
// have shapes of non-negative sizes matching their data, and safetensors_bytes of them (F32) parse
// again to the same bits. check_weights gives nothing or a continuo::Error.
// Built by tests/fuzz/CMakeLists.txt with clang; run by scripts/fuzz.sh.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "continuo/error.hpp"
#include "continuo/model.hpp"

namespace {
using namespace continuo;

[[noreturn]] void bug(const char* what, const char* detail = "") {
  std::fprintf(stderr, "fuzz_model_files: %s %s\n", what, detail);
  __builtin_trap();
}

std::optional<model::Config> fuzz_config(std::string_view text) {
  model::Config c;
  try {
    c = model::parse_config(text, "config.json");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kCorruptData && e.code() != ErrorCode::kUnsupported)
      bug("parse_config threw an unexpected error code:", e.what());
    if (std::string_view(e.what()).rfind("config.json: ", 0) != 0) bug("an error message without the file name:", e.what());
    return std::nullopt;
  }
  try {
    model::check_config(c, "config.json");
    const std::string again = model::config_to_json(c);
    if (!(model::parse_config(again, "config.json (rewritten)") == c)) bug("config round trip changed the config:", again.c_str());
  } catch (const Error& e) {
    bug("a parsed config failed check_config or its rewrite failed to parse:", e.what());
  }
  return c;
}

bool same_bits(const model::Tensor& a, const model::Tensor& b) {
  return a.shape == b.shape && a.data.size() == b.data.size() &&
         (a.data.empty() || std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0);
}

std::optional<model::Weights> fuzz_safetensors(std::span<const uint8_t> bytes) {
  model::Weights w;
  try {
    w = model::parse_safetensors(bytes, "model.safetensors");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kCorruptData) bug("parse_safetensors threw a non-kCorruptData error:", e.what());
    return std::nullopt;
  }
  size_t values = 0;
  for (const auto& [name, t] : w) {
    for (int64_t d : t.shape)
      if (d < 0) bug("a tensor with a negative size:", name.c_str());
    if (t.numel() != int64_t(t.data.size())) bug("a tensor whose data does not match its shape:", name.c_str());
    values += t.data.size();
  }
  // every value came from at least two bytes of the file
  if (values > bytes.size() / 2) bug("more values than the file holds");
  try {
    const std::vector<uint8_t> again = model::safetensors_bytes(w, model::DType::kF32);
    const model::Weights w2 = model::parse_safetensors(again, "model.safetensors (rewritten)");
    if (w2.size() != w.size()) bug("safetensors round trip changed the tensor count");
    for (auto a = w.cbegin(), b = w2.cbegin(); a != w.cend(); ++a, ++b)
      if (a->first != b->first || !same_bits(a->second, b->second)) bug("safetensors round trip changed", a->first.c_str());
  } catch (const Error& e) {
    bug("rewriting parsed weights failed:", e.what());
  }
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> rest(data + 1, size - 1);
  const auto text = [](std::span<const uint8_t> b) { return std::string_view(reinterpret_cast<const char*>(b.data()), b.size()); };
  switch (data[0] % 3) {
    case 0:
      fuzz_config(text(rest));
      break;
    case 1:
      fuzz_safetensors(rest);
      break;
    default: {
      const auto nul = std::find(rest.begin(), rest.end(), uint8_t(0));
      const size_t cut = size_t(nul - rest.begin());
      auto cfg = fuzz_config(text(rest.first(cut)));
      auto w = fuzz_safetensors(cut < rest.size() ? rest.subspan(cut + 1) : std::span<const uint8_t>());
      if (cfg && w) {
        try {
          model::check_weights(*cfg, *w);
        } catch (const Error& e) {
          if (e.code() != ErrorCode::kCorruptData) bug("check_weights threw a non-kCorruptData error:", e.what());
        }
      }
    }
  }
  return 0;
}
