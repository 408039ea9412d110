// engine/generate.cpp: batched generation of variations (grammar- and constraint-masked sampling,
// field by field) and teacher-forced scoring, both with the sliding-window rule: when a
// sequence's context is full, it is replaced by the header plus the most recent half
// (tokenizer::Tokenizer::crop) and re-fed.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <unordered_map>

#include "continuo/error.hpp"
#include "engine/internal.hpp"
#include "engine/sampler.hpp"

namespace continuo::engine {
namespace {
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;
using tokenizer::kFieldSizes;
using tokenizer::kNumFields;
using tokenizer::Position;

// The context window that replaces a full one: header + the most recent events of seq[0, end),
// at most max_len - 1 events so that decoding can go on.
tokenizer::Window slide_window(const std::vector<Event>& seq, const std::vector<Position>& pos, size_t end,
                               int max_len) {
  size_t keep = size_t(std::max(1, max_len / 2));
  for (;;) {
    tokenizer::Window w = tokenizer::Tokenizer::crop(seq, pos, end > keep ? end - keep : 0, end);
    if (int(w.events.size()) < max_len) return w;
    if (keep <= 1)
      throw Error(ErrorCode::kUnsupported, "the sequence header (" +
                                               std::to_string(tokenizer::Tokenizer::header_length(seq)) +
                                               " events) leaves no room in the model's context of " +
                                               std::to_string(max_len) + " events");
    keep -= std::min(keep - 1, w.events.size() - size_t(max_len) + 1);
  }
}

std::vector<Row> rows_of(int seq, const tokenizer::Window& w) {
  std::vector<Row> rows;
  for (size_t i = 0; i < w.events.size(); ++i) rows.push_back({seq, w.events[i], w.pos[i]});
  return rows;
}

void check_options(const SampleOptions& o) {
  auto bad = [](const std::string& what) { throw Error(ErrorCode::kInvalidArgument, what); };
  if (o.events < 0) bad("the number of events must not be negative");
  if (o.variations < 1 || o.variations > 256) bad("variations must be between 1 and 256");
  if (!std::isfinite(o.temperature)) bad("temperature must be a finite number");
  if (!(o.top_p > 0.0f && o.top_p <= 1.0f)) bad("top_p must be in (0, 1]");
  if (o.top_k < 0) bad("top_k must not be negative");
  if (!(o.key_strength >= 0.0f && o.key_strength <= 10.0f)) bad("key_strength must be between 0 and 10");
  if (!(o.key_anchor <= 1.0f)) bad("key_anchor must be at most 1 (or negative: the model's own)");
  if (!(o.copy_anchor <= 1.0f)) bad("copy_anchor must be at most 1 (or negative: the model's own)");
  if (!(o.pitched_anchor <= 1.0f)) bad("pitched_anchor must be at most 1 (or negative: the model's own)");
  if (!(o.part_balance <= 4.0f)) bad("part_balance must be at most 4 (or negative: the model's own)");
  if (!(o.loop_guard >= 0.0f && o.loop_guard <= 1.0f)) bad("loop_guard must be between 0 and 1");
  if (!(o.vary_strength >= 0.0f && o.vary_strength <= 1.0f)) bad("vary_strength must be between 0 and 1");
  if (o.vary_span < 0 || (o.vary_span > 0 && o.vary_from < 0)) bad("the varied stretch must lie in the prompt");
  if (!o.varied.empty() && o.varied.size() != size_t(o.variations)) bad("varied must be empty or have one entry per variation");
  if (!(o.steer_strength >= 0.0f && o.steer_strength <= 10.0f)) bad("steer_strength must be between 0 and 10");
  if (!std::isfinite(o.steer_notes)) bad("steer_notes must be a finite number");
  if (!o.steered.empty() && o.steered.size() != size_t(o.variations)) bad("steered must be empty or have one entry per variation");
  for (size_t i = 0; i < o.forced.size(); ++i) {
    const Kind k = o.forced[i].event.kind();
    if (k != Kind::kNote && k != Kind::kControl && k != Kind::kTempo && k != Kind::kTimeSig && k != Kind::kKeySig)
      bad("a forced event must be a note, control, tempo, time or key signature");
    if (i > 0 && o.forced[i].at < o.forced[i - 1].at) bad("forced events must be sorted by time");
  }
}

// The major or minor key whose Krumhansl-Kessler profile correlates best with the pitch-class
// shares w[0..11]: its scale as a 12-bit mask (minor: the natural scale and the leading tone).
uint16_t best_scale(const float* w) {
  static constexpr std::array<double, 12> kMajor = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
  static constexpr std::array<double, 12> kMinor = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
  static constexpr uint16_t kMajorScale = 0b101010110101;   // bits 0 2 4 5 7 9 11
  static constexpr uint16_t kMinorScale = 0b110110101101;   // bits 0 2 3 5 7 8 10 11
  double wm = 0;
  for (int i = 0; i < 12; ++i) wm += w[i] / 12.0;
  double best = -2;
  uint16_t scale = 0;
  for (int minor = 0; minor < 2; ++minor) {
    const auto& prof = minor ? kMinor : kMajor;
    double pm = 0;
    for (double x : prof) pm += x / 12.0;
    for (int tonic = 0; tonic < 12; ++tonic) {
      double num = 0, dw = 0, dp = 0;
      for (int i = 0; i < 12; ++i) {
        const double a = w[(tonic + i) % 12] - wm, b = prof[size_t(i)] - pm;
        num += a * b;
        dw += a * a;
        dp += b * b;
      }
      const double r = dw > 0 ? num / std::sqrt(dw * dp) : -1;
      if (r > best) {
        best = r;
        const uint16_t base = minor ? kMinorScale : kMajorScale;
        scale = uint16_t(((base << tonic) | (base >> (12 - tonic))) & 0xfff);
      }
    }
  }
  return scale;
}

// logits of pitches 0..127 += strength * log(min(1, 24 w) + 0.02), w the share of the pitch class
// in the long half of the pitch-class context: no change for a pitch class with at least half
// the uniform share (1/24), at most -3.9 x strength for one that is absent. It only holds back
// pitch classes the music has (nearly) not used: among the used ones it changes nothing, so it
// cannot narrow a melody onto its most frequent notes. With `use_scale` (a piece made from
// nothing: no pitched note in the prompt and no key asked) the pitch classes of the key that fits
// the shares best count as used too: otherwise the few pitch classes of a new piece's first bars
// became its only ones (the most frequent pitch took 22% of the notes, median of 32 seeds, against
// 10-21% in real pieces: docs/EVAL.md, session 11). A prompt's notes or an asked key keep the
// stricter rule (tests Generate.KeyStrength*). Nothing before the first pitched note.
void key_bias(const tokenizer::PitchContext& c, float strength, bool use_scale, float* logits) {
  float sum = 0;
  for (int i = 0; i < 12; ++i) sum += c[size_t(12 + i)];
  if (sum <= 0) return;
  const uint16_t scale = use_scale ? best_scale(c.data() + 12) : 0;
  std::array<float, 12> add{};
  for (int i = 0; i < 12; ++i) {
    const float w = (scale >> i) & 1 ? std::max(c[size_t(12 + i)], 1.0f / 24) : c[size_t(12 + i)];
    add[size_t(i)] = strength * std::log(std::min(1.0f, 24 * w) + 0.02f);
  }
  for (int p = 0; p < 128; ++p) logits[p] += add[size_t(p % 12)];
}

// Runs of one repeated note: on one pitched track, the same pitch again and again, each the same
// time after the last. A generated run longer than kMaxNoteRun (or twice the prompt's longest) is
// cut: the pitch is masked for the next note on that track that would lengthen it. Without this,
// 1 piece in 32 made from nothing (seed 17) became two pianos striking A4 together every twelfth
// of a beat for 80 beats: the copy path copying its own last events.
class NoteRuns {
 public:
  static constexpr int kMaxNoteRun = 24;   // a bar and a half of sixteenths; 3 bars of eighths
  void next(const Event& e, bool drum) {
    now_ += e[Field::kDt];
    if (e.kind() != Kind::kNote || drum) return;
    const size_t k = size_t(e[Field::kTrack]) % tokenizer::kMaxTracks;
    Run& r = runs_[k];
    const int64_t gap = now_ - r.at;
    r.count = r.count > 0 && e[Field::kValue] == r.pitch && gap == r.gap ? r.count + 1 : 1;
    r.gap = gap, r.at = now_, r.pitch = e[Field::kValue];
    longest_ = std::max(longest_, r.count);
  }
  int longest() const { return longest_; }
  // The pitch a note on `track`, `dt` after the last event, must not have: -1 when any may come.
  int banned(int dt, int track, int limit) const {
    const Run& r = runs_[size_t(track) % tokenizer::kMaxTracks];
    return r.count >= limit && now_ + dt - r.at == r.gap ? r.pitch : -1;
  }

 private:
  struct Run {
    int64_t at = 0, gap = -1;
    int pitch = -1, count = 0;
  };
  int64_t now_ = 0;
  std::array<Run, tokenizer::kMaxTracks> runs_{};
  int longest_ = 0;
};

// Whole-bar repeats of the stream so far (prompt and continuation): for each finished bar, how
// many earlier bars had exactly its notes (onset in the bar, track, pitch, duration; velocities
// aside). Bars without notes are never repeats.
class BarRepeats {
 public:
  void next(const Event& e) {
    if (e.kind() == Kind::kBos) {
      *this = BarRepeats{};
      return;
    }
    now_ += e[Field::kDt];
    while (now_ >= start_ + len_) finish(start_ + len_);
    if (e.kind() == Kind::kTimeSig) {
      if (!cur_.empty()) finish(now_);   // a metre change ends the bar
      auto [num, den] = tokenizer::timesig_from_class(e[Field::kValue] - tokenizer::kTimeSigBase);
      len_ = std::max<int64_t>(1, int64_t(num) * 4 * tokenizer::kStepsPerBeat / std::max(1, den));
      start_ = now_;
    } else if (e.kind() == Kind::kNote) {
      uint64_t h = uint64_t(now_ - start_) * 0x9E3779B97F4A7C15ULL;
      for (Field f : {Field::kTrack, Field::kValue, Field::kDuration}) h = (h ^ e[f]) * 0xBF58476D1CE4E5B9ULL;
      cur_.push_back(h ^ (h >> 31));
    }
  }
  int last() const { return last_; }   // earlier bars equal to the last finished one (0: none or no notes)
  int most() const { return most_; }   // the largest last() so far

 private:
  void finish(int64_t end) {
    last_ = 0;
    if (!cur_.empty()) {
      std::sort(cur_.begin(), cur_.end());
      uint64_t h = 0x243F6A8885A308D3ULL;
      for (uint64_t x : cur_) h = (h ^ x) * 0x100000001B3ULL + 0x9E3779B97F4A7C15ULL;
      last_ = seen_[h]++;
      most_ = std::max(most_, last_);
      cur_.clear();
    }
    start_ = end;
  }
  int64_t now_ = 0, start_ = 0, len_ = 4 * tokenizer::kStepsPerBeat;
  std::vector<uint64_t> cur_;
  std::unordered_map<uint64_t, int> seen_;
  int last_ = 0, most_ = 0;
};

// The part balance (SampleOptions::part_balance): each track's share of the notes of the last
// kWindow steps against its share of the notes of the prompt's last 2 x kWindow steps. Shares,
// not rates: a continuation a little sparser than its prompt must not favour the busiest part.
class PartRates {
 public:
  static constexpr int64_t kWindow = 8 * tokenizer::kStepsPerBeat;
  static constexpr double kPrior = 8;   // notes of the prompt's mix the recent share starts from

  explicit PartRates(const std::vector<Event>& prompt) {
    for (const Event& e : prompt) next(e);
    std::array<double, tokenizer::kMaxTracks> tail{};
    double total = 0;
    for (const auto& [t, track] : notes_)
      if (t > now_ - 2 * kWindow) {
        tail[size_t(track)] += 1;
        total += 1;
      }
    for (int k = 0; k < tokenizer::kMaxTracks; ++k)
      expected_[size_t(k)] = (tail[size_t(k)] + 0.25) / (total + 0.25 * tokenizer::kMaxTracks);
  }
  void next(const Event& e) {
    if (e.kind() == Kind::kBos) return;
    now_ += e[Field::kDt];
    if (e.kind() == Kind::kNote) notes_.push_back({now_, e[Field::kTrack]});
    while (!notes_.empty() && notes_.front().first <= now_ - 2 * kWindow) notes_.pop_front();
  }
  // Adds strength x log(p / q) to each track's log-probability, for a note at `dt` steps from
  // now: p its share of the prompt's notes, q its share of the last kWindow steps' (kPrior notes
  // of the prompt's mix added, so that a few notes move it little).
  void bias(float strength, int64_t dt, float* logits, int64_t n) const {
    std::array<double, tokenizer::kMaxTracks> recent{};
    double total = 0;
    for (const auto& [t, track] : notes_)
      if (t > now_ + dt - kWindow) {
        recent[size_t(track)] += 1;
        total += 1;
      }
    for (int64_t k = 0; k < n && k < tokenizer::kMaxTracks; ++k) {
      const double p = expected_[size_t(k)], q = (recent[size_t(k)] + kPrior * p) / (total + kPrior);
      logits[k] += strength * float(std::log(p / q));
    }
  }

 private:
  int64_t now_ = 0;
  std::deque<std::pair<int64_t, int>> notes_;   // (time, track) of the last 2 x kWindow steps
  std::array<double, tokenizer::kMaxTracks> expected_{};
};

}  // namespace

std::vector<std::vector<Event>> generate(const Model& model, const std::vector<Event>& prompt, const SampleOptions& opt,
                                         const EventCallback& on_event) {
  check_options(opt);
  if (prompt.empty() || prompt.front().kind() != Kind::kBos)
    throw Error(ErrorCode::kInvalidArgument, "the prompt must start with BOS");
  const Model::Impl& m = model.impl();
  const int B = opt.variations, max_len = m.cfg.max_len, d = m.d;
  std::vector<std::vector<Event>> out(static_cast<size_t>(B));
  if (opt.events == 0) return out;

  // per-variation state: grammar, position tracker, full sequence (for windows), generator
  tokenizer::Options topt;
  topt.controls = m.cfg.controls;
  tokenizer::Grammar grammar0(topt);
  tokenizer::PositionTracker tracker0;
  std::vector<Position> prompt_pos;
  std::vector<int64_t> prompt_time;   // each prompt event's time (grid steps)
  for (const Event& e : prompt) {
    prompt_pos.push_back(tracker0.next(e));
    prompt_time.push_back(tracker0.now());
    check_event(e, prompt_pos.back());
    grammar0.feed(e);
  }
  if (grammar0.ended()) return out;
  const std::vector<SampleOptions::Forced>& forced = opt.forced;
  const bool constrained = !forced.empty() || opt.end_at >= 0 || opt.begin_at >= 0;
  for (const auto& fe : forced) {
    if (fe.at < tracker0.now()) throw Error(ErrorCode::kInvalidArgument, "a forced event lies before the prompt's end");
    if ((fe.event.kind() == Kind::kNote || fe.event.kind() == Kind::kControl) && fe.event[Field::kTrack] >= grammar0.tracks())
      throw Error(ErrorCode::kInvalidArgument, "a forced event is on a track the prompt does not declare");
    if (opt.end_at >= 0 && fe.at >= opt.end_at) throw Error(ErrorCode::kInvalidArgument, "a forced event lies after the end");
  }
  if (opt.end_at >= 0 && opt.end_at <= tracker0.now()) return out;
  tokenizer::PitchContextTracker keys0;   // for key_strength: the whole history, not the window
  int prompt_key = -1;
  // The key anchor: the prompt's pitch classes as a whole (shares of its pitched notes), a
  // context the model's key prior reads beside the recent notes' (SampleOptions::key_anchor).
  std::array<double, 12> prompt_count{};
  NoteRuns runs0;
  for (const Event& e : prompt) {
    keys0.next(e);
    runs0.next(e, keys0.is_drum(e[Field::kTrack]));
    if (e.kind() == Kind::kKeySig) prompt_key = e[Field::kValue] - tokenizer::kKeyBase;
    if (e.kind() == Kind::kNote && !keys0.is_drum(e[Field::kTrack])) prompt_count[size_t(e[Field::kValue] % 12)] += 1;
  }
  const int prompt_notes = keys0.notes();
  if (prompt_key >= 0) keys0.seed_key(prompt_key);   // a prompt without pitched notes: the asked key
  tokenizer::PitchContext prompt_ctx{};
  for (int i = 0; i < 12; ++i)
    prompt_ctx[size_t(i)] = prompt_ctx[size_t(12 + i)] = prompt_notes > 0 ? float(prompt_count[size_t(i)] / prompt_notes) : 0.0f;
  const float anchor = (opt.key_anchor < 0 ? float(m.cfg.key_anchor) : opt.key_anchor) *
                       tokenizer::key_prior_evidence(prompt_notes);
  // The key strength needs evidence of a key: an asked key, or pitched notes heard. Without
  // either (a piece generated from nothing) it grows with the notes written as the key prior
  // does (tokenizer::key_prior_evidence); at once it would narrow the piece onto its first notes.
  auto key_evidence = [&](const tokenizer::PitchContextTracker& k) {
    return prompt_key >= 0 ? 1.0f : tokenizer::key_prior_evidence(k.notes());
  };
  // the copy path reads the whole history (prompt and continuation), not only the window
  const bool copying = m.cfg.copy_prior;
  tokenizer::CopyTracker copies0;
  if (copying)
    for (const Event& e : prompt) copies0.next(e);
  // the groove anchor (SampleOptions::copy_anchor): drum parts the prompt repeated, proposed from
  // their pattern for good; below, the weight of such a proposal once its time and track are chosen
  const double copy_anchor = copying ? (opt.copy_anchor < 0 ? m.cfg.copy_anchor : double(opt.copy_anchor)) : 0.0;
  // pitched parts only with SampleOptions::pitched_anchor (their share of repeats at least that):
  // at 0.6, the bundled example's piano, bass and flute go on with the prompt's phrase instead of
  // a one-bar loop of drones; at 0.8 almost no pitched part qualifies (docs/EVAL.md, session 11)
  const double pitched = opt.pitched_anchor < 0 ? m.cfg.pitched_anchor : double(opt.pitched_anchor);
  // the variation anchor (SampleOptions::vary_*), in the variations it applies to, instead
  const bool varying = copying && opt.vary_span > 0 && opt.vary_strength > 0;
  tokenizer::CopyTracker copies_varied;
  if (varying) {
    copies_varied = copies0;
    copies_varied.anchor_to(opt.vary_from, opt.vary_span);
  }
  if (copy_anchor > 0) copies0.anchor(/*other_min_share=*/pitched > 0 ? pitched : 2.0);
  std::vector<tokenizer::CopyTracker> copies(copying ? static_cast<size_t>(B) : 0, copies0);
  std::vector<double> anchor_weight(static_cast<size_t>(B), copy_anchor);
  if (varying)
    for (int v = 0; v < B; ++v)
      if (opt.varied.empty() || opt.varied[size_t(v)]) {
        copies[size_t(v)] = copies_varied;
        anchor_weight[size_t(v)] = opt.vary_strength;
      }
  std::vector<CopyMixture> mixes(static_cast<size_t>(B));
  // A diagnostic: CONTINUO_COPY_TRACE=1 prints each event's mixture weights and proposals, and
  // the event chosen, to stderr (docs/EVAL.md reads the example's continuation this way).
  const bool trace = copying && std::getenv("CONTINUO_COPY_TRACE") && *std::getenv("CONTINUO_COPY_TRACE") == '1';
  // The loop guard: once the last finished bar had already been played more often than the
  // prompt ever repeated a bar (twice as often, and at least twice more), the copy proposals
  // keep only a fraction of their weight until a bar that is not such a repeat: a continuation
  // may loop as long as its prompt did, not for ever.
  BarRepeats repeats0;
  for (const Event& e : prompt) repeats0.next(e);
  const int loop_limit = std::max({2 * repeats0.most(), repeats0.most() + 2, 2});
  std::vector<BarRepeats> repeats(copying && opt.loop_guard < 1 ? size_t(B) : 0, repeats0);
  const float balance = constrained ? 0.0f : (opt.part_balance < 0 ? float(m.cfg.part_balance) : opt.part_balance);
  std::vector<PartRates> parts(balance > 0 ? size_t(B) : 0, PartRates(prompt));
  std::vector<float> probs;
  std::vector<tokenizer::PitchContextTracker> keys(size_t(B), keys0);
  std::vector<NoteRuns> runs(size_t(B), runs0);
  const int run_limit = std::max(NoteRuns::kMaxNoteRun, 2 * runs0.longest());
  std::vector<tokenizer::Grammar> grammar(size_t(B), grammar0);
  std::vector<tokenizer::PositionTracker> tracker(size_t(B), tracker0);
  std::vector<std::vector<Event>> full(size_t(B), prompt);
  std::vector<std::vector<Position>> full_pos(size_t(B), prompt_pos);
  std::vector<std::mt19937_64> rng;
  for (int v = 0; v < B; ++v) rng.emplace_back(variation_seed(opt.seed, v));
  const SampleParams params{opt.temperature, opt.top_k, opt.top_p};

  // the known future (future_context models): features after each row's event, from its time
  std::vector<tokenizer::KnownNote> known;
  if (m.cfg.future_context && !opt.known.empty()) {
    known = opt.known;
    std::stable_sort(known.begin(), known.end());
  }
  // rows of a window of a sequence whose event times are `times` (a cropped window's header
  // rows take the time of its first body event)
  auto rows_with_future = [&](int seq, const tokenizer::Window& w, const std::vector<int64_t>& times) {
    std::vector<Row> rows = rows_of(seq, w);
    if (known.empty()) return rows;
    const size_t body = std::min(rows.size() - tokenizer::Tokenizer::header_length(w.events), times.size());
    const size_t head = rows.size() - body;
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t t = times[times.size() - body + (i < head ? 0 : i - head)];
      rows[i].has_future = true;
      rows[i].future = tokenizer::future_context(known, t);
    }
    return rows;
  };
  std::vector<std::vector<int64_t>> full_time(known.empty() ? 0 : size_t(B), prompt_time);
  // each variation's known future after its last event (for the future prior)
  std::vector<tokenizer::FutureContext> last_future(
      known.empty() ? 0 : size_t(B), known.empty() ? tokenizer::FutureContext{} : tokenizer::future_context(known, prompt_time.back()));

  // prefill the prompt (or its most recent window) once, then share it
  Session::Impl s(m, B);
  if (int(prompt.size()) <= max_len) {
    tokenizer::Window w{prompt, prompt_pos};
    std::vector<Row> rows = rows_of(0, w);
    if (!known.empty())
      for (size_t i = 0; i < rows.size(); ++i) {
        rows[i].has_future = true;
        rows[i].future = tokenizer::future_context(known, prompt_time[i]);
      }
    s.forward(rows);
  } else {
    s.forward(rows_with_future(0, slide_window(prompt, prompt_pos, prompt.size(), max_len), prompt_time));
  }
  for (int v = 1; v < B; ++v) s.copy_seq(0, v);

  std::vector<bool> active(size_t(B), true);
  std::vector<Event> partial(static_cast<size_t>(B));
  // forced events: the next one of each variation, and whether its event this step is one
  std::vector<size_t> next_forced(size_t(B), 0);
  std::vector<uint8_t> fixed(size_t(B), 0);
  // the model chose the time of the next forced event for its own event: the track decides
  // which comes first (the tokenizer's order at one time: controls, then notes, by track)
  std::vector<uint8_t> at_boundary(size_t(B), 0);
  auto comes_first = [](const Event& own, const Event& kept) {
    auto rank = [](Kind k) {
      switch (k) {
        case Kind::kTimeSig: return 0;
        case Kind::kKeySig: return 1;
        case Kind::kTempo: return 2;
        case Kind::kControl: return 3;
        default: return 4;
      }
    };
    if (rank(own.kind()) != rank(kept.kind())) return rank(own.kind()) < rank(kept.kind());
    return own[Field::kTrack] < kept[Field::kTrack];
  };
  // the next time a variation's model event may not pass (forced event or end); -1: none
  auto boundary = [&](int v) -> int64_t {
    const size_t i = next_forced[size_t(v)];
    return i < forced.size() ? forced[i].at : opt.end_at;
  };
  auto put_forced = [&](int v, int64_t dt) {
    Event e = forced[next_forced[size_t(v)]++].event;
    e[Field::kDt] = uint16_t(dt);
    partial[size_t(v)] = e;
    fixed[size_t(v)] = 1;
  };
  // density steering (SampleOptions::steer_notes): the notes each variation wrote itself since begin_at
  const bool steering = opt.steer_notes >= 0 && opt.steer_strength > 0 && opt.begin_at >= 0 && opt.end_at > opt.begin_at;
  std::vector<int64_t> own_notes(size_t(B), 0);
  // adds the steering's tilt, times `scale`, to the dt logits `l` (n values) of variation v
  auto steer = [&](int v, float* l, int64_t n, float scale) {
    if (!opt.steered.empty() && !opt.steered[size_t(v)]) return;
    const int64_t span = opt.end_at - opt.begin_at;
    const double due = opt.steer_notes * double(std::clamp<int64_t>(tracker[size_t(v)].now() - opt.begin_at, 0, span)) / double(span);
    // at most e^2 either way: early in the passage a count of a few notes is far off its due
    // share by chance, and an unbounded push would let that decide the rhythm (a long wait made
    // likelier than the next note, then the gap crammed full)
    const double g = scale * std::clamp(opt.steer_strength * std::log((double(own_notes[size_t(v)]) + 2) / (due + 2)), -2.0, 2.0);
    for (int64_t c = 1; c < n; ++c) l[c] += float(g * double(std::min<int64_t>(c, tokenizer::kStepsPerBeat)) / tokenizer::kStepsPerBeat);
  };
  std::vector<int> live;                       // sequences whose field f is sampled now
  std::vector<float> h, logits, scratch;       // [n, d], [n, vocab_f]
  std::vector<Event> live_partial;
  std::vector<std::pair<float, int>> cand;
  for (;;) {
    // ---- sample one event per active variation, field by field (batched over variations)
    for (int v = 0; v < B; ++v) {
      partial[size_t(v)] = Event{};
      fixed[size_t(v)] = 0;
      at_boundary[size_t(v)] = 0;
      // (a forced event already overdue cannot happen; if it did, it goes in at once)
      if (active[size_t(v)] && next_forced[size_t(v)] < forced.size() &&
          forced[next_forced[size_t(v)]].at < tracker[size_t(v)].now())
        put_forced(v, 0);
      if (copying && active[size_t(v)] && !fixed[size_t(v)]) {
        if (opt.forbid_tracks.empty()) {
          mixes[size_t(v)].start(m, s.hidden.data() + int64_t(v) * d, copies[size_t(v)].proposals());
        } else {
          // a proposal on a track the model may not write (a kept part, put in as forced events)
          // is not the model's to make: without this the copy path, reading a history that is
          // mostly the kept melody, proposed its next note, the next event went to it, and the
          // accompaniment fell silent
          tokenizer::CopyProposals props = copies[size_t(v)].proposals();
          for (auto& pp : props)
            if (pp.valid && (pp.event.kind() == Kind::kNote || pp.event.kind() == Kind::kControl) &&
                std::find(opt.forbid_tracks.begin(), opt.forbid_tracks.end(), pp.event[Field::kTrack]) != opt.forbid_tracks.end())
              pp.valid = false;
          mixes[size_t(v)].start(m, s.hidden.data() + int64_t(v) * d, props);
        }
        if (!repeats.empty() && repeats[size_t(v)].last() >= loop_limit) mixes[size_t(v)].damp(opt.loop_guard);
        if (trace) {   // CONTINUO_COPY_TRACE: the mixture before each sampled event
          const CopyMixture& mx = mixes[size_t(v)];
          std::fprintf(stderr, "copy v%d: network %.2f", v, mx.w[0]);
          for (int k = 0; k < CopyMixture::K; ++k) {
            const tokenizer::CopyProposal& pp = mx.prop[size_t(k)];
            if (pp.valid && mx.w[1 + k] > 0)
              std::fprintf(stderr, " | source %d %.2f: kind %d track %d value %d dt %d (length %d, hits %d, anchor %.2f)", k,
                           mx.w[1 + k], int(pp.event.kind()), int(pp.event[Field::kTrack]), int(pp.event[Field::kValue]),
                           int(pp.event[Field::kDt]), int(pp.length), int(pp.hits), double(copies[size_t(v)].anchor_share(k)));
          }
          std::fprintf(stderr, "\n");
        }
      }
    }
    for (int f = 0; f < kNumFields; ++f) {
      live.clear();
      for (int v = 0; v < B; ++v)
        if (active[size_t(v)] && !fixed[size_t(v)] && grammar[size_t(v)].fields_used(partial[size_t(v)].kind(), Field(f)))
          live.push_back(v);
      if (live.empty()) continue;
      const int64_t n = int64_t(live.size()), V = kFieldSizes[f];
      h.resize(size_t(n * d));
      logits.resize(size_t(n * V));
      live_partial.resize(size_t(n));
      for (int64_t i = 0; i < n; ++i) {
        std::memcpy(h.data() + i * d, s.hidden.data() + int64_t(live[size_t(i)]) * d, sizeof(float) * size_t(d));
        live_partial[size_t(i)] = partial[size_t(live[size_t(i)])];
      }
      m.head_logits(f, h.data(), live_partial.data(), n, logits.data(), scratch);   // [n, V]
      for (int64_t i = 0; i < n; ++i) {
        const int v = live[size_t(i)];
        tokenizer::Grammar& g = grammar[size_t(v)];
        std::vector<uint8_t> mask = g.allowed(Field(f), partial[size_t(v)]);
        std::vector<uint8_t> grammar_mask = mask;
        if (f == int(Field::kKind)) {
          if (!opt.allow_controls) mask[size_t(Kind::kControl)] = 0;
          if (!opt.allow_eos) mask[size_t(Kind::kEos)] = 0;
          // a tempo or metre event is a change unless it is the header's first (the grammar
          // gives a second one in the header dt >= 1)
          if (!opt.allow_tempo_changes && (!g.in_header() || g.header_has(Kind::kTempo))) mask[size_t(Kind::kTempo)] = 0;
          if (!opt.allow_timesig_changes && (!g.in_header() || g.header_has(Kind::kTimeSig)))
            mask[size_t(Kind::kTimeSig)] = 0;
          if (constrained)
            for (size_t k = 0; k < mask.size(); ++k)
              if (Kind(k) != Kind::kNote && Kind(k) != Kind::kControl && Kind(k) != Kind::kWait) mask[k] = 0;
          // before begin_at, further than one dt can reach: wait
          if (opt.begin_at - tracker[size_t(v)].now() >= int64_t(tokenizer::kMaxDt) &&
              (boundary(v) < 0 || boundary(v) > opt.begin_at))
            for (size_t k = 0; k < mask.size(); ++k)
              if (Kind(k) != Kind::kWait) mask[k] = 0;
        } else if (f == int(Field::kTrack) &&
                   (partial[size_t(v)].kind() == Kind::kNote || partial[size_t(v)].kind() == Kind::kControl)) {
          // at a forced event's time, a kept track drawn means the model expects the kept event:
          // it gets it (below); masked, the model wrote its own notes in its place, over and over
          if (!at_boundary[size_t(v)])
            for (uint8_t t : opt.forbid_tracks)
              if (t < mask.size()) mask[t] = 0;
        } else if (f == int(Field::kValue) && partial[size_t(v)].kind() == Kind::kNote &&
                   !g.is_drum(partial[size_t(v)][Field::kTrack])) {
          // the model's own key prior and the asked key strength are added at their own strength
          // whatever the temperature (scaled by it here, divided by it in sample()): a low
          // temperature sharpens the network's choice, not the prior's "more of the same"
          // (which, sharpened, collapses melodies onto one repeated note)
          const float t = opt.temperature > 0 ? opt.temperature : 1.0f;
          m.add_key_prior(s.pitch[size_t(v)], logits.data() + i * V, t * (1 - anchor));
          if (anchor > 0) m.add_key_prior(prompt_ctx, prompt_notes, logits.data() + i * V, t * anchor);
          if (!known.empty()) m.add_future_prior(last_future[size_t(v)], logits.data() + i * V, t);
          if (opt.key_strength > 0) {
            key_bias(keys[size_t(v)].current(), t * opt.key_strength * key_evidence(keys[size_t(v)]),
                     /*use_scale=*/prompt_notes == 0 && prompt_key < 0, logits.data() + i * V);
          }
          const int banned = runs[size_t(v)].banned(partial[size_t(v)][Field::kDt], partial[size_t(v)][Field::kTrack], run_limit);
          if (banned >= 0 && size_t(banned) < mask.size()) mask[size_t(banned)] = 0;
        }
        if (std::find(mask.begin(), mask.end(), 1) == mask.end()) mask = grammar_mask;   // constraints can't be met
        // the gap to the next forced event or the end: a time the model draws past it means the
        // forced event (or the end) comes first; exactly at it, the event's track decides
        int64_t gap = -1;
        if (f == int(Field::kDt) && boundary(v) >= 0) {
          gap = boundary(v) - tracker[size_t(v)].now();
          if (gap >= V) gap = -1;
        }
        if (f == int(Field::kDt) && opt.begin_at > tracker[size_t(v)].now()) {
          const int64_t lo = std::min<int64_t>(opt.begin_at - tracker[size_t(v)].now(), V - 1);
          for (int64_t c = 0; c < lo && (gap < 0 || c < gap); ++c) mask[size_t(c)] = 0;
        }
        int value;
        const bool note_track = !parts.empty() && f == int(Field::kTrack) && partial[size_t(v)].kind() == Kind::kNote;
        if (copying) {
          // the network's distribution (tempered), mixed with the copy proposals, sampled as it is
          float* l = logits.data() + i * V;
          probs.resize(size_t(V));
          const float inv_t = opt.temperature > 0 ? 1.0f / opt.temperature : 1.0f;
          const float mx = *std::max_element(l, l + V);
          double sum = 0;
          for (int64_t c = 0; c < V; ++c) sum += probs[size_t(c)] = std::exp((l[c] - mx) * inv_t);
          for (int64_t c = 0; c < V; ++c) probs[size_t(c)] = float(probs[size_t(c)] / sum);
          CopyMixture& mix = mixes[size_t(v)];
          mix.mix(f, probs.data(), l, int(V));   // l: the mixture's probabilities, then their logs
          for (int64_t c = 0; c < V; ++c) l[c] = std::log(std::max(l[c], 1e-37f));
          SampleParams p1 = params;
          p1.temperature = opt.temperature > 0 ? 1.0f : 0.0f;
          if (note_track) parts[size_t(v)].bias(balance, partial[size_t(v)][Field::kDt], l, V);
          if (steering && f == int(Field::kDt)) steer(v, l, V, 1.0f);
          value = sample(l, mask.data(), int(V), p1, rng[size_t(v)], cand);
          if (value >= 0) mix.update(f, value, probs[size_t(value)]);
          // the groove anchor, once the event's time and track are chosen: if they are those of an
          // anchored drum part's next hit, that hit gets at least copy_anchor x the part's share
          // (applied before the time is chosen, it made the drums outrun the other parts)
          if (value >= 0 && anchor_weight[size_t(v)] > 0 && f == int(Field::kTrack))
            for (int k = tokenizer::kCopyFirstSources; k < CopyMixture::K; ++k)
              if (const float share = copies[size_t(v)].anchor_share(k); share > 0 && mix.w[1 + k] > 0)
                mix.raise(k, anchor_weight[size_t(v)] * share);
        } else {
          if (note_track) parts[size_t(v)].bias(balance * (opt.temperature > 0 ? opt.temperature : 1.0f), partial[size_t(v)][Field::kDt],
                                                logits.data() + i * V, V);
          // at its own strength whatever the temperature (sample() divides by it)
          if (steering && f == int(Field::kDt)) steer(v, logits.data() + i * V, V, opt.temperature > 0 ? opt.temperature : 1.0f);
          value = sample(logits.data() + i * V, mask.data(), int(V), params, rng[size_t(v)], cand);
        }
        if (value < 0) throw Error(ErrorCode::kInternal, "the grammar allows no value for a field");
        if (gap >= 0 && value >= gap) {   // the model's next event would reach the boundary
          const bool kept_next = next_forced[size_t(v)] < forced.size();
          if (!kept_next) {
            active[size_t(v)] = false;   // the end: nothing at or after it is written
            continue;
          }
          if (value > gap || partial[size_t(v)].kind() == Kind::kWait) {
            put_forced(v, gap);
            continue;
          }
          at_boundary[size_t(v)] = 1;   // at the forced event's time: decided by the track, below
        }
        partial[size_t(v)].f[size_t(f)] = uint16_t(value);
        if (f == int(Field::kTrack) && at_boundary[size_t(v)] &&
            (std::find(opt.forbid_tracks.begin(), opt.forbid_tracks.end(), value) != opt.forbid_tracks.end() ||
             !comes_first(partial[size_t(v)], forced[next_forced[size_t(v)]].event)))
          put_forced(v, partial[size_t(v)][Field::kDt]);
      }
    }

    // ---- accept the events, report them, stop finished variations
    std::vector<Row> rows;
    for (int v = 0; v < B; ++v) {
      if (!active[size_t(v)]) continue;
      const Event e = partial[size_t(v)];
      const Position p = tracker[size_t(v)].next(e);
      grammar[size_t(v)].feed(e);
      keys[size_t(v)].next(e);
      runs[size_t(v)].next(e, keys[size_t(v)].is_drum(e[Field::kTrack]));
      if (copying) copies[size_t(v)].next(e);
      if (!repeats.empty()) repeats[size_t(v)].next(e);
      if (!parts.empty()) parts[size_t(v)].next(e);
      if (steering && !fixed[size_t(v)] && e.kind() == Kind::kNote && tracker[size_t(v)].now() >= opt.begin_at) ++own_notes[size_t(v)];
      full[size_t(v)].push_back(e);
      full_pos[size_t(v)].push_back(p);
      if (!known.empty()) full_time[size_t(v)].push_back(tracker[size_t(v)].now());
      out[size_t(v)].push_back(e);
      if (trace && copying)
        std::fprintf(stderr, "copy v%d: chosen kind %d track %d value %d dt %d\n", v, int(e.kind()), int(e[Field::kTrack]),
                     int(e[Field::kValue]), int(e[Field::kDt]));
      if (on_event && !on_event(v, e)) return out;
      if (e.kind() == Kind::kEos || int(out[size_t(v)].size()) >= opt.events || grammar[size_t(v)].ended() ||
          (opt.stop_variation && opt.stop_variation(v))) {
        active[size_t(v)] = false;
        continue;
      }
      if (s.len[size_t(v)] < max_len) {
        rows.push_back({v, e, p});
        if (!known.empty()) {
          rows.back().has_future = true;
          rows.back().future = last_future[size_t(v)] = tokenizer::future_context(known, tracker[size_t(v)].now());
        }
      } else {   // sliding window: header + the most recent half, ending with e
        s.reset_seq(v);
        auto w = known.empty()
                     ? rows_of(v, slide_window(full[size_t(v)], full_pos[size_t(v)], full[size_t(v)].size(), max_len))
                     : rows_with_future(v, slide_window(full[size_t(v)], full_pos[size_t(v)], full[size_t(v)].size(), max_len),
                                        full_time[size_t(v)]);
        if (!known.empty()) last_future[size_t(v)] = w.back().future;
        rows.insert(rows.end(), w.begin(), w.end());
      }
    }
    if (rows.empty()) break;
    s.forward(rows);
  }
  return out;
}

namespace {

// Negative log-likelihoods (nats) of `count` target events, each given the final hidden state of
// the event before it (hs [count, d]), the pitch-class context after that event (ctx [count])
// and, for a copy_prior model, the copy proposals after it (props [count]). `drums` says which
// tracks are drums (declared in the header). out [count]; padding scores 0.
void score_targets(const Model::Impl& m, const Event* targets, const float* hs, const PitchRow* ctx,
                   const tokenizer::CopyProposals* props, const tokenizer::PitchContextTracker& drums, int64_t count,
                   double* out) {
  const int64_t d = m.d;
  tokenizer::Grammar grammar;   // for fields_used only
  std::vector<std::array<double, kNumFields>> net_lp(static_cast<size_t>(count));   // the network's log p of each target field
  std::vector<float> h, logits, scratch;
  std::vector<Event> tg;
  std::vector<int64_t> idx;
  for (int f = 0; f < kNumFields; ++f) {
    idx.clear();
    for (int64_t r = 0; r < count; ++r) {
      const Event& t = targets[r];
      if (t.kind() != Kind::kPad && grammar.fields_used(t.kind(), Field(f))) idx.push_back(r);
    }
    if (idx.empty()) continue;
    const int64_t rows = int64_t(idx.size()), V = kFieldSizes[f];
    h.resize(size_t(rows * d));
    tg.resize(size_t(rows));
    for (int64_t i = 0; i < rows; ++i) {
      std::memcpy(h.data() + i * d, hs + idx[size_t(i)] * d, sizeof(float) * size_t(d));
      tg[size_t(i)] = targets[idx[size_t(i)]];
    }
    logits.resize(size_t(rows * V));
    m.head_logits(f, h.data(), tg.data(), rows, logits.data(), scratch);   // [rows, V]
    if (f == int(Field::kValue))
      for (int64_t i = 0; i < rows; ++i) {
        const Event& t = tg[size_t(i)];
        if (t.kind() == Kind::kNote && !drums.is_drum(t[Field::kTrack])) m.add_key_prior(ctx[idx[size_t(i)]], logits.data() + i * V);
      }
    for (int64_t i = 0; i < rows; ++i) {
      const float* l = logits.data() + i * V;
      const float mx = *std::max_element(l, l + V);
      double sum = 0;
      for (int64_t c = 0; c < V; ++c) sum += std::exp(double(l[c]) - mx);
      net_lp[size_t(idx[size_t(i)])][size_t(f)] = double(l[tg[size_t(i)].f[size_t(f)]]) - double(mx) - std::log(sum);
    }
  }
  for (int64_t r = 0; r < count; ++r) {
    const Event& t = targets[r];
    out[r] = 0;
    if (t.kind() == Kind::kPad) continue;
    CopyMixture mix;
    if (props) mix.start(m, hs + r * d, props[r]);
    double total = 0;
    for (int f = 0; f < kNumFields; ++f) {
      if (!grammar.fields_used(t.kind(), Field(f))) continue;
      const double pn = std::exp(net_lp[size_t(r)][size_t(f)]);
      total -= props ? std::log(std::max(mix.prob(f, t.f[size_t(f)], pn), 1e-300)) : net_lp[size_t(r)][size_t(f)];
      mix.update(f, t.f[size_t(f)], pn);
    }
    out[r] = total;
  }
}

}  // namespace

std::vector<double> score_events(const Model& model, const std::vector<Event>& events) {
  const Model::Impl& m = model.impl();
  const int64_t n = int64_t(events.size());
  const int max_len = m.cfg.max_len;
  std::vector<double> nll(size_t(n), 0.0);
  if (n < 2) return nll;
  const std::vector<Position> pos = tokenizer::Tokenizer::positions(events);
  for (int64_t i = 0; i < n; ++i) check_event(events[size_t(i)], pos[size_t(i)]);
  // copy proposals after every event, from the whole history (as in generate())
  const bool copying = m.cfg.copy_prior;
  std::vector<tokenizer::CopyProposals> props(copying ? size_t(n) : 0);
  if (copying) {
    tokenizer::CopyTracker tr;
    for (int64_t i = 0; i < n; ++i) props[size_t(i)] = tr.next(events[size_t(i)]);
  }
  Session::Impl s(m, 1);
  std::vector<float> hid;
  // events [first, first + count) given the final hidden states hs [count, d] of their
  // predecessors and the pitch-class contexts after them, ctx [count]
  auto score = [&](const float* hs, const PitchRow* ctx, int64_t first, int64_t count) {
    score_targets(m, events.data() + first, hs, ctx, copying ? props.data() + first - 1 : nullptr, s.pitch[0], count,
                  nll.data() + first);
  };

  int64_t j = 0;   // next event to feed; feeding event j gives the prediction of event j + 1
  while (j < n - 1) {
    if (s.len[0] >= max_len) {   // slide: the window ends with event j
      s.reset_seq(0);
      s.forward(rows_of(0, slide_window(events, pos, size_t(j + 1), max_len)));
      score(s.hidden.data(), &s.row_pitch.back(), j + 1, 1);
      ++j;
      continue;
    }
    const int64_t chunk = std::min<int64_t>(max_len - s.len[0], n - 1 - j);
    std::vector<Row> rows;
    for (int64_t i = j; i < j + chunk; ++i) rows.push_back({0, events[size_t(i)], pos[size_t(i)]});
    s.forward(rows, &hid);   // hid [chunk, d]
    score(hid.data(), s.row_pitch.data(), j + 1, chunk);
    j += chunk;
  }
  return nll;
}

std::vector<std::vector<double>> score_tails(const Model& model, const std::vector<Event>& prefix,
                                             const std::vector<std::vector<Event>>& tails) {
  const Model::Impl& m = model.impl();
  const int64_t d = m.d;
  const size_t max_len = size_t(m.cfg.max_len);
  std::vector<std::vector<double>> out(tails.size());
  if (tails.empty()) return out;
  if (prefix.empty() || prefix[0].kind() != Kind::kBos)
    throw Error(ErrorCode::kInvalidArgument, "score_tails needs a prefix that starts with BOS");
  const size_t h = tokenizer::Tokenizer::header_length(prefix);
  size_t longest = 0;
  for (const auto& t : tails) longest = std::max(longest, t.size());
  // the prefix's window: header + its most recent events, leaving room for the longest tail; at
  // least one body event of the prefix (the tail's first event is predicted from it)
  const size_t body_room = max_len > h + longest ? max_len - h - longest : 0;
  const bool fits = prefix.size() + longest <= max_len;
  if (!fits && (body_room < 1 || prefix.size() <= h)) {   // too long for one shared window
    for (size_t i = 0; i < tails.size(); ++i) {
      std::vector<Event> all = prefix;
      all.insert(all.end(), tails[i].begin(), tails[i].end());
      const auto nll = score_events(model, all);
      out[i].assign(nll.end() - std::ptrdiff_t(tails[i].size()), nll.end());
    }
    return out;
  }
  // positions of the prefix; each tail's go on from where the prefix's end
  tokenizer::PositionTracker prefix_tracker;
  std::vector<Position> prefix_pos;
  for (const Event& e : prefix) prefix_pos.push_back(prefix_tracker.next(e));
  for (size_t i = 0; i < prefix.size(); ++i) check_event(prefix[i], prefix_pos[i]);
  const tokenizer::Window w =
      fits ? tokenizer::Window{prefix, prefix_pos}
           : tokenizer::Tokenizer::crop(prefix, prefix_pos, std::max(h, prefix.size() - std::min(body_room, prefix.size() - h)),
                                        prefix.size());
  // the tails go through in groups of kGroup, each after a copy of the prefix kept in the last
  // sequence: the caches and scratch of one group are reused by the next (fresh memory costs a
  // page fault per page)
  constexpr int kGroup = 8;
  const int G = int(std::min<size_t>(tails.size(), kGroup));
  Session::Impl s(m, G + 1);
  s.forward(rows_of(G, w));
  const std::vector<float> last_hidden(s.hidden.begin() + int64_t(G) * d, s.hidden.begin() + int64_t(G + 1) * d);
  const PitchRow last_pitch = s.row_pitch.back();
  const bool copying = m.cfg.copy_prior;
  tokenizer::CopyTracker prefix_copies;
  tokenizer::CopyProposals after_prefix{};
  if (copying)
    for (const Event& e : prefix) after_prefix = prefix_copies.next(e);
  std::vector<Row> rows;
  std::vector<float> hid, hs;
  std::vector<PitchRow> ctx;
  std::vector<tokenizer::CopyProposals> props;
  for (size_t g0 = 0; g0 < tails.size(); g0 += size_t(G)) {
    const size_t g1 = std::min(tails.size(), g0 + size_t(G));
    // the group's events in one forward pass; each event's score from the row before it
    rows.clear();
    std::vector<size_t> first_row(g1 - g0);
    for (size_t i = g0; i < g1; ++i) {
      const int seq = int(i - g0);
      s.copy_seq(G, seq);
      first_row[i - g0] = rows.size();
      tokenizer::PositionTracker tracker = prefix_tracker;
      for (size_t k = 0; k < tails[i].size(); ++k) {
        const Position p = tracker.next(tails[i][k]);
        if (k + 1 < tails[i].size()) rows.push_back({seq, tails[i][k], p});
        else check_event(tails[i][k], p);
      }
    }
    s.forward(rows, &hid);
    for (size_t i = g0; i < g1; ++i) {
      const auto& t = tails[i];
      out[i].assign(t.size(), 0.0);
      if (t.empty()) continue;
      hs.resize(t.size() * size_t(d));
      ctx.resize(t.size());
      std::memcpy(hs.data(), last_hidden.data(), sizeof(float) * size_t(d));
      ctx[0] = last_pitch;
      for (size_t k = 1; k < t.size(); ++k) {
        const size_t row = first_row[i - g0] + k - 1;
        std::memcpy(hs.data() + k * size_t(d), hid.data() + row * size_t(d), sizeof(float) * size_t(d));
        ctx[k] = s.row_pitch[row];
      }
      if (copying) {
        props.resize(t.size());
        props[0] = after_prefix;
        tokenizer::CopyTracker tr = prefix_copies;
        for (size_t k = 1; k < t.size(); ++k) props[k] = tr.next(t[k - 1]);
      }
      score_targets(m, t.data(), hs.data(), ctx.data(), copying ? props.data() : nullptr, s.pitch[size_t(G)], int64_t(t.size()),
                    out[i].data());
    }
  }
  return out;
}

}  // namespace continuo::engine
