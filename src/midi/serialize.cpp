// midi/serialize.cpp: midi::File -> Standard MIDI File bytes, and the File payload-pool helpers.
//
// Writes MThd + one MTrk per track. Channel messages use running status; meta and sysex events
// cancel it (as the spec says), so the output reads the same in strict and lenient readers. End
// of Track events in the input are dropped and exactly one is written per track, at the later of
// the last event and the latest End of Track given.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"

namespace continuo::midi {
namespace {

constexpr uint32_t kMaxVlq = 0x0FFFFFFF;

void put_bytes(std::vector<uint8_t>& out, const void* p, size_t n) {
  const size_t at = out.size();
  out.resize(at + n);
  if (n) std::memcpy(out.data() + at, p, n);
}
void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  const uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  put_bytes(out, b, 4);
}
void put_be16(std::vector<uint8_t>& out, uint16_t v) {
  const uint8_t b[2] = {uint8_t(v >> 8), uint8_t(v)};
  put_bytes(out, b, 2);
}

// v <= kMaxVlq (checked by the callers).
void put_vlq(std::vector<uint8_t>& out, uint32_t v) {
  if (v < 0x80) {
    out.push_back(uint8_t(v));
    return;
  }
  uint8_t buf[4];
  int n = 0;
  buf[n++] = uint8_t(v & 0x7F);
  while (v >>= 7) buf[n++] = uint8_t(0x80 | (v & 0x7F));
  while (n) out.push_back(buf[--n]);
}

// kInvalidArgument for a malformed File (a bug in the caller), kUnsupported for a well-formed one
// that a MIDI file cannot hold (a gap or a payload beyond what a variable-length number holds).
[[noreturn, gnu::cold]] void invalid(size_t track, size_t event, const std::string& problem,
                                     ErrorCode code = ErrorCode::kInvalidArgument) {
  throw Error(code, "midi::serialize: track " + std::to_string(track) + ", event " +
                        std::to_string(event) + ": " + problem);
}

uint8_t channel_message_size(uint8_t status) {
  const uint8_t kind = status & 0xF0;
  return (kind == 0xC0 || kind == 0xD0) ? 1 : 2;
}

void write_track(const File& file, size_t index, std::vector<uint8_t>& out) {
  const Track& track = file.tracks[index];
  const size_t chunk_at = out.size();
  put_bytes(out, "MTrk\0\0\0\0", 8);
  int64_t prev = 0;
  int64_t end_tick = 0;
  uint8_t running = 0;
  for (size_t i = 0; i < track.events.size(); ++i) {
    const Event& e = track.events[i];
    if (e.is_meta() && e.data1 == uint8_t(Meta::kEndOfTrack)) {
      end_tick = std::max(end_tick, e.tick);
      continue;
    }
    if (e.tick < prev) invalid(index, i, "ticks go backwards (" + std::to_string(e.tick) + ")");
    if (e.tick - prev > kMaxVlq) invalid(index, i, "gap of more than 0x0FFFFFFF ticks since the previous event (the MIDI file limit)",
              ErrorCode::kUnsupported);
    put_vlq(out, uint32_t(e.tick - prev));
    prev = e.tick;
    if (e.is_channel()) {
      if (e.status != running) out.push_back(e.status);
      running = e.status;
      out.push_back(e.data1 & 0x7F);
      if (channel_message_size(e.status) == 2) out.push_back(e.data2 & 0x7F);
      continue;
    }
    if (!e.is_meta() && !e.is_sysex()) invalid(index, i, "status byte is not a MIDI file event");
    if (uint64_t(e.data_offset) + e.data_size > file.data.size())
      invalid(index, i, "payload outside File::data");
    if (e.data_size > kMaxVlq) invalid(index, i, "payload larger than 256 MiB", ErrorCode::kUnsupported);
    out.push_back(e.status);
    if (e.is_meta()) out.push_back(e.data1);
    put_vlq(out, e.data_size);
    put_bytes(out, file.data.data() + e.data_offset, e.data_size);
    running = 0;
  }
  end_tick = std::max(end_tick, prev);
  if (end_tick - prev > kMaxVlq) invalid(index, track.events.size(), "End of Track more than 0x0FFFFFFF ticks after the last event",
            ErrorCode::kUnsupported);
  put_vlq(out, uint32_t(end_tick - prev));
  put_bytes(out, "\xFF\x2F\x00", 3);
  const size_t len = out.size() - chunk_at - 8;
  if (len > std::numeric_limits<uint32_t>::max()) invalid(index, 0, "track larger than 4 GiB");
  const uint8_t be[4] = {uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len)};
  std::memcpy(out.data() + chunk_at + 4, be, 4);
}

Event make_payload_event(File& file, int64_t tick, uint8_t status, uint8_t type,
                         std::span<const uint8_t> bytes) {
  if (bytes.size() > std::numeric_limits<uint32_t>::max() - file.data.size())
    throw Error(ErrorCode::kInvalidArgument, "midi::File: payload pool would exceed 4 GiB");
  Event e;
  e.tick = tick;
  e.status = status;
  e.data1 = type;
  e.data_offset = static_cast<uint32_t>(file.data.size());
  e.data_size = static_cast<uint32_t>(bytes.size());
  const uint8_t* pool = file.data.data();
  if (!bytes.empty() && bytes.data() >= pool && bytes.data() < pool + file.data.size()) {
    std::vector<uint8_t> copy(bytes.begin(), bytes.end());  // the source lives in the pool itself
    file.data.insert(file.data.end(), copy.begin(), copy.end());
  } else {
    file.data.insert(file.data.end(), bytes.begin(), bytes.end());
  }
  return e;
}

}  // namespace

Event File::make_meta(int64_t tick, Meta type, std::span<const uint8_t> bytes) {
  return make_payload_event(*this, tick, 0xFF, uint8_t(type), bytes);
}

Event File::make_sysex(int64_t tick, uint8_t status, std::span<const uint8_t> bytes) {
  if (status != 0xF0 && status != 0xF7)
    throw Error(ErrorCode::kInvalidArgument, "midi::File::make_sysex: status must be 0xF0 or 0xF7");
  return make_payload_event(*this, tick, status, 0, bytes);
}

std::vector<uint8_t> serialize(const File& file) {
  if (file.tracks.size() > 0xFFFF)
    throw Error(ErrorCode::kInvalidArgument, "midi::serialize: more than 65535 tracks");
  if (file.format > 2) throw Error(ErrorCode::kInvalidArgument, "midi::serialize: format must be 0, 1 or 2");
  uint16_t division;
  const Division& d = file.division;
  if (d.smpte) {
    if (d.fps != 24 && d.fps != 25 && d.fps != 29 && d.fps != 30)
      throw Error(ErrorCode::kInvalidArgument, "midi::serialize: SMPTE fps must be 24, 25, 29 or 30");
    if (d.ticks_per_frame == 0)
      throw Error(ErrorCode::kInvalidArgument, "midi::serialize: ticks_per_frame is 0");
    division = uint16_t(uint8_t(-int(d.fps)) << 8 | d.ticks_per_frame);
  } else {
    if (d.ticks_per_beat == 0 || d.ticks_per_beat > 0x7FFF)
      throw Error(ErrorCode::kInvalidArgument, "midi::serialize: ticks_per_beat must be 1..32767");
    division = d.ticks_per_beat;
  }

  size_t estimate = 14 + file.data.size();
  for (const Track& t : file.tracks) estimate += 12 + t.events.size() * 4;
  std::vector<uint8_t> out;
  out.reserve(estimate);
  put_bytes(out, "MThd", 4);
  put_be32(out, 6);
  put_be16(out, file.format);
  put_be16(out, uint16_t(file.tracks.size()));
  put_be16(out, division);
  for (size_t i = 0; i < file.tracks.size(); ++i) write_track(file, i, out);
  return out;
}

}  // namespace continuo::midi
