// continuo/transcribe.hpp: recordings to notes. Decode, resample, transcribe (a port of Spotify's
// basic-pitch), find the beat, and join a rendered continuation back onto the recording.
//
//   using namespace continuo::audio;
//   Signal s = decode_file("take.flac");                 // mono float, its own sample rate
//   BasicPitch bp = BasicPitch::load(default_basic_pitch_dir());
//   Posteriorgrams pg = bp.run(resample(s, kBasicPitchRate));
//   std::vector<NoteEvent> notes = notes_from_posteriorgrams(pg);   // reverse chronological
//   BeatGrid grid = track_beats(s);
//   score::Score heard = notes_to_score(notes, grid);    // tempo map: bar lines on the beats
//
// basic-pitch (github.com/spotify/basic-pitch, Apache-2.0, (c) Spotify AB): the network is read
// from its TF.js graph (models/basic-pitch/) and run by a small interpreter; the note creation is
// a re-implementation of its algorithm (onsets, frame tracking, the "melodia trick", pitch bends).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "continuo/audio.hpp"
#include "continuo/score.hpp"

namespace continuo::audio {

// Mono audio as floats in [-1, 1].
struct Signal {
  int sample_rate = 0;
  std::vector<float> samples;
  double seconds() const { return sample_rate > 0 ? double(samples.size()) / sample_rate : 0.0; }
};

struct DecodeLimits {
  double max_seconds = 600;    // longer recordings are refused (kUnsupported)
  int max_channels = 8;        // more channels are refused (kUnsupported)
  int min_rate = 8000, max_rate = 192000;
};

// "wav", "flac", "ogg", "mp3" when the bytes start like one of those, else "" (MIDI: "midi").
std::string sniff_format(std::span<const uint8_t> head);
// WAV, FLAC, Ogg (Vorbis, Opus) or MP3 through libsndfile, channels averaged to mono (as
// librosa.load(mono=True) does). Throws kCorruptData for what is not audio or is damaged,
// kUnsupported past the limits, kInvalidArgument for zero length.
Signal decode(std::span<const uint8_t> bytes, const std::string& name, const DecodeLimits& limits = {});
Signal decode_file(const std::string& path, const DecodeLimits& limits = {});

// libsoxr at its HQ setting (what librosa's default soxr_hq does); the result has
// ceil(n * rate / in_rate) samples, as librosa.resample keeps.
Signal resample(const Signal& s, int rate);

// ---- basic-pitch ----------------------------------------------------------------------------
constexpr int kBasicPitchRate = 22050;
constexpr int kBasicPitchHop = 256;      // samples per frame (about 86 frames a second)
constexpr int kBasicPitchPitches = 88;   // MIDI 21..108
constexpr int kBasicPitchContourBins = 264;

// The model's outputs over a whole recording, row-major.
struct Posteriorgrams {
  int frames = 0;
  std::vector<float> note;      // [frames, 88]  a pitch is sounding
  std::vector<float> onset;     // [frames, 88]  a note starts
  std::vector<float> contour;   // [frames, 264] pitch salience at 1/3 semitone
};

// $CONTINUO_BASIC_PITCH if set, else models/basic-pitch of the source tree.
std::string default_basic_pitch_dir();

class BasicPitch {
 public:
  // Reads model.json and its weights; throws kNotFound / kCorruptData.
  static BasicPitch load(const std::string& dir);
  BasicPitch();
  ~BasicPitch();
  BasicPitch(BasicPitch&&) noexcept;
  BasicPitch& operator=(BasicPitch&&) noexcept;
  // `s` must be at kBasicPitchRate. Cuts it into overlapping 2 s windows as the reference does
  // (3840 zeros in front, windows of 43844 samples every 36164), runs them on `threads` threads
  // and joins the outputs, 15 frames dropped at each window edge.
  Posteriorgrams run(const Signal& s, int threads = 0) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

struct NoteOptions {
  float onset_threshold = 0.5f;
  float frame_threshold = 0.3f;
  int min_note_frames = 11;        // 127.7 ms, the reference's default
  bool infer_onsets = true;
  bool melodia_trick = true;
  int energy_tolerance = 11;
  std::optional<double> min_hz, max_hz;
};

struct NoteEvent {
  double start_s = 0, end_s = 0;
  int pitch = 0;             // MIDI
  double amplitude = 0;      // mean note posterior, 0..1
  std::vector<int> bends;    // one per frame, in 1/3 semitones
};

// Notes in the reference's order: onset-led notes backwards in time, then melodia notes.
std::vector<NoteEvent> notes_from_posteriorgrams(const Posteriorgrams& pg, const NoteOptions& opt = {});
// Time of frame `frame` (the reference's model_frames_to_time, window offset included).
double basic_pitch_frame_time(int frame);

// ---- beat and tempo ----------------------------------------------------------------------------
struct BeatGrid {
  double bpm = 120;
  std::vector<double> beats;     // seconds
  int beats_per_bar = 4;
  int first_downbeat = 0;        // index into beats
};
// Onset-strength envelope (spectral flux), tempo by autocorrelation, beats by dynamic programming
// (Ellis 2007); the downbeat phase is the one whose beats carry the most note onsets and energy.
// `notes` may be empty.
BeatGrid track_beats(const Signal& s, const std::vector<NoteEvent>& notes = {});

// A one-track score of the notes (program `program`), with a tempo map that puts a beat tick on
// every tracked beat and a bar line on every downbeat (4/4, a pickup bar if needed). Pitch bends
// are not written (the NoteEvents keep them).
score::Score notes_to_score(const std::vector<NoteEvent>& notes, const BeatGrid& grid, int program = 0);

// ---- the whole step ------------------------------------------------------------------------------
struct Transcription {
  std::vector<NoteEvent> notes;
  BeatGrid grid;
  score::Score score;      // notes_to_score(notes, grid, program)
};
// resample -> BasicPitch::run -> notes_from_posteriorgrams -> track_beats -> notes_to_score.
// Throws kInvalidArgument ("no notes heard") when the recording yields no notes (silence, noise).
// `model_input`, if given, receives the 22050 Hz samples the model saw.
Transcription transcribe(const Signal& s, const BasicPitch& bp, const NoteOptions& opt = {}, int program = 0,
                         Signal* model_input = nullptr);

// ---- joining ----------------------------------------------------------------------------------
struct JoinReport {
  double seam_s = 0;            // where the continuation starts in the output
  double gain_db = 0;           // applied to the continuation
  double clip_last_db = 0, cont_db = 0;   // RMS levels (dBFS) of the clip's last 2 s and of the continuation
  double max_step_seam = 0;     // largest sample-to-sample step within 10 ms of the seam
  double max_step_clip = 0;     // largest step anywhere in the clip
};
// The clip up to `seam_s`, then a crossfade over `fade_s` into `cont` (rendered to start at the
// seam), gain-matched to the clip's last two seconds. Output at the clip's rate, stereo.
Audio join_at(const Signal& clip, const Audio& cont, double seam_s, double fade_s, JoinReport* report = nullptr);

}  // namespace continuo::audio
