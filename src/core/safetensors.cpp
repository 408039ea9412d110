// core/safetensors.cpp: the safetensors weight format (https://github.com/huggingface/safetensors).
//
// Layout: u64 little-endian header length N, N bytes of JSON (padded with spaces to a multiple of
// 8), then the raw little-endian tensor data. The header maps tensor names to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section) and may
// hold "__metadata__": {string: string}. Every check below turns bad bytes into kCorruptData.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"   // read_file_bytes, write_file_atomic
#include "continuo/model.hpp"

namespace continuo::model {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;   // as the reference implementation

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::kCorruptData, path + ": " + what);
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

float bf16_to_f32(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
  if (exp == 0x1f) {
    u = sign | 0x7f800000u | (man << 13);            // inf / nan
  } else if (exp != 0) {
    u = sign | ((exp + 112) << 23) | (man << 13);    // normal: rebias 15 -> 127
  } else if (man == 0) {
    u = sign;                                        // +-0
  } else {                                           // subnormal: normalise
    int e = -1;
    do {
      ++e;
      man <<= 1;
    } while ((man & 0x400) == 0);
    u = sign | (uint32_t(112 - e) << 23) | ((man & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Round to nearest, ties to even; NaN stays a (quiet) NaN.
uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

struct Entry {
  std::string name;
  int elem_size = 4;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& j) {
  Entry e;
  e.name = name;
  const std::string where = "tensor '" + name + "': ";
  if (!j.is_object()) corrupt(path, where + "header entry is not an object");
  auto dt = j.find("dtype"), sh = j.find("shape"), off = j.find("data_offsets");
  if (dt == j.end() || !dt->is_string()) corrupt(path, where + "missing or non-string 'dtype'");
  if (sh == j.end() || !sh->is_array()) corrupt(path, where + "missing or non-array 'shape'");
  if (off == j.end() || !off->is_array() || off->size() != 2) corrupt(path, where + "'data_offsets' must be [begin, end]");
  e.dtype = dt->get<std::string>();
  if (e.dtype == "F32") e.elem_size = 4;
  else if (e.dtype == "BF16" || e.dtype == "F16") e.elem_size = 2;
  else corrupt(path, where + "unsupported dtype '" + e.dtype + "' (expected F32, BF16 or F16)");
  uint64_t numel = 1;
  for (const auto& d : *sh) {
    if (!d.is_number_unsigned()) corrupt(path, where + "shape entries must be non-negative integers");
    uint64_t v = d.get<uint64_t>();
    // each size too, not only the product: after a 0 any size passed, and one of 2^63 or more
    // became a negative int64_t in Tensor::shape
    if (v > (uint64_t(1) << 40) || (v != 0 && numel > (uint64_t(1) << 40) / v)) corrupt(path, where + "shape is too large");
    numel *= v;
    e.shape.push_back(int64_t(v));
  }
  for (const auto& o : *off)
    if (!o.is_number_unsigned()) corrupt(path, where + "data_offsets must be non-negative integers");
  e.begin = (*off)[0].get<uint64_t>();
  e.end = (*off)[1].get<uint64_t>();
  if (e.end < e.begin) corrupt(path, where + "data_offsets end before they begin");
  if (e.end - e.begin != numel * uint64_t(e.elem_size))
    corrupt(path, where + "holds " + std::to_string(e.end - e.begin) + " bytes but its shape and dtype need " +
                      std::to_string(numel * uint64_t(e.elem_size)));
  return e;
}

}  // namespace

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Weights load_safetensors(const std::string& path) { return parse_safetensors(midi::read_file_bytes(path), path); }

Weights parse_safetensors(std::span<const uint8_t> bytes, const std::string& path) {
  if (bytes.size() < 8) corrupt(path, "too short for a safetensors file (" + std::to_string(bytes.size()) + " bytes)");
  const uint64_t header_len = read_u64_le(bytes.data());
  if (header_len < 2 || header_len > kMaxHeaderBytes)
    corrupt(path, "implausible header length " + std::to_string(header_len) + " (not a safetensors file?)");
  if (header_len > bytes.size() - 8)
    corrupt(path, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                      std::to_string(bytes.size()) + " bytes; truncated?)");
  const char* hdr = reinterpret_cast<const char*>(bytes.data() + 8);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(hdr, hdr + header_len);
  } catch (const nlohmann::json::exception& e) {
    corrupt(path, std::string("bad JSON header: ") + e.what());
  }
  if (!j.is_object()) corrupt(path, "the JSON header is not an object");

  const uint64_t data_begin = 8 + header_len, data_size = bytes.size() - data_begin;
  std::vector<Entry> entries;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) corrupt(path, "__metadata__ is not an object");
      continue;
    }
    Entry e = parse_entry(path, it.key(), it.value());
    if (e.end > data_size)
      corrupt(path, "tensor '" + e.name + "': data_offsets [" + std::to_string(e.begin) + ", " +
                        std::to_string(e.end) + ") run past the data section (" + std::to_string(data_size) +
                        " bytes; truncated?)");
    entries.push_back(std::move(e));
  }
  // no two tensors may share bytes
  std::vector<const Entry*> order;
  for (const auto& e : entries)
    if (e.end > e.begin) order.push_back(&e);   // empty tensors occupy no bytes
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->begin < order[i - 1]->end)
      corrupt(path, "tensors '" + order[i - 1]->name + "' and '" + order[i]->name + "' overlap");

  Weights w;
  for (const auto& e : entries) {
    Tensor t;
    t.shape = e.shape;
    const uint8_t* src = bytes.data() + data_begin + e.begin;
    const size_t n = size_t((e.end - e.begin) / uint64_t(e.elem_size));
    t.data.resize(n);
    if (e.dtype == "F32") {
      if (n > 0) std::memcpy(t.data.data(), src, n * 4);   // little-endian host (an empty vector's data() may be null)
    } else {
      for (size_t i = 0; i < n; ++i) {
        uint16_t h = uint16_t(src[2 * i] | (src[2 * i + 1] << 8));
        t.data[i] = e.dtype == "BF16" ? bf16_to_f32(h) : f16_to_f32(h);
      }
    }
    w.emplace(e.name, std::move(t));
  }
  return w;
}

void save_safetensors(const Weights& w, const std::string& path, DType dtype,
                      const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, std::span<const uint8_t>(safetensors_bytes(w, dtype, metadata)));
}

std::vector<uint8_t> safetensors_bytes(const Weights& w, DType dtype, const std::map<std::string, std::string>& metadata) {
  const int elem = dtype == DType::kF32 ? 4 : 2;
  nlohmann::json j = nlohmann::json::object();
  if (!metadata.empty()) j["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : w) {
    if (name == "__metadata__") throw Error(ErrorCode::kInvalidArgument, "a tensor may not be called __metadata__");
    if (t.numel() != int64_t(t.data.size()))
      throw Error(ErrorCode::kInvalidArgument, "tensor '" + name + "': shape does not match its data size");
    uint64_t nbytes = uint64_t(t.data.size()) * elem;
    j[name] = {{"dtype", dtype == DType::kF32 ? "F32" : "BF16"}, {"shape", t.shape}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string header = j.dump();
  header.append((8 - header.size() % 8) % 8, ' ');   // data section starts 8-byte aligned

  std::vector<uint8_t> out(8 + header.size() + offset);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(n >> (8 * i));
  std::memcpy(out.data() + 8, header.data(), header.size());
  uint8_t* dst = out.data() + 8 + header.size();
  for (const auto& [name, t] : w) {
    if (dtype == DType::kF32) {
      if (!t.data.empty()) std::memcpy(dst, t.data.data(), t.data.size() * 4);
      dst += t.data.size() * 4;
    } else {
      for (float f : t.data) {
        uint16_t h = f32_to_bf16(f);
        *dst++ = uint8_t(h & 0xff);
        *dst++ = uint8_t(h >> 8);
      }
    }
  }
  return out;
}

}  // namespace continuo::model
