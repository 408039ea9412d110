// studio/audio_encode.cpp: see audio_encode.hpp.
#include "studio/audio_encode.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "continuo/error.hpp"

namespace continuo::studio {
namespace {

// A growing byte buffer behind libsndfile's virtual I/O (FLAC seeks back to finish its header).
struct MemoryFile {
  std::vector<uint8_t> bytes;
  sf_count_t pos = 0;

  static sf_count_t length(void* user) { return sf_count_t(static_cast<MemoryFile*>(user)->bytes.size()); }
  static sf_count_t seek(sf_count_t offset, int whence, void* user) {
    auto* m = static_cast<MemoryFile*>(user);
    sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? m->pos + offset : sf_count_t(m->bytes.size()) + offset;
    if (to < 0) return -1;
    m->pos = to;
    return to;
  }
  static sf_count_t read(void* ptr, sf_count_t count, void* user) {
    auto* m = static_cast<MemoryFile*>(user);
    const sf_count_t size = sf_count_t(m->bytes.size());
    const sf_count_t n = std::max<sf_count_t>(0, std::min(count, size - m->pos));
    if (n > 0) std::memcpy(ptr, m->bytes.data() + m->pos, size_t(n));
    m->pos += n;
    return n;
  }
  static sf_count_t write(const void* ptr, sf_count_t count, void* user) {
    auto* m = static_cast<MemoryFile*>(user);
    if (count <= 0) return 0;
    const size_t end = size_t(m->pos + count);
    if (end > m->bytes.size()) m->bytes.resize(end);
    std::memcpy(m->bytes.data() + m->pos, ptr, size_t(count));
    m->pos += count;
    return count;
  }
  static sf_count_t tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }
};

}  // namespace

std::optional<AudioFormat> parse_audio_format(std::string_view name) {
  if (name == "wav") return AudioFormat::kWav;
  if (name == "flac") return AudioFormat::kFlac;
  if (name == "ogg") return AudioFormat::kOgg;
  return std::nullopt;
}

const char* audio_format_name(AudioFormat f) {
  switch (f) {
    case AudioFormat::kFlac: return "flac";
    case AudioFormat::kOgg: return "ogg";
    default: return "wav";
  }
}

const char* audio_format_mime(AudioFormat f) {
  switch (f) {
    case AudioFormat::kFlac: return "audio/flac";
    case AudioFormat::kOgg: return "audio/ogg";
    default: return "audio/wav";
  }
}

std::vector<uint8_t> encode_audio(const audio::Audio& a, AudioFormat f) {
  if (f == AudioFormat::kWav) return audio::wav_bytes(a);
  MemoryFile mem;
  mem.bytes.reserve(a.samples.size() / (f == AudioFormat::kFlac ? 1 : 8));
  SF_VIRTUAL_IO io{&MemoryFile::length, &MemoryFile::seek, &MemoryFile::read, &MemoryFile::write, &MemoryFile::tell};
  SF_INFO info{};
  info.samplerate = a.sample_rate;
  info.channels = a.channels;
  info.format = f == AudioFormat::kFlac ? (SF_FORMAT_FLAC | SF_FORMAT_PCM_16) : (SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  const std::string what = std::string("cannot encode the audio as ") + audio_format_name(f) + ": ";
  if (!sf_format_check(&info)) throw Error(ErrorCode::kInternal, what + "this libsndfile does not support it");
  std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> sf(sf_open_virtual(&io, SFM_WRITE, &info, &mem), &sf_close);
  if (!sf) throw Error(ErrorCode::kInternal, what + sf_strerror(nullptr));
  if (f == AudioFormat::kOgg) {
    double quality = 0.4;   // Vorbis -q 4: about 128 kbit/s for stereo at 44.1 kHz
    sf_command(sf.get(), SFC_SET_VBR_ENCODING_QUALITY, &quality, sizeof quality);
  }
  // in blocks, so that a long piece does not make one huge conversion buffer inside libsndfile
  const sf_count_t frames = a.frames(), block = 65536;
  for (sf_count_t at = 0; at < frames; at += block) {
    const sf_count_t n = std::min(block, frames - at);
    if (sf_writef_short(sf.get(), a.samples.data() + at * a.channels, n) != n)
      throw Error(ErrorCode::kInternal, what + sf_strerror(sf.get()));
  }
  if (sf_close(sf.release()) != 0) throw Error(ErrorCode::kInternal, what + "closing failed");
  return std::move(mem.bytes);
}

}  // namespace continuo::studio
