// midi/parse.cpp: Standard MIDI File bytes -> midi::File in one pass.
//
// Handles the RIFF/RMID wrapper, MThd (longer headers allowed), formats 0/1/2, ticks-per-beat and
// SMPTE division, unknown chunks (skipped), running status, channel messages, meta and sysex
// (F0 and F7 escape) events. Every problem throws continuo::Error(kCorruptData) with the file name,
// the problem and the byte offset. Hot loop: pointer walking, no per-event allocation.
//
// Leniency, as real-world readers do it:
//  - running status survives meta and sysex events (the spec says they cancel it, but files that
//    rely on it exist and nothing valid is misread by keeping it);
//  - a missing End of Track is accepted, bytes after End of Track inside a chunk are ignored;
//  - fewer track chunks than the header declares is accepted (when there is at least one), track
//    chunks beyond the declared count are read, trailing junk after the last chunk is ignored.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"

namespace continuo::midi {
namespace {

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t le32(const uint8_t* p) {
  return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}

// What the parser knows for error messages: the file name and where the input starts.
struct Source {
  const uint8_t* begin;
  std::string_view name;

  [[noreturn, gnu::cold, gnu::noinline]] void fail(const std::string& problem,
                                                   const uint8_t* at) const {
    throw Error(ErrorCode::kCorruptData, std::string(name) + ": " + problem + " (at byte " +
                                             std::to_string(at - begin) + ")");
  }
};

// A variable-length number of at most 4 bytes (max 0x0FFFFFFF). `what` names the event for the
// "truncated" message. The slow path takes and returns the cursor by value so that the caller's
// cursor never escapes to memory (it stays in a register in the hot loop).
[[gnu::noinline]] const uint8_t* read_vlq_slow(const Source& src, const uint8_t* p,
                                               const uint8_t* end, const char* what,
                                               uint32_t& out) {
  const uint8_t* start = p;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    if (p >= end) src.fail(std::string("truncated ") + what, start);
    uint8_t b = *p++;
    v = (v << 7) | (b & 0x7F);
    if (!(b & 0x80)) {
      out = v;
      return p;
    }
  }
  src.fail("absurd variable-length number (more than 4 bytes)", start);
}

inline uint32_t read_vlq(const Source& src, const uint8_t*& p, const uint8_t* end,
                         const char* what) {
  if (end - p >= 2) [[likely]] {
    if (p[0] < 0x80) return *p++;
    if (p[1] < 0x80) {
      uint32_t v = uint32_t(p[0] & 0x7F) << 7 | p[1];
      p += 2;
      return v;
    }
  }
  uint32_t v = 0;
  p = read_vlq_slow(src, p, end, what, v);
  return v;
}

// Reads the events of one MTrk chunk body [p, end) into a new track of `file`.
void parse_track(const Source& src, const uint8_t* p, const uint8_t* end, File& file) {
  Track& track = file.tracks.emplace_back();
  std::vector<Event>& events = track.events;
  // A channel event takes at least 2 bytes with running status, typically 3-4: reserve from the
  // chunk length (already checked against the bytes present), capped.
  events.reserve(std::min<size_t>(size_t(end - p) / 3 + 1, size_t(1) << 22));
  std::vector<uint8_t>& pool = file.data;

  // The tick cannot overflow: a chunk has < 2^32 bytes, so < 2^32 deltas of < 2^28 each.
  int64_t tick = 0;
  uint8_t running = 0;  // channel status in force, 0 when none yet
  while (p < end) {
    tick += read_vlq(src, p, end, "delta time");
    if (p >= end) src.fail("truncated event (the track ends after a delta time)", p);
    uint8_t status = *p;
    if (status < 0x80) {
      if (!running) src.fail("running status with no status byte", p);
      status = running;
    } else {
      ++p;
    }
    if (status < 0xF0) {
      running = status;
      const uint8_t kind = status & 0xF0;
      const int n = (kind == 0xC0 || kind == 0xD0) ? 1 : 2;
      if (end - p < n) src.fail("truncated channel message", p);
      const uint8_t d1 = p[0];
      const uint8_t d2 = n == 2 ? p[1] : 0;
      if ((d1 | d2) & 0x80) src.fail("data byte above 127 in a channel message", p);
      p += n;
      // Built in place: assembling an Event on the stack and copying it in costs a
      // store-forwarding stall per event.
      Event& e = events.emplace_back();
      e.tick = tick;
      e.status = status;
      e.data1 = d1;
      e.data2 = d2;
      continue;
    }
    const char* what = "sysex event";
    uint8_t type = 0;
    if (status == 0xFF) {
      what = "meta event";
      if (p >= end) src.fail("truncated meta event", p);
      type = *p++;
    } else if (status != 0xF0 && status != 0xF7) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", status);
      src.fail(std::string("unexpected status byte ") + buf + " in a track", p - 1);
    }
    const uint8_t* len_at = p;
    const uint32_t len = read_vlq(src, p, end, what);
    if (len > size_t(end - p)) src.fail(std::string("truncated ") + what, len_at);
    Event& e = events.emplace_back();
    e.tick = tick;
    e.status = status;
    e.data1 = type;
    e.data_offset = static_cast<uint32_t>(pool.size());  // pool <= input size < 4 GiB
    e.data_size = len;
    pool.insert(pool.end(), p, p + len);
    p += len;
    if (status == 0xFF && type == uint8_t(Meta::kEndOfTrack)) break;
  }
}

// RIFF "RMID": little-endian chunks after the 12-byte header; the SMF is the "data" chunk.
std::span<const uint8_t> unwrap_riff(const Source& src, std::span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  const uint8_t* end = p + bytes.size();
  if (bytes.size() < 12) src.fail("truncated RIFF header", p);
  if (std::memcmp(p + 8, "RMID", 4) != 0) src.fail("RIFF file is not RMID (MIDI)", p + 8);
  p += 12;
  while (end - p >= 8) {
    const uint32_t len = le32(p + 4);
    const uint8_t* body = p + 8;
    if (std::memcmp(p, "data", 4) == 0) {
      // Lenient: a data chunk longer than the file is cut to what is there; the SMF inside
      // carries its own lengths.
      size_t n = std::min<size_t>(len, size_t(end - body));
      return {body, n};
    }
    if (len > size_t(end - body)) break;
    p = body + len + (len & 1);  // chunks are padded to even length
  }
  src.fail("RIFF file without a 'data' chunk", p);
}

}  // namespace

File parse(std::span<const uint8_t> bytes, std::string_view name) {
  const Source src{bytes.data(), name};
  if (bytes.empty()) src.fail("empty file", bytes.data());
  if (bytes.size() > std::numeric_limits<uint32_t>::max())
    src.fail("file larger than 4 GiB", bytes.data());
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "RIFF", 4) == 0) bytes = unwrap_riff(src, bytes);

  const uint8_t* p = bytes.data();
  const uint8_t* const end = p + bytes.size();
  if (bytes.size() < 4 || std::memcmp(p, "MThd", 4) != 0)
    src.fail("not a MIDI file (no MThd header)", p);
  if (end - p < 14) src.fail("truncated header", p);
  const uint32_t header_len = be32(p + 4);
  if (header_len < 6) src.fail("header chunk too short (" + std::to_string(header_len) + " bytes)", p + 4);
  if (header_len > size_t(end - p - 8)) src.fail("chunk length past the end (MThd)", p + 4);

  File file;
  file.format = be16(p + 8);
  const uint16_t declared_tracks = be16(p + 10);
  const uint16_t division = be16(p + 12);
  if (file.format > 2) src.fail("unknown format " + std::to_string(file.format), p + 8);
  if (division & 0x8000) {
    const int fps = -static_cast<int8_t>(division >> 8);
    if (fps != 24 && fps != 25 && fps != 29 && fps != 30)
      src.fail("bad SMPTE frame rate " + std::to_string(fps), p + 12);
    file.division.smpte = true;
    file.division.ticks_per_beat = 0;
    file.division.fps = static_cast<uint8_t>(fps);
    file.division.ticks_per_frame = division & 0xFF;
    if (file.division.ticks_per_frame == 0) src.fail("zero division (0 ticks per frame)", p + 12);
  } else {
    if (division == 0) src.fail("zero division (0 ticks per beat)", p + 12);
    file.division.ticks_per_beat = division;
  }
  p += 8 + header_len;

  file.tracks.reserve(std::min<size_t>(declared_tracks, size_t(end - p) / 8 + 1));
  file.data.reserve(std::min<size_t>(size_t(end - p) / 8, size_t(1) << 20));
  size_t track_count = 0;
  while (end - p >= 8) {
    const bool is_track = std::memcmp(p, "MTrk", 4) == 0;
    const uint32_t len = be32(p + 4);
    const uint8_t* body = p + 8;
    if (len > size_t(end - body)) {
      if (!is_track) break;  // trailing junk that merely looks like a chunk header
      src.fail("chunk length past the end (MTrk declares " + std::to_string(len) + " bytes, " +
                   std::to_string(end - body) + " remain)",
               p + 4);
    }
    if (is_track) {
      parse_track(src, body, body + len, file);
      ++track_count;
    }
    p = body + len;
  }
  if (track_count == 0 && declared_tracks > 0)
    src.fail("truncated file: no track chunk (the header declares " +
                 std::to_string(declared_tracks) + ")",
             p);
  return file;
}

}  // namespace continuo::midi
