// score/builder.hpp: ScoreBuilder turns a stream of MIDI events, track by track, into a Score.
// Used by from_midi (events of a midi::File) and by the fused byte parser (score/fast_parse.cpp).
//
// Hot path: every note of a MIDI track goes into one scratch buffer (raw pointer, no capacity
// checks: the caller promises an upper bound); note-ons waiting for their note-off form a
// first-in first-out list per (channel, pitch) linked through the pending notes' duration field
// (-(next + 2), -1 for none), with head and tail in fixed [16][128] arrays. At the end of the
// track the notes are split by channel into exactly sized vectors and sorted.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "continuo/midi.hpp"
#include "continuo/score.hpp"

namespace continuo::score::detail {

class ScoreBuilder {
 public:
  // `smpte`: tempo metas are ignored (SMPTE time does not depend on them).
  explicit ScoreBuilder(bool smpte);
  ~ScoreBuilder();
  ScoreBuilder(const ScoreBuilder&) = delete;
  ScoreBuilder& operator=(const ScoreBuilder&) = delete;

  // Starts a MIDI track that has at most `max_notes` note-ons.
  void begin_track(size_t max_notes);
  void reserve_tracks(size_t n) { tracks_.reserve(n); }

  // The note state of the current track, copied into a local by the event loop (so that the
  // compiler keeps it in registers: the byte stores of a note may alias any member) and handed
  // back with set_hot() before any other call.
  struct Hot {
    Note* buf;
    uint8_t* tag;
    uint32_t n;
    int32_t (*head)[128];
    int32_t (*tail)[128];
    uint32_t* count;

    void note_on(int64_t tick, uint8_t ch, uint8_t pitch, uint8_t velocity) {
      const int32_t idx = static_cast<int32_t>(n);
      Note* p = buf + idx;
      p->start = Ticks{tick};
      p->duration = Ticks{-1};
      p->pitch = pitch;
      p->velocity = velocity;
      tag[idx] = ch;
      ++n;
      ++count[ch];
      int32_t& t = tail[ch][pitch];
      if (t >= 0)
        buf[t].duration = Ticks{-(int64_t(idx) + 2)};
      else
        head[ch][pitch] = idx;
      t = idx;
    }

    void note_off(int64_t tick, uint8_t ch, uint8_t pitch) {
      int32_t& h = head[ch][pitch];
      const int32_t i = h;
      if (i < 0) return;  // a note-off without a note-on: ignored
      Note& note = buf[i];
      const int64_t next = -note.duration.count() - 2;
      note.duration = Ticks{tick - note.start.count()};
      h = static_cast<int32_t>(next);
      if (next < 0) tail[ch][pitch] = -1;
    }
  };
  Hot hot() { return Hot{buf_, tag_, n_, head_, tail_, count_}; }
  void set_hot(const Hot& h) { n_ = h.n; }

  void control(int64_t tick, uint8_t ch, uint8_t controller, uint8_t value);
  void program(uint8_t ch, uint8_t program);
  void bend(int64_t tick, uint8_t ch, uint8_t lsb, uint8_t msb) {
    touched_ |= 1u << ch;
    ch_[ch].bends.push_back(PitchBend{Ticks{tick}, static_cast<int16_t>((msb << 7 | lsb) - 8192)});
  }
  void meta(int64_t tick, uint8_t type, std::span<const uint8_t> payload);
  void sysex(int64_t tick, uint8_t status, std::span<const uint8_t> payload);

  // Ends the current MIDI track; notes still sounding end at `last_tick`.
  void end_track(int64_t last_tick);

  // Moves the tracks and the sorted global maps into `s`.
  void finish(Score& s);

 private:
  struct Channel {
    std::vector<ControlChange> controls;
    std::vector<PitchBend> bends;
    bool has_program = false;
    uint8_t program = 0;
    uint8_t bank_msb = 0, bank_lsb = 0;
    uint16_t bank = 0;
  };

  bool smpte_;
  // Scratch storage (malloc: left uninitialized; Note is an implicit-lifetime aggregate).
  size_t capacity_ = 0;
  Note* buf_ = nullptr;
  uint8_t* tag_ = nullptr;
  uint32_t n_ = 0;
  uint32_t count_[16] = {};
  uint32_t touched_ = 0;  // channels with controls, bends or a program in this track
  int32_t head_[16][128];
  int32_t tail_[16][128];
  Channel ch_[16];
  std::vector<TextEvent> texts_;  // of the current MIDI track
  std::vector<SysEx> sysex_;
  int name_index_ = -1;

  std::vector<Track> tracks_;
  std::vector<TempoChange> tempos_;
  std::vector<TimeSignature> time_signatures_;
  std::vector<KeySignature> key_signatures_;
  std::vector<TextEvent> global_texts_;
  std::vector<SysEx> global_sysex_;
  std::optional<SmpteOffset> smpte_offset_;
};

}  // namespace continuo::score::detail
