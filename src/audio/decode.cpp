// audio/decode.cpp: audio files to mono float signals (libsndfile), and resampling (libsoxr).
#include <sndfile.h>
#include <soxr.h>

#include <cmath>
#include <cstring>
#include <string>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"   // read_file_bytes
#include "continuo/transcribe.hpp"

namespace continuo::audio {
namespace {

// libsndfile reads from memory through these callbacks.
struct MemoryFile {
  std::span<const uint8_t> bytes;
  sf_count_t at = 0;
};

sf_count_t mem_length(void* user) { return sf_count_t(static_cast<MemoryFile*>(user)->bytes.size()); }
sf_count_t mem_seek(sf_count_t offset, int whence, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  const sf_count_t size = sf_count_t(m->bytes.size());
  sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? m->at + offset : size + offset;
  if (to < 0 || to > size) return -1;
  m->at = to;
  return to;
}
sf_count_t mem_read(void* ptr, sf_count_t count, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  const sf_count_t n = std::min<sf_count_t>(count, sf_count_t(m->bytes.size()) - m->at);
  if (n <= 0) return 0;
  std::memcpy(ptr, m->bytes.data() + m->at, size_t(n));
  m->at += n;
  return n;
}
sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t mem_tell(void* user) { return static_cast<MemoryFile*>(user)->at; }

// An ID3v2 tag in front of MP3 data: "ID3", version, flags, then a 28-bit syncsafe size.
bool is_mpeg_sync(const uint8_t* p) { return p[0] == 0xFF && (p[1] & 0xE0) == 0xE0 && (p[1] & 0x06) != 0; }

uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

// libsndfile reads a RIFF/WAVE file whose data chunk is cut short as a shorter recording; a cut
// file is damaged, so say so. (RF64 and RIFX are left to libsndfile.)
void check_wav_not_truncated(std::span<const uint8_t> b, const std::string& name) {
  if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0) return;
  size_t at = 12;
  while (at + 8 <= b.size()) {
    const uint32_t size = le32(b.data() + at + 4);
    if (std::memcmp(b.data() + at, "data", 4) == 0) {
      if (size != 0xFFFFFFFFu && at + 8 + size > b.size())
        throw Error(ErrorCode::kCorruptData, name + ": truncated WAV (the data chunk holds " + std::to_string(size) +
                                                 " bytes, the file only " + std::to_string(b.size() - at - 8) + ")");
      return;
    }
    at += 8 + size + (size & 1);
  }
}

}  // namespace

std::string sniff_format(std::span<const uint8_t> h) {
  auto starts = [&](const char* tag, size_t at = 0) {
    const size_t n = std::strlen(tag);
    return h.size() >= at + n && std::memcmp(h.data() + at, tag, n) == 0;
  };
  if (starts("MThd")) return "midi";
  if ((starts("RIFF") || starts("RIFX") || starts("RF64")) && starts("WAVE", 8)) return "wav";
  if (starts("fLaC")) return "flac";
  if (starts("OggS")) return "ogg";
  if (starts("ID3") || (h.size() >= 2 && is_mpeg_sync(h.data()))) return "mp3";
  return "";
}

Signal decode(std::span<const uint8_t> bytes, const std::string& name, const DecodeLimits& limits) {
  if (bytes.empty()) throw Error(ErrorCode::kInvalidArgument, name + ": the file is empty");
  const std::string kind = sniff_format(bytes.first(std::min<size_t>(bytes.size(), 16)));
  if (kind.empty() || kind == "midi")
    throw Error(ErrorCode::kCorruptData, name + ": not an audio file (WAV, FLAC, Ogg/Opus or MP3 expected)");
  if (kind == "wav") check_wav_not_truncated(bytes, name);
  MemoryFile mf{bytes, 0};
  SF_VIRTUAL_IO io{mem_length, mem_seek, mem_read, mem_write, mem_tell};
  SF_INFO info{};
  SNDFILE* f = sf_open_virtual(&io, SFM_READ, &info, &mf);
  if (!f) throw Error(ErrorCode::kCorruptData, name + ": cannot decode the " + kind + " data (" + sf_strerror(nullptr) + ")");
  struct Closer {
    SNDFILE* f;
    ~Closer() { sf_close(f); }
  } closer{f};
  if (info.channels < 1 || info.channels > limits.max_channels)
    throw Error(ErrorCode::kUnsupported, name + ": " + std::to_string(info.channels) + " channels; at most " +
                                             std::to_string(limits.max_channels) + " are accepted");
  if (info.samplerate < limits.min_rate || info.samplerate > limits.max_rate)
    throw Error(ErrorCode::kUnsupported, name + ": sample rate " + std::to_string(info.samplerate) + " Hz is outside " +
                                             std::to_string(limits.min_rate) + ".." + std::to_string(limits.max_rate));
  // MP3 and some Ogg streams report no frame count: read in blocks, checking the limit as we go
  const int64_t max_frames = int64_t(std::ceil(limits.max_seconds * info.samplerate));
  Signal s;
  s.sample_rate = info.samplerate;
  std::vector<float> block(size_t(4096) * size_t(info.channels));
  for (;;) {
    const sf_count_t got = sf_readf_float(f, block.data(), 4096);
    if (got <= 0) break;
    for (sf_count_t k = 0; k < got; ++k) {
      float sum = 0;
      for (int c = 0; c < info.channels; ++c) sum += block[size_t(k * info.channels + c)];
      s.samples.push_back(sum / float(info.channels));
    }
    if (int64_t(s.samples.size()) > max_frames)
      throw Error(ErrorCode::kUnsupported, name + ": longer than the limit of " + std::to_string(int(limits.max_seconds)) + " s");
  }
  if (sf_error(f) != SF_ERR_NO_ERROR) throw Error(ErrorCode::kCorruptData, name + ": damaged audio data (" + sf_strerror(f) + ")");
  if (s.samples.empty()) throw Error(ErrorCode::kInvalidArgument, name + ": the recording has no samples");
  // MP3 and Ogg frame counts can be estimates; WAV and FLAC headers state them exactly
  const bool exact_count = kind == "wav" || kind == "flac";
  if (exact_count && info.frames > 0 && info.frames != SF_COUNT_MAX && int64_t(s.samples.size()) < info.frames)
    throw Error(ErrorCode::kCorruptData, name + ": truncated (" + std::to_string(s.samples.size()) + " of " +
                                             std::to_string(info.frames) + " frames)");
  for (float v : s.samples)
    if (!std::isfinite(v)) throw Error(ErrorCode::kCorruptData, name + ": samples that are not numbers");
  return s;
}

Signal decode_file(const std::string& path, const DecodeLimits& limits) {
  const std::vector<uint8_t> bytes = midi::read_file_bytes(path);
  return decode(bytes, path, limits);
}

Signal resample(const Signal& s, int rate) {
  if (rate <= 0 || s.sample_rate <= 0) throw Error(ErrorCode::kInvalidArgument, "resample: bad sample rate");
  if (rate == s.sample_rate) return s;
  const size_t out_len = size_t(std::ceil(double(s.samples.size()) * rate / s.sample_rate));
  Signal out;
  out.sample_rate = rate;
  out.samples.assign(out_len, 0.0f);
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  size_t done = 0;
  const soxr_error_t err = soxr_oneshot(s.sample_rate, rate, 1, s.samples.data(), s.samples.size(), nullptr,
                                        out.samples.data(), out_len, &done, &io, &q, nullptr);
  if (err) throw Error(ErrorCode::kInternal, std::string("resample: ") + err);
  return out;   // librosa pads or cuts to out_len; soxr's one-shot output is that long or shorter
}

}  // namespace continuo::audio
