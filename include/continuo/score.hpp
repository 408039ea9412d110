// continuo/score.hpp: the score model every layer above MIDI works with.
//
//   using namespace continuo;
//   score::Score s = score::load("song.mid");           // throws continuo::Error
//   score::Score q = score::quantize(s, 4);              // sixteenth-note grid
//   score::Score t = score::transpose(s, -2);            // drums stay put
//   score::Score head = score::slice_bars(s, 0, 8);      // first 8 bars
//   Seconds len = score::tick_to_seconds(s, score::end_tick(s));
//   score::save(t, "out.mid");                           // atomic write
//
// A Score holds tracks (name, channel, program, bank, drum flag) with their notes, control changes
// and pitch bends, plus the global tempo map, time and key signatures. Times are absolute ticks at
// `ticks_per_beat`. Notes in a track are sorted by (start, pitch, duration, velocity); the other
// lists by time (ties keep their order: the order of control changes at one tick matters).
//
// Reading (from_midi) is faithful: every note, control change, pitch bend, text and sysex of a
// kept channel stays. What a Score does not hold: polyphonic and channel aftertouch, program
// changes after the first one of a track, bank selects (CC0/CC32: folded into Track::bank),
// channel prefix / port / sequencer-specific metas, and channels that have neither notes nor a
// program change. Writing (to_midi) then reading gives back an equal Score (see operator==).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "continuo/midi.hpp"
#include "continuo/units.hpp"

namespace continuo::score {

struct Note {
  Ticks start;
  Ticks duration;       // >= 0
  uint8_t pitch = 60;   // 0..127
  uint8_t velocity = 64;  // 1..127
  auto operator<=>(const Note&) const = default;
};

struct ControlChange {
  Ticks time;
  uint8_t controller = 0;
  uint8_t value = 0;
  auto operator<=>(const ControlChange&) const = default;
};

struct PitchBend {
  Ticks time;
  int16_t value = 0;    // -8192..8191, 0 = centre
  auto operator<=>(const PitchBend&) const = default;
};

// Meta text that is kept for round trips (text, lyrics, markers, cue points, copyright).
struct TextEvent {
  Ticks time;
  uint8_t type = 1;     // midi::Meta value
  std::string text;
  auto operator<=>(const TextEvent&) const = default;
};

struct SysEx {
  Ticks time;
  std::vector<uint8_t> bytes;   // payload including the leading F0 (or F7 for an escape) status
  auto operator<=>(const SysEx&) const = default;
};

struct Track {
  std::string name;
  uint8_t channel = 0;   // 0..15
  uint8_t program = 0;   // 0..127, General MIDI program
  uint16_t bank = 0;     // CC0 * 128 + CC32 at the first program change
  bool is_drum = false;  // channel 10 (index 9)
  std::vector<Note> notes;
  std::vector<ControlChange> controls;
  std::vector<PitchBend> bends;
  std::vector<TextEvent> texts;
  std::vector<SysEx> sysex;
  bool operator==(const Track&) const = default;
};

struct TempoChange {
  Ticks time;
  uint32_t us_per_beat = 500000;  // microseconds per quarter note
  double bpm() const { return 60'000'000.0 / us_per_beat; }
  auto operator<=>(const TempoChange&) const = default;
};

struct TimeSignature {
  Ticks time;
  uint8_t numerator = 4;
  uint8_t denominator = 4;  // a power of two
  auto operator<=>(const TimeSignature&) const = default;
};

struct KeySignature {
  Ticks time;
  int8_t sharps = 0;   // -7..7 (negative = flats)
  bool minor = false;
  auto operator<=>(const KeySignature&) const = default;
};

struct SmpteOffset {
  uint8_t hours = 0, minutes = 0, seconds = 0, frames = 0, subframes = 0;
  auto operator<=>(const SmpteOffset&) const = default;
};

struct Score {
  int ticks_per_beat = 480;
  std::vector<Track> tracks;
  std::vector<TempoChange> tempos;            // sorted; empty means 120 BPM
  std::vector<TimeSignature> time_signatures; // sorted; empty means 4/4
  std::vector<KeySignature> key_signatures;   // sorted
  // Texts (including track names) and sysex of MIDI tracks without notes or program changes, e.g.
  // the conductor track of a format 1 file; written to the conductor track.
  std::vector<TextEvent> global_texts;
  std::vector<SysEx> global_sysex;
  std::optional<SmpteOffset> smpte_offset;
  // Facts about the source file, informational only (not compared).
  uint16_t source_format = 1;
  bool source_smpte = false;
  // Musical content: everything above except source_format and source_smpte.
  bool operator==(const Score& o) const;
};

// ---- MIDI conversion -----------------------------------------------------------------------
// A Score from a raw MIDI file: note-on velocity 0 is a note-off; overlapping notes of one pitch
// on one channel (within one MIDI track) are paired first-in first-out; notes still sounding at
// the end of the track end at its last tick. Each MIDI track becomes one Score track per channel
// that has a note or a program change. Tempo / signature metas of any track form the global maps
// (several at one tick: the last in file order wins). Format 2 is read like format 1 (every track
// from tick 0). SMPTE division becomes ticks_per_beat = fps * ticks_per_frame at 60 BPM, so
// seconds are exact; 29 fps (29.97 drop frame) becomes 30 * ticks_per_frame at 1,001,000 us per
// beat, the exact NTSC rate. Not normalized: duplicate notes are kept as the file has them.
Score from_midi(const midi::File& file);
// Format 1: a conductor track, then one track per Score track. from_midi(to_midi(s)) == s for
// every score read from a file, and for any score whose same-pitch notes on a track end in the
// order they start (the only pairings MIDI can express). Throws kInvalidArgument for what MIDI
// cannot hold (channel > 15, negative times, ticks_per_beat outside 1..32767, ...).
midi::File to_midi(const Score& score);
// Same result as from_midi(midi::parse(bytes, name)), read in one pass without the event list.
Score parse(std::span<const uint8_t> bytes, std::string_view name = "<memory>");
Score load(const std::string& path);      // read_file_bytes + parse
std::vector<uint8_t> serialize(const Score& score);
void save(const Score& score, const std::string& path);  // atomic

// ---- Time --------------------------------------------------------------------------------
// Exact conversion through the tempo map (integer microsecond arithmetic for tick -> second).
Seconds tick_to_seconds(const Score& s, Ticks t);
Ticks seconds_to_tick(const Score& s, Seconds sec);   // rounds to the nearest tick
Beats tick_to_beats(const Score& s, Ticks t);
Ticks end_tick(const Score& s);                       // end of the last note (or last event)
// Start tick of bar `bar` (0-based) under the time signature map.
Ticks bar_start(const Score& s, int64_t bar);
// Bar index containing tick t and the number of bars spanned by the score.
int64_t bar_of(const Score& s, Ticks t);
int64_t bar_count(const Score& s);

// ---- Operations (all return a new Score) -----------------------------------------------------
// Snap starts and ends to a grid of `steps_per_beat` per quarter note; notes keep at least one step.
Score quantize(const Score& s, int steps_per_beat);
// Change ticks_per_beat, rescaling every time (rounding to nearest).
Score resample(const Score& s, int ticks_per_beat);
// Shift pitched notes by `semitones`; drum tracks untouched; notes leaving 0..127 are dropped.
Score transpose(const Score& s, int semitones);
// Everything in [begin, end) ticks, shifted to start at 0; notes crossing `end` are cut there;
// tempo / signatures in force at `begin` are carried to time 0.
Score slice_ticks(const Score& s, Ticks begin, Ticks end);
Score slice_beats(const Score& s, double begin_beat, double end_beat);
Score slice_bars(const Score& s, int64_t begin_bar, int64_t end_bar);
// The first n notes in time order (over all tracks) with everything up to the last one's start.
Score first_notes(const Score& s, size_t n);
// Tracks of b added to a (b's times rescaled to a's ticks_per_beat, offset by `offset`);
// a's tempo map and signatures win.
Score merge(const Score& a, const Score& b, Ticks offset = Ticks{0});
// Sort every list and drop exact duplicates; all operations return normalized scores.
void normalize(Score& s);

// ---- Statistics and views ----------------------------------------------------------------------
struct TrackSummary {
  std::string name;
  int channel = 0;
  int program = 0;
  bool is_drum = false;
  std::string instrument;    // General MIDI name, or "Drum kit"
  size_t notes = 0;
  int pitch_min = 0, pitch_max = 0;
};
struct Summary {
  int ticks_per_beat = 0;
  size_t notes = 0;
  std::vector<TrackSummary> tracks;
  std::vector<double> tempos_bpm;        // distinct, in order of appearance
  std::vector<std::string> time_signatures;  // "3/4"
  std::vector<std::string> key_signatures;   // "D major", "B minor"
  int64_t bars = 0;
  double beats = 0;
  double seconds = 0;
  double pitch_class_histogram[12] = {};  // normalized, pitched notes only
  double mean_velocity = 0;
  double notes_per_second = 0;
};
Summary summarize(const Score& s);

// Piano roll: rows = 128 pitches, columns = time steps of 1/steps_per_beat beat.
// Cell = max velocity of any note sounding there (0 = silence). Row-major [128][columns].
struct PianoRoll {
  int steps_per_beat = 4;
  int64_t columns = 0;
  std::vector<uint8_t> cells;
  uint8_t at(int pitch, int64_t column) const { return cells[size_t(pitch) * columns + column]; }
};
PianoRoll piano_roll(const Score& s, int steps_per_beat, bool include_drums = true);

// The piano roll as a picture (`continuo roll`): time left to right with bar lines, pitch bottom
// to top (the range the notes use), one colour per track (drums grey, as short ticks), louder
// notes stronger; the first `prompt_beats` beats shaded and closed by a dark line.
struct RollOptions {
  double pixels_per_beat = 12;
  int pixels_per_pitch = 4;
  double prompt_beats = 0;   // 0 = no shading
  double max_beats = 0;      // 0 = the whole piece
};
std::string roll_png(const Score& s, const RollOptions& o);   // PNG file bytes
std::string roll_svg(const Score& s, const RollOptions& o);   // SVG text

// General MIDI program name ("Acoustic Grand Piano") and drum note name ("Acoustic Snare").
const char* gm_program_name(int program);
const char* gm_drum_name(int note);
std::string key_name(int sharps, bool minor);

}  // namespace continuo::score
