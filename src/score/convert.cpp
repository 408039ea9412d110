// score/convert.cpp: midi::File <-> Score, and the byte / file entry points (parse, load,
// serialize, save).
//
// Reading (ScoreBuilder, score/builder.hpp), per MIDI track: one Score track per channel that
// has a note or a program change (ordered by MIDI track, then channel). Note-on velocity 0 is a
// note-off; note-ons of one (channel, pitch) wait in a first-in first-out queue for their
// note-off; notes still sounding at the end of the track end at its last tick. The queues are
// intrusive singly linked lists through the pending notes themselves (no map, no allocation per
// note). Tempo, time and key signatures of every track go to the global maps; at one tick the
// last in file order (track by track) wins. Texts and sysex go to the first Score track made from
// their MIDI track, or to Score::global_texts / global_sysex when it made none.
// Format 2 files are read like format 1 (every track starts at tick 0).
// SMPTE division: ticks_per_beat = fps * ticks_per_frame at 60 BPM, so one beat is one second
// and tick times convert to seconds exactly; tempo metas are ignored (they do not apply to SMPTE
// time). 29 (29.97 drop frame) uses ticks_per_beat = 30 * ticks_per_frame at 1,001,000 us per
// beat: 30 frames per 1.001 s, the exact NTSC rate (drop frame only changes frame labels).
//
// Writing: format 1, a conductor track (SMPTE offset, time and key signatures, tempi, global
// texts and sysex), then one track per Score track: name, sysex and bank select + program change
// at tick 0, then texts, note-offs (0x80, velocity 64), controls, pitch bends and note-ons in
// time order, in that order at one tick. A zero-length note's note-off follows its note-on
// directly. With notes sorted by (start, pitch, duration) this makes re-reading pair every note
// as it was paired when read.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <string>

#include "continuo/error.hpp"
#include "continuo/limits.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"
#include "score/builder.hpp"
#include "score/internal.hpp"

namespace continuo::score {
namespace {

constexpr uint8_t kCcBankMsb = 0;
constexpr uint8_t kCcBankLsb = 32;

bool is_text_meta(uint8_t type) { return type >= 0x01 && type <= 0x0F; }

// ---- writing ---------------------------------------------------------------------------------

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorCode::kInvalidArgument, "cannot write the score as MIDI: " + what);
}

int64_t checked_tick(Ticks t, const char* what) {
  if (t.count() < 0) invalid(std::string(what) + " at a negative tick (" + std::to_string(t.count()) + ")");
  return t.count();
}

// An event of one output track with its sort key: tick, then rank (kind at one tick), then the
// order it was added in.
struct Keyed {
  int64_t tick;
  uint64_t rank;
  midi::Event event;
};

enum Rank : uint64_t {
  kRankFirst = 0,      // track name, SMPTE offset
  kRankSysex = 1,
  kRankSetup = 2,      // bank select + program; time / key signatures, tempi in the conductor
  kRankText = 3,
  kRankNoteOff = 4,
  kRankControl = 5,
  kRankBend = 6,
  kRankNoteOn = 7,
};

class TrackWriter {
 public:
  explicit TrackWriter(midi::File& file) : file_(file) {}
  void add(int64_t tick, Rank rank, const midi::Event& e) {
    events_.push_back(Keyed{tick, uint64_t(rank) << 40 | seq_++, e});
  }
  void channel(int64_t tick, Rank rank, uint8_t status, uint8_t d1, uint8_t d2) {
    midi::Event e;
    e.tick = tick;
    e.status = status;
    e.data1 = d1;
    e.data2 = d2;
    add(tick, rank, e);
  }
  void meta(int64_t tick, Rank rank, midi::Meta type, std::span<const uint8_t> bytes) {
    add(tick, rank, file_.make_meta(tick, type, bytes));
  }
  void text(const TextEvent& t, Rank rank) {
    const int64_t tick = checked_tick(t.time, "a text");
    if (!is_text_meta(t.type)) invalid("text event of meta type " + std::to_string(t.type));
    meta(tick, rank, midi::Meta(t.type),
         {reinterpret_cast<const uint8_t*>(t.text.data()), t.text.size()});
  }
  void sysex(const SysEx& x) {
    const int64_t tick = checked_tick(x.time, "a sysex");
    if (x.bytes.empty() || (x.bytes[0] != 0xF0 && x.bytes[0] != 0xF7))
      invalid("a sysex must start with its status byte F0 or F7");
    add(tick, kRankSysex,
        file_.make_sysex(tick, x.bytes[0], std::span<const uint8_t>(x.bytes).subspan(1)));
  }
  void finish(midi::Track& out) {
    std::sort(events_.begin(), events_.end(), [](const Keyed& a, const Keyed& b) {
      return a.tick != b.tick ? a.tick < b.tick : a.rank < b.rank;
    });
    out.events.reserve(events_.size());
    for (const Keyed& k : events_) out.events.push_back(k.event);
  }
  void reserve(size_t n) { events_.reserve(n); }

 private:
  midi::File& file_;
  std::vector<Keyed> events_;
  uint64_t seq_ = 0;
};

void write_conductor(const Score& s, midi::File& file) {
  TrackWriter w(file);
  if (s.smpte_offset) {
    const SmpteOffset& o = *s.smpte_offset;
    const uint8_t b[5] = {o.hours, o.minutes, o.seconds, o.frames, o.subframes};
    w.meta(0, kRankFirst, midi::Meta::kSmpteOffset, b);
  }
  for (const TimeSignature& ts : s.time_signatures) {
    const int64_t tick = checked_tick(ts.time, "a time signature");
    const int den = ts.denominator;
    if (ts.numerator == 0 || den == 0 || (den & (den - 1)) != 0)
      invalid("time signature " + std::to_string(ts.numerator) + "/" + std::to_string(den));
    const uint8_t b[4] = {ts.numerator, uint8_t(std::countr_zero(unsigned(den))), 24, 8};
    w.meta(tick, kRankSetup, midi::Meta::kTimeSignature, b);
  }
  for (const KeySignature& k : s.key_signatures) {
    const int64_t tick = checked_tick(k.time, "a key signature");
    if (k.sharps < -7 || k.sharps > 7) invalid("key signature with " + std::to_string(k.sharps) + " sharps");
    const uint8_t b[2] = {uint8_t(k.sharps), uint8_t(k.minor ? 1 : 0)};
    w.meta(tick, kRankSetup, midi::Meta::kKeySignature, b);
  }
  for (const TempoChange& t : s.tempos) {
    const int64_t tick = checked_tick(t.time, "a tempo");
    if (t.us_per_beat == 0 || t.us_per_beat > 0xFFFFFF)
      invalid("tempo of " + std::to_string(t.us_per_beat) + " microseconds per beat");
    const uint8_t b[3] = {uint8_t(t.us_per_beat >> 16), uint8_t(t.us_per_beat >> 8),
                          uint8_t(t.us_per_beat)};
    w.meta(tick, kRankSetup, midi::Meta::kTempo, b);
  }
  for (const TextEvent& t : s.global_texts) w.text(t, kRankText);
  for (const SysEx& x : s.global_sysex) w.sysex(x);
  w.finish(file.tracks.emplace_back());
}

void write_track(const Track& t, midi::File& file) {
  if (t.channel > 15) invalid("channel " + std::to_string(t.channel));
  if (t.program > 127) invalid("program " + std::to_string(t.program));
  if (t.bank > 16383) invalid("bank " + std::to_string(t.bank));
  TrackWriter w(file);
  w.reserve(2 * t.notes.size() + t.controls.size() + t.bends.size() + t.texts.size() + 4);
  const uint8_t ch = t.channel;

  const bool named_texts = std::any_of(t.texts.begin(), t.texts.end(), [](const TextEvent& x) {
    return x.type == uint8_t(midi::Meta::kTrackName);
  });
  if (!t.name.empty() || named_texts)
    w.meta(0, kRankFirst, midi::Meta::kTrackName,
           {reinterpret_cast<const uint8_t*>(t.name.data()), t.name.size()});
  if (t.bank != 0) {
    w.channel(0, kRankSetup, 0xB0 | ch, kCcBankMsb, uint8_t(t.bank >> 7));
    w.channel(0, kRankSetup, 0xB0 | ch, kCcBankLsb, uint8_t(t.bank & 0x7F));
  }
  w.channel(0, kRankSetup, 0xC0 | ch, t.program, 0);
  for (const SysEx& x : t.sysex) w.sysex(x);
  for (const TextEvent& x : t.texts) w.text(x, kRankText);

  // Notes in note_less order (a sorted copy of the indices when the track is not sorted).
  std::vector<uint32_t> order;
  const bool sorted = std::is_sorted(t.notes.begin(), t.notes.end(), detail::note_less);
  if (!sorted) {
    order.resize(t.notes.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return detail::note_less(t.notes[a], t.notes[b]); });
  }
  for (size_t k = 0; k < t.notes.size(); ++k) {
    const Note& n = t.notes[sorted ? k : order[k]];
    const int64_t start = checked_tick(n.start, "a note");
    if (n.pitch > 127) invalid("note pitch " + std::to_string(n.pitch));
    if (n.duration.count() < 0) invalid("negative note duration");
    const uint8_t vel = std::clamp<uint8_t>(n.velocity, 1, 127);
    const int64_t end = start + n.duration.count();
    w.channel(start, kRankNoteOn, 0x90 | ch, n.pitch, vel);
    // A zero-length note's off right after its on (same rank, next in order).
    w.channel(end, n.duration.count() == 0 ? kRankNoteOn : kRankNoteOff, 0x80 | ch, n.pitch, 64);
  }
  for (const ControlChange& c : t.controls) {
    if (c.controller == kCcBankMsb || c.controller == kCcBankLsb) continue;  // Track::bank
    if (c.controller > 127 || c.value > 127) invalid("control change " + std::to_string(c.controller));
    w.channel(checked_tick(c.time, "a control change"), kRankControl, 0xB0 | ch, c.controller, c.value);
  }
  for (const PitchBend& b : t.bends) {
    if (b.value < -8192 || b.value > 8191) invalid("pitch bend " + std::to_string(b.value));
    const int v = b.value + 8192;
    w.channel(checked_tick(b.time, "a pitch bend"), kRankBend, 0xE0 | ch, uint8_t(v & 0x7F),
              uint8_t(v >> 7));
  }
  w.finish(file.tracks.emplace_back());
}

}  // namespace

Score from_midi(const midi::File& file) {
  Score s;
  s.source_format = file.format;
  s.source_smpte = file.division.smpte;
  if (file.division.smpte) {
    const int tpf = file.division.ticks_per_frame;
    if (tpf == 0 || file.division.fps == 0)
      throw Error(ErrorCode::kCorruptData, "SMPTE division with 0 frames or ticks per frame");
    const bool drop_frame = file.division.fps == 29;
    s.ticks_per_beat = (drop_frame ? 30 : file.division.fps) * tpf;
    s.tempos.push_back(TempoChange{Ticks{0}, drop_frame ? 1'001'000u : 1'000'000u});
  } else {
    if (file.division.ticks_per_beat == 0)
      throw Error(ErrorCode::kCorruptData, "division of 0 ticks per beat");
    s.ticks_per_beat = file.division.ticks_per_beat;
  }

  auto b = std::make_unique<detail::ScoreBuilder>(file.division.smpte);
  b->reserve_tracks(file.tracks.size());
  for (const midi::Track& mt : file.tracks) {
    if (mt.events.empty()) continue;
    b->begin_track(mt.events.size());
    detail::ScoreBuilder::Hot hot = b->hot();
    for (const midi::Event& e : mt.events) {
      const uint8_t status = e.status;
      const uint8_t kind = status & 0xF0;
      const uint8_t ch = status & 0x0F;
      if (kind == 0x90 && e.data2 != 0) [[likely]] {
        hot.note_on(e.tick, ch, e.data1, e.data2);
      } else if (kind == 0x80 || kind == 0x90) {
        hot.note_off(e.tick, ch, e.data1);
      } else {
        b->set_hot(hot);
        switch (kind) {
          case 0xB0: b->control(e.tick, ch, e.data1, e.data2); break;
          case 0xC0: b->program(ch, e.data1); break;
          case 0xE0: b->bend(e.tick, ch, e.data1, e.data2); break;
          case 0xF0:
            if (status == 0xFF)
              b->meta(e.tick, e.data1, file.payload(e));
            else if (status == 0xF0 || status == 0xF7)
              b->sysex(e.tick, status, file.payload(e));
            break;
          default: break;  // 0xA0 polyphonic and 0xD0 channel aftertouch are not kept
        }
      }
    }
    b->set_hot(hot);
    b->end_track(mt.events.back().tick);
  }
  b->finish(s);
  return s;
}

midi::File to_midi(const Score& s) {
  if (s.ticks_per_beat < 1 || s.ticks_per_beat > 0x7FFF)
    invalid("ticks per beat must be 1..32767, not " + std::to_string(s.ticks_per_beat));
  midi::File file;
  file.format = 1;
  file.division.ticks_per_beat = static_cast<uint16_t>(s.ticks_per_beat);
  file.tracks.reserve(s.tracks.size() + 1);
  write_conductor(s, file);
  for (const Track& t : s.tracks) write_track(t, file);
  return file;
}

namespace {
std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1 << 20));
  return buf;
}

Score checked(Score s, std::string_view name) {
  if (int64_t(s.tracks.size()) > limits::kMaxTracks)
    throw Error(ErrorCode::kInvalidArgument, std::string(name) + ": " + std::to_string(s.tracks.size()) +
                                                 " tracks; Continuo reads at most " +
                                                 std::to_string(limits::kMaxTracks) + " (limits::kMaxTracks)");
  int64_t notes = 0;
  for (const Track& t : s.tracks) notes += int64_t(t.notes.size());
  if (notes > limits::kMaxNotes)
    throw Error(ErrorCode::kInvalidArgument, std::string(name) + ": " + std::to_string(notes) +
                                                 " notes; Continuo reads at most " +
                                                 std::to_string(limits::kMaxNotes) + " (limits::kMaxNotes)");
  return s;
}
}  // namespace

Score parse(std::span<const uint8_t> bytes, std::string_view name) {
  if (int64_t(bytes.size()) > limits::kMaxMidiFileBytes)
    throw Error(ErrorCode::kInvalidArgument, std::string(name) + ": " + mib(int64_t(bytes.size())) +
                                                 "; Continuo reads MIDI files of at most " +
                                                 mib(limits::kMaxMidiFileBytes) + " (limits::kMaxMidiFileBytes)");
  if (std::optional<Score> s = detail::parse_fused(bytes)) return checked(std::move(*s), name);
  const midi::File file = midi::parse(bytes, name);
  try {
    return checked(from_midi(file), name);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kInvalidArgument && std::string_view(e.what()).rfind(name, 0) == 0) throw;
    throw Error(e.code(), std::string(name) + ": " + e.what());
  }
}

Score load(const std::string& path) {
  return parse(midi::read_file_bytes(path, size_t(limits::kMaxMidiFileBytes)), path);
}

std::vector<uint8_t> serialize(const Score& score) { return midi::serialize(to_midi(score)); }

void save(const Score& score, const std::string& path) {
  const std::vector<uint8_t> bytes = serialize(score);
  write_file_atomic(path, bytes);
}

}  // namespace continuo::score
