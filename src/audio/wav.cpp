// audio/wav.cpp: RIFF/WAVE files with 16-bit PCM, written and read (little-endian).
#include <cstring>
#include <string>

#include "continuo/audio.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"   // write_file_atomic

namespace continuo::audio {
namespace {

void put_u32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
}
void put_u16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(uint8_t(v));
  b.push_back(uint8_t(v >> 8));
}
void put_tag(std::vector<uint8_t>& b, const char* tag) { b.insert(b.end(), tag, tag + 4); }

uint32_t get_u32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
uint16_t get_u16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }

[[noreturn]] void corrupt(const std::string& what) { throw Error(ErrorCode::kCorruptData, "WAV: " + what); }

}  // namespace

std::vector<uint8_t> wav_bytes(const Audio& a) {
  if (a.channels < 1 || a.channels > 16) throw Error(ErrorCode::kInvalidArgument, "WAV: bad channel count");
  const uint64_t data_bytes = uint64_t(a.samples.size()) * 2;
  if (data_bytes > 0xFFFFFFFFull - 36) throw Error(ErrorCode::kUnsupported, "WAV: audio longer than 4 GB");
  std::vector<uint8_t> b;
  b.reserve(size_t(44 + data_bytes));
  put_tag(b, "RIFF");
  put_u32(b, uint32_t(36 + data_bytes));
  put_tag(b, "WAVE");
  put_tag(b, "fmt ");
  put_u32(b, 16);
  put_u16(b, 1);   // PCM
  put_u16(b, uint16_t(a.channels));
  put_u32(b, uint32_t(a.sample_rate));
  put_u32(b, uint32_t(a.sample_rate) * uint32_t(a.channels) * 2);   // bytes per second
  put_u16(b, uint16_t(a.channels * 2));                               // block align
  put_u16(b, 16);
  put_tag(b, "data");
  put_u32(b, uint32_t(data_bytes));
  for (int16_t s : a.samples) put_u16(b, uint16_t(s));
  return b;
}

void save_wav(const Audio& a, const std::string& path) { write_file_atomic(path, wav_bytes(a)); }

Audio parse_wav(std::span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  const size_t n = bytes.size();
  if (n < 12 || std::memcmp(p, "RIFF", 4) != 0 || std::memcmp(p + 8, "WAVE", 4) != 0) corrupt("not a RIFF/WAVE file");
  Audio a;
  bool have_fmt = false;
  size_t at = 12;
  while (at + 8 <= n) {
    const uint32_t size = get_u32(p + at + 4);
    const uint8_t* body = p + at + 8;
    if (size > n - at - 8) corrupt("chunk runs past the end of the file");
    if (std::memcmp(p + at, "fmt ", 4) == 0) {
      if (size < 16) corrupt("fmt chunk too short");
      if (get_u16(body) != 1 || get_u16(body + 14) != 16) corrupt("only 16-bit PCM is supported");
      a.channels = get_u16(body + 2);
      a.sample_rate = int(get_u32(body + 4));
      if (a.channels < 1) corrupt("no channels");
      have_fmt = true;
    } else if (std::memcmp(p + at, "data", 4) == 0) {
      if (!have_fmt) corrupt("data before fmt");
      a.samples.resize(size / 2);
      for (size_t i = 0; i < a.samples.size(); ++i) a.samples[i] = int16_t(get_u16(body + 2 * i));
      return a;
    }
    at += 8 + size + (size & 1);
  }
  corrupt("no data chunk");
}

}  // namespace continuo::audio
