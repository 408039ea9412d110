// continuo/eval.hpp: how good a model is, in numbers anyone can rerun.
//
//   auto split = train::load_split("runs/data-default", "valid");
//   eval::NllResult ours = eval::model_nll(model_files, split);          // bits per note / event
//   eval::NgramModel ng = eval::NgramModel::fit(train::load_split(dir, "train"));
//   eval::NllResult base = ng.nll(split);
//   eval::ContinuationReport rep = eval::continuations(engine_model, split, {});
#pragma once

#include <array>
#include <string>
#include <vector>

#include "continuo/engine.hpp"
#include "continuo/tasks.hpp"
#include "continuo/train.hpp"

namespace continuo::eval {

struct NllResult {
  double nats = 0;          // summed negative log-likelihood
  int64_t events = 0;       // predicted events
  int64_t notes = 0;        // predicted NOTE events
  double pitch_nats = 0;    // the part of `nats` spent on NOTE pitches (drum sounds included)
  // Key: over the notes on pitched tracks, the model's mean probability on pitch classes outside
  // the piece's 7 most used ones, and how many of the real notes are outside them (model_nll only).
  double off_key_mass = 0;
  int64_t pitched_notes = 0, off_key_notes = 0;
  double bits_per_event() const;
  double bits_per_note() const;
  double pitch_bits_per_note() const;
  double mean_off_key_mass() const { return pitched_notes ? off_key_mass / double(pitched_notes) : 0; }
  double off_key_share() const { return pitched_notes ? double(off_key_notes) / double(pitched_notes) : 0; }
};

// Model NLL over documents, in windows of the model's max_len (each window = the document's
// up-to-date header + the next events; every body event is predicted once).
NllResult model_nll(const model::ModelFiles& files, const train::Split& split, size_t max_docs = 0);
NllResult model_nll_events(const model::ModelFiles& files, const std::vector<tokenizer::Event>& events);

// The baseline: per field, an interpolated bigram over that field's values in events of the
// same kind (kind itself: an interpolated trigram over kinds), add-one smoothed.
class NgramModel {
 public:
  static NgramModel fit(const train::Split& train);
  NllResult nll(const train::Split& split, size_t max_docs = 0) const;

 private:
  double field_logprob(int kind, int field, int prev, int value) const;
  std::vector<std::vector<std::vector<double>>> bigram_;   // [kind*6+field][prev][value] counts
  std::vector<std::vector<double>> unigram_;               // [kind*6+field][value]
  std::vector<double> kind_tri_;                           // [k2][k1][k]
};

// How a continuation relates to its prompt, averaged over held-out pieces.
struct ContinuationStats {
  double pitch_class_l1 = 0;     // L1 distance of pitch-class histograms (0..2)
  double off_key = 0;            // share of the continuation's pitched notes outside the prompt's 7 main pitch classes
  double density_ratio = 0;      // |log(notes per beat of continuation / prompt)|
  double velocity_mean_diff = 0; // |mean velocity difference|
  double velocity_range_iou = 0; // overlap of [p10, p90] velocity ranges
  double instrument_jaccard = 0; // Jaccard index of the sets of instruments playing
  double ioi_overlap = 0;        // overlap (0..1) of the inter-onset-interval histograms
  double repeated_bars = 0;      // share of the continuation's whole bars that repeat an earlier bar exactly
  // the groove: over the pieces whose prompt has at least 16 drum hits, the overlap (0..1) of the
  // histograms of (place in the bar, drum) of the prompt's hits and the continuation's (0 when
  // the continuation has no drums)
  double groove_overlap = 0;
  int groove_pieces = 0;
  // the parts: over the tracks that played at least 4 notes in the prompt's last 4 bars, the
  // share of the continuation's whole bars in which they play a note (a part that falls silent
  // for good scores 0)
  double part_presence = 0;
  int64_t part_bars = 0, part_bars_played = 0;
  int64_t repeated = 0, bars = 0;
  int pieces = 0;
};
struct ContinuationRow {
  std::string label;             // "true continuation", "model T=1.0", ...
  ContinuationStats stats;
};
struct ContinuationOptions {
  int pieces = 24;
  int prompt_events = 256;
  int events = 256;
  std::vector<float> temperatures = {0.7f, 1.0f, 1.3f};
  float top_p = 0.98f;
  float key_strength = 0.0f;   // engine::SampleOptions::key_strength
  float key_anchor = -1.0f;    // engine::SampleOptions::key_anchor (< 0: the model's own)
  float copy_anchor = -1.0f;   // engine::SampleOptions::copy_anchor (< 0: the model's own)
  float part_balance = -1.0f;  // engine::SampleOptions::part_balance (< 0: the model's own)
  float pitched_anchor = -1.0f;  // engine::SampleOptions::pitched_anchor (< 0: the model's own)
  bool with_drums = false;     // only pieces whose prompt has at least 16 drum hits (the groove)
  float loop_guard = 1.0f;     // engine::SampleOptions::loop_guard
  std::string save_dir;        // if set: each piece's prompt + true continuation and each sample as MIDI
  uint64_t seed = 1;
};
std::vector<ContinuationRow> continuations(const engine::Model& m, const train::Split& split,
                                           const ContinuationOptions& opt,
                                           const std::function<void(const std::string&)>& log = {});

// ---- does a model use what the piece already did? (`continuo eval --copy`, docs/EVAL.md)

// The first whole bars of each of `pieces` pieces (up to max_events events) written twice in a
// row, scored with engine::score_events: bits per note of the second, exact pass over the first.
struct RepeatResult {
  std::vector<double> first_bits, second_bits, ratios;
  double median = 0, q1 = 0, q3 = 0;
};
// A piece's first whole bars (up to max_events body events) followed by the same bars again.
struct RepeatedPiece {
  std::vector<tokenizer::Event> events;   // header, first pass, second pass (no EOS)
  size_t header = 0, second = 0;          // where the first and the second pass begin
};
RepeatedPiece repeated_piece(const std::vector<tokenizer::Event>& events, int max_events = 400);
// Bits per note of the first and the second pass under the model.
std::pair<double, double> repeat_bits(const engine::Model& m, const RepeatedPiece& rp);
RepeatResult repeat_cost(const engine::Model& m, const train::Split& split, int pieces, int max_events = 400,
                         const std::function<void(const std::string&)>& log = {});

// A strict loop: 4/4 at 100 BPM, electric bass in quarter notes on C for two bars then G for two,
// piano triads on beats 1 and 3 (C major, G major), kick on 1 and 3, snare on 2 and 4, eighth
// hi-hats; `bars` bars of it as events (BOS, header, notes; no EOS).
std::vector<tokenizer::Event> strict_loop_events(int bars);
// Bits per note of the 8- and 32-bar loop, and the F1 of the notes (onset, track, pitch) of the
// two bars after an 8-bar prompt against the loop's own, over `seeds` seeds of `sampling`.
struct LoopResult {
  double bits_8 = 0, bits_32 = 0;
  std::vector<double> f1;
  double mean_f1 = 0, min_f1 = 0;
};
LoopResult loop_continuation(const engine::Model& m, const engine::SampleOptions& sampling, int seeds);

// Generation without a prompt (BOS only) over seeds 1..seeds: per piece, the share of the most
// frequent pitch among the pitched notes and the number of distinct pitches; beside the same of
// the first `events` events of real pieces of `split`.
struct UnpromptedResult {
  std::vector<double> model_top_share, real_top_share;
  std::vector<double> model_distinct, real_distinct;
};
UnpromptedResult unprompted(const engine::Model& m, const train::Split& split, const engine::SampleOptions& sampling,
                            int seeds, int events = 200);
double quantile_of(const std::vector<double>& v, double q);   // linear interpolation, q in [0, 1]

// How often each copy source (tokenizer::CopyTracker) proposes the next note exactly (velocity
// aside), over every note of every piece of `split`; also how often any of sources 0-3, any of
// the part sources (4 and up), and any source at all does.
struct CopyHits {
  int64_t notes = 0;
  std::array<double, tokenizer::kCopySources> source{};
  double any_first = 0, any_parts = 0, any = 0;
};
CopyHits copy_source_hits(const train::Split& split);

// ---- infill and accompany (`continuo eval --infill`, `--accompany`; docs/EVAL.md) ---------------
// Infill: pieces of at least context + bars + 2 x seam bars of one length, cut to that; bars
// context+1 .. context+bars written four ways: the truth, the bars before copied in, a plain
// continuation from the passage's start that ignores what follows (tasks::infill with one
// candidate), and tasks::infill with `candidates`. Per row: the bits per note of the seam (the
// `seam_bars` bars after the passage, each event given everything before it) and of the
// `seam_bars` after those; the passage against the true one: pitch-class L1, |log| of the note
// count ratio, overlap of inter-onset histograms, Jaccard of the instruments.
struct InfillEvalOptions {
  int pieces = 30, context_bars = 4, bars = 4, seam_bars = 2, candidates = tasks::InfillOptions().candidates;
  double density_weight = -1;   // < 0: tasks::InfillOptions' default
  double model_density = -1;    // < 0: tasks::InfillOptions' default
  double vary_share = -1;       // < 0: tasks::InfillOptions' default
  float vary_strength = -1;     // < 0: tasks::InfillOptions' default
  double max_repeat = -1;       // < 0: tasks::InfillOptions' default
  double range_weight = -1;     // < 0: tasks::InfillOptions' default
  float steer_strength = -1;    // < 0: tasks::InfillOptions' default
  double steer_share = -1;      // < 0: tasks::InfillOptions' default
  double match_weight = -1;     // < 0: tasks::InfillOptions' default
  double match_distance = -1;   // < 0: tasks::InfillOptions' default
  // false: every row sees only the first context_bars + bars + 2 seam_bars bars of each piece (an
  // excerpt); true: the infill and continuation rows are given the whole piece with the passage's
  // bars to rewrite, as a musician would (the statistics and the seam are measured alike).
  bool whole_pieces = false;
  // A future_context model: the infill row knows what follows (false: blind, for the ablation),
  // and a fifth row writes one candidate knowing it. The continuation row is always blind.
  bool known_future = true;
  float temperature = 1.0f, top_p = 0.98f, key_strength = 0.5f;
  uint64_t seed = 1;
  std::string save_dir;
  // If set, every candidate of the infill row's passages and the terms of the choice
  // (tasks::InfillCandidate) are written here as JSON lines, with the piece's true note count:
  // for studying other choices among the same candidates (tools/infill_choice.py)
  std::string candidates_log;
};
struct InfillRow {
  std::string label;
  double seam_nats = 0, later_nats = 0;
  int64_t seam_notes = 0, later_notes = 0;
  double pitch_class_l1 = 0, density = 0, ioi_overlap = 0, instrument_jaccard = 0, seconds = 0;
  // the passage against its surroundings (the `bars` bars before it and all after it), as the
  // continuation statistics compare a continuation with its prompt; the true passage's row says
  // how far real music strays
  double around_pc_l1 = 0, around_density = 0, around_ioi = 0;
  // the share of the passage's notes that repeat the bars before it: the same track, pitch and
  // onset (model grid) one passage-length earlier (the copied bars: 1; the truth: how much real
  // music repeats there)
  double repeats = 0;
  // the share of the passage's pitched notes that lie outside their track's pitch range in the
  // surroundings, widened by 2 semitones (stray notes: a melody note an octave under the tune);
  // tracks without notes around are not counted
  double outside_range = 0;
  int pieces = 0;
  double seam_bits() const { return seam_notes ? seam_nats / double(seam_notes) / 0.6931471805599453 : 0; }
  double later_bits() const { return later_notes ? later_nats / double(later_notes) / 0.6931471805599453 : 0; }
};
std::vector<InfillRow> infill_eval(const engine::Model& m, const train::Split& split, const InfillEvalOptions& opt,
                                   const std::function<void(const std::string&)>& log = {});
// Accompany: MIDI files under `folder` (not under versions/) with tracks named MELODY and PIANO
// (POP909), their first `bars` bars: the melody kept, a piano written. Per beat, the pitch classes
// sounding in the piano part against the true PIANO track's (Jaccard, over beats where either
// sounds) and the share of the melody's pitch classes the piano part also sounds (beats where
// both sound); onsets (sixteenth grid) against the melody's (F1). Rows: the true PIANO track, one
// candidate per chunk (no lookahead: the model hears each melody note as it comes, not the
// next bars), and `candidates` per chunk chosen by the melody's next bars.
struct AccompanyEvalOptions {
  int pieces = 20, bars = 32, candidates = 4, chunk_bars = 2;
  double density_weight = -1;   // < 0: tasks::AccompanyOptions' default
  // A future_context model: the chosen row knows the melody ahead (false: blind), and a fourth
  // row writes one candidate knowing it. The one-candidate baseline is always blind.
  bool known_future = true;
  double lookahead_weight = 1;   // tasks::AccompanyOptions::lookahead_weight of the chosen row
  double melody_on_top = -1;     // < 0: tasks::AccompanyOptions' default (every row)
  double follow_rhythm = -1;     // < 0: tasks::AccompanyOptions' default (every row)
  double vary_share = -1;        // < 0: tasks::AccompanyOptions' default (every row)
  float vary_strength = -1;      // < 0: tasks::AccompanyOptions' default (every row)
  float temperature = 1.0f, top_p = 0.98f, key_strength = 0.5f;
  uint64_t seed = 1;
  std::string save_dir;
};
struct AccompanyRow {
  std::string label;
  double pc_vs_truth = 0, melody_cover = 0, onset_f1 = 0, notes_per_beat = 0, seconds = 0;
  // of the part's notes that start while the melody sounds: the share above the melody's highest
  // sounding note, and the share doubling a melody note (its pitch, onset within a sixteenth)
  double above_melody = 0, unison = 0;
  int pieces = 0;
};
std::vector<AccompanyRow> accompany_eval(const engine::Model& m, const std::string& folder, const AccompanyEvalOptions& opt,
                                         const std::function<void(const std::string&)>& log = {});

}  // namespace continuo::eval
