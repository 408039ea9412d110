// continuo/engine.hpp: fast native inference: KV cache, CPU kernels, grammar-aware sampling.
//
//   using namespace continuo;
//   auto files = model::find_model("default");
//   engine::Model m = engine::Model::load(files);               // weights as fp32/bf16 in RAM
//   engine::SampleOptions opt; opt.temperature = 0.9; opt.top_p = 0.95; opt.seed = 7;
//   opt.events = 512; opt.variations = 4;
//   auto outs = engine::generate(m, prompt_events, opt,
//       [](int variation, const tokenizer::Event& e) { return true; });  // false = stop
//   // outs[v] = the new events of variation v (prompt not included)
//
// The engine matches the libtorch reference forward (src/model) to fp32 rounding (tested).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "continuo/model.hpp"
#include "continuo/tokenizer.hpp"

namespace continuo::engine {

// How weight matrices are kept in memory. kAuto: $CONTINUO_WEIGHTS ("f32" or "bf16") if set,
// else bf16 (half the memory traffic per step; see docs/ENGINE.md for the measurements).
// Embeddings and norms always stay fp32.
enum class WeightFormat { kAuto, kF32, kBF16 };

class Model {
 public:
  static Model load(const model::ModelFiles& files, WeightFormat format = WeightFormat::kAuto);
  static Model from_weights(const model::Config& cfg, const model::Weights& w,
                            WeightFormat format = WeightFormat::kAuto);
  const model::Config& config() const;
  WeightFormat weight_format() const;   // kF32 or kBF16
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  Model();
  std::unique_ptr<Impl> impl_;
};

// Per-variation decoding state: KV cache of every layer, position, grammar.
class Session {
 public:
  Session(const Model& m, int batch);  // `batch` independent sequences
  ~Session();
  Session(Session&&) noexcept;
  int batch() const;
  int length() const;                  // events fed so far (same for every sequence)
  // Feed one event per sequence (with its position features) and compute the next hidden state.
  // events.size() == batch. Returns false if the context is full (length() == max_len).
  bool step(const std::vector<tokenizer::Event>& events, const std::vector<tokenizer::Position>& pos);
  // Feed a whole prompt (same for all sequences) in one go.
  void prefill(const std::vector<tokenizer::Event>& events, const std::vector<tokenizer::Position>& pos);
  // Logits of field `field` for sequence b given the already-chosen earlier fields of the next
  // event in `partial` (uses the hidden state of the last step). Size kFieldSizes[field].
  std::vector<float> field_logits(int b, tokenizer::Field field, const tokenizer::Event& partial);
  void reset();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

struct SampleOptions {
  int events = 256;            // new events per variation (EOS may end earlier)
  int variations = 1;
  float temperature = 1.0f;    // <= 0: argmax
  float top_p = 0.98f;         // nucleus; 1 = off
  int top_k = 0;               // 0 = off
  uint64_t seed = 0;
  bool allow_controls = true;
  bool allow_eos = false;      // stop a variation at EOS (else EOS is masked out)
  bool allow_tempo_changes = true;
  bool allow_timesig_changes = true;
  std::vector<uint8_t> forbid_tracks;  // track indices the model must not write notes or controls on
  // Forced events (infill, accompany: tasks/infill.cpp): events the sequence must contain, each
  // at its time `at` (grid steps from the start of the prompt, as tokenizer::PositionTracker::now()
  // counts them; sorted by time, none before the prompt's end). The model draws its next event's
  // time as usual: past the next forced event's time, the forced event is the event (its dt set
  // here); exactly at it, the event's kind and track decide which comes first, in the tokenizer's
  // order at one time (controls before notes, lower tracks first), so that the model can write
  // its piano chord on the beat where a kept drum part hits, as it saw such chords in training.
  // With forced events or an end_at, the model itself writes only notes, controls and waits. The
  // same for every variation; they are part of the returned events (and on_event).
  struct Forced {
    int64_t at = 0;
    tokenizer::Event event;
  };
  std::vector<Forced> forced;
  // >= 0: a variation ends when its next event would reach this time (after the forced events
  // before it); nothing at or after it is written.
  int64_t end_at = -1;
  // >= 0: the model's own events come no earlier than this time (infill: the passage's start).
  int64_t begin_at = -1;
  // Keep the key: the pitch of a note on a pitched track is drawn from the model's distribution
  // times (min(1, 24 w) + 0.02)^key_strength, w the share of its pitch class in the recent notes
  // (prompt and continuation; tokenizer::PitchContextTracker, long half: about the last 50
  // notes). Pitch classes with at least half the uniform share are left alone; ones the music
  // has not used become up to 50x (at 1) less likely, not impossible, so a continuation can
  // still move to a new key gradually. A prompt without pitched notes starts from the scale of
  // its key signature, if it has one (generate --key), at full strength; otherwise the strength
  // grows with the pitched notes heard, prompt and continuation, to its full value at 32 (at once
  // it would narrow a piece generated from nothing onto its first notes). 0 = the model alone, with its own learned
  // key prior if it has one (model::Config::key_prior); the CLI and the studio default to 0.5.
  // Like the key prior, it is applied at its own strength whatever the temperature.
  float key_strength = 0.0f;
  // Key anchor (models with a key prior, model::Config::key_prior): the share of the key prior
  // that reads the prompt's pitch classes as a whole (every pitched note of the prompt alike)
  // instead of the most recent notes, prompt and continuation. The key prior was trained on real
  // music, where the recent notes are the piece's; in a continuation they are the model's own,
  // and a prior that reads only them feeds on itself: with none, continuations of `default`
  // crowd onto fewer pitch classes than their prompts (docs/EVAL.md, "Session 7"). Scaled down
  // for prompts with few pitched notes (tokenizer::key_prior_evidence): with none, the prior as
  // trained. < 0: the model's own choice (model::Config::key_anchor, chosen on its validation
  // split; 0.7 for `default` and `piano`, 0 for `folk`); 0 = the prior as trained; at most 1.
  float key_anchor = -1.0f;
  // Groove anchor (copy_prior models with part sources): each drum part that the prompt as a
  // whole repeated at a period (tokenizer::CopyTracker::anchor: at least 60% of its hits equal
  // to its hits 1, 2, 4 or 8 bars earlier) is proposed from its pattern all through the
  // continuation, and once an event's time and track are chosen and they are those of the
  // pattern's next hit, that hit gets at least copy_anchor x that share of the mixture's weight
  // (taken from the network and the other sources in proportion). The gates were trained on
  // real pieces, where the network already follows a steady pattern; in a continuation, a few
  // events of the network's own (a fill) made the part sources lose the pattern for good, and
  // `default` dropped the example's drum groove after one bar. Applied before the time is
  // chosen, or to pitched parts too, it made the anchored parts crowd out the others (the notes
  // per beat of continuations strayed further from their prompts': docs/EVAL.md, "Session 8").
  // < 0: the model's own (model::Config::copy_anchor, chosen on its validation split); 0 = off;
  // at most 1.
  float copy_anchor = -1.0f;
  // Variation anchor (copy_prior models; infill's varied candidates, tasks/infill.cpp): with
  // vary_span > 0 and vary_strength > 0, the groove and phrase anchors are replaced, in the
  // variations it applies to, by one anchor on the stretch [vary_from, vary_from + vary_span)
  // (grid steps, as `forced` counts them): every track with events there is proposed from it, at
  // the same place in it (tokenizer::CopyTracker::anchor_to), and once an event's time and track
  // are chosen and they are those of the stretch's next event on that track, that event gets at
  // least vary_strength of the mixture's weight. The network still chooses when and on which
  // track each event comes, so the passage is a variation of the stretch, not a copy. It applies
  // to variation v if `varied` is empty or varied[v] != 0.
  int64_t vary_from = -1, vary_span = 0;
  float vary_strength = 0.0f;
  std::vector<uint8_t> varied;
  // Density steering (infill, tasks/infill.cpp): with steer_notes >= 0, steer_strength > 0 and
  // begin_at < end_at, in the variations it applies to (steered empty or steered[v] != 0), the
  // time of each of the model's own events is drawn with its log-probability for a dt of d steps
  // raised by g x min(d, one beat) / one beat. g = steer_strength x log((n + 2) / (n* + 2)), held
  // within [-2, 2]; n is the notes the variation has written itself since begin_at, and n* =
  // steer_notes x (now - begin_at) / (end_at - begin_at) the share of steer_notes due by now: a
  // variation ahead of that count waits longer, one behind it comes sooner. Capped at a beat so
  // that no long wait is pushed further than a short one. 0: off.
  double steer_notes = -1;
  float steer_strength = 0.0f;
  std::vector<uint8_t> steered;
  // Loop guard (copy_prior models; off by default): the share of the copy proposals' weight kept
  // while the last finished bar repeats an earlier one more often than the prompt ever repeated
  // a bar (twice as often, and at least twice more). 1 = off. Measured and not used by default:
  // it stops endless loops, but `default`'s network alone then writes scattered notes and the
  // piece does not come back (docs/EVAL.md).
  float loop_guard = 1.0f;
  // Part balance: keeps the prompt's parts playing in about the proportions they played in.
  // When a note's track is chosen, each track's log-probability gets part_balance x log(p / q),
  // p the track's share of the notes of the prompt's last 16 beats and q its share of the notes
  // of the last 8 beats (prompt included; 8 notes in the prompt's proportions added, so that a
  // few notes move it little): a part falling silent is raised, one crowding out the others
  // lowered. Not applied with forced events (infill, accompany). 0 = off; < 0: the model's own
  // (model::Config::part_balance); at most 4.
  float part_balance = -1.0f;
  // Phrase anchor for pitched parts (with the groove anchor, copy_anchor > 0): a pitched part whose
  // prompt repeats at a period of 1, 2, 4 or 8 bars in at least this share of its notes is
  // anchored like the drums, so that its riff, chords or phrase go on from the prompt rather than
  // from the model's last bar. 0 = pitched parts never anchored; < 0: the model's own
  // (model::Config::pitched_anchor); at most 1.
  float pitched_anchor = -1.0f;
  // The known future (models with future_context; infill and accompany, tasks/infill.cpp): notes
  // the piece will have, at their times (grid steps from the prompt's start, as `forced` counts
  // them; any order). When not empty, the network reads tokenizer::future_context(known, now)
  // after every event, prompt included; other models ignore it. Empty: a plain continuation.
  std::vector<tokenizer::KnownNote> known;
  // Optional: asked after each event of variation v; true stops that variation alone, keeping
  // what it made so far (e.g. a stop button under one of several variations).
  std::function<bool(int variation)> stop_variation;
};

// Called for every generated event; return false to stop all variations early (what was made so
// far is returned).
using EventCallback = std::function<bool(int variation, const tokenizer::Event& e)>;
using ProgressCallback = std::function<bool(float progress)>;

// Generates `opt.events` new events after `prompt` (a grammatical sequence starting with BOS).
// With a copy_prior model, each event is drawn from the mixture of the network (tempered) and
// the copy proposals of tokenizer::CopyTracker over the whole history (prompt and continuation,
// not only the context window); top-k / top-p and the grammar apply to the mixture.
// When the context fills, the header plus the most recent half of the context is re-fed
// (a sliding window) and generation goes on. Same seed => same output.
std::vector<std::vector<tokenizer::Event>> generate(const Model& m, const std::vector<tokenizer::Event>& prompt,
                                                    const SampleOptions& opt, const EventCallback& on_event = {});

// Sum of negative log-likelihoods (nats) of each used field of every event after the first,
// teacher-forced, with the sliding-window rule of generate(). Returns one value per event
// (0 for the first). Grammar masks are NOT applied (same as the training loss).
std::vector<double> score_events(const Model& m, const std::vector<tokenizer::Event>& events);

// Negative log-likelihoods (nats) of the events of each of `tails` after one shared `prefix`
// (starting with BOS), as score_events() gives them, in one batched pass: the prefix is read
// once. Where prefix + the longest tail fit the context, each value equals score_events(prefix +
// tail)'s for that event. Otherwise every tail is read after the same window of the prefix: its
// header and as many of its last events as leave room for the longest tail (a tail too long for
// that is scored by score_events() over the whole prefix + tail). out[i].size() == tails[i].size().
std::vector<std::vector<double>> score_tails(const Model& m, const std::vector<tokenizer::Event>& prefix,
                                             const std::vector<std::vector<tokenizer::Event>>& tails);

// Which kernels are in use ("avx512", "avx2" or "naive"; CONTINUO_KERNELS forces one), for
// benchmarks and logs.
const char* kernel_name();

}  // namespace continuo::engine
