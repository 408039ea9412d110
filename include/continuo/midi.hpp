// continuo/midi.hpp: Standard MIDI File 1.0 bytes <-> a raw event list (no musical interpretation).
//
//   auto bytes = continuo::read_file_bytes("song.mid");
//   continuo::midi::File f = continuo::midi::parse(bytes, "song.mid");   // throws continuo::Error
//   for (const auto& tr : f.tracks)
//     for (const auto& ev : tr.events) { /* ev.tick, ev.status, ev.data1 ... */ }
//   std::vector<uint8_t> out = continuo::midi::serialize(f);
//
// Handles formats 0, 1 and 2, running status, all channel messages, meta events, sysex (F0 and F7
// escapes), the RIFF/RMID wrapper, ticks-per-beat and SMPTE division. The score layer
// (continuo/score.hpp) turns a File into notes, tempi and signatures.
#pragma once

#include <cstdint>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace continuo::midi {

// Meta event types (FF xx).
enum class Meta : uint8_t {
  kSequenceNumber = 0x00,
  kText = 0x01,
  kCopyright = 0x02,
  kTrackName = 0x03,
  kInstrumentName = 0x04,
  kLyric = 0x05,
  kMarker = 0x06,
  kCuePoint = 0x07,
  kProgramName = 0x08,
  kDeviceName = 0x09,
  kChannelPrefix = 0x20,
  kPort = 0x21,
  kEndOfTrack = 0x2F,
  kTempo = 0x51,
  kSmpteOffset = 0x54,
  kTimeSignature = 0x58,
  kKeySignature = 0x59,
  kSequencerSpecific = 0x7F,
};

// One event. `status` is the full status byte: 0x80..0xEF for channel messages (channel in the
// low nibble), 0xF0 / 0xF7 for sysex, 0xFF for meta. Payloads of sysex and meta events live in
// File::data at [data_offset, data_offset + data_size).
struct Event {
  int64_t tick = 0;           // absolute tick from the start of the track
  uint8_t status = 0;
  uint8_t data1 = 0;          // channel: first data byte; meta: the meta type
  uint8_t data2 = 0;          // channel: second data byte (0 for 2-byte messages)
  uint32_t data_offset = 0;   // sysex / meta payload
  uint32_t data_size = 0;

  bool is_channel() const { return status >= 0x80 && status < 0xF0; }
  bool is_meta() const { return status == 0xFF; }
  bool is_sysex() const { return status == 0xF0 || status == 0xF7; }
  uint8_t kind() const { return status & 0xF0; }      // 0x80 note off ... 0xE0 pitch bend
  uint8_t channel() const { return status & 0x0F; }
};

struct Track {
  std::vector<Event> events;  // in file order (ticks non-decreasing)
};

// Division: ticks per quarter note, or SMPTE frames per second and ticks per frame.
struct Division {
  bool smpte = false;
  uint16_t ticks_per_beat = 480;  // when !smpte
  uint8_t fps = 0;                // 24, 25, 29 (29.97 drop frame) or 30, when smpte
  uint8_t ticks_per_frame = 0;    // when smpte
};

struct File {
  uint16_t format = 1;
  Division division;
  std::vector<Track> tracks;
  std::vector<uint8_t> data;      // payload pool for meta and sysex events

  std::span<const uint8_t> payload(const Event& e) const {
    return {data.data() + e.data_offset, e.data_size};
  }
  std::string_view text(const Event& e) const {
    return {reinterpret_cast<const char*>(data.data()) + e.data_offset, e.data_size};
  }
  // Appends a payload to the pool and returns the event that refers to it.
  Event make_meta(int64_t tick, Meta type, std::span<const uint8_t> bytes);
  Event make_sysex(int64_t tick, uint8_t status, std::span<const uint8_t> bytes);
};

// Parses a Standard MIDI File (or an RMID file wrapping one). `name` is used in error messages.
// Throws continuo::Error(kCorruptData) with one line "<name>: <problem> (at byte N)".
// Lenient as real-world readers are: running status survives meta and sysex events, a missing End
// of Track is accepted (bytes after one are ignored), unknown chunks and trailing junk are skipped,
// and the track count in the header need not match. Events are kept raw (note-on velocity 0 stays
// a note-on). One pass, no allocation per event: several hundred MB/s (bench/bench_midi.cpp).
File parse(std::span<const uint8_t> bytes, std::string_view name = "<memory>");

// Writes a Standard MIDI File: running status is used for channel messages (meta and sysex events
// cancel it), End of Track events in the input are dropped and every track ends with exactly one,
// at the later of its last event and the latest End of Track given. Throws kInvalidArgument for a
// malformed File (ticks going backwards, a bad status or division, a payload outside `data`) and
// kUnsupported for one a MIDI file cannot hold (a gap of more than 0x0FFFFFFF ticks).
std::vector<uint8_t> serialize(const File& file);

// Reads a whole file into memory (throws kNotFound / kIo with a clear message, also for directories).
// A file longer than max_bytes is not read: kInvalidArgument, naming its size and the limit.
std::vector<uint8_t> read_file_bytes(const std::string& path, size_t max_bytes = SIZE_MAX);

}  // namespace continuo::midi

namespace continuo {
// Writes `bytes` to `path` atomically: a temporary file in the same folder, then rename.
// Either the complete new file appears, or the old one (if any) stays untouched.
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);
void write_file_atomic(const std::string& path, std::string_view text);
}  // namespace continuo
