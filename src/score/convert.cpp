// score/convert.cpp: midi::File <-> Score, and the byte / file entry points (parse, load,
// serialize, save).
//
// Reading, per MIDI track: one Score track per channel that has a note or a program change
// (ordered by MIDI track, then channel). Note-on velocity 0 is a note-off; note-ons of one
// (channel, pitch) wait in a first-in first-out queue for their note-off; notes still sounding at
// the end of the track end at its last tick. The queues are intrusive singly linked lists
// through the pending notes themselves (no map, no allocation per note).
// Tempo, time and key signatures of every track go to the global maps; at one tick the last
// in file order (track by track) wins. Texts and sysex go to the first Score track made from
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
#include "continuo/midi.hpp"
#include "continuo/score.hpp"
#include "score/internal.hpp"

namespace continuo::score {
namespace {

constexpr uint8_t kCcBankMsb = 0;
constexpr uint8_t kCcBankLsb = 32;

bool is_text_meta(uint8_t type) { return type >= 0x01 && type <= 0x0F; }

// Per-channel state while reading one MIDI track.
struct ChannelState {
  Track track;
  bool keep = false;        // a note or a program change was seen
  bool has_program = false;
  uint8_t bank_msb = 0, bank_lsb = 0;
};

// Pending note-ons of one track: for each (channel, pitch) the first and last pending note
// (indices into that channel's notes, -1 when none). While a note is pending its duration field
// holds the link to the next pending note of the same key: -(next + 2), -1 for none.
struct Pending {
  int32_t head[16][128];
  int32_t tail[16][128];
  Pending() {
    std::memset(head, 0xFF, sizeof head);
    std::memset(tail, 0xFF, sizeof tail);
  }
};

inline void note_on(Pending& pend, std::vector<Note>& notes, uint8_t ch, uint8_t pitch,
                    uint8_t velocity, int64_t tick) {
  const int32_t idx = static_cast<int32_t>(notes.size());
  notes.push_back(Note{Ticks{tick}, Ticks{-1}, pitch, velocity});
  int32_t& tail = pend.tail[ch][pitch];
  if (tail >= 0)
    notes[size_t(tail)].duration = Ticks{-(int64_t(idx) + 2)};
  else
    pend.head[ch][pitch] = idx;
  tail = idx;
}

inline void note_off(Pending& pend, std::vector<Note>& notes, uint8_t ch, uint8_t pitch,
                     int64_t tick) {
  int32_t& head = pend.head[ch][pitch];
  if (head < 0) return;  // a note-off without a note-on: ignored
  Note& n = notes[size_t(head)];
  const int64_t next = -n.duration.count() - 2;
  n.duration = Ticks{tick - n.start.count()};
  head = static_cast<int32_t>(next);
  if (next < 0) pend.tail[ch][pitch] = -1;
}

// Ends every note still pending on channel `ch` at `tick` and clears the channel's queues.
void close_pending(Pending& pend, std::vector<Note>& notes, uint8_t ch, int64_t tick) {
  for (int p = 0; p < 128; ++p) {
    int32_t i = pend.head[ch][p];
    while (i >= 0) {
      Note& n = notes[size_t(i)];
      const int64_t next = -n.duration.count() - 2;
      n.duration = Ticks{tick - n.start.count()};
      i = static_cast<int32_t>(next);
    }
    pend.head[ch][p] = -1;
    pend.tail[ch][p] = -1;
  }
}

struct Globals {
  std::vector<TempoChange> tempos;
  std::vector<TimeSignature> time_signatures;
  std::vector<KeySignature> key_signatures;
  std::vector<TextEvent> texts;
  std::vector<SysEx> sysex;
  std::optional<SmpteOffset> smpte_offset;
};

void read_meta(const midi::File& file, const midi::Event& e, bool smpte, Globals& g,
               std::vector<TextEvent>& texts, int& name_index) {
  const auto payload = file.payload(e);
  const Ticks t{e.tick};
  switch (e.data1) {
    case uint8_t(midi::Meta::kTempo):
      if (payload.size() >= 3 && !smpte) {
        uint32_t us = uint32_t(payload[0]) << 16 | uint32_t(payload[1]) << 8 | payload[2];
        if (us > 0) g.tempos.push_back(TempoChange{t, us});
      }
      return;
    case uint8_t(midi::Meta::kTimeSignature):
      if (payload.size() >= 2 && payload[0] > 0 && payload[1] <= 7)
        g.time_signatures.push_back(TimeSignature{t, payload[0], uint8_t(1u << payload[1])});
      return;
    case uint8_t(midi::Meta::kKeySignature):
      if (payload.size() >= 2) {
        const int8_t sf = static_cast<int8_t>(payload[0]);
        if (sf >= -7 && sf <= 7 && payload[1] <= 1)
          g.key_signatures.push_back(KeySignature{t, sf, payload[1] == 1});
      }
      return;
    case uint8_t(midi::Meta::kSmpteOffset):
      if (payload.size() >= 5 && !g.smpte_offset)
        g.smpte_offset = SmpteOffset{payload[0], payload[1], payload[2], payload[3], payload[4]};
      return;
    default:
      if (is_text_meta(e.data1)) {
        if (e.data1 == uint8_t(midi::Meta::kTrackName) && name_index < 0)
          name_index = static_cast<int>(texts.size());
        texts.push_back(TextEvent{t, e.data1, std::string(file.text(e))});
      }
      return;
  }
}

// Reads one MIDI track into `out` (Score tracks) and `g` (global maps).
void read_track(const midi::File& file, const midi::Track& mt, bool smpte, Pending& pend,
                std::array<ChannelState, 16>& chs, std::vector<Track>& out, Globals& g) {
  const auto& events = mt.events;
  if (events.empty()) return;

  // Count first so that every vector is allocated once.
  std::array<uint32_t, 16> n_notes{}, n_controls{}, n_bends{};
  for (const midi::Event& e : events) {
    const uint8_t kind = e.status & 0xF0;
    const uint8_t ch = e.status & 0x0F;
    n_notes[ch] += (kind == 0x90 && e.data2 != 0);
    n_controls[ch] += (kind == 0xB0);
    n_bends[ch] += (kind == 0xE0);
  }
  // (Meta and sysex statuses count into channel 15's 0xF0 kind, which matches nothing above.)
  for (int ch = 0; ch < 16; ++ch) {
    chs[ch].track.notes.reserve(n_notes[ch]);
    chs[ch].track.controls.reserve(n_controls[ch]);
    chs[ch].track.bends.reserve(n_bends[ch]);
  }

  std::vector<TextEvent> texts;
  std::vector<SysEx> sysex;
  int name_index = -1;
  uint32_t used = 0;  // bit per channel that saw a note-on

  for (const midi::Event& e : events) {
    const uint8_t status = e.status;
    if (status < 0xF0) [[likely]] {
      const uint8_t ch = status & 0x0F;
      ChannelState& c = chs[ch];
      switch (status >> 4) {
        case 0x9:
          if (e.data2 != 0) {
            note_on(pend, c.track.notes, ch, e.data1, e.data2, e.tick);
            c.keep = true;
            used |= 1u << ch;
          } else {
            note_off(pend, c.track.notes, ch, e.data1, e.tick);
          }
          break;
        case 0x8:
          note_off(pend, c.track.notes, ch, e.data1, e.tick);
          break;
        case 0xB:
          if (e.data1 == kCcBankMsb || e.data1 == kCcBankLsb) {
            if (!c.has_program) (e.data1 == kCcBankMsb ? c.bank_msb : c.bank_lsb) = e.data2;
          } else {
            c.track.controls.push_back(ControlChange{Ticks{e.tick}, e.data1, e.data2});
          }
          break;
        case 0xC:
          if (!c.has_program) {
            c.has_program = true;
            c.track.program = e.data1;
            c.track.bank = static_cast<uint16_t>(c.bank_msb * 128 + c.bank_lsb);
          }
          c.keep = true;
          break;
        case 0xE:
          c.track.bends.push_back(
              PitchBend{Ticks{e.tick}, static_cast<int16_t>((e.data2 << 7 | e.data1) - 8192)});
          break;
        default:  // 0xA0 polyphonic and 0xD0 channel aftertouch are not kept
          break;
      }
    } else if (status == 0xFF) {
      read_meta(file, e, smpte, g, texts, name_index);
    } else if (status == 0xF0 || status == 0xF7) {
      SysEx x{Ticks{e.tick}, {}};
      const auto payload = file.payload(e);
      x.bytes.reserve(payload.size() + 1);
      x.bytes.push_back(status);
      x.bytes.insert(x.bytes.end(), payload.begin(), payload.end());
      sysex.push_back(std::move(x));
    }
  }

  const int64_t last_tick = events.back().tick;
  for (int ch = 0; ch < 16; ++ch)
    if (used >> ch & 1) close_pending(pend, chs[ch].track.notes, uint8_t(ch), last_tick);

  std::string name;
  const size_t first_out = out.size();
  for (int ch = 0; ch < 16; ++ch) {
    ChannelState& c = chs[ch];
    if (c.keep) {
      if (out.size() == first_out && name_index >= 0) {
        name = std::move(texts[size_t(name_index)].text);
        texts.erase(texts.begin() + name_index);
      }
      Track& t = out.emplace_back(std::move(c.track));
      t.channel = uint8_t(ch);
      t.is_drum = (ch == 9);
      t.name = name;
      detail::sort_notes(t.notes);
    }
    c = ChannelState{};
  }
  if (out.size() > first_out) {
    out[first_out].texts = std::move(texts);
    out[first_out].sysex = std::move(sysex);
  } else {
    g.texts.insert(g.texts.end(), std::make_move_iterator(texts.begin()),
                   std::make_move_iterator(texts.end()));
    g.sysex.insert(g.sysex.end(), std::make_move_iterator(sysex.begin()),
                   std::make_move_iterator(sysex.end()));
  }
}

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

  Globals g;
  auto pend = std::make_unique<Pending>();
  std::array<ChannelState, 16> chs;
  s.tracks.reserve(file.tracks.size());
  for (const midi::Track& mt : file.tracks)
    read_track(file, mt, file.division.smpte, *pend, chs, s.tracks, g);

  if (!file.division.smpte) s.tempos = std::move(g.tempos);
  s.time_signatures = std::move(g.time_signatures);
  s.key_signatures = std::move(g.key_signatures);
  s.global_texts = std::move(g.texts);
  s.global_sysex = std::move(g.sysex);
  s.smpte_offset = g.smpte_offset;
  detail::sort_by_time_last_wins(s.tempos);
  detail::sort_by_time_last_wins(s.time_signatures);
  detail::sort_by_time_last_wins(s.key_signatures);
  auto by_time = [](const auto& a, const auto& b) { return a.time < b.time; };
  std::stable_sort(s.global_texts.begin(), s.global_texts.end(), by_time);
  std::stable_sort(s.global_sysex.begin(), s.global_sysex.end(), by_time);
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

Score parse(std::span<const uint8_t> bytes, std::string_view name) {
  const midi::File file = midi::parse(bytes, name);
  try {
    return from_midi(file);
  } catch (const Error& e) {
    throw Error(e.code(), std::string(name) + ": " + e.what());
  }
}

Score load(const std::string& path) { return parse(midi::read_file_bytes(path), path); }

std::vector<uint8_t> serialize(const Score& score) { return midi::serialize(to_midi(score)); }

void save(const Score& score, const std::string& path) {
  const std::vector<uint8_t> bytes = serialize(score);
  write_file_atomic(path, bytes);
}

}  // namespace continuo::score
