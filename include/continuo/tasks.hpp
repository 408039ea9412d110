// continuo/tasks.hpp: what users ask for, as functions from inputs + options to scores.
//
//   using namespace continuo;
//   auto model = engine::Model::load(model::find_model("default"));
//   score::Score prompt = score::load("intro.mid");
//   tasks::ContinueOptions opt;
//   opt.prompt_events = 256; opt.sampling.events = 512; opt.sampling.variations = 4;
//   std::vector<score::Score> outs = tasks::continue_score(model, prompt, opt);
//   score::save(outs[0], "intro-continued.mid");     // the prompt, then the new events
//
// A continuation keeps the prompt's resolution, tracks (names, channels, programs), tempo map
// and metre, and appends the new notes to the prompt's own tracks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "continuo/engine.hpp"
#include "continuo/score.hpp"

namespace continuo::drums {
class Net;
}

namespace continuo::tasks {

// An instrument for conditioning: a GM program (0..127) or a drum kit.
struct Instrument {
  int program = 0;
  bool drums = false;
};

struct Conditioning {
  std::vector<Instrument> instruments;          // tracks of a new piece (generate)
  std::optional<double> bpm;
  std::optional<std::pair<int, int>> time_signature;
  std::optional<std::pair<int, bool>> key;      // sharps (-7..7), minor
};

struct ContinueOptions {
  size_t prompt_events = 0;     // use the first n events of the prompt (0 = all of it)
  engine::SampleOptions sampling;
  Conditioning override_;       // optional: replace the prompt's tempo / metre / key
};

struct GenerateOptions {
  engine::SampleOptions sampling;
  Conditioning conditioning;    // empty: the model chooses
};

// Called with (variation, number of new events so far in that variation); false = stop.
using ProgressFn = std::function<bool(int variation, int events_done)>;

// The prompt as the model sees it: header + the first n body events (all if n == 0), no EOS.
std::vector<tokenizer::Event> prompt_events(const score::Score& prompt, size_t n, bool controls);

// Each variation: the prompt (its first n events) followed by the continuation, in the prompt's
// own resolution and tracks. Throws Error(kInvalidArgument) for a prompt without notes.
// `on_event`, if given, sees every new event as it is made (after `progress`); false = stop.
std::vector<score::Score> continue_score(const engine::Model& m, const score::Score& prompt,
                                         const ContinueOptions& opt, const ProgressFn& progress = {},
                                         std::vector<std::vector<tokenizer::Event>>* raw = nullptr,
                                         const engine::EventCallback& on_event = {});

std::vector<score::Score> generate_score(const engine::Model& m, const GenerateOptions& opt,
                                         const ProgressFn& progress = {},
                                         const engine::EventCallback& on_event = {});

// ---- infill and accompany (src/tasks/infill.cpp) ---------------------------------------------
//
// Both write new notes while the notes that stay are forced into the event stream at their
// times (engine::SampleOptions::forced), in the tokenizer's order at one time: the model hears
// every kept note of a lower track before it writes at that time, as in training. The model writes left to right and cannot see what comes later, so
// each passage is drawn `candidates` times and the candidate under which what follows it (the
// kept notes of the next `lookahead_bars` bars) is likeliest is kept (engine::score_events).

// One candidate passage and the terms infill's choice weighed for it (InfillOptions::on_candidate).
struct InfillCandidate {
  int variation = 0, index = 0;      // which variation, which of its candidates
  bool varied = false;               // written with the variation anchor (vary_share)
  bool kept_out = false;             // a near-copy of the bars before (max_repeat), not chosen
  bool steered = false;              // its note count steered toward the one aimed at (steer_strength)
  bool chosen = false;
  double lookahead_nats = 0;         // of the scored events after the passage, given the candidate
  size_t lookahead_events = 0;
  double notes = 0;                  // notes it wrote (forced ones not counted)
  double expected_notes = -1;        // the count the choice aims at (< 0: none)
  double repeated = 0;               // share of its notes that repeat the bars before
  double outside = 0;                // share of its pitched notes outside their track's range
  double score = 0;                  // what the choice minimised
};

struct InfillOptions {
  int first_bar = 1, last_bar = 1;   // the passage: bars first..last, 1-based, inclusive
  std::vector<int> tracks;           // the score's track indices (0-based) to rewrite; empty: all
  // Drawn per variation (1: no choice, the model alone). 24 since session 16: on 400 validation
  // pieces the passage's note count came 0.011 nearer the truth's than with 16 (|log| 0.190
  // against 0.201) and the seam 0.01 bits per note better, for 1.5x the time (docs/EVAL.md,
  // session 16).
  int candidates = 24;
  int lookahead_bars = 2;            // bars after the passage scored to choose among them
  // The choice also weighs the candidate's note count against the density of the same tracks
  // around the passage (lookahead_bars bars on each side): this times |log ratio| is added to
  // the lookahead's nats per event. 0: the lookahead alone. 2 was chosen on the validation split
  // (docs/EVAL.md, "Infill"; again in session 16: heavier weights bring the count no nearer).
  double density_weight = 2;
  // Where that density comes from: this share (in log count) from the candidates themselves (the
  // median of their note counts, the model's own guess, which a future_context model makes
  // knowing what follows), the rest from the surroundings. 0: the surroundings alone.
  double model_density = 0;
  // Where music repeats, the passage is like a window elsewhere in the piece: the window (as many
  // bars, clear of the passage and its surroundings) whose match_bars bars on each side have the
  // notes per bar and track most like the passage's (mean |difference| of log(1 + notes)) is
  // found, and if that distance is at most match_distance, the count aimed at takes
  // match_weight (in log count) from the window's notes. 0: not used. 1, 0.1 and 2 were fitted
  // on the training split's windows (docs/EVAL.md, session 17): on 400 validation pieces, given
  // whole, a window matched for 156 and the count aimed at came nearer the truth's (|log| 0.185
  // -> 0.168).
  double match_weight = 1;
  double match_distance = 0.1;
  int match_bars = 2;
  // A model trained with a known future (model::Config::future_context) is told the notes after
  // the passage and the kept tracks' notes (engine::SampleOptions::known). false: it writes
  // blind to them, as a plain continuation model (for measuring what the future adds).
  bool known_future = true;
  // Varied candidates: this share of the candidates (rounded) are variations of the bars just
  // before the passage (as many bars as the passage has, or all before it if fewer): the model
  // writes them with the variation anchor on those bars (engine::SampleOptions::vary_from) at
  // vary_strength. The others are written freely. Music repeats and varies what it played, and
  // the choice then takes a variation where what follows suggests one. 0: none; with one
  // candidate, none is varied. 0.5 and 0.3 were chosen on 100 validation pieces (docs/EVAL.md,
  // session 14): the seam 0.12 bits per note better than with none, the pitch classes and
  // rhythm nearer the true passage's, the density no further; more of the bars before repeated.
  double vary_share = 0.5;
  float vary_strength = 0.3f;
  // A candidate whose written notes repeat more than this share of the bars before's (the same
  // track, pitch and onset one passage-length earlier: next to a copy) is chosen only if every
  // candidate does. 1: no limit. 0.9 keeps out the near-copies that half-varied candidates
  // otherwise gave on 15 of 100 validation pieces (the true passages: 4), at a small cost to the
  // seam (docs/EVAL.md, session 14).
  double max_repeat = 0.9;
  // Stray notes: this times the share of a candidate's notes on a pitched track that lie more
  // than 2 semitones outside that track's pitch range in the rest of the piece (before and after
  // the passage) is added to its score. 0: not weighed. 1 was chosen on 100 validation pieces
  // (docs/EVAL.md, session 15): such notes fall from 6.5% of the passage's to 4.3% (the true
  // passages: 3.7%), the seam level.
  double range_weight = 1;
  // Density steering: this share of the candidates (spread evenly over them) are written with
  // their note count steered toward the count the choice aims at as they are drawn
  // (engine::SampleOptions::steer_notes) at steer_strength; the others freely. 0: none steered.
  // 8 and 1 were chosen on 400 validation pieces (docs/EVAL.md, session 17): the passage's note
  // count nearer the truth's and the seam no worse.
  float steer_strength = 8.0f;
  double steer_share = 1;
  engine::SampleOptions sampling;    // variations, temperature, seed...; `events` is not used
  // If set, sees every candidate and its terms once the choice is made (for studying the choice:
  // `continuo eval --infill --candidates-log`).
  std::function<void(const InfillCandidate&)> on_candidate;
};

struct AccompanyOptions {
  std::vector<int> keep;               // the score's track indices kept note for note; empty: all
  std::vector<Instrument> instruments; // the new parts; empty: a band (default_band())
  int candidates = 4;                  // drawn per chunk and variation; the likeliest kept
  int chunk_bars = 2;                  // the accompaniment is written and chosen this many bars at a time
  // The choice also weighs each candidate's count of new notes against the new parts' rate so
  // far: this times |log ratio| is added to the lookahead's nats per event (0: not at all; 2
  // was chosen on 12 validation songs, docs/EVAL.md "Infill and accompany").
  double density_weight = 2;
  // A future_context model is told the kept parts' notes for the whole piece (false: only as
  // they come, as forced events).
  bool known_future = true;
  // 0: the candidates are chosen by their density alone, the kept parts' next bars not scored.
  double lookahead_weight = 1;
  // A kept melody stays the top voice: when the highest kept pitched part is a melody (median
  // pitch at least middle C, at most 1.25 notes per onset), this times the share of a
  // candidate's new pitched notes that start above the melody's sounding note is added to its
  // score. 0: not weighed. 10 was chosen on 12 validation songs (docs/EVAL.md, session 13).
  double melody_on_top = 10;
  // The new parts follow the kept parts' rhythm: this times the F1 of a candidate's new onsets
  // against the kept parts' onsets in its bars (on a sixteenth-note grid) is taken from its
  // score. 0: not weighed. 6 was chosen on 12 validation songs (docs/EVAL.md, session 13).
  double follow_rhythm = 6;
  // Varied candidates, as infill's (InfillOptions::vary_share): from the second chunk on, this
  // share of each chunk's candidates are variations of the chunk before (its new parts as
  // written, its kept parts as they are), at vary_strength. 0: none; with one candidate, none.
  double vary_share = 0;
  float vary_strength = 0.3f;
  engine::SampleOptions sampling;      // `events` is not used
  // A Drumify network (models/drumify; drums::Net): when given, each new drum part is written by
  // it, following the onsets of every pitched part of the result (kept and new), in place of the
  // continuation model's drums, which wander (docs/EVAL.md, "Accompany"). Null: the model's own.
  const drums::Net* drummer = nullptr;
};

// What a choice was made on, per variation: the summed negative log-likelihood (nats) of the
// kept events after the passage (infill: the lookahead bars; accompany: summed over chunks), and
// how many events that was.
struct ChoiceStats {
  std::vector<double> lookahead_nll;
  std::vector<size_t> lookahead_events;
};

// Each variation: `s` with the notes of the chosen tracks that start in the passage written
// anew; every other note (other bars, other tracks), and everything else of the file, is kept
// exactly. Throws Error(kInvalidArgument) for bars outside the piece, unknown tracks, tracks
// without notes, and tracks the tokenizer merged with tracks not chosen (files of over 16 tracks).
// Progress of infill() and accompany(): the share of the work done (0 to 1: the passage's time
// written, over every candidate, variation and chunk) and the events written so far. Returning
// false stops the work: the call then throws Error(kCancelled) and returns nothing.
using RewriteProgressFn = std::function<bool(double done, int events)>;

std::vector<score::Score> infill(const engine::Model& m, const score::Score& s, const InfillOptions& opt,
                                 const RewriteProgressFn& progress = {}, ChoiceStats* stats = nullptr);

// Each variation: the kept tracks of `s`, exactly, and new tracks (one per instrument) written
// around them over the whole piece. Tracks not kept are left out. Throws Error(kInvalidArgument)
// for unknown tracks, kept tracks without notes, or more than 16 tracks in all.
std::vector<score::Score> accompany(const engine::Model& m, const score::Score& s, const AccompanyOptions& opt,
                                    const RewriteProgressFn& progress = {}, ChoiceStats* stats = nullptr);

// The band accompany() writes when no instrument is named: a piano (strings if the kept tracks
// have a piano), a bass (unless they have one) and a standard drum kit (unless they have drums).
std::vector<Instrument> default_band(const score::Score& s, const std::vector<int>& keep);

// "1-4", "3" (bars, from 1); "1,3" (tracks numbered from 1 as `continuo info` shows them,
// returned as 0-based indices) for the CLI and the studio.
std::pair<int, int> parse_bar_range(const std::string& s);
std::vector<int> parse_track_list(const std::string& s);

// Header events for a new piece from conditioning (BOS, time signature, key, tempo, tracks).
std::vector<tokenizer::Event> conditioning_header(const Conditioning& c);

// Parsers for CLI / API option strings: "120", "6/8", "D major" / "F# minor" / "Bb",
// instruments "piano,violin,0,33" (GM names or numbers) and drum kits "standard", "jazz".
std::pair<int, int> parse_time_signature(const std::string& s);
std::pair<int, bool> parse_key(const std::string& s);
std::vector<Instrument> parse_instruments(const std::string& s);
int parse_drum_kit(const std::string& s);

}  // namespace continuo::tasks
