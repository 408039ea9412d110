// continuo/tokenizer.hpp: Score <-> musical events, the model's vocabulary and grammar.
//
//   using namespace continuo;
//   tokenizer::Tokenizer tok;                              // version "continuo-events-1"
//   std::vector<tokenizer::Event> ev = tok.encode(score);  // BOS, header, body, EOS
//   score::Score back = tok.decode(ev);                    // == tok.canonical(score)
//   tokenizer::Grammar g(tok.options());                   // which values may come next
//   g.feed(ev[0]); auto mask = g.allowed(tokenizer::Field::kKind, partial);
//
// One event is one model step: a kind (note, track declaration, tempo, ...) and up to five
// attributes, always in the fixed order kind, dt, track, value, value2, duration. docs/TOKENS.md
// describes every field and value range; bump kVersion when any of it changes.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "continuo/score.hpp"

namespace continuo::tokenizer {

inline constexpr const char* kVersion = "continuo-events-1";
inline constexpr int kStepsPerBeat = 24;   // grid: 1/24 quarter note (32nds and triplets)
inline constexpr int kMaxTracks = 16;

enum class Kind : uint16_t {
  kPad = 0, kBos, kEos, kNote, kTrack, kTempo, kTimeSig, kKeySig, kControl, kWait,
  kCount
};

// Attribute fields in prediction order. Fields a kind does not use hold 0.
enum class Field : int { kKind = 0, kDt, kTrack, kValue, kValue2, kDuration, kCount };
inline constexpr int kNumFields = static_cast<int>(Field::kCount);

// Vocabulary size of each field.
inline constexpr int kMaxDt = 192;          // dt in grid steps 0..191 (8 beats); longer: kWait
inline constexpr int kMaxDuration = 384;    // duration in steps 1..384 (stored as steps-1)
inline constexpr std::array<int, kNumFields> kFieldSizes = {
    static_cast<int>(Kind::kCount), kMaxDt, kMaxTracks, 592, 128, kMaxDuration};

// Ranges inside Field::kValue (one shared vocabulary, disjoint ranges per meaning).
inline constexpr int kPitchBase = 0;        // 128 pitches
inline constexpr int kProgramBase = 128;    // 128 pitched programs
inline constexpr int kDrumKitBase = 256;    // 128 drum kits (GM kit = program on channel 10)
inline constexpr int kTempoBase = 384;      // kTempoBins log-spaced tempi
inline constexpr int kTempoBins = 64;
inline constexpr int kTimeSigBase = 448;    // numerator 1..16 x denominator 1,2,4,8,16,32
inline constexpr int kTimeSigCount = 96;
inline constexpr int kKeyBase = 544;        // sharps -7..7 x {major, minor}
inline constexpr int kKeyCount = 30;
inline constexpr int kControlBase = 574;    // the controllers in kControllers
inline constexpr std::array<uint8_t, 9> kControllers = {1, 7, 10, 11, 64, 66, 67, 91, 93};
inline constexpr int kValueEnd = kControlBase + static_cast<int>(kControllers.size());  // 583

// Extra input features the model sees (derived, never predicted).
inline constexpr int kBeatPosSize = kStepsPerBeat;  // position inside the beat
inline constexpr int kBarPosSize = 32;              // beat index inside the bar (capped)

struct Event {
  std::array<uint16_t, kNumFields> f{};   // kind, dt, track, value, value2, duration
  Kind kind() const { return static_cast<Kind>(f[0]); }
  uint16_t operator[](Field k) const { return f[static_cast<int>(k)]; }
  uint16_t& operator[](Field k) { return f[static_cast<int>(k)]; }
  bool operator==(const Event&) const = default;
};

// An event plus the derived position features, as stored in token shards.
struct Position {
  uint16_t beat_pos = 0;   // 0..23
  uint16_t bar_pos = 0;    // 0..31
  bool operator==(const Position&) const = default;
};

// Computes position features one event at a time (for generation).
class PositionTracker {
 public:
  Position next(const Event& e);   // position of `e`, after applying its dt and any time signature
  int64_t now() const { return now_; }   // grid steps since the start

 private:
  int64_t now_ = 0, anchor_ = 0, bar_len_ = 4 * kStepsPerBeat;
};

// Pitch-class context (a model input for models with `pitch_context`, never predicted): after
// each event, two exponentially decaying histograms of the pitch classes of the pitched notes
// so far (drum tracks excluded), one short (decay kPitchDecayShort per note: the current
// chord or phrase) and one long (kPitchDecayLong: the key), each normalised to sum 1 (all zero
// before the first pitched note). A function of the events alone, computed the same way in
// training and in generation, so a model can read a prompt's key directly instead of having to
// infer it through attention.
inline constexpr int kPitchContextSize = 24;
inline constexpr double kPitchDecayShort = 0.75, kPitchDecayLong = 0.98;
using PitchContext = std::array<float, kPitchContextSize>;

// The key prior of models with `key_prior` (docs/ARCHITECTURE.md): the value logits of pitch p
// of a note on a pitched track get
//   bias(p) = b(p mod 12) - mean_q b(q),   b(q) = sum_{half, c} A[half][(q - c) mod 12] * log(ctx[half][c] + kKeyPriorEps)
// with A [2, 12] learned: a transposition-invariant map from the recent pitch classes to the
// next one. Zero before the first pitched note.
// In models with `key_evidence` the bias is then scaled by key_prior_evidence(n), n the pitched notes in the context: it grows
// to its full strength over the first kKeyPriorEvidence notes, so that a few notes (the start of
// a window, or of a piece generated from nothing) cannot pull the next ones onto themselves.
inline constexpr float kKeyPriorEps = 0.01f;
inline constexpr int kKeyPriorEvidence = 32;
std::array<float, 12> key_prior_bias(const PitchContext& ctx, const float* A /* [2][12] */);
inline float key_prior_evidence(int notes) { return notes >= kKeyPriorEvidence ? 1.0f : float(notes) / kKeyPriorEvidence; }

class PitchContextTracker {
 public:
  PitchContext next(const Event& e);   // context after `e` (BOS starts afresh)
  PitchContext current() const;        // context after the last event fed
  // Starts an empty context from a key signature (KEYSIG class, see key_to_class): one count for
  // each pitch class of its scale (minor keys: also the leading tone), which real notes then
  // gradually outweigh. Used to keep the key of a piece asked for without a prompt; does nothing
  // once the context has notes.
  void seed_key(int key_class);
  bool is_drum(int track) const { return track >= 0 && track < kMaxTracks && drum_[size_t(track)]; }
  int notes() const { return notes_; }   // pitched notes fed since BOS

 private:
  int notes_ = 0;
  std::array<double, kPitchContextSize> h_{};
  std::array<bool, kMaxTracks> drum_{};
};

// The known future (models with `future_context`, docs/ARCHITECTURE.md): a model input that
// tells the network what it will have to meet, never predicted. Infill knows the music after the
// passage; accompany knows the kept parts for the whole piece. After each event at time `now`
// (grid steps), with s the time of the first known note at or after `now`:
//   [0]       1 (a known future is given; all zero when none is)
//   [1..6]    one-hot distance s - now in beats: 0, <1, <2, <4, <8, >=8 or no known note left
//   [7..18]   pitch classes of the known pitched notes in [s, s + 8 beats), shares summing to 1
//   [19, 20]  log(1 + pitched notes) / 4 and log(1 + drum notes) / 4 in that window
//   [21..32]  pitch classes of the known pitched notes in [now, now + 1 beat), shares
//   [33]      the lowest known pitch in [s, s + 8 beats) / 127 (0 if none)
// Computed from times alone, the same way in training (train::Batcher) and in generation
// (engine::SampleOptions::known).
inline constexpr int kFutureContextSize = 34;
inline constexpr int kFutureWindowBeats = 8;
using FutureContext = std::array<float, kFutureContextSize>;
struct KnownNote {
  int64_t at = 0;      // grid steps from the start
  uint8_t pitch = 0;
  bool drum = false;
  bool operator<(const KnownNote& o) const { return at < o.at; }
};
// `known` sorted by time.
FutureContext future_context(const std::vector<KnownNote>& known, int64_t now);
// The future prior of models with `future_prior`: the value logits of pitch p of a note on a
// pitched track get bias(p mod 12), with
//   b(q) = sum_c F[0][(q - c) mod 12] * f[21 + c] + F[1][(q - c) mod 12] * f[7 + c],
//   bias = b - mean(b),
// F [2, 12] learned: a transposition-invariant map from the known notes' pitch classes (the next
// beat's, the next 8 beats') to the next pitch's, so that a written part can consonate with the
// notes it will meet. Zero without a known future.
std::array<float, 12> future_prior_bias(const FutureContext& f, const float* F /* [2][12] */);

// In-context copy proposals (models with `copy_prior`, docs/ARCHITECTURE.md): after each event,
// up to kCopySources guesses of the next event taken from what the piece already did, computed
// from the events alone, the same way in training, scoring and generation:
//   source 0: the event that followed the most recent earlier occurrence of the longest run of
//             recent events (k = 256, 128, .. 2, 1 events; velocities aside) that occurred
//             before, the match then measured back up to 256 events;
//   sources 1, 2, 3: what came next at the same place in the bar one, two and four bars ago
//             (the first event after that time and the last event's place in the time step,
//             with dt measured from there);
//   sources 4, 5, 6: each part at its own period: for every track (and one more for tempo,
//             metre and key changes), the period of 1, 2, 4 or 8 bars at which its own events
//             have lately been repeating most (a decayed count, kCopyPartDecay per event of the
//             part, of its events that equal, onset and all, one of its events that period
//             earlier; at least half of its recent events); each such part's next event is its
//             event one period back, shifted by the period; the three that would come first, in
//             order, are proposed, with the `length` and `hits` of their own part (its run and
//             count of correct proposals among its own events). A band whose drums loop every
//             bar, bass every two and melody every four is followed in every part, where
//             sources 1-3 follow only the parts that share their period, and a part that comes
//             later in the time step is still proposed when an earlier one is not repeating.
// Each proposal carries features the model's gate reads: `length`, a bucket of the match
// length (source 0) or of the run of consecutive correct proposals (bar sources), `hits`,
// how many of the last kCopyHitWindow events the source proposed correctly, `distance`, how far
// back the copied event is (a short one is a repeated note or figure), `history`, how much
// of the piece there is so far, and `agree`, how many other sources propose the same event and
// whether the longest match (source 0) proposes another (a bar-periodic guess against a long
// exact match, e.g. at the turn of a four-bar loop; counted among sources 0-3 only, so that
// models of the first four sources see what they were trained on). Header events are never
// proposed; EOS is never proposed. A model uses the first `copy_sources` (model.hpp) of them.
inline constexpr int kCopySources = 7;
inline constexpr int kCopyFirstSources = 4;     // models saved before source 4 existed
inline constexpr int kCopyParts = kMaxTracks + 1;   // tracks, then tempo/metre/key changes
inline constexpr int kCopyPartPeriods[4] = {1, 2, 4, 8};   // bars
inline constexpr double kCopyPartDecay = 0.9;   // per event of the part
inline constexpr int kCopyLengthBuckets = 17;   // length feature 0..16
inline constexpr int kCopyHitWindow = 16;       // hits feature 0..16
inline constexpr int kCopyLogBuckets = 9;       // distance and history features 0..8 (copy_log_bucket)
inline constexpr int kCopyAgreeCodes = 8;       // agree feature 0..7
inline constexpr int kCopyMaxMatch = 256;
inline constexpr int kCopyBarPeriods[3] = {1, 2, 4};   // sources 1..3
struct CopyProposal {
  bool valid = false;
  Event event;
  uint8_t length = 0;   // 0..kCopyLengthBuckets-1
  uint8_t hits = 0;     // 0..kCopyHitWindow
  uint8_t distance = 0; // copy_log_bucket(events from the copied event to the last one, >= 1)
  uint8_t history = 0;  // copy_log_bucket(body events so far)
  uint8_t agree = 0;    // other sources of 0..3 proposing the same (at most 3), + 4 if source 0 proposes something else
};
using CopyProposals = std::array<CopyProposal, kCopySources>;
int copy_length_bucket(int length);
int copy_log_bucket(int64_t n);   // <=1, 2, 3-4, 5-8, .. 65-128, 129+  ->  0..8
// Equal in every field but velocity (value2 of a NOTE; CONTROL values are compared).
bool same_but_velocity(const Event& a, const Event& b);

inline constexpr double kCopyAnchorMinShare = 0.6;   // the groove anchor (CopyTracker::anchor)
inline constexpr int kCopyAnchorMinEvents = 8;

class CopyTracker {
 public:
  const CopyProposals& next(const Event& e);   // proposals for the event after `e` (BOS starts afresh)
  const CopyProposals& proposals() const { return prop_; }
  size_t body_events() const { return ev_.size(); }
  // Groove anchor (generation only; training and scoring never call it): called once after the
  // prompt, it fixes for every part the period (1, 2, 4 or 8 bars) at which the prompt as a
  // whole repeated that part most, if at least kCopyAnchorMinShare of the part's events (of at
  // least kCopyAnchorMinEvents that had an event a period back to compare with) equal, onset
  // and all, its event one period earlier; and, as the part's pattern, the latest period-long
  // stretch of the prompt that repeated the one before it exactly (else the one that came
  // closest), so that a prompt ending on a fill is not taken as the pattern. From then on such a
  // part is proposed (sources 4-6) from its pattern, at the same place in the period, whatever
  // the continuation did: a groove left for a few events is proposed again, where the recent
  // evidence alone loses it, and a deviation is not copied forward. anchor_share(k) is the
  // prompt-wide share of the part proposed by source k (0 for sources 0-3 and parts without an
  // anchor). Parts other than drum tracks need a share of at least other_min_share.
  void anchor(double other_min_share = kCopyAnchorMinShare);
  // Variation anchor (generation only; infill's varied candidates, tasks/infill.cpp): called
  // once after the prompt instead of anchor(), it anchors every track with events in [lo, lo +
  // span) (grid steps, as the tracker counts them from BOS) to that stretch as its pattern,
  // share 1: from then on each such track is proposed from the stretch, at the same place in
  // it, as the groove anchor proposes a drum part from its pattern. Parts with no events there
  // are not anchored. span must be positive.
  void anchor_to(int64_t lo, int64_t span);
  float anchor_share(int k) const { return anchor_prop_[size_t(k)]; }

 private:
  void propose();
  void set_agree();   // the `agree` feature of every valid proposal
  void propose_anchored();   // after anchor() / anchor_to(): the part proposals again, anchored
  bool in_header_ = true;
  int64_t now_ = 0, bar_len_ = 4 * kStepsPerBeat;
  std::vector<Event> ev_;          // body events so far
  std::vector<int64_t> time_;      // their onsets (grid steps)
  std::vector<uint32_t> order_;    // their place inside a time step
  std::vector<uint64_t> hash_;     // per-event hash (velocity aside)
  static constexpr int kCopyGrams = 9;   // k = 256, 128, .. 2, 1
  std::vector<uint64_t> prefix_;        // polynomial prefix hashes of hash_ (size + 1)
  std::array<uint64_t, kCopyGrams> pow_{};
  std::array<std::unordered_map<uint64_t, int32_t>, kCopyGrams> last_end_;   // k-gram hash -> latest end
  CopyProposals prop_{};
  std::array<int, kCopyFirstSources> streak_{};        // sources 0-3: run of correct proposals ..
  std::array<uint32_t, kCopyFirstSources> hit_bits_{};  // .. and the last kCopyHitWindow outcomes
  // source 4: per part, its events (indices into ev_), the onsets and contents of its events
  // (for the period checks), and the decayed repeat count of each period
  void note_part(int t);
  void propose_parts(int t);
  std::array<std::vector<int32_t>, kCopyParts> part_ev_;
  std::array<std::unordered_set<uint64_t>, kCopyParts> part_seen_;   // hash(onset, content)
  std::array<std::array<double, 4>, kCopyParts> part_score_{};
  std::array<double, kCopyParts> part_weight_{};   // the same decayed count of all its events
  std::array<Event, kCopyParts> part_pending_{};    // each part's proposed next event (dt 0) ..
  std::array<int64_t, kCopyParts> part_pending_time_{};   // .. and its onset (-1: none)
  std::array<int, kCopyParts> part_streak_{};       // the part's own run of correct proposals
  std::array<uint32_t, kCopyParts> part_hits_{};    // and its last kCopyHitWindow outcomes
  // the groove anchor: per part and period, events with an event a period back and repeats among
  // them (undecayed), the anchored period (-1: none) and its share, the share of each proposal
  std::array<std::array<int32_t, 4>, kCopyParts> part_compared_{}, part_repeated_{};
  std::array<int8_t, kCopyParts> anchor_period_{};
  std::array<float, kCopyParts> anchor_share_{};
  std::array<int64_t, kCopyParts> anchor_lo_{}, anchor_span_{};   // the pattern: [lo, lo + span)
  std::array<float, kCopySources> anchor_prop_{};
  bool anchored_ = false;
  std::array<bool, kMaxTracks> drum_{};   // drum tracks (from the header's TRACK events)
};


// A training or context window: the sequence's header brought up to date (the time signature,
// key and tempo in force at `begin`), then events [begin, end). The first body event's dt is
// re-anchored to its distance from the bar line, so `pos` == Tokenizer::positions(events).
struct Window {
  std::vector<Event> events;
  std::vector<Position> pos;
};

// Where canonical() shortened silences (continuo/limits.hpp): from `at` on (a time of the
// shortened score, grid steps) the original is `shift` steps later. Ascending in both.
struct SilenceCuts {
  std::vector<std::pair<int64_t, int64_t>> at_shift;
  int64_t to_original(int64_t step) const;   // a time of the shortened score in the original
};

struct Options {
  bool controls = true;     // encode control changes (the kControllers subset)
};

int tempo_to_bin(double bpm);
double tempo_from_bin(int bin);
int timesig_to_class(int numerator, int denominator);   // -1 if not representable
std::pair<int, int> timesig_from_class(int cls);
int key_to_class(int sharps, bool minor);

class Tokenizer {
 public:
  explicit Tokenizer(Options options = {}) : options_(options) {}
  const Options& options() const { return options_; }

  // What encode() keeps of a score: at most kMaxTracks non-empty tracks (tracks sharing an
  // instrument are merged first, then the smallest dropped), times on the grid (at
  // kStepsPerBeat, resolution kStepsPerBeat), durations clamped to 1..kMaxDuration steps,
  // tempi and signatures on their bins, only the kControllers, silences longer than
  // limits::kMaxSilenceSteps shortened by whole bars (`cuts`, if given, says where and by how
  // much). decode(encode(s)) == canonical(s).
  score::Score canonical(const score::Score& s, SilenceCuts* cuts = nullptr) const;

  std::vector<Event> encode(const score::Score& s, SilenceCuts* cuts = nullptr) const;
  // For each track of canonical(s): the indices of the tracks of `s` it was made from.
  static std::vector<std::vector<int>> track_groups(const score::Score& s);
  // Any grammatical sequence decodes to a valid score; ungrammatical events are skipped.
  score::Score decode(const std::vector<Event>& events) const;

  // Number of header events (BOS + leading dt=0 signatures, tempo and track declarations).
  static size_t header_length(const std::vector<Event>& events);
  // Position features for every event of a sequence that starts with BOS.
  static std::vector<Position> positions(const std::vector<Event>& events);
  static Window crop(const std::vector<Event>& seq, const std::vector<Position>& pos, size_t begin, size_t end);
  static std::string describe(const Event& e);   // "NOTE dt=12 track=0 pitch=60 vel=90 dur=24"

 private:
  Options options_;
};

// Tracks what has been seen so far and says which values each field may take next.
class Grammar {
 public:
  explicit Grammar(Options options = {});
  void feed(const Event& e);             // an accepted event
  // Allowed values of `field` for the next event, given its fields before `field` in `partial`.
  // Returns a mask of kFieldSizes[field] entries (1 = allowed).
  std::vector<uint8_t> allowed(Field field, const Event& partial) const;
  bool fields_used(Kind kind, Field field) const;  // does `kind` carry `field`?
  bool in_header() const { return in_header_; }
  // Whether the header already has a tempo / time signature / key (TEMPO, TIMESIG or KEYSIG):
  // while in the header, another of the same kind must then have dt >= 1 (a change in the body),
  // since a second one at time 0 would silently replace the first.
  bool header_has(Kind kind) const;
  int tracks() const { return n_tracks_; }
  bool is_drum(int track) const { return track >= 0 && track < n_tracks_ && drum_[size_t(track)]; }
  bool ended() const { return ended_; }
  // Forbid kinds (e.g. new tracks, tempo changes) in the body, for user constraints.
  void set_allow_controls(bool allow) { options_.controls = allow; }

 private:
  Options options_;
  bool started_ = false, in_header_ = true, ended_ = false;
  int n_tracks_ = 0;
  std::array<bool, kMaxTracks> drum_{};
  bool header_tempo_ = false, header_timesig_ = false, header_key_ = false;
};

}  // namespace continuo::tokenizer
