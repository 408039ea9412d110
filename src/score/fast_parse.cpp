// score/fast_parse.cpp: Standard MIDI File bytes -> Score in one pass, without the midi::File
// event list in between: the fast path of score::parse.
//
// It accepts exactly what midi::parse accepts and reads it exactly as from_midi(midi::parse(...))
// would (running status surviving meta and sysex, bytes after End of Track ignored, a missing End
// of Track accepted, unknown chunks skipped, trailing junk after the last chunk ignored). Anything
// else, including every error and the RIFF wrapper, returns nullopt and score::parse falls back
// to midi::parse + from_midi, which reports the problem. tests/score/golden_roundtrip.cpp checks
// both paths give the same Score on every corpus file and on mutated random files.
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include "continuo/score.hpp"
#include "score/builder.hpp"
#include "score/internal.hpp"

namespace continuo::score::detail {
namespace {

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// A variable-length number of at most 4 bytes; false when truncated or longer.
inline bool read_vlq(const uint8_t*& p, const uint8_t* end, uint32_t& v) {
  if (p < end && *p < 0x80) [[likely]] {
    v = *p++;
    return true;
  }
  v = 0;
  for (int i = 0; i < 4; ++i) {
    if (p >= end) return false;
    const uint8_t b = *p++;
    v = (v << 7) | (b & 0x7F);
    if (!(b & 0x80)) return true;
  }
  return false;
}

// Reads one MTrk body into the builder; false on anything midi::parse would reject.
bool read_track(const uint8_t* p, const uint8_t* end, ScoreBuilder& b) {
  // A note-on takes at least 3 bytes (delta, key, velocity under running status).
  b.begin_track(size_t(end - p) / 3 + 1);
  ScoreBuilder::Hot hot = b.hot();
  int64_t tick = 0;
  uint8_t running = 0;
  bool any = false;
  while (p < end) {
    uint32_t delta;
    if (!read_vlq(p, end, delta)) return false;
    tick += delta;
    if (p >= end) return false;
    uint8_t status = *p;
    if (status < 0x80) {
      if (!running) return false;
      status = running;
    } else {
      ++p;
    }
    any = true;
    if (status < 0xF0) [[likely]] {
      running = status;
      const uint8_t kind = status & 0xF0;
      const uint8_t ch = status & 0x0F;
      if (kind == 0xC0 || kind == 0xD0) {
        if (p >= end || (p[0] & 0x80)) return false;
        if (kind == 0xC0) b.program(ch, p[0]);
        p += 1;
        continue;
      }
      if (end - p < 2 || ((p[0] | p[1]) & 0x80)) return false;
      const uint8_t d1 = p[0], d2 = p[1];
      p += 2;
      if (kind == 0x90 && d2 != 0) [[likely]]
        hot.note_on(tick, ch, d1, d2);
      else if (kind == 0x80 || kind == 0x90)
        hot.note_off(tick, ch, d1);
      else if (kind == 0xB0)
        b.control(tick, ch, d1, d2);
      else if (kind == 0xE0)
        b.bend(tick, ch, d1, d2);
      continue;  // 0xA0 polyphonic aftertouch is not kept
    }
    if (status == 0xFF) {
      if (p >= end) return false;
      const uint8_t type = *p++;
      uint32_t len;
      if (!read_vlq(p, end, len) || len > size_t(end - p)) return false;
      b.meta(tick, type, {p, len});
      p += len;
      if (type == uint8_t(midi::Meta::kEndOfTrack)) break;
    } else if (status == 0xF0 || status == 0xF7) {
      uint32_t len;
      if (!read_vlq(p, end, len) || len > size_t(end - p)) return false;
      b.sysex(tick, status, {p, len});
      p += len;
    } else {
      return false;
    }
  }
  b.set_hot(hot);
  if (any) b.end_track(tick);  // `tick` is the last event's
  return true;
}

}  // namespace

std::optional<Score> parse_fused(std::span<const uint8_t> bytes) {
  if (bytes.size() < 14 || bytes.size() > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  const uint8_t* p = bytes.data();
  const uint8_t* const end = p + bytes.size();
  if (std::memcmp(p, "MThd", 4) != 0) return std::nullopt;  // RIFF and errors: the slow path
  const uint32_t header_len = be32(p + 4);
  if (header_len < 6 || header_len > size_t(end - p - 8)) return std::nullopt;
  const uint16_t format = be16(p + 8);
  const uint16_t declared_tracks = be16(p + 10);
  const uint16_t division = be16(p + 12);
  if (format > 2) return std::nullopt;

  Score s;
  s.source_format = format;
  const bool smpte = division & 0x8000;
  if (smpte) {
    const int fps = -static_cast<int8_t>(division >> 8);
    const int tpf = division & 0xFF;
    if ((fps != 24 && fps != 25 && fps != 29 && fps != 30) || tpf == 0) return std::nullopt;
    s.source_smpte = true;
    s.ticks_per_beat = (fps == 29 ? 30 : fps) * tpf;
    s.tempos.push_back(TempoChange{Ticks{0}, fps == 29 ? 1'001'000u : 1'000'000u});
  } else {
    if (division == 0) return std::nullopt;
    s.ticks_per_beat = division;
  }
  p += 8 + header_len;

  auto b = std::make_unique<ScoreBuilder>(smpte);
  b->reserve_tracks(declared_tracks);
  size_t track_count = 0;
  while (end - p >= 8) {
    const bool is_track = std::memcmp(p, "MTrk", 4) == 0;
    const uint32_t len = be32(p + 4);
    const uint8_t* body = p + 8;
    if (len > size_t(end - body)) {
      if (!is_track) break;  // trailing junk that merely looks like a chunk header
      return std::nullopt;
    }
    if (is_track) {
      if (!read_track(body, body + len, *b)) return std::nullopt;
      ++track_count;
    }
    p = body + len;
  }
  if (track_count == 0 && declared_tracks > 0) return std::nullopt;
  b->finish(s);
  return s;
}

}  // namespace continuo::score::detail
