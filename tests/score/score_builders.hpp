// Helpers for the score tests: hand-built midi::File objects (independent of midi::parse).
#pragma once

#include <array>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "continuo/midi.hpp"
#include "continuo/score.hpp"

namespace continuo::score::testing {

// Builds one MIDI track event by event (ticks absolute, non-decreasing).
class TrackBuilder {
 public:
  explicit TrackBuilder(midi::File& f) : f_(f) {}
  TrackBuilder& on(int64_t tick, int ch, int pitch, int vel) {
    return chan(tick, uint8_t(0x90 | ch), uint8_t(pitch), uint8_t(vel));
  }
  TrackBuilder& off(int64_t tick, int ch, int pitch, int vel = 0) {
    return chan(tick, uint8_t(0x80 | ch), uint8_t(pitch), uint8_t(vel));
  }
  TrackBuilder& cc(int64_t tick, int ch, int controller, int value) {
    return chan(tick, uint8_t(0xB0 | ch), uint8_t(controller), uint8_t(value));
  }
  TrackBuilder& program(int64_t tick, int ch, int p) { return chan(tick, uint8_t(0xC0 | ch), uint8_t(p), 0); }
  TrackBuilder& bend(int64_t tick, int ch, int value) {
    const int v = value + 8192;
    return chan(tick, uint8_t(0xE0 | ch), uint8_t(v & 0x7F), uint8_t(v >> 7));
  }
  TrackBuilder& meta(int64_t tick, midi::Meta type, std::vector<uint8_t> bytes) {
    events_.push_back(f_.make_meta(tick, type, bytes));
    return *this;
  }
  TrackBuilder& text(int64_t tick, midi::Meta type, const std::string& s) {
    return meta(tick, type, std::vector<uint8_t>(s.begin(), s.end()));
  }
  TrackBuilder& tempo(int64_t tick, uint32_t us) {
    return meta(tick, midi::Meta::kTempo, {uint8_t(us >> 16), uint8_t(us >> 8), uint8_t(us)});
  }
  TrackBuilder& time_sig(int64_t tick, int num, int den_pow) {
    return meta(tick, midi::Meta::kTimeSignature, {uint8_t(num), uint8_t(den_pow), 24, 8});
  }
  TrackBuilder& key_sig(int64_t tick, int sharps, bool minor) {
    return meta(tick, midi::Meta::kKeySignature, {uint8_t(int8_t(sharps)), uint8_t(minor)});
  }
  TrackBuilder& sysex(int64_t tick, std::vector<uint8_t> payload) {
    events_.push_back(f_.make_sysex(tick, 0xF0, payload));
    return *this;
  }
  TrackBuilder& end(int64_t tick) { return meta(tick, midi::Meta::kEndOfTrack, {}); }
  void done() { f_.tracks.push_back(midi::Track{std::move(events_)}); }

 private:
  TrackBuilder& chan(int64_t tick, uint8_t status, uint8_t d1, uint8_t d2) {
    midi::Event e;
    e.tick = tick;
    e.status = status;
    e.data1 = d1;
    e.data2 = d2;
    events_.push_back(e);
    return *this;
  }
  midi::File& f_;
  std::vector<midi::Event> events_;
};

inline midi::File make_file(int tpb = 480, uint16_t format = 1) {
  midi::File f;
  f.format = format;
  f.division.ticks_per_beat = uint16_t(tpb);
  return f;
}

inline Note note(int64_t start, int64_t duration, int pitch, int velocity = 80) {
  return Note{Ticks{start}, Ticks{duration}, uint8_t(pitch), uint8_t(velocity)};
}

// A small but complete score: two pitched tracks and drums, tempo / metre / key changes.
inline Score sample_score() {
  Score s;
  s.ticks_per_beat = 480;
  Track piano;
  piano.name = "Piano";
  piano.channel = 0;
  piano.program = 0;
  piano.notes = {note(0, 480, 60), note(0, 480, 64), note(480, 240, 62, 90), note(960, 960, 67, 100)};
  piano.controls = {ControlChange{Ticks{0}, 7, 100}, ControlChange{Ticks{0}, 64, 127},
                    ControlChange{Ticks{900}, 64, 0}};
  Track bass;
  bass.name = "Bass";
  bass.channel = 1;
  bass.program = 33;
  bass.bank = 129;
  bass.notes = {note(0, 960, 36, 70), note(960, 960, 43, 70)};
  bass.bends = {PitchBend{Ticks{100}, 4096}, PitchBend{Ticks{200}, 0}};
  Track drums;
  drums.name = "Drums";
  drums.channel = 9;
  drums.is_drum = true;
  drums.notes = {note(0, 60, 36, 110), note(480, 60, 38, 100), note(960, 60, 36, 110),
                 note(1440, 60, 38, 100)};
  s.tracks = {piano, bass, drums};
  s.tempos = {TempoChange{Ticks{0}, 500000}, TempoChange{Ticks{960}, 400000}};
  s.time_signatures = {TimeSignature{Ticks{0}, 4, 4}};
  s.key_signatures = {KeySignature{Ticks{0}, 2, false}};
  return s;
}

// A random MIDI file of `tracks` tracks exercising what the reader must pair and keep.
inline midi::File random_file(std::mt19937& rng, int tracks) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  midi::File f = make_file(pick(1, 960), uint16_t(pick(0, 2)));
  for (int t = 0; t < tracks; ++t) {
    TrackBuilder b(f);
    int64_t tick = 0;
    const int events = pick(0, 300);
    const int channels[4] = {pick(0, 15), pick(0, 1) ? 9 : pick(0, 15), pick(0, 15), pick(0, 15)};
    const int n_channels = pick(1, 4);
    for (int e = 0; e < events; ++e) {
      if (pick(0, 3) == 0) tick += pick(0, 50);
      const int ch = channels[pick(0, n_channels - 1)];
      const int pitch = 60 + pick(0, 4);  // few pitches: many overlaps
      switch (pick(0, 19)) {
        case 0: case 1: case 2: case 3: case 4: b.on(tick, ch, pitch, pick(1, 127)); break;
        case 5: case 6: case 7: b.off(tick, ch, pitch, pick(0, 127)); break;
        case 8: case 9: b.on(tick, ch, pitch, 0); break;
        case 10: b.cc(tick, ch, pick(0, 127), pick(0, 127)); break;
        case 11: b.cc(tick, ch, pick(0, 1) ? 0 : 32, pick(0, 127)); break;
        case 12: b.program(tick, ch, pick(0, 127)); break;
        case 13: b.bend(tick, ch, pick(-8192, 8191)); break;
        case 14: b.tempo(tick, uint32_t(pick(0, 0xFFFFFF))); break;
        case 15: b.time_sig(tick, pick(0, 12), pick(0, 9)); break;
        case 16: b.key_sig(tick, pick(-8, 8), pick(0, 2) == 1); break;
        case 17: b.text(tick, midi::Meta(pick(1, 9)), std::string(size_t(pick(0, 3)), char('a' + pick(0, 25)))); break;
        case 18: b.sysex(tick, {uint8_t(pick(0, 127)), 0xF7}); break;
        case 19: b.meta(tick, midi::Meta::kSmpteOffset, {1, 2, 3, 4, 5}); break;
      }
    }
    b.end(tick + pick(0, 100)).done();
  }
  if (pick(0, 9) == 0) {
    f.division.smpte = true;
    f.division.fps = uint8_t(std::array{24, 25, 29, 30}[size_t(pick(0, 3))]);
    f.division.ticks_per_frame = uint8_t(pick(1, 255));
  }
  return f;
}

}  // namespace continuo::score::testing
