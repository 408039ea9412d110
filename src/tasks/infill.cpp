// infill and accompany: new notes written while the kept ones are forced into the event stream
// (engine::SampleOptions::forced), each passage drawn several times and the candidate chosen
// under which what follows it is likeliest (engine::score_events).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "continuo/drums.hpp"
#include "continuo/error.hpp"
#include "continuo/tasks.hpp"
#include "score/internal.hpp"
#include "tasks/internal.hpp"

namespace continuo::tasks {
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;

namespace {

using Timed = std::vector<std::pair<int64_t, Event>>;   // (grid step from the start, event)

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorCode::kInvalidArgument, what); }

// A score as the model sees it, with each event's time and the way back to the file's ticks.
struct Encoded {
  std::vector<Event> events;   // no EOS
  std::vector<int64_t> at;     // grid step of each event
  size_t header = 0;
  tokenizer::SilenceCuts cuts;
  int tpb = 480;

  Encoded(const score::Score& s, bool controls) : tpb(s.ticks_per_beat > 0 ? s.ticks_per_beat : 480) {
    events = tokenizer::Tokenizer({controls}).encode(s, &cuts);
    if (!events.empty() && events.back().kind() == Kind::kEos) events.pop_back();
    header = tokenizer::Tokenizer::header_length(events);
    int64_t t = 0;
    for (const Event& e : events) at.push_back(t += e[Field::kDt]);
  }
  // the grid step of the shortened score at a time of the file (inside a cut silence: where the
  // cut starts)
  int64_t to_model(Ticks tick) const {
    const int64_t orig = detail::tick_to_step(std::max<int64_t>(tick.count(), 0), tpb);
    int64_t lo = 0, hi = orig;   // the largest m with to_original(m) <= orig
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo + 1) / 2;
      if (cuts.to_original(mid) <= orig) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  Ticks to_tick(int64_t step) const { return Ticks{detail::step_to_tick(cuts.to_original(step), tpb)}; }
  // index of the first body event at or after `step`
  // The notes a future_context model may know while it writes (engine::SampleOptions::known):
  // those at or after `from` on every track, and, at any time, those of tracks `kept_always`.
  template <class Kept>
  std::vector<tokenizer::KnownNote> known(int64_t from, Kept kept_always) const {
    std::vector<tokenizer::KnownNote> out;
    std::array<bool, tokenizer::kMaxTracks> drum{};
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      const int track = e[Field::kTrack] % tokenizer::kMaxTracks;
      if (e.kind() == Kind::kTrack) drum[size_t(track)] = e[Field::kValue] >= tokenizer::kDrumKitBase;
      if (e.kind() == Kind::kNote && (at[i] >= from || kept_always(track)))
        out.push_back({at[i], uint8_t(e[Field::kValue] & 127), drum[size_t(track)]});
    }
    return out;
  }
  size_t first_at(int64_t step) const {
    size_t i = header;
    while (i < events.size() && at[i] < step) ++i;
    return i;
  }
};

// Events after a sequence that ends at time `now`, their dts rebuilt from their times (gaps the
// dt field cannot hold become WAITs, as the tokenizer writes them). WAITs among them are dropped.
std::vector<Event> retime(const Timed& timed, int64_t now) {
  std::vector<Event> out;
  for (auto [t, e] : timed) {
    if (e.kind() == Kind::kWait) continue;
    int64_t gap = std::max<int64_t>(t - now, 0);
    while (gap >= tokenizer::kMaxDt) {
      Event w;
      w[Field::kKind] = uint16_t(Kind::kWait);
      w[Field::kDt] = uint16_t(std::min<int64_t>(gap, tokenizer::kMaxDt - 1));
      gap -= w[Field::kDt];
      out.push_back(w);
    }
    e[Field::kDt] = uint16_t(gap);
    out.push_back(e);
    now = std::max(now, t);
  }
  return out;
}

// A kept melody in model steps: each note sounds in [from, to); sorted by start.
struct Melody {
  struct Note {
    int64_t from = 0, to = 0;
    int pitch = 0;
  };
  std::vector<Note> notes;
  int64_t longest = 0;   // the longest note's length
};

// The melody that new parts stay under: the highest kept pitched track (by median pitch), if it
// is a melody: its median pitch at least middle C (a kept bass line is not one) and mostly one
// note at a time (at most 1.25 notes per onset: a kept piano part of chords is not one either,
// and a melody may be written above it). Empty if there is none.
template <class ToModel>
Melody kept_melody(const score::Score& kept, const ToModel& to_model) {
  const score::Track* top = nullptr;
  int top_median = -1;
  for (const auto& t : kept.tracks) {
    if (t.is_drum || t.notes.empty()) continue;
    std::vector<int> pitches;
    for (const auto& n : t.notes) pitches.push_back(n.pitch);
    std::nth_element(pitches.begin(), pitches.begin() + ptrdiff_t(pitches.size() / 2), pitches.end());
    if (pitches[pitches.size() / 2] > top_median) top_median = pitches[pitches.size() / 2], top = &t;
  }
  Melody m;
  if (!top || top_median < 60) return m;
  std::set<int64_t> onsets;
  for (const auto& n : top->notes) onsets.insert(n.start.count());
  if (double(top->notes.size()) > 1.25 * double(onsets.size())) return m;
  for (const auto& n : top->notes) {
    const int64_t from = to_model(n.start);
    m.notes.push_back({from, std::max(to_model(n.start + n.duration), from + 1), n.pitch});
    m.longest = std::max(m.longest, m.notes.back().to - from);
  }
  std::sort(m.notes.begin(), m.notes.end(), [](const Melody::Note& x, const Melody::Note& y) { return x.from < y.from; });
  return m;
}

// Of the notes on `pitched` tracks among `events` (which start at step `start`), the share that
// start above the highest melody note sounding then; notes while the melody rests do not count.
double share_above(const std::vector<Event>& events, int64_t start, const Melody& melody,
                   const std::array<bool, tokenizer::kMaxTracks>& pitched) {
  size_t under = 0, above = 0;
  int64_t now = start;
  for (const Event& e : events) {
    now += e[Field::kDt];
    if (e.kind() != Kind::kNote || !pitched[size_t(e[Field::kTrack] % tokenizer::kMaxTracks)]) continue;
    // the melody notes that start at or before now, and no longer ago than the longest one
    auto it = std::upper_bound(melody.notes.begin(), melody.notes.end(), now, [](int64_t t, const Melody::Note& m) { return t < m.from; });
    int top = -1;
    while (it != melody.notes.begin()) {
      --it;
      if (it->from < now - melody.longest) break;
      if (it->to > now) top = std::max(top, it->pitch);
    }
    if (top < 0) continue;
    ++under;
    above += int(e[Field::kValue]) > top;
  }
  return under ? double(above) / double(under) : 0.0;
}

// The sixteenth-note grid cell of a model step (24 steps a beat).
int64_t sixteenth(int64_t step) { return (step + tokenizer::kStepsPerBeat / 8) / (tokenizer::kStepsPerBeat / 4); }

// The F1 of the onsets (sixteenths) of the notes on tracks >= first_track among `events` (which
// start at step `start`) against `kept`; 0 when either is empty.
double onset_f1(const std::vector<Event>& events, int64_t start, const std::set<int64_t>& kept, int first_track) {
  std::set<int64_t> mine;
  int64_t now = start;
  for (const Event& e : events) {
    now += e[Field::kDt];
    if (e.kind() == Kind::kNote && e[Field::kTrack] >= first_track) mine.insert(sixteenth(now));
  }
  if (mine.empty() || kept.empty()) return 0.0;
  size_t both = 0;
  for (int64_t o : mine) both += kept.count(o);
  return 2.0 * double(both) / double(mine.size() + kept.size());
}

// One passage to write: the events before it, the kept events inside it, where it ends, and the
// kept events after it that choose among the candidates.
struct Passage {
  std::vector<Event> prefix;   // grammatical, from BOS
  int64_t begin = 0, end = 0;  // the model writes in [begin, end)
  std::vector<engine::SampleOptions::Forced> forced;
  Timed lookahead;
  std::vector<uint8_t> forbid;
  std::vector<tokenizer::KnownNote> known;   // the known future (future_context models)
  // the choice also weighs how far each candidate's count of written notes is from this many
  // (the note density around the passage; < 0: not used): density_weight x |log ratio| is added
  // to the lookahead's nats per event
  double expected_notes = -1, density_weight = 0;
  // density steering (InfillOptions::steer_strength): the steered candidates' counts are drawn
  // toward expected_notes
  float steer_strength = 0;
  double steer_share = 0;
  // this share of the expected count's log comes from the median of the candidates' counts
  double model_density = 0;
  bool score_lookahead = true;   // false: the choice weighs the density alone (lookahead not scored)
  // a kept melody (model steps, sorted by start): melody_weight x the share of the candidate's
  // notes on `pitched` tracks that start above the melody's sounding note is added to its score
  const Melody* melody = nullptr;
  double melody_weight = 0;
  std::array<bool, tokenizer::kMaxTracks> pitched{};
  // the kept parts' onsets in the passage (sixteenths, rounded from model steps): rhythm_weight x
  // the F1 of the candidate's new onsets against them is taken from its score
  std::set<int64_t> kept_onsets;
  double rhythm_weight = 0;
  int first_new_track = tokenizer::kMaxTracks;
  // varied candidates (InfillOptions::vary_share): the last vary_count of each variation's
  // candidates vary the stretch before the passage (before_span()) at vary_strength
  int vary_count = 0;
  float vary_strength = 0;
  // candidates whose written notes repeat more than this share of the notes of the stretch
  // before (same track, pitch and onset one stretch later) are kept only if every candidate
  // does (InfillOptions::max_repeat; >= 1: no limit)
  double max_repeat = 1;
  // each track's pitch range outside the passage (lo > hi: none, or drums): range_weight x the
  // share of the candidate's notes on tracks with a range that lie more than 2 semitones outside
  // it is added to its score
  std::array<std::array<int, 2>, tokenizer::kMaxTracks> range{};
  double range_weight = 0;
  // sees each candidate and its terms once the choice is made (InfillOptions::on_candidate)
  const std::function<void(const InfillCandidate&)>* on_candidate = nullptr;
  // the stretch before the passage that varied candidates vary and near-copies repeat:
  // [begin - before_span(), begin), as long as the passage or all before it if shorter
  int64_t before_span() const { return std::min(end - begin, begin); }
};

// How many of `candidates` are varied at this share (with one there is no choice: none).
int varied_count(double share, int candidates) { return candidates > 1 ? int(std::lround(share * candidates)) : 0; }

// The notes of the prefix in [begin - span, begin), as (track, pitch, onset + span): where a note
// repeating them one span later would be.
using NoteKeys = std::set<std::tuple<int, int, int64_t>>;
NoteKeys notes_a_span_later(const std::vector<Event>& prefix, int64_t begin, int64_t span) {
  NoteKeys out;
  int64_t t = 0;
  for (const Event& e : prefix) {
    t += e[Field::kDt];
    if (e.kind() == Kind::kNote && t >= begin - span && t < begin) out.insert({int(e[Field::kTrack]), int(e[Field::kValue]), t + span});
  }
  return out;
}

// The share of a candidate's notes on tracks it writes (not forbidden) that are among `before`
// (notes_a_span_later). `start` is the time of the prefix's last event, where the candidate's
// first dt counts from.
double repeated_share(const NoteKeys& before, const std::vector<Event>& cand, int64_t start, const std::vector<uint8_t>& forbid) {
  double all = 0, same = 0;
  int64_t t = start;
  for (const Event& e : cand) {
    t += e[Field::kDt];
    if (e.kind() != Kind::kNote || std::find(forbid.begin(), forbid.end(), uint8_t(e[Field::kTrack])) != forbid.end()) continue;
    all += 1;
    same += before.count({int(e[Field::kTrack]), int(e[Field::kValue]), t}) > 0;
  }
  return all > 0 ? same / all : 0;
}

// The share of a candidate's notes, on tracks with a range in `range`, that lie more than 2
// semitones outside it.
double outside_range(const std::vector<Event>& cand, const std::array<std::array<int, 2>, tokenizer::kMaxTracks>& range) {
  double all = 0, out = 0;
  for (const Event& e : cand) {
    if (e.kind() != Kind::kNote) continue;
    const auto& r = range[size_t(e[Field::kTrack] % tokenizer::kMaxTracks)];
    if (r[0] > r[1]) continue;
    all += 1;
    out += int(e[Field::kValue]) < r[0] - 2 || int(e[Field::kValue]) > r[1] + 2;
  }
  return all > 0 ? out / all : 0;
}

struct Written {
  std::vector<Event> events;   // after the prefix: forced and written, with their dts
  double nll = 0;              // of the lookahead events, given prefix + events
  size_t scored = 0;
};

// Reports progress to a RewriteProgressFn and remembers a request to stop. Each write_passage()
// call is one unit of `units`; within it, the share is the mean over the candidates of the
// passage's time written so far.
class Progress {
 public:
  Progress(const RewriteProgressFn& fn, int units) : fn_(fn), units_(std::max(units, 1)) {}

  // The callback for the passage that is unit `unit`: `sequences` candidates over `span` steps.
  engine::EventCallback passage(int unit, int sequences, int64_t span) {
    if (!fn_) return {};
    time_.assign(size_t(std::max(sequences, 1)), 0);
    sum_ = 0;
    return [this, unit, span](int v, const Event& e) {
      if (stopped_) return false;
      if (size_t(v) < time_.size() && span > 0) {
        const int64_t before = std::min(time_[size_t(v)], span);
        time_[size_t(v)] += e[Field::kDt];
        sum_ += std::min(time_[size_t(v)], span) - before;
      }
      ++events_;
      const double within = span > 0 ? double(sum_) / (double(span) * double(time_.size())) : 0;
      if (!fn_(std::min(1.0, (unit + within) / units_), events_)) stopped_ = true;
      return !stopped_;
    };
  }
  bool stopped() const { return stopped_; }
  // Throws Error(kCancelled) if the callback asked to stop.
  void check() const {
    if (stopped_) throw Error(ErrorCode::kCancelled, "stopped");
  }
  void done() {
    check();
    if (fn_ && !fn_(1.0, events_)) stopped_ = true;
    check();
  }

 private:
  const RewriteProgressFn& fn_;
  double units_;
  std::vector<int64_t> time_;
  int64_t sum_ = 0;
  int events_ = 0;
  bool stopped_ = false;
};

// Draws `candidates` versions of the passage for each of `variations` and keeps, for each, the one
// under which the lookahead is likeliest. The passage is unit `unit` of `progress`; if it is
// stopped, the call throws Error(kCancelled).
std::vector<Written> write_passage(const engine::Model& m, const Passage& p, engine::SampleOptions so, int variations,
                                   int candidates, Progress& progress, int unit) {
  so.variations = variations * candidates;
  so.forced = p.forced;
  so.begin_at = p.begin;
  so.end_at = p.end;
  so.forbid_tracks = p.forbid;
  so.known = p.known;
  so.allow_eos = false;
  const int64_t before = p.before_span();
  if (p.vary_count > 0 && before > 0) {
    so.vary_from = p.begin - before;
    so.vary_span = before;
    so.vary_strength = p.vary_strength;
    so.varied.assign(size_t(so.variations), 0);
    for (int v = 0; v < variations; ++v)
      for (int c = std::max(0, candidates - p.vary_count); c < candidates; ++c) so.varied[size_t(v * candidates + c)] = 1;
  }
  if (p.steer_strength > 0 && p.steer_share > 0 && p.expected_notes >= 0) {
    so.steer_notes = p.expected_notes;
    so.steer_strength = p.steer_strength;
    so.steered.assign(size_t(so.variations), 0);
    for (int v = 0; v < variations; ++v)
      for (int c = 0; c < candidates; ++c)   // spread evenly: candidate c if the share's count rises at it
        so.steered[size_t(v * candidates + c)] = std::floor((c + 1) * p.steer_share) > std::floor(c * p.steer_share);
  }
  // room for the forced events and up to 64 of the model's own per beat
  so.events = int(std::min<int64_t>(p.forced.size() + (p.end - p.begin) * 64 / tokenizer::kStepsPerBeat + 256, 1 << 20));
  auto raw = engine::generate(m, p.prefix, so, progress.passage(unit, so.variations, p.end - p.begin));
  progress.check();
  int64_t start = 0;
  for (const Event& e : p.prefix) start += e[Field::kDt];
  const size_t forced_notes =
      size_t(std::count_if(p.forced.begin(), p.forced.end(), [](const auto& f) { return f.event.kind() == Kind::kNote; }));
  auto written_notes = [&](const std::vector<Event>& cand) {
    const size_t all = size_t(std::count_if(cand.begin(), cand.end(), [](const Event& e) { return e.kind() == Kind::kNote; }));
    return all >= forced_notes ? all - forced_notes : 0;
  };
  const NoteKeys repeats = p.max_repeat < 1 || p.on_candidate ? notes_a_span_later(p.prefix, p.begin, before) : NoteKeys{};
  std::vector<Written> out(static_cast<size_t>(variations));
  for (int v = 0; v < variations; ++v) {
    // the count the choice aims at: the surroundings' and, with model_density > 0, the
    // candidates' median, mixed in log space
    double expected = p.expected_notes;
    if (expected >= 0 && p.model_density > 0) {
      std::vector<double> counts;
      for (int c = 0; c < candidates; ++c) counts.push_back(double(written_notes(raw[size_t(v * candidates + c)])));
      std::sort(counts.begin(), counts.end());
      const size_t n = counts.size();
      const double median = n % 2 ? counts[n / 2] : 0.5 * (counts[n / 2 - 1] + counts[n / 2]);
      const double w = p.model_density;
      expected = std::exp((1 - w) * std::log(expected + 1) + w * std::log(median + 1)) - 1;
    }
    // near-copies of the bars before are kept out of the choice while there is anything else
    std::vector<char> too_close(size_t(candidates), 0);
    if (p.max_repeat < 1 && before > 0) {
      for (int c = 0; c < candidates; ++c)
        too_close[size_t(c)] = repeated_share(repeats, raw[size_t(v * candidates + c)], start, p.forbid) > p.max_repeat;
      if (std::all_of(too_close.begin(), too_close.end(), [](char x) { return x != 0; })) too_close.assign(too_close.size(), 0);
    }
    // the lookahead after each candidate, all scored in one batched pass after the shared prefix
    std::vector<std::vector<Event>> tails(static_cast<size_t>(candidates));
    std::vector<size_t> tail_events(size_t(candidates), 0);
    if (!p.lookahead.empty() && p.score_lookahead) {
      for (int c = 0; c < candidates; ++c) {
        if (too_close[size_t(c)] && !p.on_candidate) continue;
        const auto& cand = raw[size_t(v * candidates + c)];
        int64_t now = start;
        for (const Event& e : cand) now += e[Field::kDt];
        const auto tail = retime(p.lookahead, now);
        tails[size_t(c)] = cand;
        tails[size_t(c)].insert(tails[size_t(c)].end(), tail.begin(), tail.end());
        tail_events[size_t(c)] = tail.size();
      }
    }
    const auto tail_nll = engine::score_tails(m, p.prefix, tails);
    double best = std::numeric_limits<double>::infinity();
    int chosen = -1;
    std::vector<InfillCandidate> seen;
    for (int c = 0; c < candidates; ++c) {
      const auto& cand = raw[size_t(v * candidates + c)];
      InfillCandidate k;
      k.variation = v;
      k.index = c;
      k.varied = p.vary_count > 0 && before > 0 && c >= candidates - p.vary_count;
      k.kept_out = too_close[size_t(c)] != 0;
      k.steered = !so.steered.empty() && so.steered[size_t(v * candidates + c)];
      k.notes = double(written_notes(cand));
      k.expected_notes = expected;
      if (k.kept_out && !p.on_candidate) continue;
      if (tail_events[size_t(c)] > 0) {
        const auto& nll = tail_nll[size_t(c)];
        k.lookahead_events = tail_events[size_t(c)];
        k.lookahead_nats = std::accumulate(nll.end() - std::ptrdiff_t(k.lookahead_events), nll.end(), 0.0);
      }
      double score = k.lookahead_events ? k.lookahead_nats / double(k.lookahead_events) : 0;
      if (expected >= 0 && p.density_weight > 0) score += p.density_weight * std::abs(std::log((k.notes + 1) / (expected + 1)));
      if (p.melody && p.melody_weight > 0) score += p.melody_weight * share_above(cand, start, *p.melody, p.pitched);
      if (p.range_weight > 0 || p.on_candidate) k.outside = outside_range(cand, p.range);
      if (p.range_weight > 0) score += p.range_weight * k.outside;
      if (p.rhythm_weight > 0) score -= p.rhythm_weight * onset_f1(cand, start, p.kept_onsets, p.first_new_track);
      k.score = score;
      if (p.on_candidate) {
        if (before > 0) k.repeated = repeated_share(repeats, cand, start, p.forbid);
        seen.push_back(k);
      }
      if (k.kept_out) continue;
      if (chosen < 0 || score < best) {
        chosen = c;
        best = score;
        out[size_t(v)] = {cand, k.lookahead_nats, k.lookahead_events};
      }
    }
    if (p.on_candidate)
      for (auto& k : seen) {
        k.chosen = k.index == chosen;
        (*p.on_candidate)(k);
      }
  }
  return out;
}

// Notes written by the model for canonical track `track`, in the file's ticks, cut at `end`.
std::vector<score::Note> notes_of(const Encoded& enc, int64_t start, const std::vector<Event>& events, int track,
                                  int64_t end) {
  std::vector<score::Note> notes;
  int64_t now = start;
  for (const Event& e : events) {
    now += e[Field::kDt];
    if (e.kind() != Kind::kNote || e[Field::kTrack] != track) continue;
    const int64_t stop = std::min<int64_t>(now + e[Field::kDuration] + 1, end);
    if (stop <= now) continue;
    const Ticks a = enc.to_tick(now), b = enc.to_tick(stop);
    notes.push_back({a, Ticks{std::max<int64_t>((b - a).count(), 1)}, uint8_t(e[Field::kValue] - tokenizer::kPitchBase),
                     uint8_t(std::max<int>(e[Field::kValue2], 1))});
  }
  return notes;
}

// Adds `fresh` to `kept` so that no two notes of one pitch overlap (a MIDI file could not keep
// them apart): a new note that starts while a kept one of its pitch sounds is dropped, one that
// sounds into a kept one's start is cut there; among the new, the earlier is cut. Kept notes are
// never changed.
void add_notes(std::vector<score::Note>& kept, std::vector<score::Note> fresh) {
  std::map<int, std::vector<std::pair<int64_t, int64_t>>> busy;   // pitch -> kept (start, end)
  for (const auto& n : kept) busy[n.pitch].push_back({n.start.count(), (n.start + n.duration).count()});
  std::sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) {
    return std::pair(a.pitch, a.start.count()) < std::pair(b.pitch, b.start.count());
  });
  std::vector<score::Note> ok;
  for (size_t i = 0; i < fresh.size(); ++i) {
    score::Note n = fresh[i];
    if (i + 1 < fresh.size() && fresh[i + 1].pitch == n.pitch) {
      if (fresh[i + 1].start == n.start) continue;   // the same note twice: keep the later copy
      n.duration = Ticks{std::min(n.duration.count(), (fresh[i + 1].start - n.start).count())};
    }
    bool drop = false;
    int64_t s = n.start.count(), e = s + n.duration.count();
    for (auto [ks, ke] : busy[n.pitch]) {
      if (ks <= s && s < ke) drop = true;
      else if (s < ks && ks < e) e = ks;
    }
    if (drop || e <= s) continue;
    n.duration = Ticks{e - s};
    ok.push_back(n);
  }
  kept.insert(kept.end(), ok.begin(), ok.end());
}

// Music repeats itself: a window of the piece elsewhere whose surroundings look like the
// passage's tells the passage's density better than its surroundings alone (docs/EVAL.md,
// "Session 17"). counts[t][b]: notes of canonical track t in bar b; bar_len[b]: each bar's
// length. The passage is bars [first, first + n); the surroundings compared are `around` bars on
// each side, per track, in log(1 + notes); a window is a candidate if it and its surroundings
// lie clear of the passage's, its bars are as long as the passage's, and at least `around` of
// the compared bars lie in the piece. Returns the notes of the rewritten tracks (`rewritten`) in
// the window of least mean distance, and that distance (infinity: none).
std::pair<double, double> matching_window(const std::vector<std::vector<double>>& counts, const std::vector<int64_t>& bar_len,
                                          const std::vector<char>& rewritten, int64_t first, int64_t n, int64_t around) {
  const int64_t bars = int64_t(bar_len.size());
  std::pair<double, double> best{-1, std::numeric_limits<double>::infinity()};
  std::vector<int64_t> ctx;   // the passage's surrounding bars in the piece
  for (int64_t b = first - around; b < first + n + around; ++b)
    if (b >= 0 && b < bars && (b < first || b >= first + n)) ctx.push_back(b);
  for (int64_t j = 0; j + n <= bars; ++j) {
    if (j + n > first - around && j < first + n + around) continue;
    bool same = true;
    for (int64_t i = 0; i < n && same; ++i) same = bar_len[size_t(j + i)] == bar_len[size_t(first + i)];
    if (!same) continue;
    double d = 0;
    int64_t used = 0;
    for (int64_t b : ctx) {
      const int64_t o = j + (b - first);
      if (o < 0 || o >= bars || (o >= first && o < first + n) || bar_len[size_t(o)] != bar_len[size_t(b)]) continue;
      for (const auto& t : counts) d += std::abs(std::log1p(t[size_t(b)]) - std::log1p(t[size_t(o)]));
      ++used;
    }
    if (used < around || counts.empty()) continue;
    d /= double(used) * double(counts.size());
    if (d < best.second) {
      double notes = 0;
      for (size_t t = 0; t < counts.size(); ++t)
        if (rewritten[t])
          for (int64_t i = 0; i < n; ++i) notes += counts[t][size_t(j + i)];
      best = {notes, d};
    }
  }
  return best;
}

void check_vary(double share, float strength) {
  if (!(share >= 0 && share <= 1)) bad("the share of varied candidates must be between 0 and 1");
  if (!(strength >= 0 && strength <= 1)) bad("the strength of the variations must be between 0 and 1");
}

void check_sampling(const engine::SampleOptions& so, int candidates) {
  if (so.variations < 1 || so.variations > 16) bad("variations must be between 1 and 16");
  if (candidates < 1 || candidates > 64) bad("candidates must be between 1 and 64");
  if (so.variations * candidates > 256) bad("variations x candidates must be at most 256");
}

std::vector<int> track_indices(const score::Score& s, const std::vector<int>& asked, const char* what) {
  std::set<int> out;
  for (int t : asked) {
    if (t < 0 || size_t(t) >= s.tracks.size())
      bad(std::string(what) + ": no track " + std::to_string(t + 1) + " (the file has tracks 1-" +
          std::to_string(s.tracks.size()) + ", numbered as `continuo info` shows them)");
    out.insert(t);
  }
  if (asked.empty())
    for (size_t i = 0; i < s.tracks.size(); ++i)
      if (!s.tracks[i].notes.empty()) out.insert(int(i));
  return {out.begin(), out.end()};
}

}  // namespace

std::vector<score::Score> infill(const engine::Model& m, const score::Score& s, const InfillOptions& opt,
                                 const RewriteProgressFn& progress, ChoiceStats* stats) {
  check_sampling(opt.sampling, opt.candidates);
  if (opt.lookahead_bars < 0 || opt.lookahead_bars > 16) bad("lookahead bars must be between 0 and 16");
  if (!(opt.model_density >= 0 && opt.model_density <= 1)) bad("the model's share of the density must be between 0 and 1");
  check_vary(opt.vary_share, opt.vary_strength);
  if (!(opt.max_repeat >= 0 && opt.max_repeat <= 1)) bad("the largest share of repeated notes must be between 0 and 1");
  if (!(opt.range_weight >= 0 && opt.range_weight <= 100)) bad("the weight of notes outside their track's range must be between 0 and 100");
  if (!(opt.steer_strength >= 0 && opt.steer_strength <= 10)) bad("the density steering's strength must be between 0 and 10");
  if (!(opt.steer_share >= 0 && opt.steer_share <= 1)) bad("the share of steered candidates must be between 0 and 1");
  if (!(opt.match_weight >= 0 && opt.match_weight <= 1)) bad("the matching window's share of the density must be between 0 and 1");
  if (!(opt.match_distance >= 0)) bad("the matching window's largest distance must not be negative");
  if (opt.match_bars < 1 || opt.match_bars > 16) bad("the bars compared around a matching window must be between 1 and 16");
  const int64_t bars = score::bar_count(s);
  if (bars == 0) bad("the piece has no notes");
  if (opt.first_bar < 1 || opt.last_bar < opt.first_bar || opt.last_bar > bars)
    bad("bars " + std::to_string(opt.first_bar) + "-" + std::to_string(opt.last_bar) + " are not a passage of the piece, which has bars 1-" +
        std::to_string(bars));
  const std::vector<int> chosen = track_indices(s, opt.tracks, "--tracks");
  if (chosen.empty()) bad("the piece has no notes");
  const auto groups = tokenizer::Tokenizer::track_groups(s);
  std::vector<int> canon_of(s.tracks.size(), -1);
  for (size_t c = 0; c < groups.size(); ++c)
    for (int i : groups[c]) canon_of[size_t(i)] = int(c);
  std::set<int> rewrite;   // canonical tracks
  for (int i : chosen) {
    if (canon_of[size_t(i)] < 0)
      bad("track " + std::to_string(i + 1) + (s.tracks[size_t(i)].notes.empty() ? " has no notes to rewrite (accompany adds parts)"
                                                                            : " is not among the 16 tracks the model reads"));
    rewrite.insert(canon_of[size_t(i)]);
  }
  for (int c : rewrite)
    for (int i : groups[size_t(c)])
      if (!std::binary_search(chosen.begin(), chosen.end(), i))
        bad("tracks " + std::to_string(i + 1) + " and " + std::to_string(groups[size_t(c)][0] + 1) +
            " share an instrument and are one track for the model: rewrite both or neither");

  const bool controls = m.config().controls;
  const Encoded enc(s, controls);
  const int64_t A = enc.to_model(score::bar_start(s, opt.first_bar - 1));
  const int64_t E = enc.to_model(score::bar_start(s, opt.last_bar));
  const int64_t L = enc.to_model(score::bar_start(s, std::min<int64_t>(bars, opt.last_bar + opt.lookahead_bars)));
  if (E <= A) bad("the passage is empty");

  Passage p;
  const size_t ia = enc.first_at(A);
  p.prefix.assign(enc.events.begin(), enc.events.begin() + ptrdiff_t(ia));
  p.begin = A;
  p.end = E;
  auto rewritten = [&](const Event& e) {
    return (e.kind() == Kind::kNote || e.kind() == Kind::kControl) && rewrite.count(e[Field::kTrack]);
  };
  for (size_t i = ia; i < enc.events.size() && enc.at[i] < L; ++i) {
    const Event& e = enc.events[i];
    if (e.kind() == Kind::kWait) continue;
    if (enc.at[i] < E) {
      if (!rewritten(e)) p.forced.push_back({enc.at[i], e});
    } else {
      p.lookahead.push_back({enc.at[i], e});
    }
  }
  for (int c = 0; c < int(groups.size()); ++c)
    if (!rewrite.count(c)) p.forbid.push_back(uint8_t(c));
  // a future_context model knows the music after the passage, and the kept tracks throughout
  if (opt.known_future && m.config().future_context)
    p.known = enc.known(E, [&](int track) { return !rewrite.count(track); });
  // the density of the rewritten tracks around the passage: lookahead_bars bars (at least one)
  // on each side
  {
    const int around = std::max(opt.lookahead_bars, 1);
    const int64_t lo = enc.to_model(score::bar_start(s, std::max(0, opt.first_bar - 1 - around)));
    const int64_t hi = enc.to_model(score::bar_start(s, std::min<int64_t>(bars, opt.last_bar + around)));
    size_t n = 0;
    for (size_t i = enc.header; i < enc.events.size(); ++i)
      if (enc.events[i].kind() == Kind::kNote && rewritten(enc.events[i]) && ((enc.at[i] >= lo && enc.at[i] < A) || (enc.at[i] >= E && enc.at[i] < hi)))
        ++n;
    const int64_t span = (A - lo) + (hi - E);
    if (span > 0) p.expected_notes = double(n) * double(E - A) / double(span);
    // and from the window elsewhere in the piece whose surroundings look most like the passage's
    if (p.expected_notes >= 0 && opt.match_weight > 0) {
      std::vector<int64_t> starts(size_t(bars) + 1);
      for (int64_t b = 0; b <= bars; ++b) starts[size_t(b)] = enc.to_model(score::bar_start(s, b));
      std::vector<int64_t> bar_len(static_cast<size_t>(bars));
      for (int64_t b = 0; b < bars; ++b) bar_len[size_t(b)] = starts[size_t(b) + 1] - starts[size_t(b)];
      std::vector<std::vector<double>> counts(groups.size(), std::vector<double>(size_t(bars), 0));
      std::vector<char> is_rewritten(groups.size(), 0);
      for (int c : rewrite) is_rewritten[size_t(c)] = 1;
      for (size_t i = enc.header; i < enc.events.size(); ++i) {
        const Event& e = enc.events[i];
        if (e.kind() != Kind::kNote || e[Field::kTrack] >= groups.size()) continue;
        const int64_t b = int64_t(std::upper_bound(starts.begin(), starts.end(), enc.at[i]) - starts.begin()) - 1;
        if (b >= 0 && b < bars) counts[e[Field::kTrack]][size_t(b)] += 1;
      }
      const auto [notes, distance] = matching_window(counts, bar_len, is_rewritten, opt.first_bar - 1,
                                                     int64_t(opt.last_bar - opt.first_bar + 1), opt.match_bars);
      if (distance <= opt.match_distance) {
        const double w = opt.match_weight;
        p.expected_notes = std::expm1((1 - w) * std::log1p(p.expected_notes) + w * std::log1p(notes));
      }
    }
    p.density_weight = opt.density_weight;
    p.model_density = opt.model_density;
    p.steer_strength = opt.steer_strength;
    p.steer_share = opt.steer_share;
  }

  // each rewritten pitched track's range in the rest of the piece
  for (auto& r : p.range) r = {128, -1};
  p.range_weight = opt.range_weight;
  if (opt.range_weight > 0)
    for (size_t i = enc.header; i < enc.events.size(); ++i) {
      const Event& e = enc.events[i];
      if (e.kind() != Kind::kNote || !rewritten(e) || (enc.at[i] >= A && enc.at[i] < E)) continue;
      const int c = int(e[Field::kTrack]);
      if (c >= int(groups.size()) || s.tracks[size_t(groups[size_t(c)][0])].is_drum) continue;
      auto& r = p.range[size_t(c)];
      r = {std::min(r[0], int(e[Field::kValue])), std::max(r[1], int(e[Field::kValue]))};
    }
  p.vary_count = varied_count(opt.vary_share, opt.candidates);
  p.vary_strength = opt.vary_strength;
  p.max_repeat = opt.max_repeat;
  if (opt.on_candidate) p.on_candidate = &opt.on_candidate;

  const int V = opt.sampling.variations;
  Progress tracker(progress, 1);
  auto written = write_passage(m, p, opt.sampling, V, opt.candidates, tracker, 0);
  tracker.done();
  int64_t start = 0;
  for (const Event& e : p.prefix) start += e[Field::kDt];

  std::vector<score::Score> outs;
  if (stats) *stats = {};
  for (const Written& w : written) {
    score::Score out = s;
    for (int c : rewrite) {
      for (int i : groups[size_t(c)]) {
        std::erase_if(out.tracks[size_t(i)].notes, [&](const score::Note& n) {
          const int64_t t = enc.to_model(n.start);
          return t >= A && t < E;
        });
      }
      auto& tr = out.tracks[size_t(groups[size_t(c)][0])].notes;
      add_notes(tr, notes_of(enc, start, w.events, c, E));
    }
    score::normalize(out);
    outs.push_back(std::move(out));
    if (stats) {
      stats->lookahead_nll.push_back(w.nll);
      stats->lookahead_events.push_back(w.scored);
    }
  }
  return outs;
}

std::vector<Instrument> default_band(const score::Score& s, const std::vector<int>& keep) {
  bool piano = false, bass = false, drums = false;
  for (int i : keep) {
    if (i < 0 || size_t(i) >= s.tracks.size()) continue;
    const auto& t = s.tracks[size_t(i)];
    if (t.is_drum) drums = true;
    else if (t.program < 8) piano = true;
    else if (t.program >= 32 && t.program < 40) bass = true;
  }
  std::vector<Instrument> band;
  band.push_back({piano ? 48 : 0, false});   // string ensemble or acoustic grand piano
  if (!bass) band.push_back({33, false});    // electric bass (finger)
  if (!drums) band.push_back({0, true});     // standard kit
  return band;
}

std::vector<score::Score> accompany(const engine::Model& m, const score::Score& s, const AccompanyOptions& opt,
                                    const RewriteProgressFn& progress, ChoiceStats* stats) {
  check_sampling(opt.sampling, opt.candidates);
  if (opt.chunk_bars < 1 || opt.chunk_bars > 64) bad("chunk bars must be between 1 and 64");
  check_vary(opt.vary_share, opt.vary_strength);
  if (!(opt.melody_on_top >= 0 && opt.melody_on_top <= 100)) bad("the melody-on-top weight must be between 0 and 100");
  if (!(opt.follow_rhythm >= 0 && opt.follow_rhythm <= 100)) bad("the follow-rhythm weight must be between 0 and 100");
  const std::vector<int> keep = track_indices(s, opt.keep, "--tracks-to-keep");
  score::Score kept = s;
  kept.tracks.clear();
  for (int i : keep) kept.tracks.push_back(s.tracks[size_t(i)]);
  size_t kept_notes = 0;
  for (const auto& t : kept.tracks) kept_notes += t.notes.size();
  if (kept_notes == 0) bad("the kept tracks have no notes: nothing to accompany");
  for (int i : keep)
    if (s.tracks[size_t(i)].notes.empty()) bad("track " + std::to_string(i + 1) + " has no notes to keep");
  const std::vector<Instrument> add = opt.instruments.empty() ? default_band(s, keep) : opt.instruments;
  const auto groups = tokenizer::Tokenizer::track_groups(kept);
  const int nk = int(groups.size());
  if (nk + int(add.size()) > tokenizer::kMaxTracks)
    bad("at most " + std::to_string(tokenizer::kMaxTracks) + " tracks in all: " + std::to_string(nk) + " kept and " +
        std::to_string(add.size()) + " new");
  if (add.empty()) bad("no instruments to add");

  const bool controls = m.config().controls && opt.sampling.allow_controls;
  const Encoded enc(kept, m.config().controls);
  // the header: the kept tracks' declarations, then the new ones
  std::vector<Event> header(enc.events.begin(), enc.events.begin() + ptrdiff_t(enc.header));
  for (size_t j = 0; j < add.size(); ++j) {
    Event e;
    e[Field::kKind] = uint16_t(Kind::kTrack);
    e[Field::kTrack] = uint16_t(nk + int(j));
    e[Field::kValue] = uint16_t((add[j].drums ? tokenizer::kDrumKitBase : tokenizer::kProgramBase) + (add[j].program & 127));
    header.push_back(e);
  }
  Timed body;
  for (size_t i = enc.header; i < enc.events.size(); ++i)
    if (enc.events[i].kind() != Kind::kWait) body.push_back({enc.at[i], enc.events[i]});
  const int64_t bars = std::max<int64_t>(score::bar_count(kept), 1);
  std::vector<int64_t> edge;   // chunk edges, grid steps
  for (int64_t b = 0; b < bars; b += opt.chunk_bars) edge.push_back(enc.to_model(score::bar_start(kept, b)));
  int64_t end = enc.to_model(score::bar_start(kept, bars));
  if (!body.empty()) end = std::max(end, body.back().first + 1);
  edge.push_back(end);
  edge.erase(std::unique(edge.begin(), edge.end()), edge.end());
  std::vector<uint8_t> forbid;
  for (int c = 0; c < nk; ++c) forbid.push_back(uint8_t(c));

  engine::SampleOptions so = opt.sampling;
  so.allow_controls = controls;
  // a future_context model knows the kept parts for the whole piece
  std::vector<tokenizer::KnownNote> known;
  if (opt.known_future && m.config().future_context)
    known = enc.known(std::numeric_limits<int64_t>::max(), [](int) { return true; });
  const Melody melody = opt.melody_on_top > 0 ? kept_melody(kept, [&](Ticks t) { return enc.to_model(t); }) : Melody{};
  std::array<bool, tokenizer::kMaxTracks> pitched{};
  for (size_t j = 0; j < add.size(); ++j) pitched[size_t(nk) + j] = !add[j].drums;
  std::vector<score::Score> outs;
  if (stats) *stats = {};
  const int chunks = int(edge.size()) - 1;
  Progress tracker(progress, opt.sampling.variations * chunks);
  for (int v = 0; v < opt.sampling.variations; ++v) {
    std::vector<Event> seq = header;
    int64_t now = 0;
    double nll = 0;
    size_t scored = 0;
    size_t bi = 0, written_notes = 0;
    for (size_t k = 0; k + 1 < edge.size(); ++k) {
      Passage p;
      p.prefix = seq;
      p.begin = edge[k];
      p.end = edge[k + 1];
      p.forbid = forbid;
      p.known = known;
      p.score_lookahead = opt.lookahead_weight > 0;
      if (!melody.notes.empty()) {
        p.melody = &melody;
        p.melody_weight = opt.melody_on_top;
        p.pitched = pitched;
      }
      while (bi < body.size() && body[bi].first < p.end) {
        p.forced.push_back({body[bi].first, body[bi].second});
        ++bi;
      }
      if (opt.follow_rhythm > 0) {
        p.rhythm_weight = opt.follow_rhythm;
        p.first_new_track = nk;
        for (const auto& f : p.forced)
          if (f.event.kind() == Kind::kNote) p.kept_onsets.insert(sixteenth(f.at));
      }
      const int64_t look_end = k + 2 < edge.size() ? edge[k + 2] : edge[k + 1];
      for (size_t j = bi; j < body.size() && body[j].first < look_end; ++j) p.lookahead.push_back(body[j]);
      // keep the new parts' density steady: the candidates' note counts against the rate
      // written so far (without it, a part that fell silent for a chunk stayed silent)
      if (k > 0 && written_notes > 0 && p.begin > 0) {
        p.expected_notes = double(written_notes) * double(p.end - p.begin) / double(p.begin);
        p.density_weight = opt.density_weight;
      }
      p.vary_count = varied_count(opt.vary_share, opt.candidates);   // (none in the first chunk: nothing before)
      p.vary_strength = opt.vary_strength;
      engine::SampleOptions sk = so;
      sk.seed = so.seed + uint64_t(v) * 1000003ULL + uint64_t(k) * 7919ULL;
      auto w = write_passage(m, p, sk, 1, opt.candidates, tracker, v * chunks + int(k));
      seq.insert(seq.end(), w[0].events.begin(), w[0].events.end());
      for (const Event& e : w[0].events) written_notes += e.kind() == Kind::kNote && e[Field::kTrack] >= nk;
      for (const Event& e : w[0].events) now += e[Field::kDt];
      nll += w[0].nll;
      scored += w[0].scored;
    }
    // the kept tracks as they were, then the new ones
    score::Score out = kept;
    std::set<int> used;
    for (const auto& t : kept.tracks) used.insert(t.channel);
    for (size_t j = 0; j < add.size(); ++j) {
      score::Track t;
      t.is_drum = add[j].drums;
      t.program = uint8_t(add[j].program & 127);
      t.name = add[j].drums ? "Drums" : score::gm_program_name(t.program);
      if (t.is_drum) {
        t.channel = 9;
      } else {
        int ch = 0;
        while (ch < 16 && (ch == 9 || used.count(ch))) ++ch;
        t.channel = uint8_t(ch < 16 ? ch : (j % 8));
        used.insert(t.channel);
      }
      add_notes(t.notes, notes_of(enc, 0, std::vector<Event>(seq.begin() + ptrdiff_t(header.size()), seq.end()),
                                  nk + int(j), end));
      int64_t tnow = 0;
      for (size_t i = header.size(); i < seq.size(); ++i) {
        const Event& e = seq[i];
        tnow += e[Field::kDt];
        if (e.kind() == Kind::kControl && e[Field::kTrack] == nk + int(j))
          t.controls.push_back({enc.to_tick(tnow), tokenizer::kControllers[e[Field::kValue] - tokenizer::kControlBase],
                                uint8_t(e[Field::kValue2])});
      }
      out.tracks.push_back(std::move(t));
    }
    // Drumify in place of the model's drums: a steady part that follows the others' rhythm
    if (opt.drummer) {
      for (size_t j = 0; j < add.size(); ++j) {
        if (!add[j].drums) continue;
        drums::DrumifyOptions d;
        d.keep_input = false;
        d.seed = so.seed + uint64_t(v);
        for (size_t t = 0; t < out.tracks.size(); ++t)
          if (!out.tracks[t].is_drum && !out.tracks[t].notes.empty()) d.tracks.push_back(int(t));
        if (d.tracks.empty()) break;
        auto drummed = drums::drumify(*opt.drummer, out, d);
        for (const auto& t : drummed.at(0).tracks)
          if (t.is_drum) {
            auto& mine = out.tracks[kept.tracks.size() + j];
            mine.notes = t.notes;
            mine.controls.clear();
            break;
          }
      }
    }
    score::normalize(out);
    outs.push_back(std::move(out));
    if (stats) {
      stats->lookahead_nll.push_back(nll);
      stats->lookahead_events.push_back(scored);
    }
  }
  tracker.done();
  return outs;
}

std::pair<int, int> parse_bar_range(const std::string& s) {
  auto num = [&](const std::string& x) {
    if (x.empty() || x.size() > 6 || !std::all_of(x.begin(), x.end(), [](char c) { return c >= '0' && c <= '9'; }))
      bad("bars must be A-B or A (bar numbers from 1), not '" + s + "'");
    return std::stoi(x);
  };
  const auto dash = s.find('-');
  if (dash == std::string::npos) {
    const int a = num(s);
    return {a, a};
  }
  const int a = num(s.substr(0, dash)), b = num(s.substr(dash + 1));
  if (a < 1 || b < a) bad("bars " + s + ": the first bar is 1 and the range must not run backwards");
  return {a, b};
}

std::vector<int> parse_track_list(const std::string& s) {
  std::vector<int> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    std::string x = s.substr(i, j - i);
    x.erase(0, x.find_first_not_of(' '));
    x.erase(x.find_last_not_of(' ') + 1);
    if (x.empty() || x.size() > 5 || !std::all_of(x.begin(), x.end(), [](char c) { return c >= '0' && c <= '9'; }))
      bad("tracks must be a list of track numbers from 1 (as `continuo info` shows them), e.g. 1,3, not '" + s + "'");
    if (std::stoi(x) < 1) bad("tracks are numbered from 1 (as `continuo info` shows them), not '" + s + "'");
    out.push_back(std::stoi(x) - 1);
    i = j + 1;
  }
  return out;
}

}  // namespace continuo::tasks
