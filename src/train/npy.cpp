// Minimal numpy .npy reader/writer (format 1.0, little-endian, C order) for token shards.
#include <cstring>
#include <fstream>
#include <sstream>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/train.hpp"

namespace continuo::train {
namespace {

std::vector<uint8_t> npy_bytes(const char* descr, const void* data, size_t bytes, const std::vector<int64_t>& shape) {
  std::ostringstream dict;
  dict << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) dict << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  dict << "), }";
  std::string header = dict.str();
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::vector<uint8_t> out;
  out.reserve(10 + header.size() + bytes);
  const char magic[] = "\x93NUMPY\x01\x00";
  out.insert(out.end(), magic, magic + 8);
  uint16_t hl = static_cast<uint16_t>(header.size());
  out.push_back(hl & 0xFF);
  out.push_back(hl >> 8);
  out.insert(out.end(), header.begin(), header.end());
  auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + bytes);
  return out;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::kNotFound, path + ": cannot open (build the dataset first)");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Parses the header; returns the data offset, fills descr and shape.
size_t parse_header(const std::string& b, const std::string& path, std::string* descr, std::vector<int64_t>* shape) {
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0)
    throw Error(ErrorCode::kCorruptData, path + ": not a .npy file");
  size_t hl = uint8_t(b[8]) | (size_t(uint8_t(b[9])) << 8);
  if (10 + hl > b.size()) throw Error(ErrorCode::kCorruptData, path + ": truncated .npy header");
  std::string h = b.substr(10, hl);
  auto d = h.find("'descr': '");
  auto s = h.find("'shape': (");
  if (d == std::string::npos || s == std::string::npos || h.find("'fortran_order': False") == std::string::npos)
    throw Error(ErrorCode::kCorruptData, path + ": unsupported .npy header");
  *descr = h.substr(d + 10, h.find('\'', d + 10) - (d + 10));
  shape->clear();
  size_t i = s + 10;
  while (i < h.size() && h[i] != ')') {
    if (std::isdigit(uint8_t(h[i]))) {
      size_t j = i;
      while (j < h.size() && std::isdigit(uint8_t(h[j]))) ++j;
      shape->push_back(std::stoll(h.substr(i, j - i)));
      i = j;
    } else {
      ++i;
    }
  }
  return 10 + hl;
}

template <class T>
std::vector<T> read_npy(const std::string& path, const char* want, std::vector<int64_t>* shape_out) {
  std::string b = read_all(path);
  std::string descr;
  std::vector<int64_t> shape;
  size_t off = parse_header(b, path, &descr, &shape);
  if (descr != want) throw Error(ErrorCode::kCorruptData, path + ": expected dtype " + want + ", found " + descr);
  int64_t n = 1;
  for (auto s : shape) n *= s;
  if (off + size_t(n) * sizeof(T) != b.size()) throw Error(ErrorCode::kCorruptData, path + ": size does not match shape");
  std::vector<T> out(n);
  std::memcpy(out.data(), b.data() + off, n * sizeof(T));
  if (shape_out) *shape_out = shape;
  return out;
}

}  // namespace

void write_npy_u16(const std::string& path, const std::vector<uint16_t>& data, const std::vector<int64_t>& shape) {
  auto b = npy_bytes("<u2", data.data(), data.size() * 2, shape);
  write_file_atomic(path, b);
}

void write_npy_i64(const std::string& path, const std::vector<int64_t>& data) {
  auto b = npy_bytes("<i8", data.data(), data.size() * 8, {int64_t(data.size())});
  write_file_atomic(path, b);
}

std::vector<uint16_t> read_npy_u16(const std::string& path, std::vector<int64_t>* shape) {
  return read_npy<uint16_t>(path, "<u2", shape);
}

std::vector<int64_t> read_npy_i64(const std::string& path) { return read_npy<int64_t>(path, "<i8", nullptr); }

}  // namespace continuo::train
