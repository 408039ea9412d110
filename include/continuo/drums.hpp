// continuo/drums.hpp: drum grids and the studio tools Groove (humanize) and Drumify.
//
//   using namespace continuo;
//   drums::Net groove = drums::Net::load(model::find_model("groove"));
//   score::Score beat = score::load("beat.mid");                // a quantized drum part
//   drums::GrooveOptions g; g.strength = 1.0;
//   score::save(drums::groove(groove, beat, g), "beat-human.mid");
//
//   drums::Net tap2drum = drums::Net::load(model::find_model("drumify"));
//   drums::DrumifyOptions d; d.style = "funk"; d.variations = 3; d.seed = 7;
//   std::vector<score::Score> outs = drums::drumify(tap2drum, score::load("bass.mid"), d);
//
// A drum part is seen on a sixteenth-note grid (4 steps per quarter note, counted from tick 0) with
// nine instrument classes (kick, snare, closed hi-hat, open hi-hat, low / mid / high tom, crash,
// ride). Each cell holds a hit (0/1), its velocity (0..1 = MIDI 0..127) and its offset from the grid
// line in steps (-0.5..0.5): the micro-timing of a human drummer.
//
// Both tools run one small network family (Net): per step, a feature vector (position in the beat,
// bar start, and the task's inputs) goes through a bidirectional GRU; a linear head gives, per class,
// a hit logit, a velocity (sigmoid) and an offset (0.5 * tanh). Groove reads the hits of a pattern
// and predicts velocities and offsets; Drumify reads a tapped rhythm (one voice: onset, velocity,
// offset per step) and an optional style, and predicts all three. Long inputs run in overlapping
// windows of `window` steps. The forward pass is plain C++ (no libtorch); weights are safetensors:
//   gru.{l}.{fwd|bwd}.weight_ih [3H, in]  .weight_hh [3H, H]  .bias_ih [3H]  .bias_hh [3H]
//   (gate order r, z, n as torch.nn.GRU; in = features for l = 0, else 2H)
//   head.weight [27, 2H]  head.bias [27]   (rows: 9 hit logits, 9 velocities, 9 offsets)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "continuo/model.hpp"
#include "continuo/score.hpp"

namespace continuo::drums {

inline constexpr const char* kFormat = "continuo-drums-1";
inline constexpr int kClasses = 9;
inline constexpr int kStepsPerBeat = 4;      // sixteenth notes
inline constexpr int kOutputs = 3 * kClasses;

// Instrument class of a drum note (GM and Roland TD-11 numbers), or -1 for a note outside the nine.
int drum_class(int pitch);
int class_pitch(int c);          // the GM note written for a class (36, 38, 42, 46, 43, 47, 50, 49, 51)
const char* class_name(int c);   // "kick", "snare", ...

// A part on the sixteenth grid. Cells are [steps][kClasses], row-major.
struct Grid {
  int64_t steps = 0;
  std::vector<float> hit, velocity, offset;
  std::vector<uint8_t> bar_start;   // [steps] 1 where a bar begins (from the score's metre)
  std::vector<uint8_t> beat_pos;    // [steps] step within its quarter note, 0..3
  void resize(int64_t n);
  size_t at(int64_t step, int c) const { return size_t(step) * kClasses + size_t(c); }
};

// Ticks of grid step `step` (exact when ticks_per_beat is a multiple of 4).
double step_ticks(const score::Score& s);
// The metre of a score on the grid: bar starts and beat positions for `steps` steps.
void fill_positions(const score::Score& s, Grid& g);
// The drum tracks of a score (all of them, merged) on the grid. Notes outside the nine classes
// are skipped; of two hits of one class on one step the louder one stays. steps = end of the last
// note rounded up to a whole bar.
Grid grid_from_drums(const score::Score& s);
// A tapped rhythm: onsets of the given tracks (all non-drum tracks when `tracks` is empty) on the
// grid, one voice: hit = any onset, velocity = the loudest, offset = that note's offset.
struct Taps {
  int64_t steps = 0;
  std::vector<float> hit, velocity, offset;   // [steps]
};
Taps taps_from_tracks(const score::Score& s, const std::vector<int>& tracks);
// The tapped rhythm of a drum grid (as a drummer tapping the groove on one pad would play it).
Taps taps_from_grid(const Grid& g);

// ---- the network -----------------------------------------------------------------------------
enum class Task { kGroove, kDrumify };

struct NetConfig {
  Task task = Task::kGroove;
  int hidden = 128;      // H per direction
  int layers = 2;
  int window = 32;       // steps per window at inference (as trained)
  std::vector<std::string> styles;   // Drumify: style names (one-hot); empty for Groove
  float velocity_default = 0.7f;     // Groove: velocity of an unaccented input hit (training median)
  std::string description;
  int features() const;  // input size per step
};
NetConfig load_net_config(const std::string& path);
std::string net_config_to_json(const NetConfig& c);

// Per-step feature vector layout (also used by training):
//   [0..3] one-hot step within the beat, [4] bar start,
//   Groove:  [5..13] hits of the nine classes
//   Drumify: [5] tap, [6] tap velocity, [7] tap offset * 2, [8..8+S) style one-hot (all 0 = any)
std::vector<float> groove_features(const Grid& g);                         // [steps, features]
std::vector<float> drumify_features(const Grid& positions, const Taps& t, int style, int n_styles);

class Net {
 public:
  static Net load(const model::ModelFiles& files);
  Net(NetConfig cfg, model::Weights w);   // checks every tensor's shape (kCorruptData)
  const NetConfig& config() const { return cfg_; }
  // One window: x [T, features] -> [T, 27] raw outputs (logits; velocity and offset activated).
  std::vector<float> forward(const float* x, int64_t T) const;
  // Any length: overlapping windows of config().window steps (hop window/2), averaged.
  std::vector<float> run(const std::vector<float>& x, int64_t T) const;

 private:
  NetConfig cfg_;
  model::Weights w_;
};

// Drumify's decision at temperature 0 for one step: the classes whose hit probability is over 0.5,
// and on a tapped step at least the likeliest class (every onset of the part gets a drum).
// `row` = one step of Net outputs; returns a bit mask over the nine classes.
unsigned drumify_decide(const float* row, bool tapped);

// ---- the tools -------------------------------------------------------------------------------
struct GrooveOptions {
  double strength = 1.0;   // 0 = unchanged, 1 = as learned; up to 2 exaggerates timing and dynamics
};
// Humanizes every drum track of `s`: each hit keeps its note (instrument), channel and duration;
// it moves to its grid line plus the predicted offset and takes the predicted velocity.
// Other tracks, tempo map and metre are untouched. Throws kInvalidArgument when s has no drum notes.
score::Score groove(const Net& net, const score::Score& s, const GrooveOptions& opt);

struct DrumifyOptions {
  std::string style;          // "" = any; else one of the model's styles
  std::vector<int> tracks;    // tracks whose onsets are the rhythm; empty = every non-drum track
  int variations = 1;
  double temperature = 0.0;   // 0 = every hit the model is sure of (p > 0.5); > 0 samples hits
  uint64_t seed = 1;
  bool keep_input = true;     // output = the input plus the new drum track (else the drums only)
};
// One score per variation: a drum track (channel 10) following the rhythm of the chosen parts, in
// the input's resolution, tempo map and metre. Throws kInvalidArgument for an input without notes.
std::vector<score::Score> drumify(const Net& net, const score::Score& s, const DrumifyOptions& opt);

// ---- the Groove MIDI Dataset and held-out evaluation ------------------------------------------
struct GmdItem {
  std::string path;       // absolute
  std::string style;      // top-level style ("funk")
  std::string split;      // "train", "validation", "test"
  bool fill = false;
  double bpm = 0;
  std::string time_signature;   // "4-4"
};
// Reads <dir>/info.csv (the official split). Throws kNotFound / kCorruptData.
std::vector<GmdItem> read_gmd_index(const std::string& dir);
struct GmdPiece {
  GmdItem item;
  score::Score score;
  Grid grid;
};
// Loads the pieces of one split ("" = all) with their grids; files with no drum notes are skipped.
std::vector<GmdPiece> load_gmd(const std::string& dir, const std::string& split);
// The style list used by Drumify models: styles with at least `min_files` training files.
std::vector<std::string> gmd_styles(const std::vector<GmdItem>& items, int min_files);

struct GrooveEval {
  size_t pieces = 0, hits = 0;
  // mean absolute errors: timing in milliseconds, velocity in MIDI units (0..127)
  double model_ms = 0, model_vel = 0;
  double nochange_ms = 0, nochange_vel = 0;     // on the grid, every hit at the training median
  double average_ms = 0, average_vel = 0;       // training mean per (class, step in bar)
  std::string to_json() const;
};
// Held-out Groove numbers: `train` gives the baselines' statistics, `test` the pieces scored.
GrooveEval eval_groove(const Net& net, const std::vector<GmdPiece>& train, const std::vector<GmdPiece>& test);

struct DrumifyEval {
  size_t pieces = 0, cells = 0, true_hits = 0;
  bool with_style = false;
  double model_precision = 0, model_recall = 0, model_f1 = 0, model_accuracy = 0;
  double prior_precision = 0, prior_recall = 0, prior_f1 = 0, prior_accuracy = 0;   // baseline
  double model_ms = 0, model_vel = 0;    // on hits both have
  std::string to_json() const;
};
// Held-out Drumify: taps of each test groove -> drums (temperature 0; no style, or with
// `with_style` the piece's own style when the model knows it) against the true drums, cell by cell
// (step x class). Baseline: per (class, step in bar, tap or not) the majority hit/no-hit of the
// training set.
DrumifyEval eval_drumify(const Net& net, const std::vector<GmdPiece>& train, const std::vector<GmdPiece>& test,
                         bool with_style = false);

}  // namespace continuo::drums
