// continuo/vae.hpp: latent models of short clips (variational autoencoders of 2-bar melodies and
// drum beats) and the studio tools built on them, Interpolate and clip generation.
//
//   using namespace continuo;
//   vae::Vae mel = vae::Vae::load(model::find_model("melody-vae"));
//   vae::InterpolateOptions o; o.steps = 5; o.seed = 1;
//   std::vector<score::Score> path = vae::interpolate(mel, score::load("a.mid"), score::load("b.mid"), o);
//   // path[0] ~ a.mid, path[4] ~ b.mid, in a.mid's resolution, tempo and metre
//   vae::GenerateClipOptions g; g.bars = 2; g.variations = 3; g.temperature = 1.0;
//   std::vector<score::Score> news = vae::generate_clips(mel, g);
//
// A clip is kSteps = 32 sixteenth notes (two bars of 4/4). Melody: per step one token: rest, hold
// (the previous note goes on) or the onset of a pitch in kLow..kLow+kPitches-1 (three octaves; a
// clip is moved by whole octaves into that range, and back when written). Drums: per step the hits
// of the nine classes of continuo/drums.hpp. Longer parts are cut at bar lines into chunks of two
// bars (one bar when two do not fit in 32 steps) and each chunk is a clip.
//
// The network: a bidirectional GRU reads the clip (one-hot tokens or hit vectors) and its two last
// states give the latent mean and log-variance; the decoder GRU starts from tanh(init(z)) and reads
// at each step [previous step's token or hits, z]; a linear head gives the token logits (melody,
// softmax) or nine hit logits (drums, independent). Weights (safetensors):
//   enc.{fwd|bwd}.{weight_ih [3E, D], weight_hh [3E, E], bias_ih [3E], bias_hh [3E]}
//   mu.weight [L, 2E] mu.bias [L]  logvar.weight [L, 2E] logvar.bias [L]  init.weight [H, L] init.bias [H]
//   dec.{weight_ih [3H, D+L], weight_hh [3H, H], bias_ih, bias_hh}   out.weight [D, H] out.bias [D]
// (D = 2 + kPitches for melody, 9 for drums; gate order r, z, n as torch.nn.GRU.)
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "continuo/model.hpp"
#include "continuo/score.hpp"

namespace continuo::vae {

inline constexpr const char* kFormat = "continuo-vae-1";
inline constexpr int kSteps = 32;          // steps per clip (sixteenth notes)
inline constexpr int kLow = 48;            // lowest melody pitch of a clip (C3)
inline constexpr int kPitches = 36;        // three octaves
inline constexpr int kRest = 0, kHold = 1; // melody tokens; pitch p is token 2 + p - kLow

enum class Kind { kMelody, kDrums };
const char* kind_name(Kind k);
int dims(Kind k);   // values per step: 2 + kPitches (melody tokens) or 9 (drum classes)

// One clip. Melody: v[kSteps] tokens. Drums: v[kSteps * 9] 0/1 hits (row-major, step then class).
struct Clip {
  Kind kind = Kind::kMelody;
  std::vector<int> v;
  int shift = 0;   // melody: semitones the clip was moved by (clip pitch = real pitch + shift)
};
// One-hot / multi-hot features [kSteps, dims(kind)].
std::vector<float> features(const Clip& c);
// Differences between two clips of one kind: steps with another token (melody) or cells with
// another hit (drums).
int distance(const Clip& a, const Clip& b);

// ---- clips from scores and back -------------------------------------------------------------
// The track read as the melody: a non-drum track named like "melody" (POP909), else the first
// non-drum track with notes; -1 when there is none.
int melody_track(const score::Score& s);
// A part cut into chunks of whole bars (two, or one when two bars exceed kSteps), each <= kSteps.
struct Chunk {
  int64_t first_step = 0, steps = 0;   // on the sixteenth grid from tick 0
};
std::vector<Chunk> chunks(const score::Score& s);
// The chunks of a score's metre from step 0 through `last_step`.
std::vector<Chunk> chunks_through(const score::Score& s, int64_t last_step);
// Melody or drum clips of every chunk. Melody: the highest note at each onset; notes sound until
// their end or the next onset. Throws kInvalidArgument when the part has no notes.
std::vector<Clip> melody_clips(const score::Score& s, int track);
std::vector<Clip> drum_clips(const score::Score& s);
// Training windows: clips at every chunk of a piece that hold at least `min_notes` onsets.
std::vector<Clip> training_clips(const score::Score& s, Kind kind, int min_notes = 2);
// A score of the clips laid end to end on `layout`'s chunks (its resolution, tempo map, metre and,
// for melody, the program and channel of `melody_track`; drums on channel 10).
score::Score clips_to_score(const std::vector<Clip>& clips, const score::Score& layout,
                            const std::vector<Chunk>& where, int melody_track = -1);
// Which kind a file holds: drums when it has drum notes on channel 10 and no other notes.
Kind kind_of(const score::Score& s);

// ---- the network -----------------------------------------------------------------------------
struct VaeConfig {
  Kind kind = Kind::kMelody;
  int enc_hidden = 128, dec_hidden = 256, latent = 32;
  std::string description;
  int dims() const { return vae::dims(kind); }
};
VaeConfig load_vae_config(const std::string& path);
std::string vae_config_to_json(const VaeConfig& c);
// True when the config file at `path` is a clip VAE (so that `continuo models` can describe it).
bool is_vae_config(const std::string& path);

class Vae {
 public:
  static Vae load(const model::ModelFiles& files);
  Vae(VaeConfig cfg, model::Weights w);   // checks every tensor's shape (kCorruptData)
  const VaeConfig& config() const { return cfg_; }
  // x [kSteps, D] -> mean and log-variance [latent] each.
  void encode(const std::vector<float>& x, std::vector<float>& mu, std::vector<float>& logvar) const;
  // Teacher-forced decoder logits [kSteps, D] (previous step's features from x): the numeric
  // twin of training, used by the tests.
  std::vector<float> decode_logits(const std::vector<float>& z, const std::vector<float>& x) const;
  // Decodes z step by step: temperature 0 = the likeliest token (melody) / hits over 0.5 (drums);
  // > 0 samples with logits / temperature.
  Clip decode(const std::vector<float>& z, double temperature, std::mt19937_64& rng) const;

 private:
  VaeConfig cfg_;
  model::Weights w_;
};

// Spherical interpolation between two latent points (linear when they are nearly parallel).
std::vector<float> slerp(const std::vector<float>& a, const std::vector<float>& b, double t);

// ---- the tools ---------------------------------------------------------------------------------
struct InterpolateOptions {
  int steps = 5;              // clips written, A's reconstruction first and B's last (2..64)
  double temperature = 0.0;   // 0 = the likeliest decoding
  uint64_t seed = 1;
};
// N scores that move from A to B: both are cut into chunks; chunk k of each is encoded (its mean),
// and points on the slerp path between them are decoded (a missing chunk of the shorter part is
// its chunks again from the start). The path is decoded finely and N points are picked, evenly as
// far as possible, such that the distance to A never shrinks and the distance to B never grows
// along the output (when such a pick exists). Output in A's resolution, tempo map and metre.
// Throws kInvalidArgument for inputs without notes, of different kinds, or of different metre.
std::vector<score::Score> interpolate(const Vae& vae, const score::Score& a, const score::Score& b,
                                      const InterpolateOptions& opt);
// The same on clips (one chunk each): returns the N clips.
std::vector<Clip> interpolate_clips(const Vae& vae, const std::vector<Clip>& a, const std::vector<Clip>& b,
                                    const InterpolateOptions& opt, std::vector<std::vector<Clip>>* per_output = nullptr);

struct GenerateClipOptions {
  int bars = 2;               // 1..16, in 4/4 at `bpm`
  int variations = 1;
  double temperature = 1.0;
  double bpm = 120;
  uint64_t seed = 1;
};
// New clips sampled from the prior N(0, I), one score per variation.
std::vector<score::Score> generate_clips(const Vae& vae, const GenerateClipOptions& opt);

// ---- held-out evaluation -----------------------------------------------------------------------
// The held-out split of the melody corpora: a file whose name hashes to 0 (mod 10) is test, 1 is
// validation, the rest train (stable across machines).
std::string melody_split(const std::string& file_name);
// Melody corpora under `data_dir` (folk-abc-music21/midi, nottingham/MIDI, pop909/POP909) of one
// split; returns (path, score) pairs' clips.
std::vector<Clip> load_melody_clips(const std::string& data_dir, const std::string& split, size_t* files = nullptr);
// Drum clips of the Groove MIDI Dataset's official split (info.csv).
std::vector<Clip> load_drum_clips(const std::string& gmd_dir, const std::string& split, size_t* files = nullptr);

struct VaeEval {
  Kind kind = Kind::kMelody;
  size_t clips = 0, files = 0;
  double accuracy = 0;            // melody: tokens right; drums: cells right (step x class)
  double onset_accuracy = 0;      // melody: onset steps with the right pitch
  double precision = 0, recall = 0, f1 = 0;   // drums: hits
  double baseline_accuracy = 0;   // of an all-rest (melody) / silent (drums) output
  double exact = 0;               // share of clips reconstructed exactly
  std::string to_json() const;
};
// Encodes each clip (its mean) and decodes at temperature 0; compares with the clip.
VaeEval eval_vae(const Vae& vae, const std::vector<Clip>& clips);

}  // namespace continuo::vae
