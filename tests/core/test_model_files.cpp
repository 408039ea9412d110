// Model files: safetensors (round trips, every kind of corruption), config JSON, the tensor
// contract (check_weights) and the model registry.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>

#include "continuo/error.hpp"
#include "continuo/limits.hpp"
#include "continuo/midi.hpp"
#include "continuo/model.hpp"
#include "test_support.hpp"
#ifdef CONTINUO_HAVE_TORCH
#include "model/transformer.hpp"
#endif

namespace continuo::model {
namespace {
using testing::TempDir;
namespace fs = std::filesystem;

Weights sample_weights() {
  Weights w;
  w["a"] = {{2, 3}, {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, -7.0f}};
  w["b.weight"] = {{4}, {0.1f, 0.2f, 0.3f, 0.4f}};
  w["scalar"] = {{}, {42.0f}};
  w["empty"] = {{0, 5}, {}};
  return w;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
}

// A safetensors file from a header string and a data section.
std::string make_file(const std::string& header, const std::string& data, uint64_t header_len_override = 0) {
  uint64_t n = header_len_override ? header_len_override : header.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out + header + data;
}

void expect_corrupt(const std::string& path, const std::string& what) {
  try {
    load_safetensors(path);
    ADD_FAILURE() << what << ": loaded without an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << what << ": " << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << what << ": message must start with the path: " << e.what();
  }
}

TEST(Safetensors, RoundTripF32IsExact) {
  TempDir dir;
  const auto path = dir.file("w.safetensors");
  Weights w = sample_weights();
  save_safetensors(w, path, DType::kF32, {{"format", "pt"}, {"note", "test"}});
  Weights back = load_safetensors(path);
  ASSERT_EQ(back.size(), w.size());
  for (const auto& [name, t] : w) {
    EXPECT_EQ(back.at(name).shape, t.shape) << name;
    EXPECT_EQ(back.at(name).data, t.data) << name;
  }
  const std::string bytes = read_all(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[size_t(i)]);
  EXPECT_EQ((8 + n) % 8, 0u) << "the data section starts 8-byte aligned";
  EXPECT_NE(bytes.find("\"__metadata__\""), std::string::npos);
  EXPECT_NE(bytes.find("\"note\":\"test\""), std::string::npos);
}

TEST(Safetensors, RoundTripBf16RoundsToNearestEven) {
  TempDir dir;
  const auto path = dir.file("w.safetensors");
  auto from_bits = [](uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  };
  Weights w;
  w["t"] = {{6},
            {1.0f, from_bits(0x3F808000u) /* halfway: down to even 0x3F80 */,
             from_bits(0x3F818000u) /* halfway: up to even 0x3F82 */, from_bits(0x3F808001u) /* above halfway */,
             -3.140625f /* exact in bf16 */, 1e30f}};
  save_safetensors(w, path, DType::kBF16);
  EXPECT_NE(read_all(path).find("\"BF16\""), std::string::npos);
  const Weights loaded = load_safetensors(path);
  const Tensor& t = loaded.at("t");
  ASSERT_EQ(t.shape, std::vector<int64_t>{6});
  EXPECT_EQ(t.data[0], 1.0f);
  EXPECT_EQ(t.data[1], from_bits(0x3F800000u));
  EXPECT_EQ(t.data[2], from_bits(0x3F820000u));
  EXPECT_EQ(t.data[3], from_bits(0x3F810000u));
  EXPECT_EQ(t.data[4], -3.140625f);
  EXPECT_NEAR(t.data[5], 1e30f, 1e30f * 0.004f);

  Weights many = sample_weights();
  save_safetensors(many, path, DType::kBF16);
  Weights back = load_safetensors(path);
  for (const auto& [name, v] : many)
    for (size_t i = 0; i < v.data.size(); ++i)
      EXPECT_NEAR(back.at(name).data[i], v.data[i], std::abs(v.data[i]) / 256.0f) << name;
}

TEST(Safetensors, ReadsF16) {
  TempDir dir;
  const auto path = dir.file("h.safetensors");
  // 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal)
  const std::string data("\x00\x3c\x00\xc0\xff\x7b\x01\x00", 8);
  write_all(path, make_file(R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", data));
  const Weights loaded = load_safetensors(path);
  const Tensor& t = loaded.at("h");
  EXPECT_EQ(t.data, (std::vector<float>{1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f}));
}

TEST(Safetensors, CorruptFilesAreRejected) {
  TempDir dir;
  const auto good = dir.file("good.safetensors");
  save_safetensors(sample_weights(), good, DType::kF32);
  const std::string bytes = read_all(good);
  int i = 0;
  auto check = [&](const std::string& content, const std::string& what) {
    const auto path = dir.file("bad" + std::to_string(i++) + ".safetensors");
    write_all(path, content);
    expect_corrupt(path, what);
  };
  const std::string f32_entry = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string eight(8, '\0');

  check(bytes.substr(0, bytes.size() - 4), "truncated data");
  check(bytes.substr(0, 20), "truncated header");
  check(bytes.substr(0, 5), "shorter than the length field");
  check("", "empty file");
  check(make_file(f32_entry, eight, 1ull << 40), "huge header length");
  check(make_file(f32_entry, eight, f32_entry.size() + 100), "header length past the end");
  check(make_file(f32_entry, eight, 1), "header length too small");
  check(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", eight), "bad JSON (unclosed)");
  check(make_file(R"(not json at all)", eight), "bad JSON (garbage)");
  check(make_file(R"([1, 2, 3])", eight), "header not an object");
  check(make_file(R"({"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", eight), "wrong dtype I64");
  check(make_file(R"({"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", eight), "wrong dtype F64");
  check(make_file(R"({"x":{"dtype":3,"shape":[2],"data_offsets":[0,8]}})", eight), "dtype not a string");
  check(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", eight), "offsets past the end");
  check(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", eight), "offsets past the end (begin)");
  check(make_file(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight), "shape x dtype != bytes");
  check(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", std::string(16, '\0')), "end before begin");
  check(make_file(R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight), "negative shape");
  check(make_file(R"({"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", eight), "fractional shape");
  check(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", eight), "one offset");
  check(make_file(R"({"x":{"dtype":"F32","shape":[2]}})", eight), "no offsets");
  check(make_file(R"({"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", eight),
        "shape overflow");
  check(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                  std::string(12, '\0')),
        "overlapping tensors");
  check(make_file(R"({"x":5})", eight), "entry not an object");
  check(make_file(R"({"__metadata__":[1]})", eight), "metadata not an object");
  // after a 0 the product stayed 0 and any size passed: 2^64-1 became a shape entry of -1
  check(make_file(R"({"x":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}})", ""),
        "huge size after a zero");
  check(make_file(R"({"x":{"dtype":"F32","shape":[0,1099511627777],"data_offsets":[0,0]}})", ""),
        "size above 2^40 after a zero");
}

// parse_safetensors reads what safetensors_bytes makes, as load_safetensors reads the file; an
// empty F32 tensor (its vector's data() is null) reads and writes without a memcpy from or to
// null, which UBSan reported (tests/fuzz/seeds/fuzz_model_files/regression-empty_f32_tensor_memcpy_null).
TEST(Safetensors, ParsesFromMemoryLikeFromAFile) {
  TempDir dir;
  const Weights w = sample_weights();
  save_safetensors(w, dir.file("w.safetensors"), DType::kF32);
  const std::vector<uint8_t> bytes = safetensors_bytes(w, DType::kF32);
  const std::string file = read_all(dir.file("w.safetensors"));
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), file);
  const Weights a = parse_safetensors(bytes, "mem"), b = load_safetensors(dir.file("w.safetensors"));
  ASSERT_EQ(a.size(), w.size());
  for (const auto& [name, t] : w) {
    EXPECT_EQ(a.at(name).shape, t.shape) << name;
    EXPECT_EQ(a.at(name).data, t.data) << name;
    EXPECT_EQ(b.at(name).data, t.data) << name;
  }
  EXPECT_TRUE(a.at("empty").data.empty());
  try {
    parse_safetensors(std::span<const uint8_t>(bytes.data(), 5), "mem");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_EQ(std::string(e.what()).rfind("mem: ", 0), 0u) << e.what();
  }
}

TEST(Safetensors, MissingFileIsNotFound) {
  TempDir dir;
  try {
    load_safetensors(dir.file("nope.safetensors"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

// ---- config --------------------------------------------------------------------------------------

TEST(Config, RoundTrip) {
  TempDir dir;
  Config c;
  c.name = "tiny";
  c.d_model = 96;
  c.n_layers = 3;
  c.n_heads = 6;
  c.d_ff = 200;
  c.d_head = 40;
  c.max_len = 333;
  c.rope_theta = 5000.5;
  c.norm_eps = 1e-6;
  c.controls = false;
  c.description = "a \"quoted\" line";
  save_config(c, dir.file("config.json"));
  const std::string text = read_all(dir.file("config.json"));
  EXPECT_NE(text.find("\"format\": \"continuo-model-1\""), std::string::npos) << text;
  Config b = load_config(dir.file("config.json"));
  EXPECT_EQ(b.name, c.name);
  EXPECT_EQ(b.tokenizer, tokenizer::kVersion);
  EXPECT_EQ(b.d_model, 96);
  EXPECT_EQ(b.n_layers, 3);
  EXPECT_EQ(b.n_heads, 6);
  EXPECT_EQ(b.d_ff, 200);
  EXPECT_EQ(b.d_head, 40);
  EXPECT_EQ(b.max_len, 333);
  EXPECT_EQ(b.rope_theta, 5000.5);
  EXPECT_EQ(b.norm_eps, 1e-6);
  EXPECT_EQ(b.controls, false);
  EXPECT_EQ(b.description, c.description);
  EXPECT_EQ(config_to_json(b), config_to_json(c));
}

// copy_sources: written for copy models, read back; a copy model's config without it (saved
// before the fifth source existed) means the first four; out of range is refused.
TEST(Config, CopySources) {
  TempDir dir;
  Config c;
  c.copy_prior = true;
  c.copy_sources = tokenizer::kCopySources;
  save_config(c, dir.file("config.json"));
  EXPECT_EQ(load_config(dir.file("config.json")).copy_sources, tokenizer::kCopySources);
  std::string text = read_all(dir.file("config.json"));
  const auto at = text.find("  \"copy_sources\"");
  ASSERT_NE(at, std::string::npos) << text;
  std::string old = text;
  old.erase(at, text.find('\n', at) + 1 - at);
  write_all(dir.file("config.json"), old);
  EXPECT_EQ(load_config(dir.file("config.json")).copy_sources, 4);
  for (const std::string& bad : {std::string("0"), std::to_string(tokenizer::kCopySources + 1), std::string("\"5\"")}) {
    std::string t = text;
    const auto v = t.find(':', at) + 2;
    t.replace(v, t.find(',', v) - v, bad);
    write_all(dir.file("config.json"), t);
    EXPECT_THROW(load_config(dir.file("config.json")), Error) << bad;
  }
}

// key_anchor and copy_anchor: sampling defaults kept in config.json (absent: 0, the key prior as
// trained and no groove anchor).
TEST(Config, KeyAndCopyAnchor) {
  for (double Config::*field : {&Config::key_anchor, &Config::copy_anchor}) {
    const std::string key = field == &Config::key_anchor ? "key_anchor" : "copy_anchor";
    TempDir dir;
    Config c;
    save_config(c, dir.file("config.json"));
    EXPECT_EQ(read_all(dir.file("config.json")).find(key), std::string::npos);
    EXPECT_EQ(load_config(dir.file("config.json")).*field, 0.0);
    c.*field = 0.7;
    save_config(c, dir.file("config.json"));
    EXPECT_DOUBLE_EQ(load_config(dir.file("config.json")).*field, 0.7);
    EXPECT_EQ(load_config(dir.file("config.json")), c);
    const std::string text = read_all(dir.file("config.json"));
    const auto at = text.find("  \"" + key + "\"");
    ASSERT_NE(at, std::string::npos) << text;
    for (const std::string& bad : {std::string("-0.5"), std::string("1.5"), std::string("\"0.7\""), std::string("null")}) {
      std::string t = text;
      const auto v = t.find(':', at) + 2;
      t.replace(v, t.find(',', v) - v, bad);
      write_all(dir.file("config.json"), t);
      EXPECT_THROW(load_config(dir.file("config.json")), Error) << key << " " << bad;
    }
  }
}

// parse_config is load_config without the file; a parsed config written again reads back equal,
// copy_sources included when the config has no copy prior (it was left out, and read back as 4).
TEST(Config, ParsesTextAndRoundTripsEqual) {
  Config c;
  c.name = "x";
  c.copy_sources = 6;
  c.key_anchor = 0.25;
  c.description = "d";
  const std::string text = config_to_json(c);
  EXPECT_NE(text.find("\"copy_sources\": 6"), std::string::npos) << text;
  EXPECT_EQ(parse_config(text, "mem"), c);
  c.copy_prior = true;
  EXPECT_EQ(parse_config(config_to_json(c), "mem"), c);
  Config d;   // the default copy_sources stays out of configs without a copy prior
  EXPECT_EQ(config_to_json(d).find("copy_sources"), std::string::npos);
  EXPECT_EQ(parse_config(config_to_json(d), "mem"), d);
  try {
    parse_config("{", "mem");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_EQ(std::string(e.what()).rfind("mem: ", 0), 0u) << e.what();
  }
}

// max_len sizes the engine's tables before the first event: at most limits::kMaxModelContext.
TEST(Config, MaxLenIsLimited) {
  Config c;
  c.max_len = limits::kMaxModelContext;
  EXPECT_EQ(parse_config(config_to_json(c), "mem").max_len, limits::kMaxModelContext);
  c.max_len = limits::kMaxModelContext + 1;
  try {
    parse_config(config_to_json(c), "mem");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find("\"max_len\" must be at most 65536"), std::string::npos) << e.what();
  }
}

// check_config: what parse_config checks of the values, for configs made in code.
TEST(Config, CheckConfig) {
  EXPECT_NO_THROW(check_config(Config{}, "c"));
  auto refused = [](Config c) {
    try {
      check_config(c, "c");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
      EXPECT_EQ(std::string(e.what()).rfind("c: ", 0), 0u) << e.what();
      return true;
    }
    return false;
  };
  Config c;
  c.d_model = 0;
  EXPECT_TRUE(refused(c));
  c = {};
  c.n_heads = 3;
  EXPECT_TRUE(refused(c));
  c = {};
  c.rope_theta = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(refused(c));
  c = {};
  c.copy_sources = 0;
  EXPECT_TRUE(refused(c));
  c = {};
  c.key_anchor = 1.5;
  EXPECT_TRUE(refused(c));
  c = {};
  c.max_len = 1 << 24;
  EXPECT_TRUE(refused(c));
}

TEST(Config, RejectsOtherFormatsAndTokenizers) {
  TempDir dir;
  const auto path = dir.file("config.json");
  const std::string good = config_to_json(Config{});
  auto code_of = [&](const std::string& text) {
    write_all(path, text);
    try {
      load_config(path);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
      return e.code();
    }
    return ErrorCode::kInternal;   // loaded fine
  };
  auto replace = [&](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_EQ(code_of(good), ErrorCode::kInternal);
  EXPECT_EQ(code_of(replace(good, "continuo-model-1", "continuo-model-2")), ErrorCode::kUnsupported);
  EXPECT_EQ(code_of(replace(good, "\"format\"", "\"formats\"")), ErrorCode::kUnsupported);
  EXPECT_EQ(code_of(replace(good, tokenizer::kVersion, "continuo-events-0")), ErrorCode::kUnsupported);
  EXPECT_EQ(code_of("{ not json"), ErrorCode::kCorruptData);
  EXPECT_EQ(code_of("[]"), ErrorCode::kCorruptData);
  EXPECT_EQ(code_of(replace(good, "\"d_model\"", "\"d_modelx\"")), ErrorCode::kCorruptData);
  EXPECT_EQ(code_of(replace(good, "\"n_heads\": 8", "\"n_heads\": \"8\"")), ErrorCode::kCorruptData);
  EXPECT_EQ(code_of(replace(good, "\"n_heads\": 8", "\"n_heads\": 7")), ErrorCode::kCorruptData);
  EXPECT_EQ(code_of(replace(good, "\"n_layers\": 6", "\"n_layers\": 0")), ErrorCode::kCorruptData);
  try {
    load_config(dir.file("missing.json"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

// ---- check_weights -------------------------------------------------------------------------------

// A config may ask for up to 2^24 layers; check_weights listed every tensor such a config needs
// before looking at the first (about 150 million names: gigabytes and minutes, from a 300-byte
// config.json). Now it stops at the first missing one
// (tests/fuzz/seeds/fuzz_model_files/regression-check_weights_2p24_layers).
TEST(CheckWeights, HugeLayerCountFailsAtTheFirstMissingTensor) {
  Config c;
  c.n_layers = 1 << 24;
  c.d_model = 2;
  c.n_heads = 1;
  Weights w;
  for (int f = 0; f < tokenizer::kNumFields; ++f) {
    Tensor& t = w["model.embed_fields." + std::to_string(f) + ".weight"];
    t.shape = {tokenizer::kFieldSizes[size_t(f)], 2};
    t.data.resize(size_t(t.numel()));
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    check_weights(c, w);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find("'model.embed_beat_pos.weight'"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
}

#ifdef CONTINUO_HAVE_TORCH
// The reference network's own parameters are the oracle for the tensor contract.
TEST(CheckWeights, AcceptsTheReferenceNetworkAndCatchesMistakes) {
  Config c;
  c.d_model = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.d_ff = 48;
  c.d_head = 24;
  Transformer net(c);
  Weights w = export_weights(net);
  EXPECT_NO_THROW(check_weights(c, w));

  Weights missing = w;
  missing.erase("model.layers.1.mlp.up_proj.weight");
  try {
    check_weights(c, missing);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find("model.layers.1.mlp.up_proj.weight"), std::string::npos) << e.what();
  }
  Weights wrong = w;
  wrong["heads.3.out.weight"].shape = {592, 23};
  wrong["heads.3.out.weight"].data.resize(592 * 23);
  try {
    check_weights(c, wrong);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find("heads.3.out.weight"), std::string::npos) << e.what();
  }
  Config more = c;
  more.n_layers = 3;
  EXPECT_THROW(check_weights(more, w), Error);
}
#endif

// ---- registry ------------------------------------------------------------------------------------

class Registry : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("CONTINUO_MODELS");
    had_ = old != nullptr;
    if (old) old_ = old;
    for (const char* name : {"alpha", "beta"}) {
      fs::create_directories(dir_.path() / name);
      save_config(Config{}, (dir_.path() / name / "config.json").string());
      write_all((dir_.path() / name / "model.safetensors").string(), "x");
    }
    fs::create_directories(dir_.path() / "not_a_model");
    ::setenv("CONTINUO_MODELS", dir_.path().c_str(), 1);
  }
  void TearDown() override {
    if (had_) ::setenv("CONTINUO_MODELS", old_.c_str(), 1);
    else ::unsetenv("CONTINUO_MODELS");
  }
  TempDir dir_;
  bool had_ = false;
  std::string old_;
};

TEST_F(Registry, FindsByNameAndByPath) {
  ModelFiles m = find_model("beta");
  EXPECT_EQ(m.name, "beta");
  EXPECT_EQ(fs::path(m.config_path), dir_.path() / "beta" / "config.json");
  EXPECT_EQ(fs::path(m.weights_path), dir_.path() / "beta" / "model.safetensors");
  ModelFiles p = find_model((dir_.path() / "alpha").string() + "/");
  EXPECT_EQ(p.name, "alpha");
  EXPECT_TRUE(fs::exists(p.config_path));
  auto all = list_models();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0].name, "alpha");
  EXPECT_EQ(all[1].name, "beta");
}

TEST_F(Registry, MissingModelListsWhatExists) {
  try {
    find_model("gamma");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("model 'gamma' not found; available: alpha, beta"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir_.path().string()), std::string::npos) << msg;
  }
  try {
    find_model((dir_.path() / "not_a_model").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(find_model("./no/such/dir"), Error);
}

}  // namespace
}  // namespace continuo::model
